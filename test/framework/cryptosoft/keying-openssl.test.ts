/**
 * cryptosoft's keying operations against node:crypto (OpenSSL) at 512 to 4096 bits, on both
 * backends: raw RSA with RSA_NO_PADDING for CRK_MOD_EXP and CRK_MOD_EXP_CRT, createDiffieHellman
 * for CRK_DH_COMPUTE_KEY, and DSA sign/verify with DER signatures for CRK_DSA_SIGN/VERIFY. Keys
 * come from seeded PRNG streams (keys.ts), so every case is reproducible.
 */
import { constants, createDiffieHellman, createHash, getDiffieHellman, privateDecrypt, publicEncrypt, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CRK_DH_COMPUTE_KEY, CRK_DSA_SIGN, CRK_DSA_VERIFY, CRK_MOD_EXP, CRK_MOD_EXP_CRT, EBADMSG } from '../../../framework/constants.js';
import { Prng } from '../../../sim/prng.js';
import { BACKEND_NAMES, toHex } from './helpers.js';
import { big, kmachine, kop } from './keying-helpers.js';
import { derSignature, seededDsaKey, seededRsaKey, toDerSignature, type DsaKey, type RsaKey } from './keys.js';

const SEED = 0x4b455953;
const SIZES = [512, 1024, 2048, 3072, 4096] as const;
type Size = (typeof SIZES)[number];
/** DSA's q size per p size (FIPS 186-4 §4.2 pairs; 160 for 512, as DSA's first edition). */
const DSA_N: Record<Size, number> = { 512: 160, 1024: 160, 2048: 256, 3072: 256, 4096: 256 };
/** RFC 2409 / RFC 3526 MODP groups by size; 512 bits uses the 512-bit DSA group (no MODP group). */
const MODP: Partial<Record<Size, string>> = { 1024: 'modp2', 2048: 'modp14', 3072: 'modp15', 4096: 'modp16' };
/** Generating a 4096-bit DSA group takes seconds. */
const SLOW = 60_000;

const rsaKeys = new Map<Size, RsaKey>();
const dsaKeys = new Map<Size, DsaKey>();
const rsaKey = (bits: Size): RsaKey => rsaKeys.get(bits) ?? rsaKeys.set(bits, seededRsaKey(new Prng(SEED).stream(`rsa${bits}`), bits)).get(bits)!;
const dsaKey = (bits: Size): DsaKey => dsaKeys.get(bits) ?? dsaKeys.set(bits, seededDsaKey(new Prng(SEED).stream(`dsa${bits}`), bits, DSA_N[bits])).get(bits)!;

const fixed = (v: bigint, bytes: number): Buffer => Buffer.from(v.toString(16).padStart(2 * bytes, '0'), 'hex');
const fromBuf = (b: Uint8Array): bigint => BigInt(`0x${toHex(b) || '0'}`);
const below = (rng: Prng, n: bigint): bigint => fromBuf(rng.bytes(Math.ceil(n.toString(2).length / 8) + 8)) % n;

describe.each(BACKEND_NAMES)('keying operations against node:crypto on a %s machine', (backend) => {
  describe.each(SIZES)('%i bits', (size) => {
    it('CRK_MOD_EXP_CRT and CRK_MOD_EXP [c, d, n] equal the raw RSA private operation; CRK_MOD_EXP [m, e, n] the public one', () => {
      const k = rsaKey(size);
      const m = kmachine(backend);
      const rng = new Prng(SEED).stream(`rsa-inputs${size}`);
      for (const c of [0n, 1n, k.n - 1n, k.p, below(rng, k.n), below(rng, k.n), below(rng, k.n)]) {
        const want = fromBuf(privateDecrypt({ key: k.privateKey, padding: constants.RSA_NO_PADDING }, fixed(c, size / 8)));
        const crt = kop(m, CRK_MOD_EXP_CRT, [k.p, k.q, c, k.dp, k.dq, k.qi]);
        expect(crt.status).toBe(0);
        expect(crt.results[0], `c = ${c.toString(16)}`).toBe(want);
        expect(crt.outs[0]!.crp_nbits).toBe(size);
        const plain = kop(m, CRK_MOD_EXP, [c, k.d, [k.n, size]]);
        expect(plain.results[0], `c = ${c.toString(16)}`).toBe(want);
        const pub = fromBuf(publicEncrypt({ key: k.publicKey, padding: constants.RSA_NO_PADDING }, fixed(want, size / 8)));
        expect(kop(m, CRK_MOD_EXP, [want, k.e, [k.n, size]]).results[0]).toBe(pub);
        expect(pub).toBe(c);
      }
    }, SLOW);

    it('CRK_DH_COMPUTE_KEY equals createDiffieHellman().computeSecret', () => {
      const [prime, generator] = MODP[size] !== undefined
        ? [big(getDiffieHellman(MODP[size]).getPrime('hex')), 2n]
        : [dsaKey(size).p, dsaKey(size).g];
      const m = kmachine(backend);
      const rng = new Prng(SEED).stream(`dh${size}`);
      const party = (): { dh: ReturnType<typeof createDiffieHellman>; priv: bigint } => {
        const dh = createDiffieHellman(fixed(prime, size / 8), fixed(generator, 1));
        const priv = below(rng, prime - 3n) + 2n;
        dh.setPrivateKey(fixed(priv, size / 8));
        dh.generateKeys();
        expect(big(dh.getPrivateKey('hex'))).toBe(priv); // generateKeys kept the seeded key
        return { dh, priv };
      };
      for (let i = 0; i < 3; i++) {
        const [a, b] = [party(), party()];
        const r = kop(m, CRK_DH_COMPUTE_KEY, [a.priv, big(b.dh.getPublicKey('hex')), [prime, size]]);
        expect(r.status).toBe(0);
        expect(r.results[0]).toBe(fromBuf(a.dh.computeSecret(b.dh.getPublicKey())));
        expect(r.outs[0]!.crp_p.length).toBe(size / 8);
      }
    }, SLOW);

    it('CRK_DSA_SIGN signatures verify in OpenSSL (DER), and CRK_DSA_VERIFY judges OpenSSL\'s DER signatures', () => {
      const k = dsaKey(size);
      const hash = DSA_N[size] === 160 ? 'sha1' : 'sha256';
      const zBits = DSA_N[size];
      const m = kmachine(backend);
      for (let i = 0; i < 3; i++) {
        const msg = Buffer.from(`ocfsim keying ${size} ${i}`);
        const z = fromBuf(createHash(hash).update(msg).digest());
        const mine = kop(m, CRK_DSA_SIGN, [[z, zBits], k.p, k.q, k.g, k.x], 2);
        expect(mine.status).toBe(0);
        const [r, s] = mine.results as [bigint, bigint];
        expect(verify(hash, msg, k.publicKey, toDerSignature(r, s))).toBe(true);
        expect(verify(hash, msg, k.publicKey, toDerSignature(r, (s % (k.q - 1n)) + 1n))).toBe(false);

        const theirs = derSignature(sign(hash, msg, k.privateKey));
        const args = (zz: bigint, rr: bigint, ss: bigint): [bigint, number][] =>
          [[zz, zBits], ...[k.p, k.q, k.g, k.y, rr, ss].map((v): [bigint, number] => [v, v.toString(2).length])];
        expect(kop(m, CRK_DSA_VERIFY, args(z, theirs.r, theirs.s), 0).status).toBe(0);
        expect(kop(m, CRK_DSA_VERIFY, args(z ^ 1n, theirs.r, theirs.s), 0).status).toBe(EBADMSG);
        expect(kop(m, CRK_DSA_VERIFY, args(z, theirs.r, theirs.s ^ 2n), 0).status).toBe(EBADMSG);
      }
    }, SLOW);
  });
});
