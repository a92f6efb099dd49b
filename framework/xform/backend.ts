/**
 * The software transforms cryptosoft calls, behind one interface with two interchangeable
 * implementations per algorithm:
 *
 * - 'noble': pure JavaScript — @noble/ciphers (AES), @noble/hashes, fflate, @noble/curves' BigInt
 *   `pow` for the keying operations, and this repo's own DES/3DES/Blowfish/CAST-128/Camellia/
 *   Skipjack/ARC4 classes. Available everywhere. NULL-CBC and the NULL hash are trivial and
 *   always counted as 'noble'.
 * - 'openssl': node:crypto (OpenSSL) for every algorithm this process's OpenSSL offers, node:zlib
 *   for DEFLATE, and OpenSSL's bignum exponentiation for the keying operations wherever its raw
 *   RSA operation accepts the numbers (modexp.ts). 6-26x faster at packet sizes
 *   (reference/libraries.md), ~6x for RSA-2048 with CRT, and simulations spend most of their host
 *   time in real crypto.
 *
 * Both give identical bytes for every algorithm (test/framework/xform/backend.test.ts checks it on
 * seeded random inputs), except DEFLATE's compressed bytes — see deflate.ts.
 *
 * Selection: `prefer: 'auto'` (default) and `prefer: 'openssl'` take OpenSSL for each algorithm it
 * has and fall back to noble per algorithm (single DES, Blowfish, CAST-128 and RC4 live in
 * OpenSSL 3's legacy provider, which Node does not load without `--openssl-legacy-provider`;
 * Skipjack was never in OpenSSL); `prefer: 'noble'` uses pure JS throughout. The two non-noble
 * settings select the same implementations today; 'openssl' records an explicit request.
 * Precedence: the `prefer` option, else the environment variable `OCFSIM_CRYPTO_BACKEND`
 * (openssl | noble | auto, case-insensitive; empty = unset), else 'auto'.
 * `describe()` reports, per algorithm, which implementation serves it.
 *
 * All cipher functions work in place on one contiguous Uint8Array; argument checks (RangeError
 * naming the accepted sizes) are the same whichever implementation runs.
 *
 * @example
 *   const backend = createBackend();                 // or { prefer: 'noble' }
 *   backend.cbcEncrypt(CRYPTO_AES_CBC, key, iv, buf);
 *   const mac = truncateMac(backend.hmac(CRYPTO_SHA1_HMAC, hkey, buf), 12);
 *   console.log(backend.describe());                 // { CRYPTO_DES_CBC: 'noble', CRYPTO_AES_CBC: 'openssl', ... }
 */

import { createAesFunctions, type AesFunctions } from './aes.js';
import { createCbcFunctions, type CbcFunctions } from './cbc-ciphers.js';
import { createDeflateFunctions, type DeflateFunctions } from './deflate.js';
import { createHashFunctions, HASH_INFO, type HashFunctions, type HashName } from './hash.js';
import { createHmacFunctions, type HmacFunctions } from './hmac.js';
import { createKpdkFunctions, type KpdkFunctions } from './kpdk.js';
import { createModExpFunctions, type ModExpFunctions } from './modexp.js';

/** An implementation family. */
export type BackendName = 'openssl' | 'noble';
/** What the caller asks for. */
export type BackendPreference = BackendName | 'auto';

/** The environment variable that forces a preference when the caller passes none. */
export const BACKEND_ENV_VAR = 'OCFSIM_CRYPTO_BACKEND';
const PREFERENCES: readonly BackendPreference[] = ['openssl', 'noble', 'auto'];

export interface BackendOptions {
  /** Overrides `OCFSIM_CRYPTO_BACKEND`; default 'auto'. */
  prefer?: BackendPreference;
}

/** Every software transform cryptosoft needs, by family. */
export interface CryptoBackend
  extends CbcFunctions, AesFunctions, HashFunctions, HmacFunctions, KpdkFunctions, DeflateFunctions, ModExpFunctions {
  /** The preference this backend was built with (after option/env resolution). */
  readonly preference: BackendPreference;
  /**
   * Which implementation serves each algorithm, keyed by OCF name (`CRYPTO_AES_CBC`, ...,
   * `CRYPTO_DEFLATE_COMP`), plus the plain hashes 2015 OCF has no id for (`SHA2_256`,
   * `SHA2_384`, `SHA2_512`, `RIPEMD160`, `NULL_HASH`), and `MOD_EXP`, the modular exponentiation
   * behind the CRK_* keying operations (modexp.ts). A fresh copy on every call.
   *
   * @example backend.describe()['CRYPTO_DES_CBC']; // 'noble' unless --openssl-legacy-provider
   */
  describe(): Record<string, BackendName>;
}

/**
 * Resolves the preference: the option if given, else `OCFSIM_CRYPTO_BACKEND`, else 'auto'.
 * Throws an Error naming the variable and the allowed values for an invalid setting.
 *
 * @example resolvePreference({}); // 'auto' when the variable is unset
 */
export function resolvePreference(options: BackendOptions = {}): BackendPreference {
  if (options.prefer !== undefined) {
    if (!PREFERENCES.includes(options.prefer)) {
      throw new TypeError(`createBackend: prefer must be one of ${PREFERENCES.join(', ')}, got ${JSON.stringify(options.prefer)}`);
    }
    return options.prefer;
  }
  const raw = process.env[BACKEND_ENV_VAR];
  if (raw === undefined || raw.trim() === '') return 'auto';
  const v = raw.trim().toLowerCase();
  if (!(PREFERENCES as readonly string[]).includes(v)) {
    throw new Error(`${BACKEND_ENV_VAR}=${JSON.stringify(raw)} is invalid: allowed values are ${PREFERENCES.join(', ')}`);
  }
  return v as BackendPreference;
}

/**
 * Builds a backend. Cheap (no key material, no per-algorithm state beyond the choice table);
 * a machine typically builds one and hands it to cryptosoft.
 *
 * @example
 *   const noble = createBackend({ prefer: 'noble' });
 *   noble.describe()['CRYPTO_AES_CBC']; // 'noble'
 */
export function createBackend(options: BackendOptions = {}): CryptoBackend {
  const preference = resolvePreference(options);
  const useOpenssl = preference !== 'noble';
  const report: Record<string, BackendName> = {};
  const cbc = createCbcFunctions(useOpenssl, report);
  const aes = createAesFunctions(useOpenssl, report);
  const hashes = createHashFunctions(useOpenssl, report);
  const hashBackend = (name: HashName): BackendName => report[HASH_INFO[name].reportName] ?? 'noble';
  const hmac = createHmacFunctions(hashes, hashBackend, report);
  const kpdk = createKpdkFunctions(hashes, hashBackend, report);
  const deflate = createDeflateFunctions(useOpenssl, report);
  const modexp = createModExpFunctions(useOpenssl, report);
  const frozen = Object.freeze({ ...report });
  return Object.freeze({
    preference,
    describe: () => ({ ...frozen }),
    ...cbc,
    ...aes,
    ...hashes,
    ...hmac,
    ...kpdk,
    ...deflate,
    ...modexp,
  });
}
