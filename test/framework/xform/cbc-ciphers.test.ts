/**
 * The uniform CBC interface (framework/xform/cbc-ciphers.ts) over every OCF block cipher, and
 * ARC4: each cipher's vector file through both backends, key-size checks naming the accepted
 * sizes, NULL-CBC's no-op, and session behaviour.
 */
import { describe, expect, it } from 'vitest';
import {
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_BLF_CBC,
  CRYPTO_CAMELLIA_CBC,
  CRYPTO_CAST_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_NULL_CBC,
  CRYPTO_SKIPJACK_CBC,
} from '../../../framework/constants.js';
import { CBC_CIPHERS, isCbcAlg, type CbcAlg } from '../../../framework/xform/cbc-ciphers.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, hex, loadVectors, toHex, unaligned } from './backends.js';

interface CbcVector { id: string; key: string; iv: string; plaintext: string; ciphertext: string; kind?: string }
interface Arc4Vector { id: string; key: string; stream_offset: number; plaintext: string; ciphertext: string }

const FILES: readonly (readonly [CbcAlg, string])[] = [
  [CRYPTO_DES_CBC, 'des-cbc'],
  [CRYPTO_3DES_CBC, '3des-cbc'],
  [CRYPTO_BLF_CBC, 'blowfish-cbc'],
  [CRYPTO_CAST_CBC, 'cast128-cbc'],
  [CRYPTO_SKIPJACK_CBC, 'skipjack-cbc'],
  [CRYPTO_AES_CBC, 'aes-cbc'],
  [CRYPTO_CAMELLIA_CBC, 'camellia-cbc'],
];

/** Every CBC vector (the CAST-128 maintenance test is a key-schedule loop, not a CBC case). */
const CASES = FILES.flatMap(([alg, file]) =>
  loadVectors<CbcVector>(file)
    .filter((v) => v.kind === undefined)
    .map((v) => [`${CBC_CIPHERS[alg].name} ${v.id}`, alg, v] as const),
);
const arc4Vectors = loadVectors<Arc4Vector>('arc4');

describe.each(BACKENDS)('CBC ciphers and ARC4 on the %s backend', (_name, b) => {
  it.each(CASES)('%s: matches both ways (or is refused for an OCF-illegal key size)', (_id, alg, v) => {
    const info = CBC_CIPHERS[alg];
    const key = hex(v.key);
    if (!info.keyOk(key.length)) {
      // e.g. Blowfish set_key vectors with 1..4-byte keys, below BLOWFISH_MIN_KEY.
      expect(() => b.cbcKey(alg, key)).toThrow(RangeError);
      return;
    }
    const k = b.cbcKey(alg, key);
    const buf = unaligned(hex(v.plaintext));
    k.encrypt(hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    k.decrypt(hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
    k.wipe();
  });

  it.each(arc4Vectors.map((v) => [v.id, v] as const))('ARC4 matches RFC 6229 %s', (_id, v) => {
    const buf = new Uint8Array(v.stream_offset + 16);
    buf.set(hex(v.plaintext), v.stream_offset);
    b.arc4(hex(v.key), buf);
    expect(toHex(buf.subarray(v.stream_offset))).toBe(v.ciphertext);
  });

  it('rejects bad key sizes with a RangeError naming the accepted sizes', () => {
    const bad: readonly (readonly [CbcAlg, number, RegExp])[] = [
      [CRYPTO_DES_CBC, 7, /CRYPTO_DES_CBC: key must be 8 bytes, got 7/],
      [CRYPTO_DES_CBC, 16, /must be 8 bytes/],
      [CRYPTO_3DES_CBC, 16, /CRYPTO_3DES_CBC: key must be 24 bytes, got 16/],
      [CRYPTO_BLF_CBC, 4, /5\.\.56 bytes/],
      [CRYPTO_BLF_CBC, 57, /5\.\.56 bytes/],
      [CRYPTO_CAST_CBC, 4, /5\.\.16 bytes/],
      [CRYPTO_CAST_CBC, 17, /5\.\.16 bytes/],
      [CRYPTO_SKIPJACK_CBC, 8, /must be 10 bytes/],
      [CRYPTO_AES_CBC, 8, /16, 24 or 32 bytes/],
      [CRYPTO_CAMELLIA_CBC, 8, /16, 24 or 32 bytes/],
      [CRYPTO_NULL_CBC, 257, /0\.\.256 bytes/],
    ];
    for (const [alg, n, re] of bad) {
      expect(() => b.cbcKey(alg, new Uint8Array(n)), `${CBC_CIPHERS[alg].name} ${n}`).toThrow(re);
      expect(() => b.cbcEncrypt(alg, new Uint8Array(n), new Uint8Array(16), new Uint8Array(16))).toThrow(RangeError);
    }
    expect(() => b.arc4(new Uint8Array(0), new Uint8Array(4))).toThrow(/1\.\.256 bytes/);
    expect(() => b.cbcKey(99 as CbcAlg, new Uint8Array(8))).toThrow(/not an OCF CBC cipher/);
  });

  it('rejects a wrong IV length and a partial final block', () => {
    const k = b.cbcKey(CRYPTO_3DES_CBC, new Prng(1).bytes(24));
    expect(() => k.encrypt(new Uint8Array(16), new Uint8Array(8))).toThrow(/IV must be 8 bytes, got 16/);
    expect(() => k.decrypt(new Uint8Array(8), new Uint8Array(12))).toThrow(/not a multiple of the block size 8/);
  });

  it('accepts an empty payload as a no-op for every cipher', () => {
    const rng = new Prng(2);
    for (const [alg] of FILES) {
      const info = CBC_CIPHERS[alg];
      const keyLen = [8, 10, 16, 24].find((n) => info.keyOk(n))!;
      const buf = new Uint8Array(0);
      b.cbcEncrypt(alg, rng.bytes(keyLen), rng.bytes(info.blockSize), buf);
      b.cbcDecrypt(alg, rng.bytes(keyLen), rng.bytes(info.blockSize), buf);
    }
  });

  it('NULL-CBC leaves data untouched, ignores the IV and checks nothing but the key size', () => {
    const data = new Prng(3).bytes(13);
    const before = toHex(data);
    for (const keyLen of [0, 1, 17, 256]) {
      const k = b.cbcKey(CRYPTO_NULL_CBC, new Uint8Array(keyLen));
      k.encrypt(new Uint8Array(0), data);
      k.decrypt(new Uint8Array(99), data);
    }
    expect(toHex(data)).toBe(before);
    expect(CBC_CIPHERS[CRYPTO_NULL_CBC].blockSize).toBe(4);
  });

  it('a session key is independent of the caller mutating its key buffer, and dies on wipe()', () => {
    const key = new Prng(4).bytes(16);
    const k = b.cbcKey(CRYPTO_BLF_CBC, key);
    const ref = new Uint8Array(16);
    b.cbcEncrypt(CRYPTO_BLF_CBC, key.slice(), new Uint8Array(8), ref);
    key.fill(0);
    const buf = new Uint8Array(16);
    k.encrypt(new Uint8Array(8), buf);
    expect(toHex(buf)).toBe(toHex(ref));
    k.wipe();
    expect(() => k.encrypt(new Uint8Array(8), buf)).toThrow(/after wipe/);
  });
});

describe('CBC cipher table', () => {
  it('knows exactly the OCF CBC ids with their ocf.md §1.4 block sizes', () => {
    const sizes = Object.fromEntries(Object.values(CBC_CIPHERS).map((c) => [c.name, c.blockSize]));
    expect(sizes).toEqual({
      CRYPTO_DES_CBC: 8, CRYPTO_3DES_CBC: 8, CRYPTO_BLF_CBC: 8, CRYPTO_CAST_CBC: 8, CRYPTO_SKIPJACK_CBC: 8,
      CRYPTO_AES_CBC: 16, CRYPTO_NULL_CBC: 4, CRYPTO_CAMELLIA_CBC: 16,
    });
    expect([1, 2, 3, 4, 5, 11, 16, 21].every(isCbcAlg)).toBe(true);
    expect([0, 6, 12, 22, 23, 25].some(isCbcAlg)).toBe(false);
  });
});
