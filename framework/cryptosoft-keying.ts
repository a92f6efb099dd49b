/**
 * cryptosoft's keying operations (kprocess) with BigInt: the five CRK_* operations of crypto(9)
 * (reference/ocf.md §1.2). Difference: FreeBSD's cryptosoft had none (ocf.md "Top 20" item 16:
 * without a PK card every CIOCKEY failed with ENODEV); ocfsim's software driver computes them all.
 *
 * Parameters are `struct crparam`s: little-endian byte strings of (crp_nbits + 7) / 8 bytes.
 * Inputs come first in krp_param, outputs after them. The order is the de-facto userland convention
 * of OpenSSL's cryptodev engine (eng_cryptodev.c), which `tools/tools/crypto/cryptokeytest.c`
 * shares for MOD_EXP:
 *
 * | op                     | inputs                                  | outputs | output size        |
 * |------------------------|-----------------------------------------|---------|--------------------|
 * | CRK_MOD_EXP (0)        | base, exponent, modulus                 | result  | the modulus        |
 * | CRK_MOD_EXP_CRT (1)    | p, q, input, dp, dq, qinv (q^-1 mod p)  | result  | n = p·q            |
 * | CRK_DSA_SIGN (2)       | digest, p, q, g, x (private key)        | r, s    | q, each            |
 * | CRK_DSA_VERIFY (3)     | digest, p, q, g, y (public key), r, s   | —       | verdict in status  |
 * | CRK_DH_COMPUTE_KEY (4) | private key, peer's public key, p       | secret  | p                  |
 *
 * Note the CRT order: OpenSSL passes p and q *before* the input; the ubsec driver's own header put
 * the input last, and /work/shared/vectors/rsa-crt.json lists (input, p, q, ...) — this follows
 * OpenSSL, the only userland that used the op.
 *
 * An output crparam of 0 bits and no bytes is allocated at the size in the table; otherwise it
 * must hold at least that many bytes, and is zero-padded to its own (crp_nbits + 7) / 8 bytes.
 *
 * `krp_status`:
 * - 0: done (for DSA_VERIFY: the signature is valid — OpenSSL treats status 0 as "valid");
 * - EBADMSG (89): DSA_VERIFY found the signature invalid. Any non-zero status means "invalid" to
 *   OpenSSL; EBADMSG is what cryptosoft also reports for a GCM tag that does not verify, so one
 *   errno means "authentication failed" throughout, and EINVAL stays for malformed requests;
 * - EINVAL (22): wrong krp_iparams / krp_oparams for the op, an unknown op, a crparam whose bytes
 *   are fewer than its crp_nbits say, a zero modulus (or p, q <= 1 for CRT and DSA), a DSA x or g
 *   out of range, a DH public key outside [2, p - 2], no inverse where one is needed;
 * - E2BIG (7): an input over SWCR_KMAX_BITS bits, or an output parameter smaller than the result
 *   size (as ubsec(4) answered for operands too big for the card).
 *
 * DSA_SIGN's per-signature k comes from the machine PRNG's "cryptosoft.dsa" stream (FIPS 186-4
 * B.2.1: bitlen(q) + 64 random bits reduced into [1, q-1]), never from the host.
 *
 * Exponentiation: the backend's `modPow` (xform/modexp.ts): OpenSSL's BN_mod_exp_mont where its raw
 * RSA operation accepts the numbers, else @noble/curves' BigInt `pow`; the results are identical.
 * The exported helpers default to the BigInt one.
 */
import { invert } from '@noble/curves/abstract/modular.js';
import {
  CRK_DH_COMPUTE_KEY,
  CRK_DSA_SIGN,
  CRK_DSA_VERIFY,
  CRK_MOD_EXP,
  CRK_MOD_EXP_CRT,
  CRK_PARAM_COUNTS,
  E2BIG,
  EBADMSG,
  EINVAL,
} from './constants.js';
import { crparamToBigInt, writeLittleEndian, type cryptkop, type crparam } from './structs.js';
import { modexpCycles, modinvCycles, modmulCycles, type BignumCosts } from './swcosts.js';
import type { Prng } from '../sim/prng.js';
import { bigintModPow, type ModPow } from './xform/modexp.js';

/** The largest input, in bits, cryptosoft accepts (E2BIG above): 8192-bit moduli. */
export const SWCR_KMAX_BITS = 8192;

/** Raised inside an operation to end it with a status. */
class KStatus extends Error {
  constructor(readonly status: number) {
    super(`krp_status ${status}`);
  }
}

const bitLength = (v: bigint): number => (v === 0n ? 0 : v.toString(2).length);

/** base^exp mod m for m >= 1 (0 when m = 1); the base is reduced first, as cryptokeytest does. */
export function modExp(base: bigint, exp: bigint, m: bigint, modPow: ModPow = bigintModPow): bigint {
  if (m <= 0n) throw new RangeError('modExp: modulus must be >= 1');
  if (exp < 0n) throw new RangeError('modExp: exponent must be >= 0');
  if (m === 1n) return 0n;
  let b = base % m;
  if (b < 0n) b += m;
  return exp === 0n ? 1n : modPow(b, exp, m);
}

/** RSA with CRT (PKCS #1 RSADP step 2b): m1 = c^dp mod p, m2 = c^dq mod q, h = qinv (m1 - m2) mod p. */
export function modExpCrt(p: bigint, q: bigint, input: bigint, dp: bigint, dq: bigint, qinv: bigint, modPow: ModPow = bigintModPow): bigint {
  const m1 = modExp(input, dp, p, modPow);
  const m2 = modExp(input, dq, q, modPow);
  let h = (qinv * (m1 - m2)) % p;
  if (h < 0n) h += p;
  return m2 + h * q;
}

/** FIPS 186-4 §4.6 with a given k: r = (g^k mod p) mod q, s = k^-1 (z + x r) mod q (0n, 0n if either is 0). */
export function dsaSign(z: bigint, p: bigint, q: bigint, g: bigint, x: bigint, k: bigint, modPow: ModPow = bigintModPow): { r: bigint; s: bigint } {
  const r = modExp(g, k, p, modPow) % q;
  const s = (invert(k, q) * ((z + x * r) % q)) % q;
  return r === 0n || s === 0n ? { r: 0n, s: 0n } : { r, s };
}

/** FIPS 186-4 §4.7: is (r, s) a signature of z under y? */
export function dsaVerify(z: bigint, p: bigint, q: bigint, g: bigint, y: bigint, r: bigint, s: bigint, modPow: ModPow = bigintModPow): boolean {
  if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
  let w: bigint;
  try {
    w = invert(s, q);
  } catch {
    return false;
  }
  const u1 = (z * w) % q;
  const u2 = (r * w) % q;
  const v = ((modExp(g, u1, p, modPow) * modExp(y, u2, p, modPow)) % p) % q;
  return v === r;
}

/** The digest as DSA's z: its leftmost bitlen(q) bits when it is longer (FIPS 186-4 §4.6). */
function dsaZ(digest: crparam, z: bigint, q: bigint): bigint {
  const n = bitLength(q);
  return digest.crp_nbits > n ? z >> BigInt(digest.crp_nbits - n) : z;
}

/** The environment an operation needs: the DSA nonce stream and cycle charging. */
export interface KeyingContext {
  readonly dsaPrng: Prng;
  /** The backend's exponentiation. */
  readonly modPow: ModPow;
  readonly bignum: BignumCosts;
  charge(cycles: number): void;
}

/**
 * swcr_kprocess: run the operation and return its krp_status (the caller stores it and calls
 * crypto_kdone). Never throws for bad parameters.
 */
export function swcr_kprocess(ctx: KeyingContext, krp: cryptkop): number {
  try {
    return run(ctx, krp);
  } catch (e) {
    if (e instanceof KStatus) return e.status;
    throw e;
  }
}

function run(ctx: KeyingContext, krp: cryptkop): number {
  const counts = CRK_PARAM_COUNTS[krp.krp_op];
  if (counts === undefined || krp.krp_iparams !== counts[0] || krp.krp_oparams !== counts[1]) return EINVAL;
  const ins = krp.krp_param.slice(0, counts[0]).map(input);
  const b = ctx.bignum;
  ctx.charge(b.perOp);
  const nonZero = (v: bigint, min = 1n): bigint => {
    if (v < min) throw new KStatus(EINVAL);
    return v;
  };
  switch (krp.krp_op) {
    case CRK_MOD_EXP: {
      const [base, exp, m] = ins as [bigint, bigint, bigint];
      nonZero(m);
      ctx.charge(modexpCycles(b, bitLength(m), bitLength(exp)));
      output(krp, 0, modExp(base, exp, m, ctx.modPow), krp.krp_param[2]!.crp_nbits);
      return 0;
    }
    case CRK_MOD_EXP_CRT: {
      const [p, q, c, dp, dq, qinv] = ins as [bigint, bigint, bigint, bigint, bigint, bigint];
      nonZero(p, 2n);
      nonZero(q, 2n);
      const n = p * q;
      ctx.charge(modexpCycles(b, bitLength(p), bitLength(dp)) + modexpCycles(b, bitLength(q), bitLength(dq)) + 2 * modmulCycles(b, bitLength(p)) + modmulCycles(b, bitLength(n)));
      output(krp, 0, modExpCrt(p, q, c, dp, dq, qinv, ctx.modPow), bitLength(n));
      return 0;
    }
    case CRK_DSA_SIGN: {
      const [zRaw, p, q, g, x] = ins as [bigint, bigint, bigint, bigint, bigint];
      nonZero(p, 2n);
      nonZero(q, 2n);
      if (g <= 1n || g >= p || x <= 0n || x >= q) return EINVAL;
      const z = dsaZ(krp.krp_param[0]!, zRaw, q);
      const qBits = bitLength(q);
      for (let attempt = 0; ; attempt++) {
        if (attempt === 16) return EINVAL; // q is not prime: k never gets an inverse
        const k = randomBelow(ctx.dsaPrng, q - 1n) + 1n;
        ctx.charge(modexpCycles(b, bitLength(p), qBits) + modinvCycles(b, qBits) + 2 * modmulCycles(b, qBits));
        let sig: { r: bigint; s: bigint };
        try {
          sig = dsaSign(z, p, q, g, x, k, ctx.modPow);
        } catch {
          continue;
        }
        if (sig.r === 0n) continue;
        const qSize = krp.krp_param[2]!.crp_nbits;
        output(krp, 0, sig.r, qSize);
        output(krp, 1, sig.s, qSize);
        return 0;
      }
    }
    case CRK_DSA_VERIFY: {
      const [zRaw, p, q, g, y, r, s] = ins as [bigint, bigint, bigint, bigint, bigint, bigint, bigint];
      nonZero(p, 2n);
      nonZero(q, 2n);
      const qBits = bitLength(q);
      ctx.charge(2 * modexpCycles(b, bitLength(p), qBits) + modinvCycles(b, qBits) + 2 * modmulCycles(b, qBits) + modmulCycles(b, bitLength(p)));
      return dsaVerify(dsaZ(krp.krp_param[0]!, zRaw, q), p, q, g, y, r, s, ctx.modPow) ? 0 : EBADMSG;
    }
    case CRK_DH_COMPUTE_KEY: {
      const [priv, pub, p] = ins as [bigint, bigint, bigint];
      nonZero(p, 5n);
      // SP 800-56A §5.6.2.3.1 partial public-key validation, as OpenSSL's DH_check_pub_key.
      if (pub < 2n || pub > p - 2n) return EINVAL;
      ctx.charge(modexpCycles(b, bitLength(p), bitLength(priv)));
      output(krp, 0, modExp(pub, priv, p, ctx.modPow), krp.krp_param[2]!.crp_nbits);
      return 0;
    }
    default:
      return EINVAL;
  }
}

/** An input crparam's value; EINVAL if its bytes are short, E2BIG above SWCR_KMAX_BITS. */
function input(p: crparam): bigint {
  if (!Number.isInteger(p.crp_nbits) || p.crp_nbits < 0) throw new KStatus(EINVAL);
  if (p.crp_nbits > SWCR_KMAX_BITS) throw new KStatus(E2BIG);
  if (p.crp_p.length < p.byteLength) throw new KStatus(EINVAL);
  return crparamToBigInt(p);
}

/** Store `v` in output `j` (krp_param[iparams + j]), sized for `sizeBits` (see the file comment). */
function output(krp: cryptkop, j: number, v: bigint, sizeBits: number): void {
  const p = krp.krp_param[krp.krp_iparams + j]!;
  const need = (sizeBits + 7) >> 3;
  if (p.crp_nbits === 0 && p.crp_p.length === 0) {
    p.crp_nbits = sizeBits;
    p.crp_p = new Uint8Array(need);
  }
  const len = p.byteLength;
  if (p.crp_p.length < len) throw new KStatus(EINVAL);
  if (len < need || !writeLittleEndian(v, p.crp_p, len)) throw new KStatus(E2BIG);
}

/** A uniform integer in [0, n) from `prng` (bitlen(n) + 64 bits reduced mod n: bias < 2^-64). */
function randomBelow(prng: Prng, n: bigint): bigint {
  const bytes = prng.bytes(((bitLength(n) + 64 + 7) >> 3));
  let v = 0n;
  for (const byte of bytes) v = (v << 8n) | BigInt(byte);
  return v % n;
}
