import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventEngine, MAX_TIME_PS, SimTimeError } from '../../sim/engine.js';

describe('EventEngine', () => {
  it('runs events in time order, then in insertion order for equal times', () => {
    const e = new EventEngine();
    const seen: string[] = [];
    e.schedule(30, () => seen.push('c'));
    e.schedule(10, () => seen.push('a1'));
    e.schedule(20, () => seen.push('b'));
    e.schedule(10, () => seen.push('a2'));
    e.run();
    expect(seen).toEqual(['a1', 'a2', 'b', 'c']);
    expect(e.now).toBe(30);
  });

  it('orders any set of events by (time, insertion) — property', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const e = new EventEngine(16);
        const out: [number, number][] = [];
        times.forEach((t, i) => e.schedule(t, () => out.push([e.now, i])));
        e.run();
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('cancels a pending event and ignores a stale handle whose slot was reused', () => {
    const e = new EventEngine();
    const seen: number[] = [];
    const h1 = e.schedule(5, () => seen.push(1));
    expect(e.cancel(h1)).toBe(true);
    expect(e.cancel(h1)).toBe(false);
    const h2 = e.schedule(6, () => seen.push(2));
    // h1's slot is reused by h2: cancelling h1 again must not cancel h2.
    expect(e.cancel(h1)).toBe(false);
    e.run();
    expect(seen).toEqual([2]);
    expect(e.cancel(h2)).toBe(false);
  });

  it('cancels from the middle of the heap without disturbing order — property', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean()), { maxLength: 200 }),
        (items) => {
          const e = new EventEngine(16);
          const out: number[] = [];
          const handles = items.map(([t], i) => e.schedule(t, () => out.push(i)));
          items.forEach(([, cancel], i) => cancel && e.cancel(handles[i]!));
          e.run();
          const expected = items
            .map(([t, c], i) => ({ t, c, i }))
            .filter((x) => !x.c)
            .sort((a, b) => a.t - b.t || a.i - b.i)
            .map((x) => x.i);
          expect(out).toEqual(expected);
        },
      ),
    );
  });

  it('runUntil runs only events due by then and advances the clock to the limit', () => {
    const e = new EventEngine();
    const seen: number[] = [];
    e.schedule(100, () => seen.push(100));
    e.schedule(200, () => seen.push(200));
    e.runUntil(150);
    expect(seen).toEqual([100]);
    expect(e.now).toBe(150);
    expect(e.pending).toBe(1);
  });

  it('step runs exactly one event and reports when nothing is left', () => {
    const e = new EventEngine();
    e.schedule(1, () => {});
    expect(e.step()).toBe(true);
    expect(e.step()).toBe(false);
  });

  it('delivers an event scheduled in the past at the current time', () => {
    const e = new EventEngine();
    let at = -1;
    e.schedule(100, () => e.schedule(50, () => (at = e.now)));
    e.run();
    expect(at).toBe(100);
  });

  it('refuses time past 2^53 ps with a clear error', () => {
    const e = new EventEngine();
    expect(() => e.schedule(MAX_TIME_PS + 1, () => {})).toThrow(SimTimeError);
    expect(() => e.schedule(MAX_TIME_PS + 1, () => {})).toThrow(/2\^53/);
    expect(() => e.schedule(1.5, () => {})).toThrow(/integer/);
    expect(() => e.runUntil(Infinity)).toThrow(/2\^53/);
  });

  it('grows past its initial capacity', () => {
    const e = new EventEngine(16);
    let n = 0;
    for (let i = 0; i < 10_000; i++) e.schedule(10_000 - i, () => n++);
    expect(e.pending).toBe(10_000);
    e.run();
    expect(n).toBe(10_000);
    expect(e.eventsExecuted).toBe(10_000);
  });

  it('runUntil is re-entrant from inside an event', () => {
    const e = new EventEngine();
    const seen: string[] = [];
    e.schedule(10, () => {
      seen.push('outer');
      e.runUntil(30);
      seen.push(`back@${e.now}`);
    });
    e.schedule(20, () => seen.push('inner'));
    e.schedule(40, () => seen.push('later'));
    e.run();
    expect(seen).toEqual(['outer', 'inner', 'back@30', 'later']);
  });
});
