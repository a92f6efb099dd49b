/**
 * cryptosoft's keying operations through crypto_kdispatch (kern.cryptodevallowsoft=1, without which
 * crypto_kinvoke never picks a software driver): the published vectors and the statuses of bad
 * requests. keying-openssl.test.ts compares with node:crypto at 512 to 4096 bits.
 */
import { describe, expect, it } from 'vitest';
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
import { crparam, crparamFromBigInt } from '../../../framework/structs.js';
import { Machine } from '../../../lab/machine.js';
import { BACKEND_NAMES, loadVectors } from './helpers.js';
import { big, bits, kmachine, kop } from './keying-helpers.js';

type V = Record<string, string>;

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
