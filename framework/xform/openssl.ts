/**
 * What this process's OpenSSL (node:crypto) can do, probed once at module load.
 *
 * Node 20 links OpenSSL 3 with only the default provider loaded, so AES (all modes), 3DES
 * (`des-ede3-cbc`), Camellia and the MD5/SHA-1/SHA-2/RIPEMD-160 hashes work in-process, while the
 * legacy-provider ciphers (`des-cbc`, `bf-cbc`, `cast5-cbc`, `rc4`) throw `error:0308010C ...
 * unsupported` unless node was started with `--openssl-legacy-provider`
 * (reference/libraries.md, "node:crypto / node:zlib"). Each probe constructs the real object once
 * inside try/catch, so a FIPS-only or stripped build simply reports `false` and the backends fall
 * back to the pure-JS implementation for that algorithm.
 *
 * The probe tables are computed once and frozen: they are facts about the host, not state.
 *
 * @example
 *   if (opensslHasCipher('des-cbc')) useOpensslDes();
 */

import { createCipheriv, createHash, getCipherInfo, getHashes } from 'node:crypto';

function probeCipher(name: string): boolean {
  try {
    const info = getCipherInfo(name);
    if (info === undefined) return false;
    // Construct and run one block: some providers list a cipher they then refuse to initialise.
    const key = new Uint8Array(info.keyLength);
    for (let i = 0; i < key.length; i++) key[i] = i + 1; // XTS refuses key1 == key2
    const iv = info.ivLength ? new Uint8Array(info.ivLength) : null;
    createCipheriv(name, key, iv).update(new Uint8Array(16));
    return true;
  } catch {
    return false;
  }
}

function probeHash(name: string): boolean {
  try {
    if (!getHashes().includes(name)) return false;
    createHash(name).update(new Uint8Array(1)).digest();
    return true;
  } catch {
    return false;
  }
}

const CIPHER_NAMES = [
  'aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc',
  'aes-128-ctr', 'aes-192-ctr', 'aes-256-ctr',
  'aes-128-xts', 'aes-256-xts',
  'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm',
  'camellia-128-cbc', 'camellia-192-cbc', 'camellia-256-cbc',
  'des-cbc', 'des-ede3-cbc', 'bf-cbc', 'cast5-cbc', 'rc4',
] as const;
const HASH_NAMES = ['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'ripemd160'] as const;

export type OpensslCipherName = (typeof CIPHER_NAMES)[number];
export type OpensslHashName = (typeof HASH_NAMES)[number];

const CIPHERS: ReadonlySet<string> = new Set(CIPHER_NAMES.filter(probeCipher));
const HASHES: ReadonlySet<string> = new Set(HASH_NAMES.filter(probeHash));

/** Whether `createCipheriv(name, ...)` works in this process. */
export function opensslHasCipher(name: OpensslCipherName): boolean {
  return CIPHERS.has(name);
}

/** Whether all the named ciphers work (e.g. the three AES key sizes of one mode). */
export function opensslHasCiphers(names: readonly OpensslCipherName[]): boolean {
  return names.every((n) => CIPHERS.has(n));
}

/** Whether `createHash(name)` works in this process. */
export function opensslHasHash(name: OpensslHashName): boolean {
  return HASHES.has(name);
}

/**
 * A plain Uint8Array view of a node Buffer (no copy). Results leave this layer as plain
 * Uint8Arrays so that both backends return values of the same type.
 */
export function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
