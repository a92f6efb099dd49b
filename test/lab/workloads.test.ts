import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineScenario, type Scenario } from '../../lab/scenario.js';
import { loadScenario } from '../../lab/scenario-load.js';
import { runScenario } from '../../lab/run.js';
import type { IpsecSpec } from '../../lab/workloads/index.js';

describe('the workloads', () => {
  it('ipsec, geli, keying and a /dev/crypto process all complete, check out and resubmit when hifn0 is pulled', async () => {
    const s = await loadScenario(fileURLToPath(new URL('./fixtures/all-workloads.ts', import.meta.url)));
    const { report } = await runScenario(s, { seed: 1 });
    expect(report.expectations.filter((e) => !e.ok)).toEqual([]);
    const t = report.total.workloads;
    for (const name of ['esp', 'disk', 'ike', 'cryptotest']) expect(t[name]!.completions).toBeGreaterThan(0);
    // XTS has no hardware of the Hifn era; the other three start on the card.
    expect(Object.keys(t['disk']!.drivers)).toEqual(['cryptosoft0']);
    expect(report.phases[0]!.workloads['esp']!.drivers).toEqual({ hifn0: expect.any(Number) });
    expect(report.phases[0]!.workloads['cryptotest']!.drivers).toEqual({ hifn0: expect.any(Number) });
    expect(t['esp']!.eagain).toBe(t['esp']!.resubmits);
    expect(t['esp']!.migrations).toBe(2);
  });

  it('counts the silent corruption of a consumer that resubmits a buffer the departing card already wrote', async () => {
    const base = await loadScenario('hot-eject-during-ipsec');
    const esp = base.workloads[0] as IpsecSpec;
    const careless: Scenario = defineScenario({
      ...base,
      workloads: [{ ...esp, restoreOnEagain: false }],
      timeline: [{ at: '5ms', eject: 'hifn0', mode: 'surprise' }],
      duration: '8ms',
      expect: ['no-lost', 'no-corruption'],
    });
    const { report } = await runScenario(careless, { seed: 1 });
    const corrupt = report.total.workloads['esp']!.corrupt;
    expect(corrupt).toBeGreaterThan(0);
    const e = report.expectations.find((x) => x.name === 'no silent corruption')!;
    expect(e.ok).toBe(false);
    expect(e.detail).toBe(`${corrupt} request(s) completed with wrong bytes`);
    // Nothing was lost: the requests completed, with the wrong bytes.
    expect(report.expectations.find((x) => x.name === 'no lost requests')!.ok).toBe(true);
  });

  it('loses requests a consumer does not resubmit after EAGAIN, and says so', async () => {
    const base = await loadScenario('hot-eject-during-ipsec');
    const s = defineScenario({
      ...base,
      workloads: [{ ...(base.workloads[0] as IpsecSpec), resubmit: false }],
      timeline: [{ at: '5ms', eject: 'hifn0', mode: 'surprise' }],
      duration: '8ms',
      expect: ['eagain-resubmitted', 'no-errors'],
    });
    const { report } = await runScenario(s, { seed: 1 });
    const [resub, errors] = report.expectations;
    expect(resub!.ok).toBe(false);
    expect(resub!.detail).toMatch(/^\d+ EAGAIN, 0 resubmitted$/);
    expect(errors!.detail).toMatch(/^EAGAIN: \d+$/);
  });

  it('rejects a workload with both or neither of rate and outstanding', async () => {
    const s = defineScenario({ description: 'x', machine: {}, workloads: [{ kind: 'ipsec', name: 'esp' }], duration: '1ms' });
    await expect(runScenario(s)).rejects.toThrow(/exactly one of rate \(open loop\) or outstanding \(closed loop\)/);
  });
});
