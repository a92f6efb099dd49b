/**
 * The hash functions behind OCF's authenticators: MD5 (RFC 1321), SHA-1 and SHA-2-256/384/512
 * (FIPS 180-4), RIPEMD-160 (Dobbertin, Bosselaers & Preneel 1996) and the NULL hash, one-shot and
 * incremental, served by OpenSSL where this process has the algorithm and by @noble/hashes
 * otherwise.
 *
 * NULL hash (ocf.md §1.4, §3 table): `NULL_HASH_LEN` = 16 output bytes over a 64-byte "block".
 * FreeBSD's null auth zeroes only the first 12 of those 16 bytes and leaves the last 4 as stack
 * garbage; ocfsim returns 16 zero bytes (deliberate difference: output must be deterministic).
 *
 * @example
 *   backend.hash('sha256', data);                                  // one-shot
 *   const d = backend.createHash('md5'); d.update(a).update(b); d.digest();
 */

import { createHash as nodeCreateHash, hash as nodeHash, type Hash as NodeHash } from 'node:crypto';
import { md5, ripemd160, sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { BackendName } from './backend.js';
import { opensslHasHash, plain, type OpensslHashName } from './openssl.js';

/** The hash functions OCF uses, by their OpenSSL names, plus 'null'. */
export type HashName = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'ripemd160' | 'null';

export interface HashInfo {
  /** Digest length in bytes (`*_HASH_LEN`). */
  readonly outputLen: number;
  /** Compression block length in bytes (the HMAC block size). */
  readonly blockLen: number;
  /** Key in backend.describe(): the OCF plain-hash id name where 2015 OCF had one. */
  readonly reportName: string;
}

/** ocf.md §1.4 sizes. */
export const HASH_INFO: Readonly<Record<HashName, HashInfo>> = Object.freeze({
  md5: { outputLen: 16, blockLen: 64, reportName: 'CRYPTO_MD5' },
  sha1: { outputLen: 20, blockLen: 64, reportName: 'CRYPTO_SHA1' },
  sha256: { outputLen: 32, blockLen: 64, reportName: 'SHA2_256' },
  sha384: { outputLen: 48, blockLen: 128, reportName: 'SHA2_384' },
  sha512: { outputLen: 64, blockLen: 128, reportName: 'SHA2_512' },
  ripemd160: { outputLen: 20, blockLen: 64, reportName: 'RIPEMD160' },
  null: { outputLen: 16, blockLen: 64, reportName: 'NULL_HASH' },
});

export function isHashName(name: string): name is HashName {
  return Object.prototype.hasOwnProperty.call(HASH_INFO, name);
}

/** An incremental hash computation. */
export interface Digest {
  readonly outputLen: number;
  readonly blockLen: number;
  update(data: Uint8Array): Digest;
  /** Finishes the computation; the object must not be updated afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the current state (how cryptosoft reuses precomputed contexts). */
  clone(): Digest;
}

/** The hash functions of a backend. */
export interface HashFunctions {
  /**
   * One-shot digest of `data`.
   *
   * @example backend.hash('sha1', payload); // 20 bytes
   */
  hash(name: HashName, data: Uint8Array): Uint8Array;
  /**
   * An incremental digest.
   *
   * @example backend.createHash('sha512').update(a).update(b).digest();
   */
  createHash(name: HashName): Digest;
}

/** The slice of a @noble/hashes object this file uses. */
interface NobleHashState {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHashState;
}

class NobleDigest implements Digest {
  constructor(private readonly h: NobleHashState, readonly outputLen: number, readonly blockLen: number) {}
  update(data: Uint8Array): Digest {
    this.h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return this.h.digest();
  }
  clone(): Digest {
    return new NobleDigest(this.h.clone(), this.outputLen, this.blockLen);
  }
}

class OpensslDigest implements Digest {
  constructor(private readonly h: NodeHash, readonly outputLen: number, readonly blockLen: number) {}
  update(data: Uint8Array): Digest {
    this.h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return plain(this.h.digest());
  }
  clone(): Digest {
    return new OpensslDigest(this.h.copy(), this.outputLen, this.blockLen);
  }
}

class NullDigest implements Digest {
  readonly outputLen = 16;
  readonly blockLen = 64;
  update(): Digest {
    return this;
  }
  digest(): Uint8Array {
    return new Uint8Array(16);
  }
  clone(): Digest {
    return new NullDigest();
  }
}

const NOBLE: Readonly<Record<Exclude<HashName, 'null'>, { create(): NobleHashState }>> = {
  md5, sha1, sha256, sha384, sha512, ripemd160,
};
const NOBLE_ONE_SHOT: Readonly<Record<Exclude<HashName, 'null'>, (d: Uint8Array) => Uint8Array>> = {
  md5, sha1, sha256, sha384, sha512, ripemd160,
};

/**
 * Builds the hash functions, choosing OpenSSL per hash when `useOpenssl` and this process's
 * OpenSSL has it; records each choice in `report`.
 */
export function createHashFunctions(useOpenssl: boolean, report: Record<string, BackendName>): HashFunctions {
  const ssl = new Set<HashName>();
  for (const name of Object.keys(HASH_INFO) as HashName[]) {
    const use = name !== 'null' && useOpenssl && opensslHasHash(name);
    if (use) ssl.add(name);
    report[HASH_INFO[name].reportName] = use ? 'openssl' : 'noble';
  }
  const check = (fn: string, name: HashName): HashInfo => {
    if (!isHashName(name)) throw new RangeError(`${fn}: unknown hash '${String(name)}' (one of ${Object.keys(HASH_INFO).join(', ')})`);
    return HASH_INFO[name];
  };
  return {
    hash(name, data) {
      const info = check('hash', name);
      if (name === 'null') return new Uint8Array(info.outputLen);
      return ssl.has(name) ? plain(nodeHash(name as OpensslHashName, data, 'buffer')) : NOBLE_ONE_SHOT[name](data);
    },
    createHash(name) {
      const info = check('createHash', name);
      if (name === 'null') return new NullDigest();
      return ssl.has(name)
        ? new OpensslDigest(nodeCreateHash(name), info.outputLen, info.blockLen)
        : new NobleDigest(NOBLE[name].create(), info.outputLen, info.blockLen);
    },
  };
}
