import { describe, expect, it } from 'vitest';
import { TraceRecorder, formatEvent } from '../../sim/trace.js';

describe('TraceRecorder', () => {
  it('records nothing while off', () => {
    const t = new TraceRecorder();
    t.record({ t: 1, layer: 'sim', where: 'x', kind: 'k' });
    expect(t.all.length).toBe(0);
  });

  it('formats events with sorted fields so the text log is stable', () => {
    const line = formatEvent({ t: 5, layer: 'device', where: 'hifn0', kind: 'dma.in', req: 3, fields: { z: 1, a: 2n } });
    expect(line).toBe('5 device hifn0 dma.in req=3 a=0x2 z=1');
  });

  it('hashes identical traces identically and different ones differently', () => {
    const mk = (n: number) => {
      const t = new TraceRecorder({ enabled: true });
      for (let i = 0; i < n; i++) t.record({ t: i, layer: 'sim', where: 'w', kind: 'k' });
      return t.hash();
    };
    expect(mk(5)).toBe(mk(5));
    expect(mk(5)).not.toBe(mk(6));
  });

  it('drops the oldest events beyond its limit and counts them', () => {
    const t = new TraceRecorder({ enabled: true, limit: 3 });
    for (let i = 0; i < 5; i++) t.record({ t: i, layer: 'sim', where: 'w', kind: 'k' });
    expect(t.all.map((e) => e.t)).toEqual([2, 3, 4]);
    expect(t.dropped).toBe(2);
  });

  it('notifies subscribers until they unsubscribe', () => {
    const t = new TraceRecorder({ enabled: true });
    const seen: number[] = [];
    const off = t.subscribe((e) => seen.push(e.t));
    t.record({ t: 1, layer: 'sim', where: 'w', kind: 'k' });
    off();
    t.record({ t: 2, layer: 'sim', where: 'w', kind: 'k' });
    expect(seen).toEqual([1]);
  });
});
