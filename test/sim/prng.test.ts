import { describe, expect, it } from 'vitest';
import { Prng, arc4random, read_random } from '../../sim/prng.js';

describe('Prng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Prng(42).bytes(64);
    const b = new Prng(42).bytes(64);
    const c = new Prng(43).bytes(64);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('distinguishes seeds that differ only above bit 32', () => {
    expect(new Prng(1).nextU32()).not.toBe(new Prng(1 + 2 ** 32).nextU32());
  });

  it('keeps named substreams independent: a new consumer does not perturb the others', () => {
    const r1 = new Prng(7);
    const iv1 = r1.stream('iv').bytes(32);
    const r2 = new Prng(7);
    r2.stream('jitter').bytes(1000); // a new consumer draws first
    const iv2 = r2.stream('iv').bytes(32);
    expect(iv2).toEqual(iv1);
    expect(r1.stream('iv')).toBe(r1.stream('iv'));
  });

  it('draws integers uniformly within the inclusive range', () => {
    const p = new Prng(1);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[p.int(0, 5)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => p.int(3, 2)).toThrow(/lo <= hi/);
  });

  it('produces floats in [0, 1)', () => {
    const p = new Prng(9);
    for (let i = 0; i < 10_000; i++) {
      const x = p.nextFloat();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('offers arc4random and read_random from their own streams', () => {
    const root = new Prng(5);
    const x = arc4random(root);
    expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
    const buf = new Uint8Array(10);
    expect(read_random(root, buf, 6)).toBe(6);
    expect(buf.subarray(6)).toEqual(new Uint8Array(4));
    expect(() => read_random(root, buf, 11)).toThrow(/len/);
  });

  it('fills odd-length buffers completely', () => {
    const out = new Prng(3).bytes(7);
    expect(out.length).toBe(7);
    expect(out.some((b) => b !== 0)).toBe(true);
  });
});
