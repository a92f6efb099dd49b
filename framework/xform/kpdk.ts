/**
 * MD5-KPDK and SHA1-KPDK: the "key, fill, data, key" keyed hashes of RFC 1828 §2 (MD5) and
 * RFC 1852 §2 (SHA-1), OCF's `CRYPTO_MD5_KPDK` / `CRYPTO_SHA1_KPDK`.
 *
 *   mac = H(key ‖ keyfill ‖ data ‖ key)
 *
 * where keyfill is H's own padding of a message consisting of the key alone (0x80, zero bytes,
 * then the key length in bits as a 64-bit integer — little-endian for MD5, big-endian for SHA-1),
 * so that key ‖ keyfill is a whole number of 64-byte blocks; the final padding of the whole
 * stream is the ordinary one, counting every byte hashed.
 *
 * Deliberate ocfsim difference (ocf.md §3.6): FreeBSD's cryptosoft produced the fill by calling
 * Final() on the keyed context, which with its MD5Final (zeroes the context) and KAME SHA1Final
 * (does not count the fill in the length) yields implementation-defined bytes. ocfsim follows the
 * RFC text, as /work/shared/vectors/{md5,sha1}-kpdk.json do.
 *
 * @example
 *   backend.kpdk(CRYPTO_MD5_KPDK, key, data); // 16 bytes
 */

import { CRYPTO_MD5_KPDK, CRYPTO_SHA1_KPDK } from '../constants.js';
import type { BackendName } from './backend.js';
import { HASH_INFO, type Digest, type HashFunctions, type HashName } from './hash.js';

export type KpdkAlg = typeof CRYPTO_MD5_KPDK | typeof CRYPTO_SHA1_KPDK;

export const KPDK_ALGS: Readonly<Record<KpdkAlg, { readonly hash: HashName; readonly name: string; readonly littleEndian: boolean }>> =
  Object.freeze({
    [CRYPTO_MD5_KPDK]: { hash: 'md5', name: 'CRYPTO_MD5_KPDK', littleEndian: true },
    [CRYPTO_SHA1_KPDK]: { hash: 'sha1', name: 'CRYPTO_SHA1_KPDK', littleEndian: false },
  });

export function isKpdkAlg(alg: number): alg is KpdkAlg {
  return Object.prototype.hasOwnProperty.call(KPDK_ALGS, alg);
}

/**
 * The fill that pads a `keyLen`-byte key to a 64-byte boundary, as `alg`'s hash pads a message
 * (RFC 1321 §3.1-3.2 / FIPS 180-4 §5.1.1).
 *
 * @example kpdkKeyfill(CRYPTO_MD5_KPDK, 4).length; // 60
 */
export function kpdkKeyfill(alg: KpdkAlg, keyLen: number): Uint8Array {
  const info = KPDK_ALGS[alg] as (typeof KPDK_ALGS)[KpdkAlg] | undefined;
  if (info === undefined) throw new RangeError(`kpdkKeyfill: algorithm ${String(alg)} is not an OCF KPDK algorithm`);
  const zeros = (((55 - keyLen) % 64) + 64) % 64;
  const fill = new Uint8Array(1 + zeros + 8);
  fill[0] = 0x80;
  const bitsLo = (keyLen * 8) >>> 0;
  const bitsHi = Math.floor((keyLen * 8) / 2 ** 32) >>> 0;
  const len = fill.subarray(1 + zeros);
  for (let i = 0; i < 4; i++) {
    const lo = (bitsLo >>> (8 * i)) & 0xff;
    const hi = (bitsHi >>> (8 * i)) & 0xff;
    if (info.littleEndian) {
      len[i] = lo;
      len[4 + i] = hi;
    } else {
      len[7 - i] = lo;
      len[3 - i] = hi;
    }
  }
  return fill;
}

/** One session's KPDK key with its precomputed H(key ‖ keyfill) state. */
export interface KpdkKey {
  readonly alg: KpdkAlg;
  readonly outputLen: number;
  /** H(key ‖ keyfill ‖ data ‖ key). */
  mac(data: Uint8Array): Uint8Array;
  /** Incremental: update() with the data piece by piece; digest() appends the trailing key. */
  create(): Digest;
  /** Zero the key copy; the object must not be used afterwards. */
  wipe(): void;
}

/** The KPDK functions of a backend. */
export interface KpdkFunctions {
  /**
   * Precomputes H(key ‖ keyfill) once per session. Any key length.
   *
   * @example backend.kpdkKey(CRYPTO_SHA1_KPDK, key).mac(data); // 20 bytes
   */
  kpdkKey(alg: KpdkAlg, key: Uint8Array): KpdkKey;
  /**
   * One-shot KPDK.
   *
   * @example backend.kpdk(CRYPTO_MD5_KPDK, key, data);
   */
  kpdk(alg: KpdkAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
}

class KpdkDigest implements Digest {
  constructor(private readonly state: Digest, private readonly key: Uint8Array) {}
  get outputLen(): number {
    return this.state.outputLen;
  }
  get blockLen(): number {
    return this.state.blockLen;
  }
  update(data: Uint8Array): Digest {
    this.state.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.state.update(this.key).digest();
  }
  clone(): Digest {
    return new KpdkDigest(this.state.clone(), this.key);
  }
}

/** Builds the KPDK functions on `hashes`, recording which implementation serves each in `report`. */
export function createKpdkFunctions(
  hashes: HashFunctions,
  hashBackend: (name: HashName) => BackendName,
  report: Record<string, BackendName>,
): KpdkFunctions {
  for (const info of Object.values(KPDK_ALGS)) report[info.name] = hashBackend(info.hash);

  const kpdkKey = (alg: KpdkAlg, key: Uint8Array): KpdkKey => {
    const info = KPDK_ALGS[alg] as (typeof KPDK_ALGS)[KpdkAlg] | undefined;
    if (info === undefined) throw new RangeError(`kpdkKey: algorithm ${String(alg)} is not an OCF KPDK algorithm`);
    const k = key.slice();
    const prefix = hashes.createHash(info.hash).update(k).update(kpdkKeyfill(alg, k.length));
    let live = true;
    const create = (): Digest => {
      if (!live) throw new Error(`${info.name}: key used after wipe()`);
      return new KpdkDigest(prefix.clone(), k);
    };
    return {
      alg,
      outputLen: HASH_INFO[info.hash].outputLen,
      mac: (data) => create().update(data).digest(),
      create,
      wipe() {
        live = false;
        k.fill(0);
      },
    };
  };

  return {
    kpdkKey,
    kpdk(alg, key, data) {
      const k = kpdkKey(alg, key);
      const mac = k.mac(data);
      k.wipe();
      return mac;
    },
  };
}
