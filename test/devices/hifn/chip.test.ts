/**
 * Chip-level behaviour seen through the driver: the unlock handshake and its quirks (hw.md §2.8),
 * the 795x public-key unit doing modular exponentiation, the 4-byte DMA rules, key hygiene, the
 * FreeBSD HMAC truncation quirk, a PCI abort, and determinism.
 */
import { describe, expect, it } from 'vitest';
import {
  CRK_MOD_EXP,
  CRYPTOCAP_F_HARDWARE,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_DES_CBC,
  CRYPTO_SHA1_HMAC,
  EAGAIN,
  EINVAL,
} from '../../../framework/constants.js';
import { cryptkop, crparamFromBigInt, crparamToBigInt, type cryptop } from '../../../framework/structs.js';
import { device_detach, device_probe_and_attach } from '../../../sim/newbus.js';
import { DMA_COMMAND_BUFS, DMA_RESULT_BUFS } from '../../../devices/hifn/driver-softc.js';
import { HIFN_PUSTAT_ENA_0 } from '../../../devices/hifn/regs.js';
import { US, backend, boot, consumer, dispatchAndWait, expected, fillRequest, makeBuffer, sessionFor, type AlgCase, type Layout } from './harness.js';

const ESP: AlgCase = { name: '3des-sha1-96', cipher: CRYPTO_3DES_CBC, mac: CRYPTO_SHA1_HMAC, mlen: 12 };

function registered(m: ReturnType<typeof boot>['m'], hid: number): number[] {
  const cap = m.crypto.drivers.slots[hid]!;
  return [...cap.cc_alg].flatMap((v, alg) => (v ? [alg] : []));
}

describe('Hifn unlock handshake', () => {
  it('unlocks a fresh chip to ENA_2 and registers the strong algorithms (AES only on the 795x)', () => {
    const { m, cards, devs } = boot({ parts: ['7751', '7956'] });
    expect(cards[0]!.stats.unlocks).toBe(1);
    expect(registered(m, devs[0]!.softc!.sc_cid)).toEqual([1, 2, 6, 7, 12, 13, 14]);
    expect(registered(m, devs[1]!.softc!.sc_cid)).toEqual([1, 2, 6, 7, 11, 12, 13, 14]);
    expect(m.crypto.drivers.slots[devs[1]!.softc!.sc_cid]!.cc_kalg[CRK_MOD_EXP]).toBe(1);
    expect(m.crypto.drivers.slots[devs[0]!.softc!.sc_cid]!.cc_kalg[CRK_MOD_EXP]).toBe(0);
  });

  it('locks the chip until power is cycled when it is unlocked twice, and then nothing is registered', () => {
    const { m, cards, devs } = boot({ parts: ['7751'], driver: { forceUnlock: true } });
    const card = cards[0]!;
    // Attach unlocked it once; reloading a driver that does not check the level unlocks it again.
    m.tree.bootThread.enqueue(function* () {
      yield* device_detach(devs[0]!);
      yield* device_probe_and_attach(devs[0]!);
    });
    m.run();
    expect(card.stats.doubleUnlocks).toBe(1);
    expect(card.enableLevel).toBe(HIFN_PUSTAT_ENA_0);
    const dev = m.tree.find('hifn0')!;
    expect(registered(m, (dev.softc as { sc_cid: number }).sc_cid)).toEqual([]);
    expect(m.console.some((l) => /Engine is permanently locked/.test(l.text))).toBe(true);
    // Only power brings it back: pulled and put back in, it unlocks again.
    m.cardbus.eject(0, 'orderly');
    m.run();
    m.cardbus.insert(0, card);
    m.runUntil(m.now + 200_000 * US);
    expect(card.enableLevel).not.toBe(HIFN_PUSTAT_ENA_0);
  });

  it('a 9751 (same PCI id, no crypto) stays at ENA_0 after the handshake and registers nothing', () => {
    const { m, devs } = boot({ parts: ['7751'], model: { cryptoAbsent: true } });
    expect(registered(m, devs[0]!.softc!.sc_cid)).toEqual([]);
    expect(m.console.some((l) => /hifn0: disabled/.test(l.text))).toBe(true);
  });

  it('an export part reaches ENA_1: DES and the MACs only', () => {
    const { m, devs } = boot({ parts: ['7951'], model: { exportLevel: true } });
    expect(registered(m, devs[0]!.softc!.sc_cid)).toEqual([CRYPTO_DES_CBC, 6, 7, 13, 14]);
  });
});

describe('Hifn 795x public-key unit', () => {
  it('computes CRK_MOD_EXP like BigInt, taking longer as the operands grow', () => {
    const { m } = boot({ parts: ['7956'] });
    const results: { bits: number; ok: boolean; status: number; us: number }[] = [];
    consumer(m, function* (td) {
      for (const bits of [256, 512, 1024, 2048]) {
        const r = m.prng.stream(`pk${bits}`);
        const big = (n: number): bigint => BigInt('0x' + Buffer.from(r.bytes(n / 8)).toString('hex'));
        const mod = big(bits) | (1n << BigInt(bits - 1)) | 1n;
        const base = big(bits) % mod;
        const exp = big(bits);
        const krp = new cryptkop();
        krp.krp_op = CRK_MOD_EXP;
        krp.krp_iparams = 3;
        krp.krp_oparams = 1;
        krp.krp_crid = CRYPTOCAP_F_HARDWARE;
        krp.krp_param[0] = crparamFromBigInt(base, bits);
        krp.krp_param[1] = crparamFromBigInt(exp, bits);
        krp.krp_param[2] = crparamFromBigInt(mod, bits);
        let done = false;
        const chan = {};
        krp.krp_callback = () => {
          done = true;
          m.scheduler.wakeup(chan);
        };
        const t0 = td.localTime;
        m.crypto.crypto_kdispatch(krp);
        while (!done) yield td.msleep(chan, 'pk');
        let want = 1n;
        for (let b = base, e = exp; e > 0n; e >>= 1n, b = (b * b) % mod) if (e & 1n) want = (want * b) % mod;
        results.push({ bits, ok: crparamToBigInt(krp.krp_param[3]!) === want, status: krp.krp_status, us: (td.localTime - t0) / US });
      }
    });
    m.run();
    expect(results.map((r) => [r.ok, r.status])).toEqual(Array.from({ length: 4 }, () => [true, 0]));
    for (let i = 1; i < results.length; i++) expect(results[i]!.us).toBeGreaterThan(4 * results[i - 1]!.us);
    expect(m.violationReport()).toBe('');
  });
});

describe('Hifn driver buffer rules and hygiene', () => {
  it('refuses a uio whose fragments break the 4-byte rule with EINVAL, and bounces a misaligned mbuf chain', () => {
    const { m, devs } = boot({ parts: ['7751'] });
    const ck = m.prng.stream('k').bytes(24);
    const mk = m.prng.stream('k').bytes(20);
    const iv = m.prng.stream('k').bytes(8);
    const L: Layout = { hdr: 8, payload: 64, tag: 12 };
    const out: number[] = [];
    consumer(m, function* (td) {
      const { sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
      for (const [kind, layout] of [['uio', [5, 79]], ['mbuf', [5, 79]]] as const) {
        const input = m.prng.stream('d').bytes(84);
        const b = makeBuffer(m, kind, input, [...layout]);
        const crp = m.crypto.crypto_getreq(2)!;
        crp.crp_sid = sid;
        crp.crp_flags = b.flags;
        crp.crp_buf = b.buf;
        fillRequest(crp, ESP, L, ck, mk, iv);
        out.push(yield* dispatchAndWait(m, td, crp));
        if (kind === 'mbuf') expect(b.read(crp)).toEqual(expected(ESP, L, input, ck, mk, iv));
      }
    });
    m.run();
    expect(out).toEqual([EINVAL, 0]);
    expect(devs[0]!.softc!.stats.hst_unaligned).toBe(1);
    expect(m.violationReport()).toBe('');
  });

  it('bounces a contiguous buffer that lives outside simulated memory and copies the result back', () => {
    const { m, devs } = boot({ parts: ['7955'] });
    const key = m.prng.stream('k').bytes(32);
    const iv = m.prng.stream('k').bytes(16);
    const data = m.prng.stream('d').bytes(96);
    const host = data.slice();
    let etype = -1;
    consumer(m, function* (td) {
      const c: AlgCase = { name: 'aes256', cipher: CRYPTO_AES_CBC };
      const { sid } = m.crypto.crypto_newsession(sessionFor(c, key, new Uint8Array(0)), CRYPTOCAP_F_HARDWARE);
      const crp = m.crypto.crypto_getreq(1)!;
      crp.crp_sid = sid;
      crp.crp_buf = host;
      fillRequest(crp, c, { hdr: 0, payload: 96, tag: 0 }, key, new Uint8Array(0), iv);
      etype = yield* dispatchAndWait(m, td, crp);
    });
    m.run();
    const want = data.slice();
    backend.cbcEncrypt(CRYPTO_AES_CBC, key, iv, want);
    expect(etype).toBe(0);
    expect(host).toEqual(want);
    expect(devs[0]!.softc!.stats.contigBounced).toBe(1);
  });

  it('zeroes a session IV when the session is freed and every command buffer (keys) when its request completes', () => {
    const { m, devs } = boot({ parts: ['7751'] });
    const sc = devs[0]!.softc!;
    const ck = m.prng.stream('k').bytes(24);
    const mk = m.prng.stream('k').bytes(20);
    const iv = m.prng.stream('k').bytes(8);
    consumer(m, function* (td) {
      const { sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
      expect(sc.sc_sessions[0]!.hs_iv.some((b) => b !== 0)).toBe(true);
      const b = makeBuffer(m, 'mbuf', m.prng.stream('d').bytes(84));
      const crp = m.crypto.crypto_getreq(2)!;
      crp.crp_sid = sid;
      crp.crp_flags = b.flags;
      crp.crp_buf = b.buf;
      fillRequest(crp, ESP, { hdr: 8, payload: 64, tag: 12 }, ck, mk, iv);
      yield* dispatchAndWait(m, td, crp);
      m.crypto.crypto_freesession(sid);
    });
    m.run();
    expect(sc.sc_sessions[0]!.hs_used).toBe(false);
    expect(sc.sc_sessions[0]!.hs_iv.every((b) => b === 0)).toBe(true);
    const area = sc.area!.bytes;
    expect(area.subarray(DMA_COMMAND_BUFS, DMA_RESULT_BUFS).every((b) => b === 0)).toBe(true);
  });

  it('with FreeBSD\'s truncation a full-length HMAC request gets 12 right bytes and stale result-buffer bytes (hw.md fault 9a)', () => {
    const run = (freebsdHmacTruncation: boolean) => {
      const { m } = boot({ parts: ['7751'], driver: { freebsdHmacTruncation } });
      const c: AlgCase = { name: 'sha1', mac: CRYPTO_SHA1_HMAC };
      const mk = m.prng.stream('k').bytes(20);
      const L: Layout = { hdr: 0, payload: 64, tag: 20 };
      const input = m.prng.stream('d').bytes(84);
      const b = makeBuffer(m, 'mbuf', input);
      let got: Uint8Array | null = null;
      consumer(m, function* (td) {
        const { sid } = m.crypto.crypto_newsession(sessionFor(c, new Uint8Array(0), mk), CRYPTOCAP_F_HARDWARE);
        const crp = m.crypto.crypto_getreq(1)!;
        crp.crp_sid = sid;
        crp.crp_flags = b.flags;
        crp.crp_buf = b.buf;
        fillRequest(crp, c, L, new Uint8Array(0), mk, new Uint8Array(8));
        yield* dispatchAndWait(m, td, crp);
        got = b.read(crp).subarray(64);
      });
      m.run();
      return { got: got!, want: expected(c, L, input, new Uint8Array(0), mk, new Uint8Array(8)).subarray(64) };
    };
    const fixed = run(false);
    expect(fixed.got).toEqual(fixed.want);
    const quirk = run(true);
    expect(quirk.got.subarray(0, 12)).toEqual(quirk.want.subarray(0, 12));
    expect(quirk.got.subarray(12)).not.toEqual(quirk.want.subarray(12));
  });
});

describe('Hifn errors and determinism', () => {
  it('recovers from a PCI abort on the source ring: salvages finished requests, EAGAINs the rest, resets the board', () => {
    const { m, cards, devs } = boot({ parts: ['7956'] });
    const ck = m.prng.stream('k').bytes(24);
    const mk = m.prng.stream('k').bytes(20);
    const iv = m.prng.stream('k').bytes(8);
    const L: Layout = { hdr: 8, payload: 1024, tag: 12 };
    const n = 20;
    const res = { final: 0, bad: 0, eagain: 0 };
    cards[0]!.env.faults.arm({ kind: 'dma-error', channel: 'src', from: m.now + 30 * US });
    consumer(m, function* (td) {
      const { sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
      const chan = {};
      for (let i = 0; i < n; i++) {
        const input = m.prng.stream('d').bytes(1044);
        const b = makeBuffer(m, 'mbuf', input);
        const want = expected(ESP, L, input, ck, mk, iv);
        const crp = m.crypto.crypto_getreq(2)!;
        crp.crp_sid = sid;
        crp.crp_flags = b.flags;
        crp.crp_buf = b.buf;
        fillRequest(crp, ESP, L, ck, mk, iv);
        crp.crp_callback = (c: cryptop) => {
          if (c.crp_etype === EAGAIN) {
            res.eagain++;
            m.crypto.crypto_dispatch(c);
            return;
          }
          res.final++;
          if (c.crp_etype !== 0 || !Buffer.from(b.read(c)).equals(Buffer.from(want))) res.bad++;
          m.scheduler.wakeup(chan);
        };
        m.crypto.crypto_dispatch(crp);
      }
      while (res.final < n) yield td.msleep(chan, 'drain');
      void td;
    });
    m.run();
    expect(res.final).toBe(n);
    expect(res.bad).toBe(0);
    expect(res.eagain).toBeGreaterThan(0);
    expect(devs[0]!.softc!.stats.hst_abort).toBe(1);
    expect(cards[0]!.pipeline.stats.aborts).toBe(1);
    expect(m.console.some((l) => /abort, resetting/.test(l.text))).toBe(true);
  });

  it('gives a byte-identical trace for the same seed', () => {
    const run = (seed: number): string => {
      const { m } = boot({ parts: ['7751', '7956'], seed, trace: true });
      const ck = m.prng.stream('k').bytes(24);
      const mk = m.prng.stream('k').bytes(20);
      const iv = m.prng.stream('k').bytes(8);
      consumer(m, function* (td) {
        const { sid } = m.crypto.crypto_newsession(sessionFor(ESP, ck, mk), CRYPTOCAP_F_HARDWARE);
        for (let i = 0; i < 10; i++) {
          const b = makeBuffer(m, 'mbuf', m.prng.stream('d').bytes(84));
          const crp = m.crypto.crypto_getreq(2)!;
          crp.crp_sid = sid;
          crp.crp_flags = b.flags;
          crp.crp_buf = b.buf;
          fillRequest(crp, ESP, { hdr: 8, payload: 64, tag: 12 }, ck, mk, iv);
          yield* dispatchAndWait(m, td, crp);
        }
      });
      m.run();
      return m.trace.hash();
    };
    expect(run(3)).toBe(run(3));
    expect(run(3)).not.toBe(run(4));
  });
});
