/**
 * cryptosoft's keying operations through crypto_kdispatch (kern.cryptodevallowsoft=1, without which
 * crypto_kinvoke never picks a software driver): the published vectors, node:crypto as a
 * differential reference, and the statuses of bad requests.
 */
import { describe, expect, it } from 'vitest';
import { constants, createDiffieHellman, createHash, generateKeyPairSync, getDiffieHellman, privateDecrypt, sign, verify } from 'node:crypto';
import {
  CRK_DH_COMPUTE_KEY,
  CRK_DSA_SIGN,
  CRK_DSA_VERIFY,
  CRK_MOD_EXP,
  CRK_MOD_EXP_CRT,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  E2BIG,
  EBADMSG,
  EINVAL,
  ENODEV,
} from '../../../framework/constants.js';
import { dsaSign, dsaVerify } from '../../../framework/cryptosoft-keying.js';
import { cryptkop, crparam, crparamFromBigInt, crparamToBigInt } from '../../../framework/structs.js';
import { Machine } from '../../../lab/machine.js';
import { BACKEND_NAMES, loadVectors } from './helpers.js';

type V = Record<string, string>;
const big = (h: string): bigint => BigInt(`0x${h}`);
const bits = (v: bigint): number => v.toString(2).length;

function kmachine(backend: 'noble' | 'openssl' = 'openssl', seed = 1): Machine {
  return new Machine({ seed, cryptoBackend: backend, sysctl: { 'kern.cryptodevallowsoft': 1 } });
}

/** Inputs as [value, nbits] (nbits default: the value's own); `outs` output crparams (default: empty, allocated by the driver). */
function kop(m: Machine, op: number, ins: (bigint | [bigint, number] | crparam)[], outs: number | crparam[] = 1) {
  const krp = new cryptkop();
  krp.krp_op = op;
  // What CIOCKEY asks for: hardware first, then software (which needs kern.cryptodevallowsoft).
  krp.krp_crid = CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE;
  krp.krp_iparams = ins.length;
  ins.forEach((x, i) => {
    const p = x instanceof crparam ? x : Array.isArray(x) ? crparamFromBigInt(x[0], x[1]) : crparamFromBigInt(x);
    krp.krp_param[i] = p;
  });
  const outList = typeof outs === 'number' ? Array.from({ length: outs }, () => new crparam()) : outs;
  krp.krp_oparams = outList.length;
  outList.forEach((p, j) => (krp.krp_param[ins.length + j] = p));
  let calls = 0;
  krp.krp_callback = () => {
    calls++;
  };
  expect(m.crypto.crypto_kdispatch(krp)).toBe(0);
  m.run();
  expect(calls).toBe(1);
  const results = outList.map((p) => crparamToBigInt(p));
  return { status: krp.krp_status, results, outs: outList, hid: krp.krp_hid };
}

describe.each(BACKEND_NAMES)('keying operations on a %s machine', (backend) => {
  it('CRK_MOD_EXP [base, exponent, modulus] → [result sized like the modulus]: modexp.json', () => {
    const m = kmachine(backend);
    for (const v of loadVectors<V>('modexp')) {
      const n = Number(v['modulus_bits']);
      const r = kop(m, CRK_MOD_EXP, [big(v['base']!), big(v['exponent']!), [big(v['modulus']!), n]]);
      expect(r.status, v['id']).toBe(0);
      expect(r.hid).toBe(m.cryptosoft.hid);
      expect(r.results[0]).toBe(big(v['result']!));
      expect(r.outs[0]!.crp_nbits).toBe(n);
      expect(r.outs[0]!.crp_p.length).toBe(n / 8);
    }
  });

  it('CRK_MOD_EXP_CRT [p, q, input, dp, dq, qinv] (OpenSSL\'s order) → [result]: rsa-crt.json', () => {
    const m = kmachine(backend);
    for (const v of loadVectors<V>('rsa-crt')) {
      const r = kop(m, CRK_MOD_EXP_CRT, ['p', 'q', 'input', 'dp', 'dq', 'qinv'].map((f) => big(v[f]!)));
      expect(r.status, v['id']).toBe(0);
      expect(r.results[0]).toBe(big(v['output']!));
      expect(r.outs[0]!.crp_nbits).toBe(bits(big(v['n']!)));
    }
  });

  it('CRK_DSA_SIGN [digest, p, q, g, x] → [r, s] with k from the machine PRNG, and CRK_DSA_VERIFY: dsa.json', () => {
    const m = kmachine(backend);
    for (const v of loadVectors<V>('dsa')) {
      const [z, p, q, g] = ['digest', 'p', 'q', 'g'].map((f) => big(v[f]!)) as [bigint, bigint, bigint, bigint];
      const digest: [bigint, number] = [z, v['digest']!.length * 4];
      if (v['operation'] === 'sign') {
        // The published k reproduces the published signature (the arithmetic alone).
        expect(dsaSign(z, p, q, g, big(v['x']!), big(v['k']!))).toEqual({ r: big(v['r']!), s: big(v['s']!) });
        const r = kop(m, CRK_DSA_SIGN, [digest, p, q, g, big(v['x']!)], 2);
        expect(r.status).toBe(0);
        expect(r.outs.map((o) => o.crp_nbits)).toEqual([bits(q), bits(q)]);
        const [sr, ss] = r.results as [bigint, bigint];
        expect(dsaVerify(z, p, q, g, big(v['y']!), sr, ss)).toBe(true);
        expect(kop(m, CRK_DSA_VERIFY, [digest, p, q, g, big(v['y']!), sr, ss], 0).status).toBe(0);
      } else {
        const r = kop(m, CRK_DSA_VERIFY, [digest, p, q, g, big(v['y']!), big(v['r']!), big(v['s']!)], 0);
        expect(r.status, v['id']).toBe(String(v['valid']) === 'true' ? 0 : EBADMSG);
      }
    }
  });

  it('CRK_DH_COMPUTE_KEY [private, peer public, p] → [shared secret sized like p]: dh.json', () => {
    const m = kmachine(backend);
    for (const v of loadVectors<V>('dh')) {
      const p = big(v['p']!);
      const r = kop(m, CRK_DH_COMPUTE_KEY, [big(v['private']!), big(v['peer_public']!), [p, bits(p)]]);
      expect(r.status, v['id']).toBe(0);
      expect(r.results[0]).toBe(big(v['shared']!));
      expect(r.outs[0]!.crp_p.length).toBe(v['shared']!.length / 2);
    }
  });
});

describe('keying operations against node:crypto', () => {
  it.each([1024, 2048])('CRK_MOD_EXP_CRT equals OpenSSL\'s raw RSA private operation at %i bits', (modulusLength) => {
    const m = kmachine();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength });
    const j = privateKey.export({ format: 'jwk' });
    const b64 = (s: string | undefined): bigint => big(Buffer.from(s!, 'base64url').toString('hex'));
    const c = b64(j.n) >> 8n;
    const r = kop(m, CRK_MOD_EXP_CRT, [b64(j.p), b64(j.q), c, b64(j.dp), b64(j.dq), b64(j.qi)]);
    const input = Buffer.from(c.toString(16).padStart(modulusLength / 4, '0'), 'hex');
    const want = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, input);
    expect(r.status).toBe(0);
    expect(r.results[0]).toBe(big(want.toString('hex')));
  });

  it('CRK_DH_COMPUTE_KEY equals createDiffieHellman().computeSecret on the 2048-bit MODP group', () => {
    const m = kmachine();
    const a = getDiffieHellman('modp14');
    const bob = createDiffieHellman(a.getPrime(), a.getGenerator());
    a.generateKeys();
    bob.generateKeys();
    const p = big(a.getPrime('hex'));
    const r = kop(m, CRK_DH_COMPUTE_KEY, [big(a.getPrivateKey('hex')), big(bob.getPublicKey('hex')), [p, 2048]]);
    expect(r.status).toBe(0);
    expect(r.results[0]).toBe(big(a.computeSecret(bob.getPublicKey()).toString('hex')));
  });

  it('CRK_DSA_SIGN signatures verify with OpenSSL, and OpenSSL\'s verify with CRK_DSA_VERIFY', () => {
    const m = kmachine();
    const { privateKey, publicKey } = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
    const [p, q, g, x] = derDsaPrivate(privateKey.export({ format: 'der', type: 'pkcs8' }));
    const y = derDsaPublic(publicKey.export({ format: 'der', type: 'spki' }));
    const msg = Buffer.from('ocfsim cryptosoft');
    const z = big(createHash('sha1').update(msg).digest('hex'));
    for (let i = 0; i < 4; i++) {
      const r = kop(m, CRK_DSA_SIGN, [[z, 160], p, q, g, x], 2);
      const sig = Buffer.from(r.results.map((v) => v.toString(16).padStart(40, '0')).join(''), 'hex');
      expect(verify('sha1', msg, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
      const theirs = sign('sha1', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const [tr, ts] = [big(theirs.subarray(0, 20).toString('hex')), big(theirs.subarray(20).toString('hex'))];
      expect(kop(m, CRK_DSA_VERIFY, [[z, 160], p, q, g, y, tr, ts], 0).status).toBe(0);
      expect(kop(m, CRK_DSA_VERIFY, [[z ^ 1n, 160], p, q, g, y, tr, ts], 0).status).toBe(EBADMSG);
    }
  });
});

describe('bad keying requests end in a documented krp_status', () => {
  it.each([
    ['CRK_MOD_EXP', CRK_MOD_EXP, 3, 1],
    ['CRK_MOD_EXP_CRT', CRK_MOD_EXP_CRT, 6, 1],
    ['CRK_DSA_SIGN', CRK_DSA_SIGN, 5, 2],
    ['CRK_DSA_VERIFY', CRK_DSA_VERIFY, 7, 0],
    ['CRK_DH_COMPUTE_KEY', CRK_DH_COMPUTE_KEY, 3, 1],
  ])('%s with the wrong parameter counts is EINVAL', (_name, op, nin, nout) => {
    const m = kmachine();
    expect(kop(m, op, Array.from({ length: nin - 1 }, () => 7n), nout).status).toBe(EINVAL);
    expect(kop(m, op, Array.from({ length: nin }, () => 7n), nout + 1).status).toBe(EINVAL);
  });

  it('a zero modulus, a short crparam, an oversized input or a too-small output are refused', () => {
    const m = kmachine();
    expect(kop(m, CRK_MOD_EXP, [2n, 3n, 0n]).status).toBe(EINVAL);
    const short = crparamFromBigInt(5n, 8);
    short.crp_nbits = 64;
    expect(kop(m, CRK_MOD_EXP, [2n, 3n, short]).status).toBe(EINVAL);
    expect(kop(m, CRK_MOD_EXP, [2n, 3n, (1n << 8200n) + 1n]).status).toBe(E2BIG);
    const small = new crparam();
    small.crp_nbits = 8;
    small.crp_p = new Uint8Array(1);
    expect(kop(m, CRK_MOD_EXP, [2n, 3n, (1n << 100n) + 1n], [small]).status).toBe(E2BIG);
    expect(kop(m, CRK_DH_COMPUTE_KEY, [5n, 1n, 23n]).status).toBe(EINVAL);
    expect(kop(m, CRK_MOD_EXP, [5n, 3n, 1n]).results[0]).toBe(0n);
    expect(m.violationReport()).toBe('');
  });

  it('is never served by cryptosoft without kern.cryptodevallowsoft (ENODEV, as FreeBSD)', () => {
    const m = new Machine({ seed: 1 });
    expect(kop(m, CRK_MOD_EXP, [2n, 3n, 7n]).status).toBe(ENODEV);
  });

  it('draws DSA nonces from the seed: same seed, same signature; another seed, another one', () => {
    const v = loadVectors<V>('dsa')[0]!;
    const args = (): [bigint, number][] => [[big(v['digest']!), 160], ...['p', 'q', 'g', 'x'].map((f) => [big(v[f]!), bits(big(v[f]!))] as [bigint, number])];
    const a = kop(kmachine('noble', 9), CRK_DSA_SIGN, args(), 2).results;
    const b = kop(kmachine('openssl', 9), CRK_DSA_SIGN, args(), 2).results;
    const c = kop(kmachine('openssl', 10), CRK_DSA_SIGN, args(), 2).results;
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });
});

/** A minimal DER reader: the INTEGERs of a DSA PKCS#8 (p, q, g, x) and SPKI (y) key. */
function derIntegers(der: Uint8Array): bigint[] {
  const out: bigint[] = [];
  const walk = (b: Uint8Array): void => {
    let i = 0;
    while (i < b.length) {
      const tag = b[i++]!;
      let len = b[i++]!;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let k = 0; k < n; k++) len = (len << 8) | b[i++]!;
      }
      const body = b.subarray(i, i + len);
      i += len;
      if (tag === 0x02) out.push(BigInt(`0x${Buffer.from(body).toString('hex') || '0'}`));
      else if (tag === 0x30 || tag === 0x04) walk(body);
      else if (tag === 0x03) walk(body.subarray(1));
    }
  };
  walk(der);
  return out;
}

function derDsaPrivate(der: Uint8Array): [bigint, bigint, bigint, bigint] {
  const [, p, q, g, x] = derIntegers(der) as [bigint, bigint, bigint, bigint, bigint];
  return [p, q, g, x];
}

function derDsaPublic(der: Uint8Array): bigint {
  return derIntegers(der)[3]!;
}
