/**
 * MD5-KPDK and SHA1-KPDK (framework/xform/kpdk.ts): the keyfill and MAC of every entry in
 * md5-kpdk.json / sha1-kpdk.json through both backends, plus the definition checked directly
 * against the plain hash.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTO_MD5_KPDK, CRYPTO_SHA1_KPDK } from '../../../framework/constants.js';
import { KPDK_ALGS, isKpdkAlg, kpdkKeyfill, type KpdkAlg } from '../../../framework/xform/kpdk.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, hex, loadVectors, toHex } from './backends.js';

interface KpdkVector { id: string; key: string; data: string; keyfill: string; mac: string }

const CASES = ([[CRYPTO_MD5_KPDK, 'md5-kpdk'], [CRYPTO_SHA1_KPDK, 'sha1-kpdk']] as const).flatMap(([alg, file]) =>
  loadVectors<KpdkVector>(file).map((v) => [`${KPDK_ALGS[alg].name} ${v.id}`, alg as KpdkAlg, v] as const),
);

describe('kpdkKeyfill', () => {
  it.each(CASES)('%s: reproduces the vector keyfill', (_id, alg, v) => {
    expect(toHex(kpdkKeyfill(alg, hex(v.key).length))).toBe(v.keyfill);
  });

  it('pads key ‖ keyfill to a whole number of 64-byte blocks, 9..72 fill bytes', () => {
    for (let n = 0; n < 200; n++) {
      for (const alg of [CRYPTO_MD5_KPDK, CRYPTO_SHA1_KPDK] as const) {
        const f = kpdkKeyfill(alg, n);
        expect((n + f.length) % 64, `${n}`).toBe(0);
        expect(f.length).toBeGreaterThanOrEqual(9);
        expect(f.length).toBeLessThanOrEqual(72);
      }
    }
  });

  it('stores the bit length little-endian for MD5 and big-endian for SHA-1', () => {
    expect(toHex(kpdkKeyfill(CRYPTO_MD5_KPDK, 300).subarray(-8))).toBe('6009000000000000');
    expect(toHex(kpdkKeyfill(CRYPTO_SHA1_KPDK, 300).subarray(-8))).toBe('0000000000000960');
  });
});

describe.each(BACKENDS)('KPDK on the %s backend', (_name, b) => {
  it.each(CASES)('%s: one-shot, session and incremental', (_id, alg, v) => {
    expect(toHex(b.kpdk(alg, hex(v.key), hex(v.data)))).toBe(v.mac);
    const k = b.kpdkKey(alg, hex(v.key));
    expect(toHex(k.mac(hex(v.data)))).toBe(v.mac);
    const d = k.create();
    const data = hex(v.data);
    for (let off = 0; off < data.length; off += 5) d.update(data.subarray(off, off + 5));
    expect(toHex(d.digest())).toBe(v.mac);
    expect(toHex(k.mac(hex(v.data)))).toBe(v.mac);
    k.wipe();
    expect(() => k.mac(data)).toThrow(/after wipe/);
  });

  it('is H(key ‖ keyfill ‖ data ‖ key) for random keys and data', () => {
    const rng = new Prng(9).stream('kpdk');
    for (let i = 0; i < 40; i++) {
      const alg = rng.pick([CRYPTO_MD5_KPDK, CRYPTO_SHA1_KPDK] as const);
      const key = rng.bytes(rng.int(0, 130)), data = rng.bytes(rng.int(0, 300));
      const fill = kpdkKeyfill(alg, key.length);
      const all = new Uint8Array(2 * key.length + fill.length + data.length);
      all.set(key);
      all.set(fill, key.length);
      all.set(data, key.length + fill.length);
      all.set(key, key.length + fill.length + data.length);
      expect(toHex(b.kpdk(alg, key, data))).toBe(toHex(b.hash(KPDK_ALGS[alg].hash, all)));
    }
  });

  it('rejects an id that is not a KPDK algorithm', () => {
    expect(() => b.kpdkKey(6 as KpdkAlg, new Uint8Array(4))).toThrow(/not an OCF KPDK algorithm/);
    expect(isKpdkAlg(9) && isKpdkAlg(10) && !isKpdkAlg(6)).toBe(true);
  });
});
