import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../lab/scenario-load.js';
import { runScenario } from '../../lab/run.js';

const UNTIL = 12e9; // 12 ms: both cards busy, then hifn1 ejected at 10 ms

describe('determinism of scenario runs', () => {
  it('gives the same trace hash and report for the same seed, and a different trace for another seed', async () => {
    const s = await loadScenario('two-cards-balance');
    const a = await runScenario(s, { seed: 5, trace: true, untilPs: UNTIL });
    const b = await runScenario(s, { seed: 5, trace: true, untilPs: UNTIL });
    const c = await runScenario(s, { seed: 6, trace: true, untilPs: UNTIL });
    expect(a.report.trace!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.report.trace!.sha256).toBe(a.report.trace!.sha256);
    expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
    expect(c.report.trace!.sha256).not.toBe(a.report.trace!.sha256);
    expect(a.report.replay).toBe('ocfsim run two-cards-balance --seed 5 --until 12.000ms');
  });

  it('records nothing in the trace, and still reports, when tracing is off', async () => {
    const s = await loadScenario('back-pressure');
    const { report, machine } = await runScenario(s, { seed: 1, untilPs: 2e9 });
    expect(machine.trace.all.length).toBe(0);
    expect(report.trace).toBeUndefined();
    expect(report.phases.map((p) => p.name)).toEqual(['light']);
  });
});
