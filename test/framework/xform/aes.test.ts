/**
 * AES-CBC, -ICM, -XTS, -GCM and GMAC (framework/xform/aes.ts, AES-CBC via cbc-ciphers.ts): every
 * vector in ../shared/vectors/aes-*.json through both backends, argument checks, and the
 * behaviours OCF relies on (in-place operation, tag failure leaves ciphertext, split GCM keys).
 */
import { describe, expect, it } from 'vitest';
import { CRYPTO_AES_CBC } from '../../../framework/constants.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, hex, loadVectors, toHex, unaligned } from './backends.js';

interface CipherVector { id: string; key: string; iv: string; plaintext: string; ciphertext: string }
interface GcmVector extends CipherVector { aad: string; tag: string }
interface GmacVector { id: string; key: string; iv: string; aad: string; tag: string }

const cbcVectors = loadVectors<CipherVector>('aes-cbc');
const icmVectors = loadVectors<CipherVector>('aes-icm');
const xtsVectors = loadVectors<CipherVector & { tweak: string }>('aes-xts');
const gcmVectors = loadVectors<GcmVector>('aes-gcm-16');
const gmacVectors = loadVectors<GmacVector>('aes-gmac');

describe.each(BACKENDS)('AES on the %s backend', (_name, b) => {
  it.each(cbcVectors.map((v) => [v.id, v] as const))('AES-CBC matches %s both ways', (_id, v) => {
    const buf = hex(v.plaintext);
    b.cbcEncrypt(CRYPTO_AES_CBC, hex(v.key), hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    b.cbcDecrypt(CRYPTO_AES_CBC, hex(v.key), hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it.each(icmVectors.map((v) => [v.id, v] as const))('AES-ICM matches %s, and is its own inverse', (_id, v) => {
    const buf = unaligned(hex(v.plaintext));
    b.aesIcm(hex(v.key), hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    b.aesIcm(hex(v.key), hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it.each(icmVectors.map((v) => [v.id, v] as const))('AES-ICM of any prefix length of %s is the prefix of the ciphertext', (_id, v) => {
    for (const n of [0, 1, 15, 17, 31, 33, 63]) {
      const buf = hex(v.plaintext).slice(0, n);
      b.aesIcm(hex(v.key), hex(v.iv), buf);
      expect(toHex(buf), `${n} bytes`).toBe(v.ciphertext.slice(0, 2 * n));
    }
  });

  it('AES-ICM carries across all 16 counter bytes', () => {
    // Block 1's counter is ff..ff + 1 = 00..00, so its keystream is E(K, 0^128).
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const buf = new Uint8Array(32);
    b.aesIcm(key, new Uint8Array(16).fill(0xff), buf);
    const zero = new Uint8Array(16);
    b.cbcEncrypt(CRYPTO_AES_CBC, key, new Uint8Array(16), zero);
    expect(toHex(buf.subarray(16))).toBe(toHex(zero));
  });

  it.each(xtsVectors.map((v) => [v.id, v] as const))('AES-XTS matches IEEE 1619 %s both ways', (_id, v) => {
    expect(v.tweak).toBe(`${v.iv}0000000000000000`);
    const buf = unaligned(hex(v.plaintext));
    b.aesXtsEncrypt(hex(v.key), hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    b.aesXtsDecrypt(hex(v.key), hex(v.iv), buf);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it('AES-XTS of an empty data unit is a no-op', () => {
    const buf = new Uint8Array(0);
    b.aesXtsEncrypt(new Prng(1).bytes(32), new Uint8Array(8), buf);
    expect(buf.length).toBe(0);
  });

  it.each(gcmVectors.map((v) => [v.id, v] as const))('AES-GCM matches %s: ciphertext, tag, verified decrypt', (_id, v) => {
    const key = hex(v.key), iv = hex(v.iv), aad = hex(v.aad);
    const buf = unaligned(hex(v.plaintext));
    const tag = b.aesGcmEncrypt(key, iv, aad, buf);
    expect(toHex(buf)).toBe(v.ciphertext);
    expect(toHex(tag)).toBe(v.tag);
    expect(toHex(b.aesGcmTag(key, iv, aad, buf))).toBe(v.tag);
    expect(b.aesGcmDecrypt(key, iv, aad, buf, hex(v.tag))).toBe(true);
    expect(toHex(buf)).toBe(v.plaintext);
  });

  it.each(gcmVectors.map((v) => [v.id, v] as const))('AES-GCM rejects a flipped tag bit for %s and leaves the ciphertext', (_id, v) => {
    const tag = hex(v.tag);
    tag[15] = tag[15]! ^ 1;
    const buf = hex(v.ciphertext);
    expect(b.aesGcmDecrypt(hex(v.key), hex(v.iv), hex(v.aad), buf, tag)).toBe(false);
    expect(toHex(buf)).toBe(v.ciphertext);
  });

  it('AES-GCM rejects modified AAD and modified ciphertext', () => {
    const v = gcmVectors.find((x) => x.aad !== '' && x.plaintext !== '')!;
    const aad = hex(v.aad);
    aad[0] = aad[0]! ^ 0x80;
    expect(b.aesGcmDecrypt(hex(v.key), hex(v.iv), aad, hex(v.ciphertext), hex(v.tag))).toBe(false);
    const ct = hex(v.ciphertext);
    ct[ct.length - 1] = ct[ct.length - 1]! ^ 1;
    expect(b.aesGcmDecrypt(hex(v.key), hex(v.iv), hex(v.aad), ct, hex(v.tag))).toBe(false);
  });

  it.each(gmacVectors.map((v) => [v.id, v] as const))('AES-GMAC matches %s', (_id, v) => {
    expect(toHex(b.aesGmac(hex(v.key), hex(v.iv), hex(v.aad)))).toBe(v.tag);
    expect(b.aesGcmDecrypt(hex(v.key), hex(v.iv), hex(v.aad), new Uint8Array(0), hex(v.tag))).toBe(true);
  });

  it('builds GCM from separate cipher and MAC keys as cryptosoft does (ICM from iv ‖ 00000002 + tag)', () => {
    const rng = new Prng(7).stream('split-gcm');
    const kc = rng.bytes(16), km = rng.bytes(16), iv = rng.bytes(12), aad = rng.bytes(20), pt = rng.bytes(50);
    // With equal keys the two-step construction is exactly GCM.
    const gcmBuf = pt.slice();
    const gcmTag = b.aesGcmEncrypt(kc, iv, aad, gcmBuf);
    const j1 = new Uint8Array(16);
    j1.set(iv);
    j1[15] = 2;
    const split = pt.slice();
    b.aesIcm(kc, j1, split);
    expect(toHex(split)).toBe(toHex(gcmBuf));
    expect(toHex(b.aesGcmTag(kc, iv, aad, split))).toBe(toHex(gcmTag));
    // With different keys the tag is the MAC key's tag of the cipher key's ciphertext.
    const macTag = b.aesGcmTag(km, iv, aad, split);
    expect(toHex(macTag)).not.toBe(toHex(gcmTag));
  });

  it('rejects bad AES key sizes with a RangeError naming 16, 24 or 32', () => {
    for (const n of [0, 8, 15, 17, 20, 33, 64]) {
      const key = new Uint8Array(n);
      expect(() => b.aesIcm(key, new Uint8Array(16), new Uint8Array(16)), `ICM ${n}`).toThrow(/16, 24 or 32/);
      expect(() => b.aesGcmEncrypt(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(16)), `GCM ${n}`).toThrow(RangeError);
      expect(() => b.aesGmac(key, new Uint8Array(12), new Uint8Array(0)), `GMAC ${n}`).toThrow(/16, 24 or 32/);
      expect(() => b.cbcEncrypt(CRYPTO_AES_CBC, key, new Uint8Array(16), new Uint8Array(16)), `CBC ${n}`).toThrow(/16, 24 or 32/);
    }
  });

  it('rejects bad XTS keys (only 32 or 64 bytes), IVs (8 bytes) and partial blocks', () => {
    const ok = new Prng(3).bytes(32);
    for (const n of [16, 24, 48, 63]) {
      expect(() => b.aesXtsEncrypt(new Uint8Array(n), new Uint8Array(8), new Uint8Array(16)), `${n}`).toThrow(/32 or 64/);
    }
    expect(() => b.aesXtsEncrypt(ok, new Uint8Array(16), new Uint8Array(16))).toThrow(/IV must be 8 bytes/);
    expect(() => b.aesXtsDecrypt(ok, new Uint8Array(8), new Uint8Array(24))).toThrow(/multiple of the AES block size 16/);
  });

  it('rejects wrong IV and tag lengths for ICM and GCM', () => {
    const key = new Uint8Array(16);
    expect(() => b.aesIcm(key, new Uint8Array(12), new Uint8Array(16))).toThrow(/IV must be 16 bytes/);
    expect(() => b.aesGcmEncrypt(key, new Uint8Array(16), new Uint8Array(0), new Uint8Array(1))).toThrow(/IV must be 12 bytes/);
    expect(() => b.aesGcmDecrypt(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(1), new Uint8Array(12))).toThrow(
      /tag must be 16 bytes/,
    );
  });
});

describe('AES-XTS fallbacks of the OpenSSL backend', () => {
  const [, noble] = BACKENDS[0]!;
  const [, ssl] = BACKENDS[1]!;

  it('serves a data unit longer than OpenSSL accepts (2^24 bytes) with the same bytes as noble', () => {
    const rng = new Prng(11).stream('xts-long');
    const key = rng.bytes(64), iv = rng.bytes(8);
    const a = rng.bytes((1 << 24) + 32);
    const c = a.slice();
    ssl.aesXtsEncrypt(key, iv, a);
    noble.aesXtsEncrypt(key, iv, c);
    expect(Buffer.compare(a, c)).toBe(0);
  });

  it('serves K1 == K2, which OpenSSL 3 refuses, with the same bytes as noble', () => {
    const key = new Uint8Array(64).fill(0x5a);
    const a = new Prng(12).bytes(64);
    const c = a.slice();
    ssl.aesXtsEncrypt(key, new Uint8Array(8), a);
    noble.aesXtsEncrypt(key, new Uint8Array(8), c);
    expect(toHex(a)).toBe(toHex(c));
    ssl.aesXtsDecrypt(key, new Uint8Array(8), a);
    noble.aesXtsDecrypt(key, new Uint8Array(8), c);
    expect(toHex(a)).toBe(toHex(c));
  });
});
