/**
 * HMAC (RFC 2104) over the OCF hashes, NULL-HMAC, and `cri_mlen` truncation.
 *
 * cryptosoft precomputes, per session, the hash state after absorbing key ⊕ ipad and key ⊕ opad
 * (ocf.md §3.6) and copies those states for every request; {@link HmacKey} does the same with
 * {@link Digest.clone}. The OpenSSL backend's one-shot `mac()` uses `createHmac` instead (fewer
 * crossings into C++); both give the RFC 2104 bytes.
 *
 * Deliberate ocfsim difference: keys longer than the hash block are hashed first, as RFC 2104
 * says. FreeBSD 2015 did not (the pad length went negative — undefined behaviour, unreachable from
 * `/dev/crypto`, which demands exact key sizes); FreeBSD 2018 pre-hashes as here.
 *
 * NULL-HMAC writes 16 bytes (`NULL_HASH_LEN`), all zero here; FreeBSD zeroed only 12 and left 4
 * bytes of stack (ocf.md §3 table) — deliberate difference, the simulation must be deterministic.
 *
 * @example
 *   const k = backend.hmacKey(CRYPTO_SHA1_HMAC, key20); // once per session
 *   const icv = truncateMac(k.mac(packet), 12);          // HMAC-SHA1-96
 */

import { createHmac } from 'node:crypto';
import {
  CRYPTO_MD5_HMAC,
  CRYPTO_NULL_HMAC,
  CRYPTO_RIPEMD160_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SHA2_256_HMAC,
  CRYPTO_SHA2_384_HMAC,
  CRYPTO_SHA2_512_HMAC,
} from '../constants.js';
import type { BackendName } from './backend.js';
import { HASH_INFO, type Digest, type HashFunctions, type HashName } from './hash.js';
import { plain } from './openssl.js';

/** The OCF HMAC algorithm ids. */
export type HmacAlg =
  | typeof CRYPTO_MD5_HMAC
  | typeof CRYPTO_SHA1_HMAC
  | typeof CRYPTO_RIPEMD160_HMAC
  | typeof CRYPTO_SHA2_256_HMAC
  | typeof CRYPTO_SHA2_384_HMAC
  | typeof CRYPTO_SHA2_512_HMAC
  | typeof CRYPTO_NULL_HMAC;

/** The hash under each HMAC algorithm, and its name in reports. */
export const HMAC_ALGS: Readonly<Record<HmacAlg, { readonly hash: HashName; readonly name: string }>> = Object.freeze({
  [CRYPTO_MD5_HMAC]: { hash: 'md5', name: 'CRYPTO_MD5_HMAC' },
  [CRYPTO_SHA1_HMAC]: { hash: 'sha1', name: 'CRYPTO_SHA1_HMAC' },
  [CRYPTO_RIPEMD160_HMAC]: { hash: 'ripemd160', name: 'CRYPTO_RIPEMD160_HMAC' },
  [CRYPTO_SHA2_256_HMAC]: { hash: 'sha256', name: 'CRYPTO_SHA2_256_HMAC' },
  [CRYPTO_SHA2_384_HMAC]: { hash: 'sha384', name: 'CRYPTO_SHA2_384_HMAC' },
  [CRYPTO_SHA2_512_HMAC]: { hash: 'sha512', name: 'CRYPTO_SHA2_512_HMAC' },
  [CRYPTO_NULL_HMAC]: { hash: 'null', name: 'CRYPTO_NULL_HMAC' },
});

export function isHmacAlg(alg: number): alg is HmacAlg {
  return Object.prototype.hasOwnProperty.call(HMAC_ALGS, alg);
}

/** HMAC_IPAD_VAL / HMAC_OPAD_VAL (ocf.md §1.4). */
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * The authenticator cryptosoft writes: the leftmost `mlen` bytes of `mac`, or all of it when
 * `mlen` is 0 (`cri_mlen` unset). Returns a view, not a copy. Deliberate ocfsim difference:
 * FreeBSD did not range-check `cri_mlen` and copied bytes past the digest; here an `mlen` longer
 * than the digest is a RangeError.
 *
 * @example truncateMac(hmacSha256, 16); // RFC 4868 HMAC-SHA-256-128
 */
export function truncateMac(mac: Uint8Array, mlen: number): Uint8Array {
  if (!Number.isInteger(mlen) || mlen < 0 || mlen > mac.length) {
    throw new RangeError(`truncateMac: mlen must be 0..${mac.length} (0 = whole ${mac.length}-byte digest), got ${mlen}`);
  }
  return mlen === 0 ? mac : mac.subarray(0, mlen);
}

/** One session's HMAC key with its precomputed inner and outer hash states. */
export interface HmacKey {
  readonly alg: HmacAlg;
  /** Full digest length in bytes. */
  readonly outputLen: number;
  /** The full-length HMAC of `data`. */
  mac(data: Uint8Array): Uint8Array;
  /** An incremental HMAC (for authenticating a region piece by piece). */
  create(): Digest;
  /** Zero the key copy; the object must not be used afterwards. */
  wipe(): void;
}

/** The HMAC functions of a backend. */
export interface HmacFunctions {
  /**
   * Precomputes the keyed states once (any key length, see the file comment).
   *
   * @example backend.hmacKey(CRYPTO_SHA2_256_HMAC, key32).mac(data);
   */
  hmacKey(alg: HmacAlg, key: Uint8Array): HmacKey;
  /**
   * One-shot full-length HMAC.
   *
   * @example backend.hmac(CRYPTO_MD5_HMAC, key16, data); // 16 bytes
   */
  hmac(alg: HmacAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** HMAC = H(K ⊕ opad ‖ H(K ⊕ ipad ‖ m)) over two cloned precomputed states. */
class HmacDigest implements Digest {
  constructor(private readonly inner: Digest, private readonly outer: Digest) {}
  get outputLen(): number {
    return this.inner.outputLen;
  }
  get blockLen(): number {
    return this.inner.blockLen;
  }
  update(data: Uint8Array): Digest {
    this.inner.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.outer.update(this.inner.digest()).digest();
  }
  clone(): Digest {
    return new HmacDigest(this.inner.clone(), this.outer.clone());
  }
}

/**
 * Builds the HMAC functions on `hashes`; `hashBackend(name)` says which implementation serves a
 * hash (the HMAC of a hash is served by the same one), recorded in `report`.
 */
export function createHmacFunctions(
  hashes: HashFunctions,
  hashBackend: (name: HashName) => BackendName,
  report: Record<string, BackendName>,
): HmacFunctions {
  for (const info of Object.values(HMAC_ALGS)) report[info.name] = hashBackend(info.hash);

  const hmacKey = (alg: HmacAlg, key: Uint8Array): HmacKey => {
    const info = HMAC_ALGS[alg] as (typeof HMAC_ALGS)[HmacAlg] | undefined;
    if (info === undefined) throw new RangeError(`hmacKey: algorithm ${String(alg)} is not an OCF HMAC algorithm`);
    const { outputLen, blockLen } = HASH_INFO[info.hash];
    if (info.hash === 'null') {
      return { alg, outputLen, mac: () => new Uint8Array(outputLen), create: () => hashes.createHash('null'), wipe() {} };
    }
    const k = key.length > blockLen ? hashes.hash(info.hash, key) : key.slice();
    const pad = new Uint8Array(blockLen);
    for (let i = 0; i < blockLen; i++) pad[i] = (k[i] ?? 0) ^ IPAD;
    const inner = hashes.createHash(info.hash).update(pad);
    for (let i = 0; i < blockLen; i++) pad[i] = (k[i] ?? 0) ^ OPAD;
    const outer = hashes.createHash(info.hash).update(pad);
    pad.fill(0);
    const create = (): Digest => new HmacDigest(inner.clone(), outer.clone());
    const ssl = hashBackend(info.hash) === 'openssl';
    let live = true;
    const alive = (): void => {
      if (!live) throw new Error(`${info.name}: key used after wipe()`);
    };
    return {
      alg,
      outputLen,
      mac(data) {
        alive();
        // `k` is already pre-hashed if it was long, so createHmac sees a key <= one block.
        return ssl ? plain(createHmac(info.hash, k).update(data).digest()) : create().update(data).digest();
      },
      create() {
        alive();
        return create();
      },
      wipe() {
        live = false;
        k.fill(0);
      },
    };
  };

  return {
    hmacKey,
    hmac(alg, key, data) {
      const k = hmacKey(alg, key);
      const mac = k.mac(data);
      k.wipe();
      return mac;
    },
  };
}
