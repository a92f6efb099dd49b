/**
 * The rings under load: many requests in flight wrap every ring many times, a full ring sends the
 * framework ERESTART and the interrupt handler's crypto_unblock lets the queue drain, and results
 * posted under CRYPTO_HINT_MORE with hw.hifn.maxbatch > 1 share one interrupt.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTOCAP_F_HARDWARE, CRYPTO_3DES_CBC, CRYPTO_F_BATCH, CRYPTO_SHA1_HMAC } from '../../../framework/constants.js';
import type { cryptop } from '../../../framework/structs.js';
import { HIFN_D_CMD_RSIZE, HIFN_D_SRC_RSIZE } from '../../../devices/hifn/regs.js';
import type { Machine } from '../../../lab/machine.js';
import { HIFN_BENCH_ALGS, hifnMachine, hifnThroughput } from '../../../bench/hifn.bench.js';
import { boot, consumer, expected, fillRequest, makeBuffer, sessionFor, type AlgCase, type Layout } from './harness.js';

const ESP: AlgCase = { name: '3des-sha1-96', cipher: CRYPTO_3DES_CBC, mac: CRYPTO_SHA1_HMAC, mlen: 12 };

/** Dispatch `n` ESP requests at once from one thread; check every result; return the outcome. */
function burst(m: Machine, n: number, o: { batch?: boolean; segments?: number[]; payload?: number } = {}) {
  const ck = m.prng.stream('k').bytes(24);
  const mk = m.prng.stream('k').bytes(20);
  const iv = m.prng.stream('k').bytes(8);
  const L: Layout = { hdr: 8, payload: o.payload ?? 64, tag: 12 };
  const total = L.hdr + L.payload + L.tag;
  const res = { done: 0, bad: 0, callbacks: 0 };
  consumer(m, function* (td) {
    const { error, sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
    expect(error).toBe(0);
    const chan = {};
    for (let i = 0; i < n; i++) {
      const input = m.prng.stream('d').bytes(total);
      const b = makeBuffer(m, 'mbuf', input, o.segments);
      const want = expected(ESP, L, input, ck, mk, iv);
      const crp = m.crypto.crypto_getreq(2)!;
      crp.crp_sid = sid;
      crp.crp_flags = b.flags | (o.batch ? CRYPTO_F_BATCH : 0);
      crp.crp_buf = b.buf;
      crp.crp_ilen = total;
      fillRequest(crp, ESP, L, ck, mk, iv);
      crp.crp_callback = (c: cryptop) => {
        res.callbacks++;
        if (c.crp_etype !== 0 || !Buffer.from(b.read(c)).equals(Buffer.from(want))) res.bad++;
        res.done++;
        m.scheduler.wakeup(chan);
      };
      m.crypto.crypto_dispatch(crp);
    }
    while (res.done < n) yield td.msleep(chan, 'burst');
  });
  return res;
}

describe('Hifn rings', () => {
  it('wraps the command, source, destination and result rings at least ten times without losing or corrupting a request', () => {
    const { m, cards, devs } = boot({ parts: ['7956'] });
    const n = 400;
    const res = burst(m, n, { segments: [24, 28, 32] }); // 84 bytes in 3 mbufs: 3 src and 3 dst descriptors each
    m.run();
    expect(res).toEqual({ done: n, bad: 0, callbacks: n });
    expect(m.violationReport()).toBe('');
    const p = cards[0]!.pipeline;
    // Each ring's cursor jumps back once per lap.
    expect(p.rings.cmd.ring.stats.wraps).toBeGreaterThanOrEqual(Math.floor(n / HIFN_D_CMD_RSIZE));
    expect(p.rings.res.ring.stats.wraps).toBeGreaterThanOrEqual(10);
    expect(p.rings.src.ring.stats.wraps).toBeGreaterThanOrEqual(Math.floor((3 * n) / HIFN_D_SRC_RSIZE));
    expect(p.rings.src.ring.stats.wraps).toBeGreaterThanOrEqual(10);
    expect(p.rings.dst.ring.stats.wraps).toBeGreaterThanOrEqual(10);
    const sc = devs[0]!.softc!;
    expect(sc.stats.hst_opackets).toBe(n);
    expect([sc.sc_cmdu, sc.sc_srcu, sc.sc_dstu, sc.sc_resu]).toEqual([0, 0, 0, 0]);
  });

  it('answers ERESTART when the rings are full, and its interrupt handler unblocks the queue until all complete', () => {
    const { m, devs } = boot({ parts: ['7751'] });
    const n = 100;
    const res = burst(m, n, { payload: 1024 });
    m.run();
    const sc = devs[0]!.softc!;
    expect(res).toEqual({ done: n, bad: 0, callbacks: n });
    expect(sc.stats.hst_nomem_cr).toBeGreaterThan(0); // ERESTART: out of command/result descriptors
    expect(m.crypto.cryptostats.cs_blocks).toBeGreaterThan(0); // the framework blocked the driver ...
    expect(m.crypto.drivers.slots[sc.sc_cid]!.cc_qblocked).toBe(0); // ... and crypto_unblock released it
    expect(m.violationReport()).toBe('');
  });

  it('runs out of source descriptors before command slots with many-fragment buffers, and still drains', () => {
    const { m, devs } = boot({ parts: ['7951'] });
    const n = 60;
    // 20 mbufs per request: four requests fill the 84-entry source ring.
    const res = burst(m, n, { payload: 1576, segments: Array.from({ length: 19 }, () => 80) });
    m.run();
    const sc = devs[0]!.softc!;
    expect(res).toEqual({ done: n, bad: 0, callbacks: n });
    expect(sc.stats.hst_nomem_sd).toBeGreaterThan(0);
    expect(m.violationReport()).toBe('');
  });

  it('coalesces completion interrupts with MASKDONEIRQ when hw.hifn.maxbatch > 1 and the framework hints more work', () => {
    const run = (maxbatch: number) => {
      const { m, devs } = boot({ parts: ['7956'], driver: { maxbatch } });
      const n = 96;
      const res = burst(m, n, { batch: true, payload: 256 });
      m.run();
      expect(res).toEqual({ done: n, bad: 0, callbacks: n });
      expect(m.violationReport()).toBe('');
      return devs[0]!.softc!.stats;
    };
    const one = run(1);
    const eight = run(8);
    expect(eight.hst_totbatch).toBeGreaterThan(one.hst_totbatch);
    expect(eight.hst_maxbatch).toBeGreaterThan(1);
    expect(eight.interrupts).toBeLessThan(one.interrupts);
  });

  it('loses no completion that lands between the handler reading DMA_CSR and acknowledging it', () => {
    // Small MAC-only requests complete every few microseconds: some finish while hifn_intr runs.
    const { m, devs } = hifnMachine(['7956']);
    const r = hifnThroughput(m, devs, HIFN_BENCH_ALGS.find((a) => a.name === 'sha1-hmac-96')!, 64, 400, 32);
    expect(r.requests).toBe(400); // hifnThroughput throws if any request never completes
    expect(r.violations).toBe(0);
  });
});
