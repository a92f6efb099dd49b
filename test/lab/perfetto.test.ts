import { describe, expect, it } from 'vitest';
import { fromChromeTrace, summarizeTrace, toChromeTrace } from '../../lab/perfetto.js';
import { runDemo } from '../../lab/demo.js';
import type { TraceEvent } from '../../sim/trace.js';

const events: TraceEvent[] = [
  { t: 1_000_000, layer: 'framework', where: 'ipsec', kind: 'crypto.dispatch', req: 1, fields: { sid: 5n } },
  { t: 1_000_000, layer: 'cpu', where: 'ipsec', kind: 'thread.step', dur: 2_000_000, fields: { cpu: 0 } },
  { t: 2_500_000, layer: 'dma', where: 'hifn0', kind: 'dma.read', req: 1, dur: 500_000 },
  { t: 4_000_000, layer: 'framework', where: 'crypto returns', kind: 'crypto.callback', req: 1, fields: { etype: 'OK' } },
  { t: 4_500_000, layer: 'sim', where: 'hifn0', kind: 'violation.dma-outside-map', fields: { message: 'x' } },
];

describe('Chrome trace export', () => {
  it('names a process per layer group and a track per thread or device activity', () => {
    const { traceEvents } = toChromeTrace(events);
    const procs = traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args!['name']);
    expect(procs).toEqual(expect.arrayContaining(['CPUs', 'framework', 'hifn0']));
    const step = traceEvents.find((e) => e.name === 'thread.step')!;
    expect(step.ph).toBe('X');
    expect(step.ts).toBe(1);
    expect(step.dur).toBe(2);
  });

  it('draws one flow per request from its first to its last event', () => {
    const { traceEvents } = toChromeTrace(events);
    const flow = traceEvents.filter((e) => e.cat === 'request');
    expect(flow.map((e) => e.ph)).toEqual(['s', 'f']);
    expect(flow[0]!.ts).toBe(1);
    expect(flow[1]!.ts).toBe(4);
  });

  it('makes violations global instants and keeps bigint fields as hex', () => {
    const { traceEvents } = toChromeTrace(events);
    const v = traceEvents.find((e) => e.name.startsWith('violation.'))!;
    expect(v.ph).toBe('i');
    expect(v.s).toBe('g');
    expect(traceEvents.find((e) => e.name === 'crypto.dispatch')!.args!['sid']).toBe('0x5');
  });

  it('summarizes latency and counts, also after a round trip through JSON', () => {
    const s = summarizeTrace(events);
    expect(s.latency).toEqual({ count: 1, p50: 3_000_000, p99: 3_000_000, max: 3_000_000 });
    expect(s.violations).toBe(1);
    const back = fromChromeTrace(JSON.parse(JSON.stringify(toChromeTrace(events))));
    expect(summarizeTrace(back).latency.p50).toBe(3_000_000);
    expect(() => fromChromeTrace({} as never)).toThrow(/traceEvents/);
  });
});

describe('the substrate demo', () => {
  it('runs clean and prints the same trace hash for the same seed', () => {
    const a: string[] = [];
    const b: string[] = [];
    expect(runDemo((l) => a.push(l), 3)).toBe(0);
    expect(runDemo((l) => b.push(l), 3)).toBe(0);
    expect(a).toEqual(b);
    expect(a.join('\n')).toMatch(/violations: none/);
  });
});
