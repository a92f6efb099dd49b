import { describe, expect, it } from 'vitest';
import { InflightTable } from '../../framework/inflight.js';

const objs = (n: number): { id: number }[] => Array.from({ length: n }, (_, id) => ({ id }));

describe('InflightTable', () => {
  it('adds, finds and removes, counting its members; a second removal is false', () => {
    const t = new InflightTable<{ id: number }>();
    const [a, b] = objs(2) as [{ id: number }, { id: number }];
    t.add(a);
    t.add(a);
    expect(t.size).toBe(1);
    expect(t.has(a)).toBe(true);
    expect(t.has(b)).toBe(false);
    expect(t.delete(b)).toBe(false);
    expect(t.delete(a)).toBe(true);
    expect(t.delete(a)).toBe(false);
    expect(t.size).toBe(0);
  });

  it('iterates in insertion order across removals and compactions, and tolerates removal while iterating', () => {
    const t = new InflightTable<{ id: number }>();
    const xs = objs(200);
    xs.forEach((x) => t.add(x));
    xs.filter((x) => x.id % 3 !== 0).forEach((x) => t.delete(x)); // forces compactions
    const want = xs.filter((x) => x.id % 3 === 0);
    expect([...t].map((x) => x.id)).toEqual(want.map((x) => x.id));
    expect(t.size).toBe(want.length);
    for (const x of t) t.delete(x);
    expect(t.size).toBe(0);
    expect([...t]).toEqual([]);
    xs.slice(0, 3).forEach((x) => t.add(x));
    expect([...t].map((x) => x.id)).toEqual([0, 1, 2]);
  });

  it('keeps membership per table: one object may be in two tables', () => {
    const [t1, t2] = [new InflightTable<object>(), new InflightTable<object>()];
    const [a, b] = objs(2) as [object, object];
    t1.add(b);
    t1.add(a);
    t2.add(a);
    expect(t1.delete(a)).toBe(true);
    expect(t2.has(a)).toBe(true);
    expect([...t1]).toEqual([b]);
  });
});
