/**
 * HMAC (framework/xform/hmac.ts): every hmac-*.json vector through both backends — one-shot,
 * through a session key, and incrementally — including RFC 2104 pre-hashing of long keys, the
 * published truncated MACs, NULL-HMAC and `truncateMac`.
 */
import { describe, expect, it } from 'vitest';
import {
  CRYPTO_MD5_HMAC,
  CRYPTO_NULL_HMAC,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SHA2_512_HMAC,
} from '../../../framework/constants.js';
import { HMAC_ALGS, isHmacAlg, truncateMac, type HmacAlg } from '../../../framework/xform/hmac.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, hex, loadVectors, toHex } from './backends.js';

interface HmacVector {
  id: string;
  key: string;
  data: string;
  mac: string;
  mac_truncated_96?: string;
  mac_truncated_bytes?: number;
  key_longer_than_block?: boolean;
}

const FILES: readonly (readonly [HmacAlg, string])[] = [
  [CRYPTO_MD5_HMAC, 'hmac-md5'],
  [CRYPTO_SHA1_HMAC, 'hmac-sha1'],
  [CRYPTO_RIPEMD160_HMAC, 'hmac-ripemd160'],
  [CRYPTO_SHA2_256_HMAC, 'hmac-sha2-256'],
  [CRYPTO_SHA2_384_HMAC, 'hmac-sha2-384'],
  [CRYPTO_SHA2_512_HMAC, 'hmac-sha2-512'],
];
const CASES = FILES.flatMap(([alg, file]) => loadVectors<HmacVector>(file).map((v) => [`${HMAC_ALGS[alg].name} ${v.id}`, alg, v] as const));

/** The published MAC is the leftmost `mac.length` bytes when the source printed a truncation only. */
const expected = (v: HmacVector, full: Uint8Array): string => toHex(truncateMac(full, v.mac_truncated_bytes ?? 0));

describe.each(BACKENDS)('HMAC on the %s backend', (_name, b) => {
  it.each(CASES)('%s: one-shot', (_id, alg, v) => {
    expect(expected(v, b.hmac(alg, hex(v.key), hex(v.data)))).toBe(v.mac);
  });

  it.each(CASES)('%s: session key, reused, and incremental', (_id, alg, v) => {
    const k = b.hmacKey(alg, hex(v.key));
    expect(expected(v, k.mac(hex(v.data)))).toBe(v.mac);
    expect(expected(v, k.mac(hex(v.data)))).toBe(v.mac); // the precomputed states are not consumed
    const data = hex(v.data);
    const d = k.create();
    for (let off = 0; off < data.length; off += 7) d.update(data.subarray(off, off + 7));
    expect(expected(v, d.digest())).toBe(v.mac);
    if (v.mac_truncated_96 !== undefined) expect(toHex(truncateMac(k.mac(data), 12))).toBe(v.mac_truncated_96);
    k.wipe();
    expect(() => k.mac(data)).toThrow(/after wipe/);
  });

  it('hashes keys longer than the block first (RFC 2104), so H(key) as key gives the same MAC', () => {
    const rng = new Prng(5).stream('long-keys');
    for (const [alg] of FILES) {
      const info = HMAC_ALGS[alg];
      const key = rng.bytes(200), data = rng.bytes(33);
      expect(toHex(b.hmac(alg, key, data)), info.name).toBe(toHex(b.hmac(alg, b.hash(info.hash, key), data)));
    }
  });

  it('accepts an empty key and empty data', () => {
    for (const [alg] of FILES) expect(b.hmac(alg, new Uint8Array(0), new Uint8Array(0)).length).toBeGreaterThan(0);
    // RFC 2104 with K = "" and m = "" for MD5 (checked against OpenSSL when written).
    expect(toHex(b.hmac(CRYPTO_MD5_HMAC, new Uint8Array(0), new Uint8Array(0)))).toBe('74e6f7298a9c2d168935f58c001bad88');
  });

  it('NULL-HMAC writes NULL_HASH_LEN = 16 zero bytes for any key and data', () => {
    for (const keyLen of [0, 16, 64]) {
      expect(toHex(b.hmac(CRYPTO_NULL_HMAC, new Uint8Array(keyLen), new Prng(keyLen).bytes(40)))).toBe('00'.repeat(16));
    }
    const k = b.hmacKey(CRYPTO_NULL_HMAC, new Uint8Array(0));
    expect(k.outputLen).toBe(16);
    expect(toHex(k.create().update(hex('01')).digest())).toBe('00'.repeat(16));
  });

  it('rejects an id that is not an HMAC algorithm', () => {
    expect(() => b.hmacKey(9 as HmacAlg, new Uint8Array(16))).toThrow(/not an OCF HMAC algorithm/);
    expect(isHmacAlg(9)).toBe(false);
    expect([6, 7, 8, 15, 18, 19, 20].every(isHmacAlg)).toBe(true);
  });
});

describe('truncateMac', () => {
  const mac = hex('000102030405060708090a0b0c0d0e0f10111213');
  it('keeps the whole digest for cri_mlen 0 and the leftmost mlen bytes otherwise', () => {
    expect(truncateMac(mac, 0)).toBe(mac);
    expect(toHex(truncateMac(mac, 12))).toBe('000102030405060708090a0b');
    expect(toHex(truncateMac(mac, 20))).toBe(toHex(mac));
  });
  it('refuses an mlen longer than the digest (FreeBSD copied past it) or negative', () => {
    expect(() => truncateMac(mac, 21)).toThrow(/mlen must be 0\.\.20/);
    expect(() => truncateMac(mac, -1)).toThrow(RangeError);
    expect(() => truncateMac(mac, 1.5)).toThrow(RangeError);
  });
});
