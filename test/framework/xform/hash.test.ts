/**
 * The hashes (framework/xform/hash.ts): md5.json and sha1.json through both backends, one-shot and
 * incremental, the FIPS 180 / RIPEMD-160 "abc" examples for the hashes without a vector file, and
 * the NULL hash.
 */
import { describe, expect, it } from 'vitest';
import { HASH_INFO, isHashName, type HashName } from '../../../framework/xform/hash.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, hex, loadVectors, toHex } from './backends.js';

interface HashVector { id: string; message?: string; message_repeat?: { byte: string; count: number }; digest: string }

const message = (v: HashVector): Uint8Array =>
  v.message_repeat ? new Uint8Array(v.message_repeat.count).fill(parseInt(v.message_repeat.byte, 16)) : hex(v.message!);

const CASES: readonly (readonly [string, HashName, HashVector])[] = [
  ...loadVectors<HashVector>('md5').map((v) => [`MD5 ${v.id}`, 'md5', v] as const),
  ...loadVectors<HashVector>('sha1').map((v) => [`SHA-1 ${v.id}`, 'sha1', v] as const),
  // FIPS 180-2 Appendices B.1, D.1, C.1 and the RIPEMD-160 paper's test list ("abc").
  ['SHA-256 FIPS 180-2 B.1', 'sha256', { id: 'abc', message: '616263', digest: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' }],
  ['SHA-384 FIPS 180-2 D.1', 'sha384', {
    id: 'abc', message: '616263',
    digest: 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
  }],
  ['SHA-512 FIPS 180-2 C.1', 'sha512', {
    id: 'abc', message: '616263',
    digest: 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  }],
  ['RIPEMD-160 "abc"', 'ripemd160', { id: 'abc', message: '616263', digest: '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc' }],
  ['RIPEMD-160 ""', 'ripemd160', { id: 'empty', message: '', digest: '9c1185a5c5e9fc54612808977ee8f548b2258d31' }],
];

describe.each(BACKENDS)('hashes on the %s backend', (_name, b) => {
  it.each(CASES)('%s: one-shot', (_id, name, v) => {
    expect(toHex(b.hash(name, message(v)))).toBe(v.digest);
  });

  it.each(CASES)('%s: incremental in uneven pieces', (_id, name, v) => {
    const m = message(v);
    const rng = new Prng(m.length).stream('split');
    const d = b.createHash(name);
    for (let off = 0; off < m.length;) {
      const n = Math.min(m.length - off, rng.int(0, 200));
      d.update(m.subarray(off, off + n));
      off += n;
    }
    expect(toHex(d.digest())).toBe(v.digest);
  });

  it('clone() forks the state: both copies continue independently', () => {
    for (const name of Object.keys(HASH_INFO) as HashName[]) {
      const d = b.createHash(name).update(hex('61'));
      const c = d.clone();
      d.update(hex('62'));
      c.update(hex('6263'));
      expect(toHex(d.digest()), name).toBe(toHex(b.hash(name, hex('6162'))));
      expect(toHex(c.digest()), name).toBe(toHex(b.hash(name, hex('616263'))));
    }
  });

  it('reports the ocf.md §1.4 output and block lengths', () => {
    for (const name of Object.keys(HASH_INFO) as HashName[]) {
      const d = b.createHash(name);
      expect(d.outputLen, name).toBe(HASH_INFO[name].outputLen);
      expect(d.blockLen, name).toBe(HASH_INFO[name].blockLen);
      expect(d.digest().length, name).toBe(HASH_INFO[name].outputLen);
    }
    expect([HASH_INFO.md5.outputLen, HASH_INFO.sha1.outputLen, HASH_INFO.ripemd160.outputLen, HASH_INFO.sha256.outputLen,
      HASH_INFO.sha384.outputLen, HASH_INFO.sha512.outputLen, HASH_INFO.null.outputLen]).toEqual([16, 20, 20, 32, 48, 64, 16]);
  });

  it('the NULL hash is 16 zero bytes whatever the input', () => {
    expect(toHex(b.hash('null', new Prng(1).bytes(100)))).toBe('00'.repeat(16));
    expect(toHex(b.createHash('null').update(hex('ff')).digest())).toBe('00'.repeat(16));
  });

  it('rejects an unknown hash name', () => {
    expect(() => b.hash('sha224' as HashName, new Uint8Array(0))).toThrow(/unknown hash 'sha224'/);
    expect(isHashName('sha224')).toBe(false);
  });
});
