/**
 * Modular exponentiation, the one expensive primitive behind all five CRK_* keying operations,
 * behind the same noble/OpenSSL switch as the symmetric transforms (backend.ts).
 *
 * - 'noble': @noble/curves' modular `pow` (4-bit fixed window over V8 BigInt). Measured against
 *   bigint-mod-arith's modPow (RSA-2048 with CRT: 4.7-5.9 ms against 6.6 ms; reference/libraries.md
 *   says 3.6 vs 4.7 ms) and against a 5/6-bit sliding window of our own (~5 % faster, within the
 *   noise), so the maintained library serves. Its floor is V8's BigInt: a 1024-bit multiply costs
 *   ~0.5 µs and a 2048-by-1024-bit remainder ~0.8 µs here, and one 1024-bit exponent needs ~1280 of
 *   each pair, so a CRT-2048 private operation cannot go much below ~3 ms: measured 11.8x
 *   OpenSSL's own time (`npm run bench -- keying`), short of the 10x target, which the
 *   'openssl' side meets.
 *   A Montgomery multiply on BigInt costs three multiplies (~1.4 µs), more than multiply+remainder.
 * - 'openssl': OpenSSL's BN_mod_exp_mont, reached through node:crypto's raw RSA public operation
 *   (`publicEncrypt` with RSA_NO_PADDING on a key whose modulus is `m` and whose public exponent is
 *   `exp`): that operation is exactly `base^exp mod m`. OpenSSL only takes it where RSA rules allow
 *   — an odd modulus, 1 <= exp < m, and an exponent of at most 64 bits when the modulus is over
 *   3072 bits (rsa_ossl_public_encrypt) — so outside that domain, and if this OpenSSL refuses
 *   anyway, the call is served by the BigInt code. Inside: CRK_MOD_EXP_CRT up to 6144-bit
 *   moduli (its halves are half as long), and CRK_MOD_EXP, DSA and DH up to 3072 bits; a 4096-bit
 *   DSA or DH group, or a 4096-bit CRK_MOD_EXP with a long exponent, runs on BigInt. Measured
 *   CRT-2048: ~0.5 ms, ~2x OpenSSL's own private operation (the extra is the key import per call).
 *
 * Both are exact integer arithmetic, so they give identical results; the keying tests compare
 * both against node:crypto's RSA, DH and DSA at 512 to 4096 bits.
 *
 * @example
 *   const { modPow } = createModExpFunctions(true, {});
 *   modPow(4n, 13n, 497n); // 445n
 */

import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { pow } from '@noble/curves/abstract/modular.js';
import type { BackendName } from './backend.js';

/**
 * base^exp mod m, for 0 <= base < m, exp >= 1 and m >= 2 (the caller, cryptosoft-keying's
 * modExp, handles everything else).
 */
export type ModPow = (base: bigint, exp: bigint, m: bigint) => bigint;

export interface ModExpFunctions {
  readonly modPow: ModPow;
}

/** The BigInt exponentiation (the 'noble' side). */
export const bigintModPow: ModPow = (base, exp, m) => pow(base, exp, m);

/** OpenSSL refuses public exponents over this many bits for moduli over 3072 bits (OPENSSL_RSA_MAX_PUBEXP_BITS). */
const OPENSSL_MAX_PUBEXP_BITS = 64;
const OPENSSL_SMALL_MODULUS_BITS = 3072;
/** OPENSSL_RSA_MAX_MODULUS_BITS. */
const OPENSSL_MAX_MODULUS_BITS = 16384;

const hexOf = (v: bigint): string => {
  const h = v.toString(16);
  return h.length & 1 ? `0${h}` : h;
};
const base64url = (hex: string): string => Buffer.from(hex, 'hex').toString('base64url');

/** Whether OpenSSL's raw RSA public operation takes (exp, m); see the file comment. */
export function opensslModPowDomain(exp: bigint, m: bigint): boolean {
  if ((m & 1n) === 0n || m < 3n || exp < 1n || exp >= m) return false;
  const mBits = m.toString(2).length;
  if (mBits > OPENSSL_MAX_MODULUS_BITS) return false;
  return mBits <= OPENSSL_SMALL_MODULUS_BITS || exp.toString(2).length <= OPENSSL_MAX_PUBEXP_BITS;
}

/** base^exp mod m by OpenSSL's raw RSA public operation; throws where OpenSSL refuses (exported for tests). */
export function opensslModPowRaw(base: bigint, exp: bigint, m: bigint): bigint {
  const mHex = hexOf(m);
  const key = createPublicKey({ key: { kty: 'RSA', n: base64url(mHex), e: base64url(hexOf(exp)) }, format: 'jwk' });
  // RSA_NO_PADDING takes exactly the modulus' byte length, big-endian.
  const input = Buffer.from(base.toString(16).padStart(mHex.length, '0'), 'hex');
  const out = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, input);
  return BigInt(`0x${out.toString('hex') || '0'}`);
}

/** OpenSSL where it applies, BigInt elsewhere (same results: both are exact). */
export const opensslModPow: ModPow = (base, exp, m) => {
  if (!OPENSSL_RAW_RSA || !opensslModPowDomain(exp, m)) return bigintModPow(base, exp, m);
  try {
    return opensslModPowRaw(base, exp, m);
  } catch {
    // A build with stricter RSA rules (e.g. a FIPS provider's minimum key size).
    return bigintModPow(base, exp, m);
  }
};

/** Whether this process's OpenSSL does raw RSA public operations on arbitrary keys (probed once). */
const OPENSSL_RAW_RSA: boolean = (() => {
  try {
    const m = 0xfffffffbn * 0xffffffefn;
    return opensslModPowRaw(5n, 3n, 17n) === 6n && opensslModPowRaw(7n, 65537n, m) === bigintModPow(7n, 65537n, m);
  } catch {
    return false;
  }
})();

/** The report key in backend.describe(). */
export const MOD_EXP_REPORT_NAME = 'MOD_EXP';

export function createModExpFunctions(useOpenssl: boolean, report: Record<string, BackendName>): ModExpFunctions {
  const openssl = useOpenssl && OPENSSL_RAW_RSA;
  report[MOD_EXP_REPORT_NAME] = openssl ? 'openssl' : 'noble';
  return Object.freeze({ modPow: openssl ? opensslModPow : bigintModPow });
}
