/**
 * RSA and DSA keys drawn from a seeded PRNG, imported into node:crypto, for the keying differential
 * tests. Drawing the primes here (instead of node's generateKeyPair) makes every key, and so every
 * failure, reproducible from its seed, and allows 512-bit DSA, which OpenSSL 3 refuses to generate
 * but still signs and verifies with. Primality: a sieve over the odd primes below 2^14, then
 * OpenSSL's Miller-Rabin (checkPrimeSync, 32 rounds).
 */
import { checkPrimeSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { invert } from '@noble/curves/abstract/modular.js';
import { modExp } from '../../../framework/cryptosoft-keying.js';
import type { Prng } from '../../../sim/prng.js';
import { randomBits } from '../xform/backends.js';

const SMALL_PRIMES: readonly number[] = (() => {
  const limit = 1 << 14;
  const composite = new Uint8Array(limit);
  const out: number[] = [];
  for (let i = 3; i < limit; i += 2) {
    if (composite[i]) continue;
    out.push(i);
    for (let j = i * i; j < limit; j += 2 * i) composite[j] = 1;
  }
  return out;
})();


/** The first probable prime of `start + k * step` (start odd, step even) with exactly `bits` bits. */
function primeFrom(start: bigint, step: bigint, bits: number): bigint | undefined {
  // Residues are kept as numbers and stepped, so each candidate costs ~1600 small additions.
  const res = SMALL_PRIMES.map((p) => Number(start % BigInt(p)));
  const inc = SMALL_PRIMES.map((p) => Number(step % BigInt(p)));
  for (let c = start; c.toString(2).length === bits; c += step) {
    let sieved = true;
    for (let i = 0; i < SMALL_PRIMES.length; i++) {
      if (res[i] === 0) sieved = false;
      const p = SMALL_PRIMES[i]!;
      res[i] = (res[i]! + inc[i]!) % p;
    }
    if (sieved && checkPrimeSync(c, { checks: 32 })) return c;
  }
  return undefined;
}

/** A `bits`-bit probable prime (bits >= 16). `top2` sets the two top bits (so that p q has 2 bits). */
export function seededPrime(prng: Prng, bits: number, top2 = false): bigint {
  for (;;) {
    const start = randomBits(prng, bits) | (top2 ? 1n << BigInt(bits - 2) : 0n) | 1n;
    const p = primeFrom(start, 2n, bits);
    if (p !== undefined) return p;
  }
}

export interface RsaKey {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const b64u = (v: bigint): string => {
  const h = v.toString(16);
  return Buffer.from(h.length & 1 ? `0${h}` : h, 'hex').toString('base64url');
};

/** An RSA key with e = 65537 and an exactly `bits`-bit modulus (bits even). */
export function seededRsaKey(prng: Prng, bits: number): RsaKey {
  const e = 65537n;
  const prime = (): bigint => {
    for (;;) {
      const p = seededPrime(prng, bits / 2, true);
      if ((p - 1n) % e !== 0n) return p;
    }
  };
  let p = prime();
  let q = prime();
  while (q === p) q = prime();
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const phi = (p - 1n) * (q - 1n);
  const d = invert(e, phi);
  const [dp, dq, qi] = [d % (p - 1n), d % (q - 1n), invert(q, p)];
  const jwk = { kty: 'RSA', n: b64u(n), e: b64u(e) };
  const privateKey = createPrivateKey({
    key: { ...jwk, d: b64u(d), p: b64u(p), q: b64u(q), dp: b64u(dp), dq: b64u(dq), qi: b64u(qi) },
    format: 'jwk',
  });
  return { n, e, d, p, q, dp, dq, qi, privateKey, publicKey: createPublicKey({ key: jwk, format: 'jwk' }) };
}

export interface DsaKey {
  readonly p: bigint;
  readonly q: bigint;
  readonly g: bigint;
  readonly x: bigint;
  readonly y: bigint;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** DSA domain parameters (L-bit p, N-bit q, g of order q) and a key pair. */
export function seededDsaKey(prng: Prng, L: number, N: number): DsaKey {
  const q = seededPrime(prng, N);
  let p: bigint | undefined;
  while (p === undefined) {
    const r = randomBits(prng, L);
    p = primeFrom(r - (r % (2n * q)) + 1n, 2n * q, L);
  }
  let g = 1n;
  for (let h = 2n; g === 1n; h++) g = modExp(h, (p - 1n) / q, p);
  const x = (randomBits(prng, N + 64) % (q - 1n)) + 1n;
  const y = modExp(g, x, p);
  const params = der(0x30, derInt(p), derInt(q), derInt(g));
  const algorithm = der(0x30, DSA_OID, params);
  const pkcs8 = der(0x30, derInt(0n), algorithm, der(0x04, derInt(x)));
  const spki = der(0x30, algorithm, der(0x03, new Uint8Array([0]), derInt(y)));
  return {
    p, q, g, x, y,
    privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
  };
}

/** id-dsa, 1.2.840.10040.4.1. */
const DSA_OID = new Uint8Array([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]);

function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, b) => s + b.length, 0);
  const lenBytes: number[] = [];
  for (let l = len; l > 0; l >>= 8) lenBytes.unshift(l & 0xff);
  const header = len < 0x80 ? [tag, len] : [tag, 0x80 | lenBytes.length, ...lenBytes];
  const out = new Uint8Array(header.length + len);
  out.set(header);
  let off = header.length;
  for (const b of parts) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

function derInt(v: bigint): Uint8Array {
  let h = v.toString(16);
  if (h.length & 1) h = `0${h}`;
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = `00${h}`;
  return der(0x02, Buffer.from(h, 'hex'));
}

/** The INTEGERs of a DER structure, depth first (SEQUENCE, OCTET STRING and BIT STRING are entered). */
export function derIntegers(bytes: Uint8Array): bigint[] {
  const out: bigint[] = [];
  const walk = (b: Uint8Array): void => {
    let i = 0;
    while (i < b.length) {
      const tag = b[i++]!;
      let len = b[i++]!;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let k = 0; k < n; k++) len = len * 256 + b[i++]!;
      }
      const body = b.subarray(i, i + len);
      i += len;
      if (tag === 0x02) out.push(BigInt(`0x${Buffer.from(body).toString('hex') || '0'}`));
      else if (tag === 0x30 || tag === 0x04) walk(body);
      else if (tag === 0x03) walk(body.subarray(1));
    }
  };
  walk(bytes);
  return out;
}

/** A DER DSA signature, SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.2). */
export function derSignature(sig: Uint8Array): { r: bigint; s: bigint } {
  const ints = derIntegers(sig);
  if (ints.length !== 2) throw new Error(`not a DSA signature: ${ints.length} INTEGERs`);
  return { r: ints[0]!, s: ints[1]! };
}

/** Encodes (r, s) as a DER DSA signature. */
export function toDerSignature(r: bigint, s: bigint): Uint8Array {
  return der(0x30, derInt(r), derInt(s));
}
