/**
 * The exponentiation behind the keying operations (framework/xform/modexp.ts): OpenSSL's domain
 * rule is exactly what this OpenSSL accepts (no silent fallback inside it, refusals outside it),
 * and both sides agree. backend.test.ts compares the two backends on random inputs too.
 */
import { describe, expect, it } from 'vitest';
import { bigintModPow, createModExpFunctions, opensslModPow, opensslModPowDomain, opensslModPowRaw } from '../../../framework/xform/modexp.js';
import type { BackendName } from '../../../framework/xform/backend.js';
import { Prng } from '../../../sim/prng.js';
import { randomBits } from './backends.js';

const rng = new Prng(0x6d6f64).stream('modexp');

describe('modular exponentiation', () => {
  it('OpenSSL computes every case inside the domain, and agrees with BigInt', () => {
    for (let i = 0; i < 60; i++) {
      const mBits = rng.pick([3, 17, 64, 511, 1024, 2048, 3072, 4096, 6144]);
      const m = randomBits(rng, mBits) | 1n;
      const exp = mBits > 3072 ? randomBits(rng, rng.int(1, 64)) : (randomBits(rng, rng.int(1, mBits)) % (m - 1n)) + 1n;
      const base = rng.pick([0n, 1n, m - 1n, randomBits(rng, mBits + 8) % m]);
      expect(opensslModPowDomain(exp, m), `${mBits}-bit m, ${exp.toString(2).length}-bit exp`).toBe(true);
      expect(opensslModPowRaw(base, exp, m)).toBe(bigintModPow(base, exp, m));
    }
  });

  it.each([
    ['an even modulus', 5n, 3n, 1n << 100n],
    ['an exponent equal to the modulus', 5n, 17n, 17n],
    ['an exponent above the modulus', 5n, 40n, 17n],
    ['a 65-bit exponent over a 3073-bit modulus', 5n, (1n << 64n) + 1n, (1n << 3072n) + 1n],
  ])('outside it (%s) OpenSSL refuses, and the BigInt code serves', (_why, base, exp, m) => {
    expect(opensslModPowDomain(exp, m)).toBe(false);
    expect(() => opensslModPowRaw(base, exp, m)).toThrow();
    expect(opensslModPow(base, exp, m)).toBe(bigintModPow(base, exp, m));
  });

  it('the domain admits 64-bit exponents over a 3073-bit modulus, and any below the modulus at 3072 bits', () => {
    expect(opensslModPowDomain((1n << 64n) - 1n, (1n << 3072n) + 1n)).toBe(true);
    expect(opensslModPowDomain((1n << 3071n) + 1n, (1n << 3071n) + 3n)).toBe(true);
  });

  it('the backend switch reports which side serves MOD_EXP', () => {
    const report: Record<string, BackendName> = {};
    expect(createModExpFunctions(false, report).modPow).toBe(bigintModPow);
    expect(report['MOD_EXP']).toBe('noble');
    expect(createModExpFunctions(true, report).modPow).toBe(opensslModPow);
    expect(report['MOD_EXP']).toBe('openssl');
  });
});
