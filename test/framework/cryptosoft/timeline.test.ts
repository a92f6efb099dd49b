/**
 * Simulated time and determinism: cryptosoft charges the running thread from the cost table
 * (framework/swcosts.ts), so the timeline is the same whichever backend computed the bytes and
 * never depends on the host; generated IVs come from the seed.
 */
import { describe, expect, it } from 'vitest';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRK_MOD_EXP_CRT,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_128_NIST_GMAC,
  CRYPTO_AES_CBC,
  CRYPTO_AES_ICM,
  CRYPTO_AES_NIST_GCM_16,
  CRYPTO_AES_XTS,
  CRYPTO_ARC4,
  CRYPTO_DEFLATE_COMP,
  CRYPTO_F_IMBUF,
  CRYPTO_MD5_KPDK,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
} from '../../../framework/constants.js';
import { AMD64_2015_SWCOSTS, cpbFor } from '../../../framework/swcosts.js';
import { cryptkop, crparamFromBigInt, type cryptodesc, type cryptop } from '../../../framework/structs.js';
import { Priority } from '../../../sim/cpu.js';
import { m_freem, m_fromBytes, m_toBytes } from '../../../sim/mbuf.js';
import { createHash } from 'node:crypto';
import type { Machine } from '../../../lab/machine.js';
import { cri, fillDesc, filler, loadVectors, machine, type DescSpec, type IniSpec } from './helpers.js';

interface Job {
  ini: IniSpec[];
  descs: (len: number) => DescSpec[];
  lens: number[];
}

const K16 = filler(16, 1);
const TEXTY = (n: number): Uint8Array => new TextEncoder().encode('abcabcabd '.repeat(Math.ceil(n / 10))).subarray(0, n);

const JOBS: Job[] = [
  {
    ini: [{ alg: CRYPTO_AES_CBC, key: K16 }, { alg: CRYPTO_SHA1_HMAC, key: filler(20, 2), mlen: 12 }],
    descs: (len) => [
      { alg: CRYPTO_AES_CBC, skip: 16, len, inject: 0, flags: CRD_F_ENCRYPT },
      { alg: CRYPTO_SHA1_HMAC, skip: 0, len: 16 + len, inject: 16 + len },
    ],
    lens: [64, 1024, 1504],
  },
  {
    ini: [{ alg: CRYPTO_AES_NIST_GCM_16, key: K16 }, { alg: CRYPTO_AES_128_NIST_GMAC, key: K16 }],
    descs: (len) => [
      { alg: CRYPTO_AES_NIST_GCM_16, skip: 28, len: len - 16, inject: 16, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT, iv: filler(12, len), klen: 128 },
      { alg: CRYPTO_AES_128_NIST_GMAC, skip: 0, len: 16, inject: 12 + len, klen: 128 },
    ],
    lens: [100, 1400],
  },
  { ini: [{ alg: CRYPTO_3DES_CBC, key: filler(24, 3) }], descs: (len) => [{ alg: CRYPTO_3DES_CBC, skip: 8, len, inject: 0, flags: CRD_F_ENCRYPT }], lens: [8, 512] },
  { ini: [{ alg: CRYPTO_AES_ICM, key: filler(32, 4) }], descs: (len) => [{ alg: CRYPTO_AES_ICM, skip: 0, len, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv: filler(16, 5) }], lens: [1, 777] },
  { ini: [{ alg: CRYPTO_AES_XTS, key: filler(64, 6) }], descs: (len) => [{ alg: CRYPTO_AES_XTS, skip: 0, len, flags: CRD_F_ENCRYPT | CRD_F_IV_PRESENT }], lens: [512] },
  { ini: [{ alg: CRYPTO_ARC4, key: filler(5, 7) }], descs: (len) => [{ alg: CRYPTO_ARC4, skip: 0, len, flags: CRD_F_ENCRYPT }], lens: [300] },
  { ini: [{ alg: CRYPTO_MD5_KPDK, key: filler(9, 8) }, { alg: CRYPTO_SHA1 }], descs: (len) => [
    { alg: CRYPTO_MD5_KPDK, skip: 0, len, inject: len },
    { alg: CRYPTO_SHA1, skip: 0, len, inject: len + 16 },
  ], lens: [200] },
  { ini: [{ alg: CRYPTO_DEFLATE_COMP }], descs: (len) => [{ alg: CRYPTO_DEFLATE_COMP, skip: 0, len, flags: CRD_F_ENCRYPT }], lens: [2000, 4000] },
];

/** A consumer thread submits every job (mbuf chains, results via crypto_ret_proc) and one CRT op. */
function workload(m: Machine): string[] {
  const results: string[] = [];
  m.sysctl('kern.cryptodevallowsoft', 1);
  m.scheduler.spawn('consumer', Priority.User, function* (td) {
    for (const job of JOBS) {
      const { error, sid } = m.crypto.crypto_newsession(cri(...job.ini), CRYPTOCAP_F_SOFTWARE);
      expect(error).toBe(0);
      for (const len of job.lens) {
        const data = job.ini[0]!.alg === CRYPTO_DEFLATE_COMP ? TEXTY(len) : filler(len + 80, len);
        const chain = m_fromBytes(m.mem, data, { segments: [5, 0, 33, 7] });
        const descs = job.descs(len);
        const crp: cryptop = m.crypto.crypto_getreq(descs.length)!;
        let d: cryptodesc | null = crp.crp_desc;
        for (const s of descs) {
          fillDesc(d!, s);
          d = d!.crd_next;
        }
        crp.crp_sid = sid;
        crp.crp_flags = CRYPTO_F_IMBUF;
        crp.crp_buf = chain;
        crp.crp_callback = (c) => {
          results.push(`${c.crp_etype}/${c.crp_olen}/${createHash('sha256').update(m_toBytes(chain)).digest('hex')}`);
          m_freem(chain);
        };
        m.crypto.crypto_dispatch(crp);
        yield td.yieldCpu();
      }
    }
    const v = loadVectors<Record<string, string>>('rsa-crt')[0]!;
    const krp = new cryptkop();
    krp.krp_op = CRK_MOD_EXP_CRT;
    krp.krp_crid = CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE;
    krp.krp_iparams = 6;
    krp.krp_oparams = 1;
    ['p', 'q', 'input', 'dp', 'dq', 'qinv'].forEach((f, i) => (krp.krp_param[i] = crparamFromBigInt(BigInt(`0x${v[f]}`))));
    krp.krp_callback = (k) => {
      results.push(`k${k.krp_status}`);
    };
    m.crypto.crypto_kdispatch(krp);
  });
  m.run();
  return results;
}

describe('the simulated timeline', () => {
  it('is identical whichever backend computed the bytes (trace hashes, results, CPU time)', () => {
    const runs = (['noble', 'openssl'] as const).map((backend) => {
      const m = machine(backend, { seed: 3, trace: true });
      const results = workload(m);
      expect(m.violationReport()).toBe('');
      const consumer = m.scheduler.threadUsage().find((t) => t.name === 'consumer')!;
      return { results, hash: m.trace.hash(), now: m.now, cpu: consumer.cpuTimePs, events: m.trace.all.length };
    });
    expect(runs[0]!.results).toHaveLength(JOBS.reduce((n, j) => n + j.lens.length, 0) + 1);
    expect(runs[0]!.results.filter((r) => !(r.startsWith('0/') || r === 'k0'))).toEqual([]);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]!.cpu).toBeGreaterThan(0);
  });

  it('is the same run after run with the same seed, and generated IVs follow the seed', () => {
    const a = workload(machine('openssl', { seed: 11 }));
    const b = workload(machine('openssl', { seed: 11 }));
    const c = workload(machine('openssl', { seed: 12 }));
    expect(b).toEqual(a);
    // The AES-CBC job generates its IVs: another seed gives other ciphertexts.
    expect(c[0]).not.toEqual(a[0]);
    // The GCM job has explicit IVs only: the same bytes under any seed.
    expect(c[3]).toEqual(a[3]);
  });

  it('charges cryptosoft\'s work to the calling thread from the cost table, per byte and per request', () => {
    const m = machine('openssl', { trace: true });
    const { sid } = m.crypto.crypto_newsession(cri({ alg: CRYPTO_AES_CBC, key: K16 }), CRYPTOCAP_F_SOFTWARE);
    m.scheduler.spawn('consumer', Priority.User, function* () {
      for (const len of [1024, 2048]) {
        const crp = m.crypto.crypto_getreq(1)!;
        fillDesc(crp.crp_desc!, { alg: CRYPTO_AES_CBC, skip: 0, len, flags: CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT, iv: K16 });
        crp.crp_sid = sid;
        crp.crp_buf = new Uint8Array(len);
        crp.crp_callback = () => {};
        m.crypto.crypto_dispatch(crp);
      }
    });
    m.run();
    const cycles = m.trace.all.filter((e) => e.kind === 'swcr.process').map((e) => Number(e.fields!['cycles']));
    const c = AMD64_2015_SWCOSTS;
    const per = (len: number): number =>
      c.process + c.descriptor + 2 * (c.copyPerCall + len * c.copyPerByte) + c.alg[CRYPTO_AES_CBC]!.setup + len * cpbFor(c.alg[CRYPTO_AES_CBC]!, 16);
    expect(cycles).toEqual([per(1024), per(2048)]);
    const thread = m.scheduler.threadUsage().find((t) => t.name === 'consumer')!;
    expect(thread.cpuTimePs).toBeGreaterThan(m.scheduler.clock.cyclesToPs(per(1024) + per(2048)));
  });
});
