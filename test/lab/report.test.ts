import { describe, expect, it } from 'vitest';
import { formatTime, parseTime } from '../../lab/scenario-time.js';
import { workloadFigures, type PhaseReport, type RunReport } from '../../lab/report.js';
import { checkExpectations } from '../../lab/report-expect.js';
import { formatReport } from '../../lab/report-text.js';
import { timelineSvg } from '../../lab/timeline-svg.js';
import { ProgressBar } from '../../lab/progress.js';
import { Ledger } from '../../lab/workloads/ledger.js';
import { defineScenario } from '../../lab/scenario.js';
import type { TraceEvent } from '../../sim/trace.js';

describe('scenario times', () => {
  it('parses units and numbers of picoseconds, and refuses anything else', () => {
    expect(parseTime('5ms')).toBe(5e9);
    expect(parseTime('250 us')).toBe(250e6);
    expect(parseTime('1.5s')).toBe(1.5e12);
    expect(parseTime('3µs')).toBe(3e6);
    expect(parseTime(42)).toBe(42);
    expect(() => parseTime('5 minutes' as never)).toThrow(/not a time/);
    expect(() => parseTime(-1)).toThrow(/not a time/);
    expect(formatTime(5e9)).toBe('5.000 ms');
    expect(formatTime(87.6e6)).toBe('87.6 µs');
  });

  it('defineScenario checks names in the timeline and the duration', () => {
    const base = { description: 'x', machine: {}, workloads: [{ kind: 'ipsec' as const, name: 'esp', rate: 1 }] };
    expect(() => defineScenario({ ...base, duration: '0ms' })).toThrow(/duration must be > 0/);
    expect(() => defineScenario({ ...base, duration: '1ms', timeline: [{ at: '1ms', rekey: 'vpn' }] })).toThrow(/rekey names no workload "vpn"/);
    expect(() => defineScenario({ ...base, duration: '1ms', timeline: [{ at: 'soon' as never, phase: 'x' }] })).toThrow(/timeline at/);
    expect(defineScenario({ ...base, duration: '1ms', timeline: [{ at: 'hifn0 attached', phase: 'x' }] }).durationPs).toBe(1e9);
  });
});

describe('workload figures', () => {
  it('counts by kind within a window, with throughput, percentiles and drivers', () => {
    const l = new Ledger('w');
    for (let i = 0; i < 100; i++) {
      const r = l.begin(i * 1e6, 1000);
      l.ok(r, i * 1e6 + (i + 1) * 1e6, i < 50 ? 'hifn0' : 'cryptosoft0');
    }
    const bad = l.begin(5e6, 10);
    l.fail(bad, 6e6, 'EINVAL');
    expect(l.fail(bad, 7e6, 'EINVAL')).toBe(false);
    l.eagain(8e6);
    l.resubmit(8e6);
    const f = workloadFigures(l.records, 0, 1e12);
    expect(f.requests).toBe(101);
    expect(f.completions).toBe(100);
    expect(f.errors).toEqual({ EINVAL: 1 });
    expect(f.duplicates).toBe(1);
    expect(f.drivers).toEqual({ hifn0: 50, cryptosoft0: 50 });
    expect(f.latencyUs).toEqual({ p50: 51, p99: 100, max: 100 });
    expect(f.opsPerSec).toBe(100);
    expect(f.mbPerSec).toBeCloseTo(0.1);
    expect(workloadFigures(l.records, 0, 10e6).requests).toBe(11);
    expect(l.outstanding).toBe(0);
  });
});

function fakeReport(): RunReport {
  const l = new Ledger('esp');
  for (let i = 0; i < 10; i++) l.ok(l.begin(i, 100), i + 1e6, i < 7 ? 'hifn0' : 'cryptosoft0');
  const w = workloadFigures(l.records, 0, 1e12);
  const phase: PhaseReport = {
    name: 'hw', fromPs: 0, toPs: 1e12, workloads: { esp: w }, cpu: [{ thread: 'esp', utilisation: 0.25 }, { thread: 'irq16: hifn0', utilisation: 0.1 }],
    rings: { hifn0: { cmd: { mean: 1.5, max: 3, size: 24 } } },
    counters: { cs_ops: 10, cs_errs: 0, cs_kops: 0, cs_kerrs: 0, cs_intrs: 0, cs_rets: 0, cs_blocks: 2, cs_kblocks: 0, unblocks: 2 },
  };
  return {
    scenario: 'fake', description: 'd', seed: 1, hostProfile: 'amd64-2015', cpus: 2, bootPs: 0, durationPs: 1e12, endPs: 1e12,
    events: [{ tPs: 0, what: 'run starts' }], phases: [phase], total: { ...phase, name: 'total' }, lost: { esp: 0 }, violations: [],
    expectations: [], ok: true, replay: 'ocfsim run fake --seed 1',
  };
}

describe('expectations', () => {
  it('say what they measured and what they found', () => {
    const r = fakeReport();
    const res = checkExpectations([
      { servedBy: { phase: 'hw', workload: 'esp', driver: 'hifn', atLeast: 0.9 } },
      { throughput: { workload: 'esp', atLeast: 5 } },
      { cpu: { phase: 'hw', thread: 'irq', atMost: 0.2 } },
      { counter: { phase: 'hw', name: 'unblocks', equals: 2 } },
      { latency: { workload: 'esp', percentile: 99, atMost: 0.5 } },
      { check: 'custom', fn: (x) => (x.seed === 1 ? null : 'wrong seed') },
      'no-lost',
    ], r, false);
    expect(res.map((e) => [e.ok, `${e.name}: ${e.detail}`])).toEqual([
      [false, 'share of esp in phase hw served by hifn >= 0.9: got 0.7000 (7 of 10 completions)'],
      [true, 'throughput of esp >= 5 ops/s: 10 ops/s'],
      [true, 'CPU of thread irq in phase hw <= 0.2 of one CPU: 0.1000 of one CPU'],
      [true, 'unblocks in phase hw == 2: 2'],
      [false, 'p99 latency of esp <= 0.5 µs: got 1 µs'],
      [true, 'custom: holds'],
      [true, 'no lost requests: every request completed'],
    ]);
  });

  it('fail on a phase the run does not have, unless the run was cut short', () => {
    const r = fakeReport();
    const e = { migrations: { phase: 'later', equals: 1 } };
    expect(checkExpectations([e], r, false)[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/no phase "later" in this run \(phases: hw\)/) });
    expect(checkExpectations([e], r, true)[0]).toMatchObject({ ok: true, detail: expect.stringMatching(/^skipped: .*--until/) });
  });

  it('the text report prints phases, CPU, rings, counters and the replay line', () => {
    const text = formatReport(fakeReport()).join('\n');
    expect(text).toMatch(/phase hw {2}\[0 ms – 1\.000 s\]/);
    expect(text).toMatch(/cpu \(of one CPU\): esp 25\.0%, irq16: hifn0 10\.0%/);
    expect(text).toMatch(/rings hifn0: cmd 1\.5\/24 \(max 3\)/);
    expect(text).toMatch(/2 blocked \(ERESTART\), 0 key blocked, 2 crypto_unblock/);
    expect(text).toMatch(/served by\n.*hifn0 70\.0%, cryptosoft0 30\.0%/);
    expect(text.split('\n').pop()).toBe('replay: ocfsim run fake --seed 1');
  });
});

describe('the SVG timeline', () => {
  it('draws phases, events, completions by driver and CPU strips from a trace', () => {
    const ev: TraceEvent[] = [
      { t: 0, layer: 'lab', where: 'scenario', kind: 'scenario.event', fields: { what: 'run starts' } },
      { t: 0, layer: 'lab', where: 'scenario', kind: 'scenario.event', fields: { what: 'phase before <eject>' } },
      { t: 1e6, layer: 'framework', where: 'esp', kind: 'crypto.invoke', req: 1, fields: { dev: 'hifn0' } },
      { t: 2e6, layer: 'framework', where: 'crypto returns', kind: 'crypto.callback', req: 1, fields: { etype: 'OK' } },
      { t: 3e6, layer: 'framework', where: 'esp', kind: 'crypto.invoke', req: 2, fields: { dev: 'cryptosoft0' } },
      { t: 3e6, layer: 'framework', where: 'esp', kind: 'crypto.callback', req: 2, fields: { etype: 'EAGAIN' } },
      { t: 3e6, layer: 'framework', where: 'esp', kind: 'crypto.migrate', req: 2, fields: {} },
      { t: 3e6, layer: 'framework', where: 'esp', kind: 'crypto.invoke', req: 2, fields: { dev: 'cryptosoft0' } },
      { t: 4e6, layer: 'framework', where: 'esp', kind: 'crypto.callback', req: 2, fields: { etype: 'OK' } },
      { t: 0, layer: 'cpu', where: 'esp', kind: 'thread.step', dur: 5e6, fields: { cpu: 0 } },
      { t: 5e6, layer: 'lab', where: 'scenario', kind: 'scenario.event', fields: { what: 'eject hifn0 (surprise)' } },
      { t: 10e6, layer: 'lab', where: 'scenario', kind: 'scenario.event', fields: { what: 'workloads stop; requests in flight drain' } },
    ];
    const svg = timelineSvg(ev, { title: 'test & check', bins: 10 });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('test &amp; check');
    expect(svg).toContain('phase before &lt;eject&gt;'.slice(6));
    expect(svg).toContain('eject hifn0 (surprise)');
    expect(svg).toContain('>hifn0</text>');
    expect(svg).toContain('>cryptosoft0</text>');
    expect(svg).toContain('>esp</text>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('the progress bar', () => {
  it('is drawn only on a terminal, at most every 100 ms of host time, and erased at the end', () => {
    const writes: string[] = [];
    const bar = new ProgressBar({ isTTY: true, columns: 100, write: (s) => writes.push(s) }, 'demo');
    bar.update({ nowPs: 5e9, endPs: 10e9, draining: false });
    bar.update({ nowPs: 6e9, endPs: 10e9, draining: false });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/demo \[#+-+\] 5\.000 ms of 10\.000 ms simulated, \d+\.\d s/);
    bar.done();
    expect(writes[1]).toBe('\r\x1b[K');
    expect(ProgressBar.forStderr({ quiet: true, label: 'x' })).toBeNull();
  });
});
