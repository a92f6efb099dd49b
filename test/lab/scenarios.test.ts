import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../../lab/scenario-load.js';
import { runScenario } from '../../lab/run.js';

const SHIPPED = ['back-pressure', 'hot-eject-during-ipsec', 'keying-offload', 'two-cards-balance'];

describe('the shipped scenarios', () => {
  it('are all found by name', () => {
    expect(listScenarios()).toEqual(expect.arrayContaining(SHIPPED));
  });

  it.each(SHIPPED)('%s runs and meets every expectation', async (name) => {
    const s = await loadScenario(name);
    const { report } = await runScenario(s, { seed: 1, ref: name });
    const failed = report.expectations.filter((e) => !e.ok).map((e) => `${e.name}: ${e.detail}`);
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.expectations.length).toBeGreaterThan(3);
    expect(report.replay).toBe(`ocfsim run ${name} --seed 1`);
  });

  it('hot-eject-during-ipsec moves the sessions to cryptosoft and back to hardware after the rekey', async () => {
    const { report } = await runScenario(await loadScenario('hot-eject-during-ipsec'), { seed: 1 });
    const phase = (n: string) => report.phases.find((p) => p.name === n)!.workloads['esp']!;
    expect(Object.keys(phase('hardware').drivers)).toEqual(['hifn0']);
    expect(Object.keys(phase('software').drivers)).toEqual(['cryptosoft0']);
    expect(phase('hardware again').drivers['hifn0']).toBeGreaterThan(0);
    expect(report.total.workloads['esp']!.migrations).toBe(4);
    expect(report.events.map((e) => e.what)).toEqual(expect.arrayContaining(['eject hifn0 (surprise)', 'hifn0 detached', 'hifn0 attached', 'rekey esp: new sessions']));
    expect(report.lost).toEqual({ esp: 0 });
  });
});
