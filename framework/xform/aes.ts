/**
 * AES (FIPS-197) in the modes cryptosoft drives: CBC (SP 800-38A §6.2, no padding), ICM/CTR
 * (SP 800-38A §6.5, whole-block 128-bit counter), XTS (IEEE 1619-2007 §5) and GCM/GMAC
 * (SP 800-38D), each with a pure-JS ("noble") and an OpenSSL implementation that give identical
 * bytes. All functions work in place on one contiguous Uint8Array (cryptosoft gathers a
 * descriptor's region into one), and validate their arguments the same way whichever
 * implementation runs, so a caller sees the same RangeError from both.
 *
 * OCF conventions (reference/ocf.md §3.3-§3.5):
 * - ICM: the explicit 16-byte IV is the initial counter block, incremented as one 128-bit
 *   big-endian integer (wrapping across all 16 bytes).
 * - XTS: key = data key K1 ‖ tweak key K2 (32 or 64 bytes); the 8-byte IV is the data-unit number
 *   as stored by the host (little-endian on amd64), the tweak block is iv ‖ 0^8; whole 16-byte
 *   blocks only (FreeBSD has no ciphertext stealing).
 * - GCM: 12-byte IV, full 16-byte tag, AAD. GMAC is GCM over an empty plaintext.
 *
 * @example
 *   const aes = createAesFunctions(true, report);
 *   aes.aesIcm(key16, counter16, payload);                  // encrypt = decrypt, any length
 *   const tag = aes.aesGcmEncrypt(key, iv12, aad, payload);  // payload now ciphertext
 *   if (!aes.aesGcmDecrypt(key, iv12, aad, payload, tag)) throw new Error('EBADMSG');
 */

import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { cbc, ctr, gcm, unsafe } from '@noble/ciphers/aes.js';
import type { BackendName } from './backend.js';
import { opensslHasCiphers, plain } from './openssl.js';

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Argument checks (shared by both implementations)

/** Throws a RangeError unless `key` is an AES key (16, 24 or 32 bytes). */
export function checkAesKey(what: string, key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new RangeError(`${what}: key must be 16, 24 or 32 bytes (AES-128/192/256), got ${key.length}`);
  }
}

function checkIv(what: string, iv: Uint8Array, n: number): void {
  if (iv.length !== n) throw new RangeError(`${what}: IV must be ${n} bytes, got ${iv.length}`);
}

function checkBlocks(what: string, data: Uint8Array): void {
  if (data.length % 16 !== 0) {
    throw new RangeError(`${what}: data length ${data.length} is not a multiple of the AES block size 16`);
  }
}

function checkXtsKey(what: string, key: Uint8Array): void {
  if (key.length !== 32 && key.length !== 64) {
    throw new RangeError(`${what}: key must be 32 or 64 bytes (K1 ‖ K2 for AES-128/256-XTS), got ${key.length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Implementations. Arguments are already validated; every function writes its result into `data`.

/** AES-CBC without padding. */
export interface AesCbcImpl {
  encrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
}
interface IcmImpl {
  crypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
}
interface XtsImpl {
  crypt(key: Uint8Array, iv8: Uint8Array, data: Uint8Array, decrypt: boolean): void;
}
interface GcmImpl {
  encrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, data: Uint8Array): Uint8Array;
  /** Leaves `data` untouched and returns false when the tag does not match. */
  decrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean;
}

const nobleCbc: AesCbcImpl = {
  encrypt(key, iv, data) {
    if (data.length !== 0) data.set(cbc(key, iv, { disablePadding: true }).encrypt(data));
  },
  decrypt(key, iv, data) {
    if (data.length !== 0) data.set(cbc(key, iv, { disablePadding: true }).decrypt(data));
  },
};

const nobleIcm: IcmImpl = {
  // @noble/ciphers' ctr() increments the whole 16-byte block big-endian, as OCF's ICM does.
  crypt(key, iv, data) {
    if (data.length !== 0) data.set(ctr(key, iv).encrypt(data));
  },
};

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/**
 * XTS on the AES core of @noble/ciphers (which has no XTS mode), IEEE 1619-2007 §5.3.1/§5.4.1
 * without ciphertext stealing. noble's core takes a block as four little-endian 32-bit words, which
 * is also the natural layout of the tweak: XTS numbers the tweak's bits little-endian (byte 0 is
 * least significant), so T·α is a 128-bit left shift of (t3:t2:t1:t0) with 0x87 folded into the
 * low byte on carry-out (ocf.md §3.3).
 */
const nobleXts: XtsImpl = {
  crypt(key, iv8, data, decrypt) {
    const half = key.length >>> 1;
    const xk = decrypt ? unsafe.expandKeyDecLE(key.subarray(0, half)) : unsafe.expandKeyLE(key.subarray(0, half));
    const tk = unsafe.expandKeyLE(key.subarray(half));
    const t = unsafe.encrypt(tk, le32(iv8, 0), le32(iv8, 4), 0, 0);
    let t0 = t.s0, t1 = t.s1, t2 = t.s2, t3 = t.s3;
    const core = decrypt ? unsafe.decrypt : unsafe.encrypt;
    for (let o = 0; o < data.length; o += 16) {
      const r = core(xk, le32(data, o) ^ t0, le32(data, o + 4) ^ t1, le32(data, o + 8) ^ t2, le32(data, o + 12) ^ t3);
      put32(data, o, r.s0 ^ t0);
      put32(data, o + 4, r.s1 ^ t1);
      put32(data, o + 8, r.s2 ^ t2);
      put32(data, o + 12, r.s3 ^ t3);
      const carry = t3 >>> 31;
      t3 = (t3 << 1) | (t2 >>> 31);
      t2 = (t2 << 1) | (t1 >>> 31);
      t1 = (t1 << 1) | (t0 >>> 31);
      t0 = (t0 << 1) ^ (carry * 0x87);
    }
    xk.fill(0);
    tk.fill(0);
  },
};

const nobleGcm: GcmImpl = {
  encrypt(key, iv, aad, data) {
    const out = gcm(key, iv, aad).encrypt(data);
    data.set(out.subarray(0, data.length));
    return out.slice(data.length);
  },
  decrypt(key, iv, aad, data, tag) {
    const sealed = new Uint8Array(data.length + 16);
    sealed.set(data);
    sealed.set(tag, data.length);
    let out: Uint8Array;
    try {
      out = gcm(key, iv, aad).decrypt(sealed);
    } catch (e) {
      // The arguments were validated before this point, so the only failure left is the tag.
      if (e instanceof Error && /invalid tag/.test(e.message)) return false;
      throw e;
    }
    data.set(out);
    return true;
  },
};

function bits(key: Uint8Array): number {
  return key.length * 8;
}

const opensslCbc: AesCbcImpl = {
  encrypt(key, iv, data) {
    if (data.length === 0) return;
    const c = createCipheriv(`aes-${bits(key)}-cbc`, key, iv).setAutoPadding(false);
    data.set(c.update(data));
    c.final();
  },
  decrypt(key, iv, data) {
    if (data.length === 0) return;
    const c = createDecipheriv(`aes-${bits(key)}-cbc`, key, iv).setAutoPadding(false);
    data.set(c.update(data));
    c.final();
  },
};

const opensslIcm: IcmImpl = {
  // OpenSSL's CTR mode (CRYPTO_ctr128_encrypt) also increments all 128 counter bits.
  crypt(key, iv, data) {
    if (data.length === 0) return;
    data.set(createCipheriv(`aes-${bits(key)}-ctr`, key, iv).update(data));
  },
};

/**
 * OpenSSL's XTS data unit limit (2^20 blocks in OpenSSL 3); FreeBSD has none, so longer units go
 * to the pure-JS path.
 */
const OPENSSL_XTS_MAX = 1 << 24;

function halvesEqual(key: Uint8Array): boolean {
  const half = key.length >>> 1;
  let diff = 0;
  for (let i = 0; i < half; i++) diff |= key[i]! ^ key[half + i]!;
  return diff === 0;
}

const opensslXts: XtsImpl = {
  crypt(key, iv8, data, decrypt) {
    if (data.length === 0) return; // OpenSSL refuses an empty data unit; XTS of nothing is nothing
    // OpenSSL 3 refuses K1 == K2 ("xts duplicated keys", a FIPS/IEEE 1619-2018 rule that FreeBSD's
    // 2015 xform does not have), and caps a data unit; both cases use the identical pure-JS XTS.
    if (data.length > OPENSSL_XTS_MAX || halvesEqual(key)) {
      nobleXts.crypt(key, iv8, data, decrypt);
      return;
    }
    const tweak = new Uint8Array(16);
    tweak.set(iv8);
    const name = `aes-${key.length * 4}-xts`;
    const c = decrypt ? createDecipheriv(name, key, tweak) : createCipheriv(name, key, tweak);
    data.set(c.update(data));
  },
};

function gcmName(key: Uint8Array): CipherGCMTypes {
  return `aes-${bits(key)}-gcm` as CipherGCMTypes;
}

const opensslGcm: GcmImpl = {
  encrypt(key, iv, aad, data) {
    const c = createCipheriv(gcmName(key), key, iv, { authTagLength: 16 });
    c.setAAD(aad);
    if (data.length !== 0) data.set(c.update(data));
    c.final();
    return plain(c.getAuthTag());
  },
  decrypt(key, iv, aad, data, tag) {
    const d = createDecipheriv(gcmName(key), key, iv, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const out = data.length !== 0 ? d.update(data) : undefined;
    try {
      d.final();
    } catch {
      return false; // "Unsupported state or unable to authenticate data": the tag did not match
    }
    if (out !== undefined) data.set(out);
    return true;
  },
};

// ---------------------------------------------------------------------------------------------
// The validated functions a backend exposes.

/** AES modes other than CBC (CBC is served by cbc-ciphers.ts with the other block ciphers). */
export interface AesFunctions {
  /**
   * AES-ICM (counter mode) in place; encryption and decryption are the same operation.
   * Any length is accepted — deliberate ocfsim difference: FreeBSD 11's software ICM had a block
   * size of 16 and rejected partial final blocks (ocf.md §3.4); here the last partial block uses
   * the leading bytes of its keystream block, as the 2020 rewrite and every hardware CTR engine do.
   *
   * @example backend.aesIcm(key, counterBlock16, payload);
   */
  aesIcm(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /**
   * AES-XTS encrypt in place. `key` 32 or 64 bytes (K1 ‖ K2), `iv` 8 bytes, length a multiple of 16.
   *
   * @example backend.aesXtsEncrypt(key64, sectorLe8, sector512);
   */
  aesXtsEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /** AES-XTS decrypt in place (same arguments as {@link AesFunctions.aesXtsEncrypt}). */
  aesXtsDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /**
   * AES-GCM encrypt `data` in place; returns the 16-byte tag over `aad` and the ciphertext.
   *
   * @example const tag = backend.aesGcmEncrypt(key, iv12, aad, payload);
   */
  aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * AES-GCM decrypt in place after checking the 16-byte `tag`. Returns false — leaving `data` as
   * ciphertext, as FreeBSD does — when the tag does not match; cryptosoft maps that to EBADMSG.
   * A result rather than an exception, because a forged packet is an expected input.
   *
   * @example if (!backend.aesGcmDecrypt(key, iv12, aad, payload, tag)) return EBADMSG;
   */
  aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean;
  /**
   * The GCM tag of an existing `ciphertext` (not modified) under `key`: GHASH_H(aad, ciphertext)
   * xor E_K(J0). cryptosoft needs it because FreeBSD takes H and the tag mask from the *MAC*
   * descriptor's key and the keystream from the *cipher* descriptor's key (ocf.md §3.5); with two
   * different keys, encrypt = aesIcm(Kc, iv ‖ 00000002) then aesGcmTag(Km, ...); decrypt = compare
   * aesGcmTag(Km, ...) with the received tag, then aesIcm(Kc, iv ‖ 00000002).
   *
   * @example const tag = backend.aesGcmTag(macKey, iv12, aad, ciphertext);
   */
  aesGcmTag(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /**
   * AES-GMAC: the 16-byte GCM tag of `aad` with an empty plaintext. To check a received tag,
   * call `aesGcmDecrypt(key, iv, aad, new Uint8Array(0), tag)`.
   *
   * @example const tag = backend.aesGmac(key, iv12, payload);
   */
  aesGmac(key: Uint8Array, iv: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** Which implementation serves AES-CBC, for cbc-ciphers.ts. */
export function aesCbcImpl(useOpenssl: boolean): { impl: AesCbcImpl; name: BackendName } {
  return useOpenssl && opensslHasCiphers(['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc'])
    ? { impl: opensslCbc, name: 'openssl' }
    : { impl: nobleCbc, name: 'noble' };
}

/**
 * Builds the AES mode functions, choosing OpenSSL per mode when `useOpenssl` and OpenSSL has all
 * key sizes of that mode; records each choice in `report` under the OCF algorithm names.
 */
export function createAesFunctions(useOpenssl: boolean, report: Record<string, BackendName>): AesFunctions {
  const icmSsl = useOpenssl && opensslHasCiphers(['aes-128-ctr', 'aes-192-ctr', 'aes-256-ctr']);
  const xtsSsl = useOpenssl && opensslHasCiphers(['aes-128-xts', 'aes-256-xts']);
  const gcmSsl = useOpenssl && opensslHasCiphers(['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm']);
  const icm = icmSsl ? opensslIcm : nobleIcm;
  const xts = xtsSsl ? opensslXts : nobleXts;
  const g = gcmSsl ? opensslGcm : nobleGcm;
  report['CRYPTO_AES_XTS'] = xtsSsl ? 'openssl' : 'noble';
  report['CRYPTO_AES_ICM'] = icmSsl ? 'openssl' : 'noble';
  for (const n of ['CRYPTO_AES_NIST_GMAC', 'CRYPTO_AES_NIST_GCM_16', 'CRYPTO_AES_128_NIST_GMAC',
    'CRYPTO_AES_192_NIST_GMAC', 'CRYPTO_AES_256_NIST_GMAC']) {
    report[n] = gcmSsl ? 'openssl' : 'noble';
  }

  const checkGcm = (what: string, key: Uint8Array, iv: Uint8Array): void => {
    checkAesKey(what, key);
    checkIv(what, iv, 12);
  };
  const xtsCrypt = (what: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array, decrypt: boolean): void => {
    checkXtsKey(what, key);
    checkIv(what, iv, 8);
    checkBlocks(what, data);
    xts.crypt(key, iv, data, decrypt);
  };

  return {
    aesIcm(key, iv, data) {
      checkAesKey('aesIcm', key);
      checkIv('aesIcm', iv, 16);
      icm.crypt(key, iv, data);
    },
    aesXtsEncrypt(key, iv, data) {
      xtsCrypt('aesXtsEncrypt', key, iv, data, false);
    },
    aesXtsDecrypt(key, iv, data) {
      xtsCrypt('aesXtsDecrypt', key, iv, data, true);
    },
    aesGcmEncrypt(key, iv, aad, data) {
      checkGcm('aesGcmEncrypt', key, iv);
      return g.encrypt(key, iv, aad, data);
    },
    aesGcmDecrypt(key, iv, aad, data, tag) {
      checkGcm('aesGcmDecrypt', key, iv);
      if (tag.length !== 16) throw new RangeError(`aesGcmDecrypt: tag must be 16 bytes, got ${tag.length}`);
      return g.decrypt(key, iv, aad, data, tag);
    },
    aesGcmTag(key, iv, aad, ciphertext) {
      checkGcm('aesGcmTag', key, iv);
      if (ciphertext.length === 0) return g.encrypt(key, iv, aad, EMPTY);
      // GCM's keystream starts at inc32(J0) = iv ‖ 00000002 (SP 800-38D §7.1 step 3), so running the
      // counter mode with that block turns the ciphertext into the plaintext that `key` would
      // encrypt to it, and encrypting that plaintext yields the wanted tag. (For lengths below 2^32
      // blocks the 32-bit GCM increment and ICM's 128-bit one cannot differ.)
      const pt = ciphertext.slice();
      const j1 = new Uint8Array(16);
      j1.set(iv);
      j1[15] = 2;
      icm.crypt(key, j1, pt);
      const tag = g.encrypt(key, iv, aad, pt);
      pt.fill(0);
      return tag;
    },
    aesGmac(key, iv, aad) {
      checkGcm('aesGmac', key, iv);
      return g.encrypt(key, iv, aad, EMPTY);
    },
  };
}
