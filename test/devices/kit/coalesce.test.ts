import { describe, expect, it } from 'vitest';
import { InterruptCoalescer } from '../../../devices/kit/coalesce.js';
import { bench } from './harness.js';

function rig(count: number, timeoutPs: number) {
  const b = bench();
  const raises: [number, number][] = [];
  const c = new InterruptCoalescer(b.env, { count, timeoutPs, raise: (t, n) => raises.push([t, n]) });
  const at = (t: number, masked = false) => b.sys.engine.schedule(t, () => c.complete(t, masked));
  return { ...b, c, raises, at };
}

describe('InterruptCoalescer', () => {
  it('raises after N completions', () => {
    const r = rig(3, 0);
    [10, 20, 30, 40, 50, 60, 70].forEach((t) => r.at(t));
    r.sys.run();
    expect(r.raises).toEqual([[30, 3], [60, 3]]);
    expect(r.c.pending).toBe(1);
    expect(r.c.stats).toMatchObject({ completions: 7, raises: 2, byCount: 2, byTimeout: 0 });
  });

  it('raises on the timeout when fewer than N complete, timed from the first pending completion', () => {
    const r = rig(4, 1_000);
    [10, 20].forEach((t) => r.at(t));
    [5_000, 5_100, 5_200, 5_300].forEach((t) => r.at(t));
    r.sys.run();
    expect(r.raises).toEqual([[1_010, 2], [5_300, 4]]);
    expect(r.c.stats.byTimeout).toBe(1);
  });

  it('counts masked completions without raising for them; the next unmasked one reports them all', () => {
    const r = rig(1, 0);
    r.at(10, true);
    r.at(20, true);
    r.at(30, false);
    r.at(40, true);
    r.sys.run();
    expect(r.raises).toEqual([[30, 3]]);
    expect(r.c.pending).toBe(1);
    r.c.flush();
    expect(r.raises.at(-1)).toEqual([r.sys.now, 1]);
  });

  it('takes a new policy from the next completion, and reset forgets pending work and the timer', () => {
    const r = rig(2, 500);
    r.at(10);
    r.sys.engine.schedule(100, () => r.c.reset());
    r.sys.engine.schedule(200, () => r.c.setPolicy(1, 0));
    r.at(300);
    r.sys.run();
    expect(r.raises).toEqual([[300, 1]]);
    expect(() => r.c.setPolicy(0, 0)).toThrow(/count/);
  });
});
