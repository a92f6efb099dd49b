/**
 * Property: for random algorithms, key sizes, lengths, offsets and buffer layouts (mbuf chains and
 * uios with arbitrary segment sizes, empty segments included), cryptosoft gives the same bytes as
 * the transform applied directly to the region of a contiguous copy, on both backends, and leaves
 * every byte outside the region and the inject area alone.
 *
 * fast-check prints the seed and path of a failing run; replay with `{ seed, path }` in fc.assert.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_MD5_HMAC,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1_KPDK,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SKIPJACK_CBC,
} from '../../../framework/constants.js';
import { createBackend } from '../../../framework/xform/backend.js';
import type { CbcAlg } from '../../../framework/xform/cbc-ciphers.js';
import type { HmacAlg } from '../../../framework/xform/hmac.js';
import { BACKEND_NAMES, dispatch, machine, makeBuffer, session, toHex, type Layout } from './helpers.js';

const ref = createBackend({ prefer: 'noble' });

interface Alg {
  alg: number;
  keys: number[];
  block: number;
  iv: number;
  /** The reference transform of the region (in place), or a digest to write at inject. */
  apply(key: Uint8Array, iv: Uint8Array, region: Uint8Array): Uint8Array | null;
}

const cbc = (alg: CbcAlg, keys: number[], block: number): Alg => ({
  alg, keys, block, iv: block,
  apply: (k, iv, r) => (ref.cbcEncrypt(alg, k, iv, r), null),
});
const mac = (alg: HmacAlg, keys: number[]): Alg => ({ alg, keys, block: 1, iv: 0, apply: (k, _iv, r) => ref.hmac(alg, k, r) });

const ALGS: Alg[] = [
  cbc(CRYPTO_DES_CBC, [8], 8),
  cbc(CRYPTO_3DES_CBC, [24], 8),
  cbc(CRYPTO_BLF_CBC, [5, 16, 56], 8),
  cbc(CRYPTO_CAST_CBC, [5, 11, 16], 8),
  cbc(CRYPTO_SKIPJACK_CBC, [10], 8),
  cbc(CRYPTO_AES_CBC, [16, 24, 32], 16),
  cbc(CRYPTO_CAMELLIA_CBC, [16, 24, 32], 16),
  { alg: CRYPTO_AES_ICM, keys: [16, 24, 32], block: 1, iv: 16, apply: (k, iv, r) => (ref.aesIcm(k, iv, r), null) },
  { alg: CRYPTO_AES_XTS, keys: [32, 64], block: 16, iv: 8, apply: (k, iv, r) => (ref.aesXtsEncrypt(k, iv, r), null) },
  { alg: CRYPTO_ARC4, keys: [1, 7, 32], block: 1, iv: 0, apply: (k, _iv, r) => (ref.arc4(k, r), null) },
  mac(CRYPTO_MD5_HMAC, [0, 16, 64, 100]),
  mac(CRYPTO_RIPEMD160_HMAC, [20]),
  mac(CRYPTO_SHA2_384_HMAC, [48, 128, 129]),
  { alg: CRYPTO_SHA1_KPDK, keys: [3, 20, 64], block: 1, iv: 0, apply: (k, _iv, r) => ref.kpdk(CRYPTO_SHA1_KPDK, k, r) },
];

const caseArb = fc.record({
  a: fc.nat({ max: ALGS.length - 1 }),
  keyPick: fc.nat(),
  blocks: fc.integer({ min: 0, max: 40 }),
  skip: fc.integer({ min: 0, max: 70 }),
  tail: fc.integer({ min: 0, max: 30 }),
  kind: fc.constantFrom('mbuf' as const, 'uio' as const, 'contig' as const),
  segments: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

describe.each(BACKEND_NAMES)('on the %s backend', (backend) => {
  it('cryptosoft over any layout equals the transform of the region, and touches nothing else', () => {
    const m = machine(backend);
    fc.assert(
      fc.property(caseArb, (c) => {
        const a = ALGS[c.a]!;
        const keyLen = a.keys[c.keyPick % a.keys.length]!;
        const len = c.blocks * a.block;
        const digestRoom = 64;
        const bytes = new Uint8Array(c.skip + len + c.tail + digestRoom);
        let x = c.seed;
        for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
        const key = bytes.slice(0, keyLen).map((b, i) => b ^ i ^ 0x5a);
        const iv = bytes.slice(1, 1 + a.iv).map((b) => b ^ 0xc3);
        const sid = session(m, { alg: a.alg, key });
        const layout: Layout = { name: c.kind, kind: c.kind, segments: c.segments };
        const b = makeBuffer(m, layout, bytes);
        const inject = c.skip + len + c.tail;
        const flags = a.iv ? CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT : CRD_F_ENCRYPT;
        const out = dispatch(m, sid, b, [{ alg: a.alg, skip: c.skip, len, inject, flags, ...(a.iv ? { iv } : {}) }]);
        expect(out.etype).toBe(0);
        const want = bytes.slice();
        const region = want.subarray(c.skip, c.skip + len);
        const digest = a.apply(key, iv, region);
        if (digest) want.set(digest, inject);
        expect(toHex(b.bytes())).toBe(toHex(want));
        b.free();
        m.crypto.crypto_freesession(sid);
      }),
      { numRuns: 300 },
    );
    expect(m.violationReport()).toBe('');
    expect(m.cryptosoft.sessions.live).toBe(0);
  });
});
