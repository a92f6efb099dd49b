/**
 * Hifn 7751 and 7956: simulated throughput (Mbit/s of simulated time) per algorithm and packet
 * size, with the host time each simulated request costs; and the two calibration experiments of
 * docs/devices/hifn.md (Miltchev 2002 small packets, Keromytis 2003 several cards).
 *
 * Throughput is measured the way cryptotest(8) does it: one consumer keeps `window` requests in
 * flight on one session (each callback dispatches the next), mbuf buffers as IPsec hands them over,
 * and the rate is the bytes of the requests completed between the first dispatch and the last
 * callback. Host time is read here only, never inside the simulation.
 *
 * @example
 *   for (const r of hifnBench()) console.log(format(r));
 */
import { performance } from 'node:perf_hooks';
import { Machine } from '../lab/machine.js';
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTOCAP_F_HARDWARE,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_ARC4,
  CRYPTO_DES_CBC,
  CRYPTO_F_IMBUF,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_SHA1,
  CRYPTO_SHA1_HMAC,
} from '../framework/constants.js';
import { cryptoini, type cryptop } from '../framework/structs.js';
import { ClockDomain } from '../sim/clock.js';
import { m_fromBytes } from '../sim/mbuf.js';
import { PciBus } from '../sim/pci.js';
import { Priority } from '../sim/cpu.js';
import { PENTIUM4_2003_SWCOSTS, swcrAlgCycles } from '../framework/swcosts.js';
import { HifnModel, HIFN_TIMING, hifnDriver, type HifnPartName } from '../devices/hifn/index.js';
import type { BenchResult } from './harness.js';

export interface HifnAlg {
  name: string;
  cipher?: number;
  mac?: number;
  keyBytes: number;
}

export const HIFN_BENCH_ALGS: readonly HifnAlg[] = [
  { name: 'des-cbc', cipher: CRYPTO_DES_CBC, keyBytes: 8 },
  { name: '3des-cbc', cipher: CRYPTO_3DES_CBC, keyBytes: 24 },
  { name: 'aes128-cbc', cipher: CRYPTO_AES_CBC, keyBytes: 16 },
  { name: 'arc4', cipher: CRYPTO_ARC4, keyBytes: 16 },
  { name: 'md5', mac: CRYPTO_MD5, keyBytes: 0 },
  { name: 'sha1', mac: CRYPTO_SHA1, keyBytes: 0 },
  { name: 'md5-hmac-96', mac: CRYPTO_MD5_HMAC, keyBytes: 16 },
  { name: 'sha1-hmac-96', mac: CRYPTO_SHA1_HMAC, keyBytes: 20 },
  { name: '3des+sha1-96', cipher: CRYPTO_3DES_CBC, mac: CRYPTO_SHA1_HMAC, keyBytes: 24 },
];

export const HIFN_BENCH_SIZES = [64, 256, 1024, 1500, 8192] as const;

export interface HifnRun {
  /** Simulated throughput of the payload, Mbit/s. */
  mbps: number;
  /** Simulated time per request in steady state, µs. */
  usPerOp: number;
  /** Host time per simulated request, µs. */
  hostUsPerReq: number;
  requests: number;
  violations: number;
}

/** A machine with `parts` attached: on the CardBus slots, or on a second PCI bus (64-bit/66 MHz with `wide`). */
export function hifnMachine(parts: HifnPartName[], o: { wide?: boolean; seed?: number } = {}): { m: Machine; devs: string[] } {
  const m = new Machine({ seed: o.seed ?? 1, slots: 2, cryptoBackend: 'auto' });
  const driver = hifnDriver({ crypto: m.crypto, prng: m.prng.stream('hifn.iv') });
  if (o.wide) {
    const bus = new PciBus({
      engine: m.engine, scheduler: m.scheduler, mem: m.mem, violations: m.violations, trace: m.trace, dmaChecker: m.busdma,
      tree: m.tree, intc: m.intc, clock: ClockDomain.PCI66, widthBytes: 8, name: 'pci1',
    });
    bus.addDriver(driver);
    parts.forEach((part, i) => bus.addCard(new HifnModel({ part, trace: m.trace }), 4 + i));
  } else {
    m.bus.addDriver(driver);
    parts.forEach((part, i) => m.cardbus.insert(i, new HifnModel({ part, trace: m.trace })));
  }
  m.runUntil(m.now + 200_000_000_000);
  const devs = parts.map((_, i) => `hifn${i}`);
  for (const d of devs) if (!m.tree.find(d)) throw new Error(`${d} did not attach`);
  return { m, devs };
}

/**
 * Keep `window` requests of `size` bytes in flight on each listed card (one session per card,
 * pinned to it) until `perCard` requests each have completed.
 */
export function hifnThroughput(m: Machine, cards: string[], alg: HifnAlg, size: number, perCard: number, window = 32): HifnRun {
  const key = new Uint8Array(alg.keyBytes).map((_, i) => 0x11 * (i + 1));
  let bytes = 0;
  let first = -1;
  let last = 0;
  let completed = 0;
  const total = perCard * cards.length;
  const host0 = performance.now();
  const v0 = m.violations.all.length;
  for (const name of cards) {
    const hid = m.crypto.crypto_find_driver(name);
    m.scheduler.spawn(`bench ${name}`, Priority.User, function* (td) {
      const cri = new cryptoini({ cri_alg: (alg.cipher ?? alg.mac)!, cri_klen: alg.keyBytes * 8, cri_key: key });
      if (alg.cipher && alg.mac) cri.cri_next = new cryptoini({ cri_alg: alg.mac, cri_klen: 160, cri_key: key.subarray(0, 20), cri_mlen: 12 });
      else if (alg.mac) cri.cri_mlen = alg.mac === CRYPTO_MD5 || alg.mac === CRYPTO_SHA1 ? 0 : 12;
      const { error, sid } = m.crypto.crypto_newsession(cri, hid);
      if (error) throw new Error(`hifn bench: newsession on ${name}: ${error}`);
      let issued = 0;
      const make = (): cryptop => {
        const crp = m.crypto.crypto_getreq(alg.cipher && alg.mac ? 2 : 1)!;
        crp.crp_sid = sid;
        crp.crp_flags = CRYPTO_F_IMBUF;
        const tag = alg.mac ? 20 : 0;
        crp.crp_buf = m_fromBytes(m.mem, new Uint8Array(size + tag));
        const d = crp.crp_desc!;
        if (alg.cipher) {
          // A packet that is not whole cipher blocks is encrypted up to its last whole block.
          const block = alg.cipher === CRYPTO_AES_CBC ? 16 : alg.cipher === CRYPTO_ARC4 ? 1 : 8;
          d.crd_alg = alg.cipher;
          d.crd_len = size - (size % block);
          d.crd_key = key;
          d.crd_klen = alg.keyBytes * 8;
          d.crd_flags = CRD_F_ENCRYPT | CRD_F_IV_EXPLICIT | CRD_F_IV_PRESENT;
        }
        const md = alg.cipher ? d.crd_next : d;
        if (md && alg.mac) {
          md.crd_alg = alg.mac;
          md.crd_len = size;
          md.crd_inject = size;
          md.crd_key = key.subarray(0, 20);
          md.crd_klen = alg.mac === CRYPTO_MD5_HMAC ? 128 : 160;
        }
        crp.crp_callback = (c) => {
          completed++;
          bytes += size;
          last = m.scheduler.localNow();
          if (issued < perCard) {
            issued++;
            m.crypto.crypto_dispatch(c);
          }
        };
        return crp;
      };
      if (first < 0) first = td.localTime;
      for (let i = 0; i < Math.min(window, perCard); i++) {
        issued++;
        m.crypto.crypto_dispatch(make());
      }
    });
  }
  m.run();
  const hostUs = (performance.now() - host0) * 1000;
  if (completed !== total) throw new Error(`hifn bench: ${completed}/${total} requests completed`);
  const ps = last - first;
  return { mbps: (bytes * 8 * 1e6) / ps, usPerOp: ps / 1e6 / total, hostUsPerReq: hostUs / total, requests: total, violations: m.violations.all.length - v0 };
}

/** Engine-only peak of a part for 3DES (Mbit/s): 8 bytes per tdesCyclesPerBlock at the core clock. */
export function hifn3desPeakMbps(part: HifnPartName): number {
  const T = HIFN_TIMING[part];
  return (8 * 8 * T.coreHz.value) / T.tdesCyclesPerBlock.value / 1e6;
}

/**
 * Miltchev et al. 2002: for 40-byte packets, card setup, PCI transfers and interrupt handling cost
 * about as much as software encryption did. Measured here on one unloaded 40-byte 3DES +
 * HMAC-SHA1-96 request: its latency minus the engine's own crypto time (the overhead), against the
 * same work in software on a ~1 GHz host of 2002 (PENTIUM4_2003_SWCOSTS cycle counts: cryptosoft's
 * request handling, 3DES and HMAC-SHA1 over 40 bytes).
 */
export function hifnMiltchev(part: HifnPartName): { latencyUs: number; engineUs: number; overheadUs: number; softwareUs: number } {
  const { m, devs } = hifnMachine([part]);
  const run = hifnThroughput(m, devs, HIFN_BENCH_ALGS.find((a) => a.name === '3des+sha1-96')!, 40, 20, 1);
  const T = HIFN_TIMING[part];
  const engineCycles = T.opSetupCycles.value + Math.max(5 * T.tdesCyclesPerBlock.value, (1 + T.hmacExtraBlocks.value) * T.sha1CyclesPerBlock.value);
  const engineUs = (engineCycles / T.coreHz.value) * 1e6;
  const c = PENTIUM4_2003_SWCOSTS;
  const cycles = c.process + 2 * c.descriptor + swcrAlgCycles(c, CRYPTO_3DES_CBC, 40, 24) + swcrAlgCycles(c, CRYPTO_SHA1_HMAC, 40, 20);
  return { latencyUs: run.usPerOp, engineUs, overheadUs: run.usPerOp - engineUs, softwareUs: cycles / 1000 };
}

/** Keromytis et al. 2003: `n` cards of `part` on one 64-bit/66 MHz bus, 3DES, 8 KiB packets. */
export function hifnKeromytis(part: HifnPartName, n: number): { aggregateMbps: number; peakMbps: number; fraction: number } {
  const { m, devs } = hifnMachine(Array.from({ length: n }, () => part), { wide: true });
  const run = hifnThroughput(m, devs, HIFN_BENCH_ALGS.find((a) => a.name === '3des-cbc')!, 8192, 60, 16);
  const peak = n * hifn3desPeakMbps(part);
  return { aggregateMbps: run.mbps, peakMbps: peak, fraction: run.mbps / peak };
}

export function hifnBench(): BenchResult[] {
  const results: BenchResult[] = [];
  for (const part of ['7751', '7956'] as const) {
    for (const alg of HIFN_BENCH_ALGS) {
      if (alg.cipher === CRYPTO_AES_CBC && part === '7751') continue;
      for (const size of HIFN_BENCH_SIZES) {
        const { m, devs } = hifnMachine([part]);
        const r = hifnThroughput(m, devs, alg, size, size >= 4096 ? 60 : 200);
        results.push({ name: `hifn ${part} ${alg.name.padEnd(12)} ${String(size).padStart(5)} B  [host ${r.hostUsPerReq.toFixed(0)} us/req]`, value: r.mbps, unit: 'Mbit/s sim' });
      }
    }
  }
  const mil = hifnMiltchev('7751');
  results.push({ name: `hifn 7751 40 B 3des+sha1 overhead us (software ${mil.softwareUs.toFixed(1)} us)`, value: mil.overheadUs, unit: 'us sim' });
  for (const [part, n] of [['7751', 8], ['7956', 4]] as const) {
    const k = hifnKeromytis(part, n);
    results.push({ name: `hifn ${n}x${part} 3des 8 KiB aggregate (${(100 * k.fraction).toFixed(1)}% of peak)`, value: k.aggregateMbps, unit: 'Mbit/s sim', target: 800 });
  }
  return results;
}
