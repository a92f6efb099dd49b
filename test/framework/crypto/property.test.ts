/**
 * Property: random interleavings of newsession, dispatch (plain, BATCH, CBIMM, CBIFSYNC),
 * ERESTART, crypto_unblock, unregistering (hot-eject detach, crypto_unregister_all, one algorithm
 * at a time), freesession, new drivers taking freed slots, and the passing of simulated time, over
 * in-order hardware drivers and a synchronous software fallback. Consumers resubmit on EAGAIN
 * from the callback, as crypto(9) tells them to, and adopt the new SID.
 *
 * Invariants:
 *  - every dispatched request gets exactly one final (non-EAGAIN) callback, and none after it;
 *  - a driver blocked by ERESTART is handed nothing until crypto_unblock;
 *  - requests a driver receives from the framework's queue arrive in the order they were queued
 *    (an ERESTART requeue at the head keeps that order; crypto(9) lets a direct dispatch overtake
 *    queued requests, so those are not ordered against the queue);
 *  - the return thread calls back in the order crypto_done was called, so an in-order driver's
 *    completions reach their consumers in its order (immediate callbacks, CBIMM and CBIFSYNC on a
 *    SYNC session, run at crypto_done itself and may overtake queued ones, as crypto(9) allows);
 *  - session and operation counts never go negative; a tombstone exists only while it still
 *    counts sessions or key operations; after everything is freed there is none and every count
 *    is zero;
 *  - no violations, no lost requests.
 *
 * fast-check prints the seed and path of a failing run; replay with `{ seed, path }` in fc.assert.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FakeDriver, US, ini, makeFixture, type Fixture } from '../fixture.js';
import {
  CRYPTO_AES_CBC,
  CRYPTO_F_BATCH,
  CRYPTO_F_CBIFSYNC,
  CRYPTO_F_CBIMM,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SYMQ,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  EAGAIN,
} from '../../../framework/constants.js';
import { CRYPTO_SESID2CAPS } from '../../../framework/drivers.js';
import type { cryptop } from '../../../framework/structs.js';
import type { TraceEvent } from '../../../sim/trace.js';

const AES = CRYPTO_AES_CBC;
const SHA1 = CRYPTO_SHA1_HMAC;
const ALG_SETS = [[AES], [SHA1], [AES, SHA1]] as const;
const MAX_DRIVERS = 6;
const MAX_ATTEMPTS = 50;
const SOFTWARE_SYNC = CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC;

type Action =
  | { t: 'newsession'; crid: number; algs: number; index: number }
  | { t: 'freesession'; s: number }
  | { t: 'dispatch'; s: number; flags: number; n: number }
  | { t: 'refuse'; d: number; n: number }
  | { t: 'unblock'; d: number }
  | { t: 'detach'; d: number }
  | { t: 'unregisterAll'; d: number }
  | { t: 'unregisterAlg'; d: number; alg: number }
  | { t: 'attach'; delay: number }
  | { t: 'run'; dt: number };

const flagsArb = fc.subarray([CRYPTO_F_BATCH, CRYPTO_F_CBIMM, CRYPTO_F_CBIFSYNC]).map((fl) => fl.reduce((a, b) => a | b, 0));

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('newsession' as const), crid: fc.nat(3), algs: fc.nat(2), index: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('freesession' as const), s: fc.nat(15) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('dispatch' as const), s: fc.nat(15), flags: flagsArb, n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('refuse' as const), d: fc.nat(7), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('unblock' as const), d: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('detach' as const), d: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unregisterAll' as const), d: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unregisterAlg' as const), d: fc.nat(7), alg: fc.constantFrom(AES, SHA1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('attach' as const), delay: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('run' as const), dt: fc.integer({ min: 0, max: 60 }) }) },
);

/** A consumer's session: the SID it currently uses, and whether it has freed it. */
interface Rec {
  sid: bigint;
  algs: readonly number[];
  freed: boolean;
  freedSids: Set<bigint>;
}

interface Req {
  crp: cryptop;
  rec: Rec;
  submittedSid: bigint;
  attempts: number;
  finals: number;
}

/** One machine, its drivers, the consumers' bookkeeping, and everything the invariants watch. */
class World {
  readonly f: Fixture = makeFixture({ cpus: 2, trace: true });
  readonly hw: FakeDriver[] = [];
  readonly fallback: FakeDriver;
  readonly recs: Rec[] = [];
  readonly reqs: Req[] = [];
  readonly failures: string[] = [];
  private readonly byReqid = new Map<number, cryptop>();
  /** Queue-entry sequence of requests now in the framework's queue (by request id). */
  private readonly queued = new Map<number, number>();
  private readonly lastDelivered = new Map<FakeDriver, number>();
  private queueSeq = 0;
  /** Request ids whose callback the return thread owes, in crypto_done order. */
  private readonly retExpected: number[] = [];
  private readonly retOwed = new Set<number>();

  constructor() {
    this.fallback = this.driver('soft', SOFTWARE_SYNC, { kind: 'sync' });
    this.driver('hwa', CRYPTOCAP_F_HARDWARE, { kind: 'fifo', delayPs: 5 * US });
    this.driver('hwb', CRYPTOCAP_F_HARDWARE, { kind: 'fifo', delayPs: 3 * US });
    this.f.trace.subscribe((e) => this.watch(e));
    // Some sessions from the start, so early actions have something to work on.
    for (const crid of [CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE]) this.apply({ t: 'newsession', crid: crid === CRYPTOCAP_F_HARDWARE ? 0 : 1, algs: 2, index: 0 });
  }

  private driver(name: string, flags: number, mode: ConstructorParameters<typeof FakeDriver>[2]): FakeDriver {
    const d = new FakeDriver(this.f, name, mode, this.hw.length);
    d.attach(flags, [AES, SHA1]);
    d.onProcess = (crp) => this.delivered(d, crp);
    d.onInvoke = (crp) => {
      if (this.f.crypto.drivers.slots[d.hid]!.cc_qblocked) this.failures.push(`${d.dev.nameunit} was handed request ${crp.crp_reqid} while blocked`);
    };
    if (flags & CRYPTOCAP_F_HARDWARE) this.hw.push(d);
    return d;
  }

  /** Is `d` still the driver registered in its slot? */
  live(d: FakeDriver): boolean {
    return d.hid >= 0 && this.f.crypto.crypto_find_device_byhid(d.hid) === d.dev;
  }

  private allDrivers(): FakeDriver[] {
    return [this.fallback, ...this.hw];
  }

  private watch(e: TraceEvent): void {
    if (e.layer !== 'framework' || e.req === undefined) return;
    const r = e.req;
    switch (e.kind) {
      case 'crypto.dispatch':
        this.queued.delete(r);
        break;
      case 'crypto.queue':
        this.queued.set(r, ++this.queueSeq);
        break;
      case 'crypto.done': {
        const crp = this.byReqid.get(r);
        if (!crp) return;
        const immediate = (crp.crp_flags & CRYPTO_F_CBIMM) !== 0 || ((crp.crp_flags & CRYPTO_F_CBIFSYNC) !== 0 && (CRYPTO_SESID2CAPS(crp.crp_sid) & CRYPTOCAP_F_SYNC) !== 0);
        this.queued.delete(r);
        if (!immediate) {
          this.retExpected.push(r);
          this.retOwed.add(r);
        }
        break;
      }
      case 'crypto.callback':
        if (this.retOwed.delete(r)) {
          const want = this.retExpected.shift();
          if (want !== r) this.failures.push(`return thread called back request ${r} before request ${want}`);
        }
        break;
    }
  }

  /** A driver accepted `crp`: if it came from the queue, it must not overtake an earlier-queued one. */
  private delivered(d: FakeDriver, crp: cryptop): void {
    const seq = this.queued.get(crp.crp_reqid);
    if (seq === undefined) return;
    this.queued.delete(crp.crp_reqid);
    const last = this.lastDelivered.get(d) ?? 0;
    if (seq < last) this.failures.push(`${d.dev.nameunit} got request ${crp.crp_reqid} (queued #${seq}) after one queued #${last}`);
    this.lastDelivered.set(d, seq);
  }

  /** The consumer learns a SID the framework put in crp_sid. */
  private learn(rec: Rec, sid: bigint): void {
    if (!rec.freed) {
      rec.sid = sid;
    } else if (!rec.freedSids.has(sid)) {
      // It freed the session while a migration was on its way back: free the new one too.
      rec.freedSids.add(sid);
      this.f.crypto.crypto_freesession(sid);
    }
  }

  private submit(req: Req): void {
    req.attempts++;
    req.submittedSid = req.crp.crp_sid;
    const rc = this.f.crypto.crypto_dispatch(req.crp);
    if (rc !== 0) this.failures.push(`crypto_dispatch returned ${rc} for request ${req.crp.crp_reqid}`);
    this.byReqid.set(req.crp.crp_reqid, req.crp);
  }

  dispatch(rec: Rec, flags: number): void {
    const crp = this.f.crypto.crypto_getreq(rec.algs.length)!;
    let d = crp.crp_desc;
    for (const alg of rec.algs) {
      d!.crd_alg = alg;
      d = d!.crd_next;
    }
    crp.crp_sid = rec.sid;
    crp.crp_flags = flags;
    const req: Req = { crp, rec, submittedSid: rec.sid, attempts: 0, finals: 0 };
    crp.crp_callback = (c) => {
      if (req.finals > 0) this.failures.push(`request ${c.crp_reqid} called back after its final callback`);
      if (c.crp_etype !== EAGAIN) {
        req.finals++;
        return;
      }
      if (c.crp_sid !== req.submittedSid) this.learn(rec, c.crp_sid);
      if (req.attempts >= MAX_ATTEMPTS) {
        this.failures.push(`request ${c.crp_reqid} got EAGAIN ${req.attempts} times`);
        return;
      }
      this.submit(req);
    };
    this.reqs.push(req);
    this.submit(req);
  }

  apply(a: Action): void {
    const crypto = this.f.crypto;
    const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length ? list[i % list.length] : undefined);
    const drivers = this.allDrivers();
    switch (a.t) {
      case 'newsession': {
        const crid = [CRYPTOCAP_F_HARDWARE, CRYPTOCAP_F_SOFTWARE, CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE, a.index % crypto.drivers.slots.length][a.crid]!;
        const algs = ALG_SETS[a.algs]!;
        const { error, sid } = crypto.crypto_newsession(ini(...algs), crid);
        if (error === 0) this.recs.push({ sid, algs, freed: false, freedSids: new Set() });
        break;
      }
      case 'freesession': {
        const rec = pick(this.recs, a.s);
        if (!rec || rec.freed) break;
        rec.freed = true;
        rec.freedSids.add(rec.sid);
        crypto.crypto_freesession(rec.sid);
        break;
      }
      case 'dispatch': {
        const rec = pick(this.recs, a.s);
        if (rec) for (let i = 0; i < a.n; i++) this.dispatch(rec, a.flags);
        break;
      }
      case 'refuse': {
        const d = pick(drivers, a.d)!;
        if (this.live(d)) d.refuseNext += a.n;
        break;
      }
      case 'unblock': {
        const d = pick(drivers, a.d)!;
        if (this.live(d)) expect(crypto.crypto_unblock(d.hid, CRYPTO_SYMQ)).toBe(0);
        break;
      }
      case 'detach': {
        const d = pick(this.hw, a.d);
        if (d && this.live(d)) d.detach();
        break;
      }
      case 'unregisterAll': {
        const d = pick(this.hw, a.d);
        if (d && this.live(d)) crypto.crypto_unregister_all(d.hid);
        break;
      }
      case 'unregisterAlg': {
        const d = pick(this.hw, a.d);
        if (d && this.live(d)) crypto.crypto_unregister(d.hid, a.alg);
        break;
      }
      case 'attach':
        if (this.hw.length < MAX_DRIVERS) this.driver('hwn', CRYPTOCAP_F_HARDWARE, { kind: 'fifo', delayPs: a.delay * US });
        break;
      case 'run':
        this.f.engine.runUntil(this.f.engine.now + a.dt * US);
        break;
    }
    this.checkCounts(a);
  }

  checkCounts(after: Action | 'end'): void {
    const where = after === 'end' ? 'at the end' : `after ${JSON.stringify(after)}`;
    for (const [i, cap] of this.f.crypto.drivers.slots.entries()) {
      if (cap.cc_sessions < 0 || cap.cc_koperations < 0) this.failures.push(`slot ${i} has negative counts ${where}`);
      if (cap.isTombstone && cap.cc_sessions === 0 && cap.cc_koperations === 0) this.failures.push(`empty tombstone in slot ${i} ${where}`);
    }
    if (this.f.crypto.outstanding < 0) this.failures.push(`negative outstanding ${where}`);
  }

  /** Let every driver work again, drain, free every session, drain. */
  finish(): void {
    for (const d of this.allDrivers()) {
      if (!this.live(d)) continue;
      d.refuseNext = 0;
      this.f.crypto.crypto_unblock(d.hid, CRYPTO_SYMQ);
    }
    this.f.run();
    for (const rec of this.recs) {
      if (rec.freed) continue;
      rec.freed = true;
      rec.freedSids.add(rec.sid);
      this.f.crypto.crypto_freesession(rec.sid);
    }
    this.f.run();
    this.checkCounts('end');
  }
}

describe('crypto(9) under random interleavings', () => {
  it('Every dispatched request gets exactly one final callback, queued requests reach a driver in order, counts stay sane, and nothing is left behind.', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 80, size: 'max' }), (actions) => {
        const w = new World();
        for (const a of actions) w.apply(a);
        w.finish();
        const f = w.f;
        expect(w.failures).toEqual([]);
        for (const r of w.reqs) expect({ req: r.crp.crp_reqid, finals: r.finals }).toEqual({ req: r.crp.crp_reqid, finals: 1 });
        expect(f.crypto.outstanding).toBe(0);
        expect(f.crypto.reportLostRequests()).toBe(0);
        f.violations.assertNone();
        const slots = f.crypto.drivers.slots;
        expect(slots.filter((c) => c.isTombstone)).toEqual([]);
        expect(slots.map((c) => c.cc_sessions)).toEqual(slots.map(() => 0));
        expect(f.crypto.queueDepth).toEqual({ symmetric: 0, asymmetric: 0, returns: 0 });
      }),
      { numRuns: 150 },
    );
  });
});
