/**
 * The hot-eject contract (DESIGN.md): the card leaves with requests on it; detach unregisters,
 * stops the card and completes each request still on it with EAGAIN; a consumer that resubmits on
 * EAGAIN (as crypto(9) says) ends on cryptosoft through session migration. Every dispatch gets
 * exactly one callback; no request is lost; every final result is right.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTOCAP_F_HARDWARE, CRYPTO_3DES_CBC, CRYPTO_SHA1_HMAC, EAGAIN } from '../../../framework/constants.js';
import { crypto_copyback } from '../../../framework/criov.js';
import type { cryptop } from '../../../framework/structs.js';
import type { EjectMode } from '../../../sim/hotplug.js';
import { US, boot, consumer, expected, fillRequest, makeBuffer, sessionFor, type AlgCase, type BufKind, type Layout } from './harness.js';

const ESP: AlgCase = { name: '3des-sha1-96', cipher: CRYPTO_3DES_CBC, mac: CRYPTO_SHA1_HMAC, mlen: 12 };

function ejectMidFlight(mode: EjectMode, part: '7751' | '7956', afterUs: number) {
  const { m, devs } = boot({ parts: [part] });
  const ck = m.prng.stream('k').bytes(24);
  const mk = m.prng.stream('k').bytes(20);
  const iv = m.prng.stream('k').bytes(8);
  const L: Layout = { hdr: 8, payload: 1024, tag: 12 };
  const total = L.hdr + L.payload + L.tag;
  const n = 40;
  const kinds: BufKind[] = ['mbuf', 'uio', 'contig'];
  const stats = { dispatches: 0, callbacks: 0, eagain: 0, final: 0, bad: 0, finalOnHifn: 0 };
  const perReq = new Map<cryptop, { dispatched: number; called: number }>();
  const hifnHid = devs[0]!.softc!.sc_cid;
  let start = 0;
  consumer(m, function* (td) {
    const { error, sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
    expect(error).toBe(0);
    expect(Number(sid >> 32n) & 0xffffff).toBe(hifnHid);
    const chan = {};
    start = td.localTime;
    for (let i = 0; i < n; i++) {
      const input = m.prng.stream('d').bytes(total);
      const kind = kinds[i % 3]!;
      // Every fourth mbuf request is misaligned, so a bounce chain is in flight too.
      const b = makeBuffer(m, kind, input, kind === 'mbuf' && i % 4 === 0 ? [3, 500] : undefined);
      const want = expected(ESP, L, input, ck, mk, iv);
      const crp = m.crypto.crypto_getreq(2)!;
      crp.crp_sid = sid;
      crp.crp_flags = b.flags;
      crp.crp_buf = b.buf;
      crp.crp_ilen = total;
      fillRequest(crp, ESP, L, ck, mk, iv);
      perReq.set(crp, { dispatched: 0, called: 0 });
      const dispatch = (c: cryptop): void => {
        stats.dispatches++;
        perReq.get(c)!.dispatched++;
        m.crypto.crypto_dispatch(c);
      };
      crp.crp_callback = (c: cryptop) => {
        stats.callbacks++;
        perReq.get(c)!.called++;
        if (c.crp_etype === EAGAIN) {
          // A careful consumer: the card may have written part of the buffer in place.
          stats.eagain++;
          crypto_copyback(c.crp_flags, c.crp_buf!, 0, total, input, m.mem);
          dispatch(c);
          return;
        }
        stats.final++;
        if ((Number(c.crp_sid >> 32n) & 0xffffff) === hifnHid) stats.finalOnHifn++;
        if (c.crp_etype !== 0 || !Buffer.from(b.read(c)).equals(Buffer.from(want))) stats.bad++;
        m.scheduler.wakeup(chan);
      };
      dispatch(crp);
    }
    while (stats.final < n) yield td.msleep(chan, 'drain');
  });
  m.runUntil(m.now + 1 * US);
  m.cardbus.eject(0, mode, start + afterUs * US);
  m.run();
  return { m, stats, perReq, n };
}

describe('Hifn hot eject', () => {
  for (const mode of ['surprise', 'orderly'] as const) {
    for (const part of ['7751', '7956'] as const) {
      it(`${mode} eject of a ${part} mid-flight: every dispatch gets one callback, EAGAIN migrates the rest to cryptosoft, nothing is lost`, () => {
        const { m, stats, perReq, n } = ejectMidFlight(mode, part, part === '7751' ? 400 : 150);
        expect(stats.final).toBe(n);
        expect(stats.bad).toBe(0);
        expect(stats.callbacks).toBe(stats.dispatches);
        for (const r of perReq.values()) expect(r.called).toBe(r.dispatched);
        // Some finished on the card before it left, the others were completed by detach and moved.
        expect(stats.finalOnHifn).toBeGreaterThan(0);
        expect(stats.finalOnHifn).toBeLessThan(n);
        expect(stats.eagain).toBeGreaterThan(0);
        expect(m.violations.all.filter((v) => v.kind === 'lost-request')).toEqual([]);
        expect(m.violationReport()).toBe('');
        expect(m.console.some((l) => /request\(s\) in flight completed with EAGAIN/.test(l.text))).toBe(true);
        expect(m.busdma.loadedMaps).toBe(0);
        expect(m.cardbus.slots[0]!.state).toBe('empty');
      });
    }
  }

  it('frees the driver slot once migration has moved its last session away (the tombstone does not linger)', () => {
    const { m } = ejectMidFlight('surprise', '7751', 300);
    const slot = m.crypto.drivers.slots[1]!;
    expect(slot.cc_dev).toBeNull();
    expect(slot.isTombstone).toBe(false);
    expect(m.crypto.outstanding).toBe(0);
  });
});
