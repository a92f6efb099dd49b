/**
 * Where ocfsim deliberately differs from FreeBSD 10/11 (docs/differences.md): the 2015 kernel
 * would crash, hang or lose a request; ocfsim returns a clear error or reports a violation. Also
 * the hot-eject contract of DESIGN.md, which FreeBSD's own drivers did not keep.
 */
import { describe, expect, it } from 'vitest';
import { FakeDriver, US, ini, keyop, makeFixture, request, type FakeMode, type Fixture } from '../fixture.js';
import {
  CRK_MOD_EXP,
  CRYPTO_AES_CBC,
  CRYPTO_ASYMQ,
  CRYPTO_F_BATCH,
  CRYPTO_F_CBIMM,
  CRYPTO_SHA1_HMAC,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  EAGAIN,
  EINVAL,
  ENODEV,
  ERESTART,
} from '../../../framework/constants.js';
import { CRYPTO_SESID2HID, type cryptodev_methods } from '../../../framework/drivers.js';
import type { cryptop } from '../../../framework/structs.js';

const HW = CRYPTOCAP_F_HARDWARE;
const SW = CRYPTOCAP_F_SOFTWARE;
const AES = CRYPTO_AES_CBC;

/** A hardware driver `hw` (index 0) and a synchronous software fallback `sw` (index 1). */
function withFallback(hwMode: FakeMode = { kind: 'later', delayPs: 10 * US }) {
  const f = makeFixture();
  const hw = new FakeDriver(f, 'hw', hwMode);
  const sw = new FakeDriver(f, 'sw', { kind: 'sync' });
  hw.attach(HW, [AES, CRYPTO_SHA1_HMAC]);
  sw.attach(SW | CRYPTOCAP_F_SYNC, [AES, CRYPTO_SHA1_HMAC]);
  const sid = f.crypto.crypto_newsession(ini(AES), HW).sid;
  return { f, hw, sw, sid };
}

/**
 * A consumer that resubmits on EAGAIN, as crypto(9) tells it to, and records every callback.
 * Returns the etypes seen, in order.
 */
function resubmitting(f: Fixture, crp: cryptop): number[] {
  const etypes: number[] = [];
  crp.crp_callback = (c) => {
    etypes.push(c.crp_etype);
    if (c.crp_etype === EAGAIN) expect(f.crypto.crypto_dispatch(c)).toBe(0);
  };
  return etypes;
}

describe('sessions', () => {
  it('Freeing a session on a tombstone does not call the departed driver and returns 0.', () => {
    const { f, hw, sid } = withFallback();
    f.crypto.crypto_unregister_all(hw.hid);
    expect(f.crypto.crypto_freesession(sid)).toBe(0);
    expect(hw.freed).toEqual([]);
    expect(f.crypto.drivers.slots[hw.hid]!.isTombstone).toBe(false);
  });

  it('Freeing an unknown or already-freed SID is EINVAL and changes no session count.', () => {
    const { f, hw, sid } = withFallback();
    const other = f.crypto.crypto_newsession(ini(AES), hw.hid).sid;
    expect(f.crypto.crypto_freesession(sid)).toBe(0);
    expect(f.crypto.crypto_freesession(sid)).toBe(EINVAL);
    expect(f.crypto.crypto_freesession(other + 100n)).toBe(EINVAL);
    expect(f.crypto.drivers.slots[hw.hid]!.cc_sessions).toBe(1);
    expect(hw.freed).toEqual([sid]);
  });
});

describe('completion checks', () => {
  it('A second crypto_done of the same request is one double-completion violation and never a second callback.', () => {
    const { f, sid } = withFallback({ kind: 'never' });
    const { crp, calls } = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.crypto.crypto_done(crp);
    f.crypto.crypto_done(crp);
    f.run();
    f.crypto.crypto_done(crp);
    f.run();
    expect(calls).toHaveLength(1);
    expect(f.violations.count('double-completion')).toBe(2);
    expect(f.violations.all[0]!.req).toBe(crp.crp_reqid);
    expect(f.violations.count()).toBe(2);
  });

  it('A double completion of a CBIMM request is caught too, without a second callback.', () => {
    const { f, sid } = withFallback({ kind: 'never' });
    const { crp, calls } = request(f, sid, [AES], CRYPTO_F_CBIMM);
    f.crypto.crypto_dispatch(crp);
    f.crypto.crypto_done(crp);
    f.crypto.crypto_done(crp);
    expect(calls).toHaveLength(1);
    expect(f.violations.count('double-completion')).toBe(1);
  });

  it('crypto_done of a request that was never dispatched is a completion-without-dispatch violation and no callback.', () => {
    const { f, sid } = withFallback();
    const { crp, calls } = request(f, sid, [AES]);
    f.crypto.crypto_done(crp);
    f.run();
    expect(calls).toHaveLength(0);
    expect(f.violations.count('completion-without-dispatch')).toBe(1);
  });

  it('A request never completed is reported as a lost request with its id once the engine is idle.', () => {
    const { f, sid } = withFallback({ kind: 'never' });
    const lost = request(f, sid, [AES]);
    const fine = withFallback().f; // an unrelated machine stays clean
    f.crypto.crypto_dispatch(lost.crp);
    f.run();
    expect(f.crypto.reportLostRequests()).toBe(1);
    const v = f.violations.all;
    expect(v).toHaveLength(1);
    expect(v[0]!.kind).toBe('lost-request');
    expect(v[0]!.req).toBe(lost.crp.crp_reqid);
    expect(v[0]!.message).toContain(`request ${lost.crp.crp_reqid}`);
    expect(v[0]!.message).toContain('hw0');
    expect(fine.crypto.reportLostRequests()).toBe(0);
  });

  it('A request stuck behind a driver that never unblocks is reported lost and named blocked.', () => {
    const { f, sid } = withFallback({ kind: 'restart', times: 99, unblockAfterPs: 1e15, delayPs: US });
    const { crp } = request(f, sid, [AES], CRYPTO_F_BATCH);
    f.crypto.crypto_dispatch(crp);
    f.engine.runUntil(1_000 * US);
    expect(f.crypto.reportLostRequests()).toBe(1);
    expect(f.violations.all[0]!.message).toContain('blocked');
  });

  it('A key operation never completed is reported as a lost request too.', () => {
    const f = makeFixture();
    // A kprocess that accepts and does not call crypto_kdone before the machine stops.
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, { kind: 'later', delayPs: 1e15 });
    pk.attach(HW, [], [CRK_MOD_EXP]);
    const { krp } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    f.engine.runUntil(10 * US);
    expect(f.crypto.reportLostRequests()).toBe(1);
    expect(f.violations.all[0]!.req).toBe(krp.krp_reqid);
  });

  it('Dispatching a request that is still in flight is a double-dispatch violation and EINVAL.', () => {
    const { f, hw, sid } = withFallback();
    const { crp, calls } = request(f, sid, [AES]);
    expect(f.crypto.crypto_dispatch(crp)).toBe(0);
    expect(f.crypto.crypto_dispatch(crp)).toBe(EINVAL);
    f.run();
    expect(calls).toHaveLength(1);
    expect(hw.seen).toHaveLength(1);
    expect(f.violations.count('double-dispatch')).toBe(1);
  });

  it('crypto_freereq of a request in flight is refused and reported as use-after-free.', () => {
    const { f, sid } = withFallback();
    const { crp, calls } = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.crypto.crypto_freereq(crp);
    expect(crp.crp_desc).not.toBeNull();
    f.run();
    expect(calls).toHaveLength(1);
    expect(f.violations.count('use-after-free')).toBe(1);
  });

  it('A SID naming no driver slot completes with EINVAL instead of faulting.', () => {
    const { f } = withFallback();
    const { crp, calls } = request(f, 0x010000ff_00000001n, [AES]);
    expect(f.crypto.crypto_dispatch(crp)).toBe(0);
    f.run();
    expect(calls.map((c) => c.etype)).toEqual([EINVAL]);
  });

  it('A request on a SID whose slot is empty (neither a driver nor a tombstone) completes with EINVAL instead of calling a NULL device.', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    const b = new FakeDriver(f, 'b', { kind: 'sync' });
    a.attach(HW, [AES]);
    b.attach(HW, [AES]);
    const { crp, calls } = request(f, 0x01000003_00000001n, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls.map((c) => c.etype)).toEqual([EINVAL]);
  });
});

describe('session migration', () => {
  it('Requests queued on a session before it migrated follow the new SID instead of migrating it again.', () => {
    const { f, hw, sw, sid } = withFallback({ kind: 'restart', times: 1, unblockAfterPs: 1e12, delayPs: US });
    const reqs = [0, 1, 2].map(() => request(f, sid, [AES], CRYPTO_F_BATCH));
    for (const r of reqs) f.crypto.crypto_dispatch(r.crp);
    f.engine.runUntil(10 * US);
    expect(f.crypto.drivers.slots[hw.hid]!.cc_qblocked).toBe(1);
    f.crypto.crypto_unregister_all(hw.hid);
    f.engine.runUntil(100 * US);
    const sids = reqs.map((r) => r.calls[0]!.sid);
    expect(reqs.map((r) => r.calls.map((c) => c.etype))).toEqual([[EAGAIN], [EAGAIN], [EAGAIN]]);
    expect(new Set(sids).size).toBe(1);
    expect(CRYPTO_SESID2HID(sids[0]!)).toBe(sw.hid);
    // One new session, not three; the old one freed once.
    expect(sw.newsessionCalls).toHaveLength(1);
    expect(f.crypto.drivers.slots[sw.hid]!.cc_sessions).toBe(1);
    expect(f.crypto.drivers.slots[hw.hid]!.isTombstone).toBe(false);
    f.violations.assertNone();
  });

  it('A request on the old SID dispatched after the migration also follows the new SID.', () => {
    const { f, hw, sw, sid } = withFallback();
    f.crypto.crypto_unregister_all(hw.hid);
    const first = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(first.crp);
    const late = request(f, sid, [AES]);
    const etypes = resubmitting(f, late.crp);
    f.crypto.crypto_dispatch(late.crp);
    f.run();
    expect(etypes).toEqual([EAGAIN, 0]);
    expect(late.crp.crp_sid).toBe(first.crp.crp_sid);
    expect(sw.newsessionCalls).toHaveLength(1);
  });

  it('A session that migrates twice forwards its oldest SID to the newest one.', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    const b = new FakeDriver(f, 'b', { kind: 'sync' });
    const c = new FakeDriver(f, 'c', { kind: 'sync' });
    a.attach(HW, [AES]);
    const s0 = f.crypto.crypto_newsession(ini(AES), HW).sid;
    b.attach(HW, [AES]);
    f.crypto.crypto_unregister_all(a.hid);
    const r1 = request(f, s0, [AES]);
    f.crypto.crypto_dispatch(r1.crp);
    const s1 = r1.crp.crp_sid;
    expect(CRYPTO_SESID2HID(s1)).toBe(b.hid);
    c.attach(HW, [AES]);
    f.crypto.crypto_unregister_all(b.hid);
    const r2 = request(f, s1, [AES]);
    f.crypto.crypto_dispatch(r2.crp);
    const s2 = r2.crp.crp_sid;
    expect(CRYPTO_SESID2HID(s2)).toBe(c.hid);
    const r3 = request(f, s0, [AES]);
    f.crypto.crypto_dispatch(r3.crp);
    f.run();
    expect(r3.crp.crp_sid).toBe(s2);
    expect(c.newsessionCalls).toHaveLength(1);
  });

  it('A request on a migrated SID whose new session was freed completes with EINVAL.', () => {
    const { f, hw, sid } = withFallback();
    f.crypto.crypto_unregister_all(hw.hid);
    const first = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(first.crp);
    f.run();
    expect(f.crypto.crypto_freesession(first.crp.crp_sid)).toBe(0);
    const late = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(late.crp);
    f.run();
    expect(late.calls.map((c) => c.etype)).toEqual([EINVAL]);
  });

  it('A slot whose old SIDs still forward to a migrated session is not given to a new driver until that session is freed.', () => {
    const { f, hw, sw, sid } = withFallback({ kind: 'sync' });
    f.crypto.crypto_unregister_all(hw.hid);
    const moved = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(moved.crp);
    f.run();
    const newSid = moved.crp.crp_sid;
    expect(CRYPTO_SESID2HID(newSid)).toBe(sw.hid);
    // The tombstone went with its last session, but slot 0 stays reserved: a new driver there
    // would hand out 0x0100000000000001 again, and a stale request on it would hit that session.
    expect(f.crypto.drivers.slots[hw.hid]!.isTombstone).toBe(false);
    const next = new FakeDriver(f, 'next', { kind: 'sync' });
    expect(next.attach(HW, [AES])).toBe(2);
    const fresh = f.crypto.crypto_newsession(ini(AES), HW).sid;
    expect(fresh).not.toBe(sid);
    const stale = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(stale.crp);
    f.run();
    expect(stale.calls).toEqual([{ etype: EAGAIN, sid: newSid, flags: stale.calls[0]!.flags }]);
    expect(next.seen).toEqual([]);
    // Once the migrated session is freed nothing forwards from slot 0 any more.
    expect(f.crypto.crypto_freesession(newSid)).toBe(0);
    expect(new FakeDriver(f, 'last', { kind: 'sync' }).attach(HW, [AES])).toBe(hw.hid);
  });

  it('When migration finds no new driver, EAGAIN leaves the stale SID and resubmitting it completes with EINVAL.', () => {
    const f = makeFixture();
    const only = new FakeDriver(f, 'only', { kind: 'sync' });
    only.attach(HW, [AES]);
    const sid = f.crypto.crypto_newsession(ini(AES), HW).sid;
    f.crypto.crypto_unregister_all(only.hid);
    const { crp } = request(f, sid, [AES]);
    const etypes = resubmitting(f, crp);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(etypes).toEqual([EAGAIN, EINVAL]);
    expect(crp.crp_sid).toBe(sid);
    expect(f.crypto.outstanding).toBe(0);
  });
});

describe('freeing a session by its pre-migration SID', () => {
  it('Freeing the old SID after a migration frees the session it migrated to, instead of leaking it.', () => {
    const { f, hw, sw, sid } = withFallback({ kind: 'sync' });
    f.crypto.crypto_unregister_all(hw.hid);
    const { crp } = request(f, sid, [AES], CRYPTO_F_CBIMM);
    const etypes = resubmitting(f, crp);
    f.crypto.crypto_dispatch(crp);
    expect(etypes).toEqual([EAGAIN, 0]);
    expect(CRYPTO_SESID2HID(crp.crp_sid)).toBe(sw.hid);
    expect(f.crypto.drivers.slots[sw.hid]!.cc_sessions).toBe(1);
    expect(f.crypto.crypto_freesession(sid)).toBe(0);
    expect(f.crypto.sessionIsLive(crp.crp_sid)).toBe(false);
    expect(f.crypto.drivers.slots[sw.hid]!.cc_sessions).toBe(0);
    expect(f.crypto.crypto_freesession(sid)).toBe(EINVAL);
  });
});

describe('drivers that unregister while returning ERESTART', () => {
  it('A driver that unregisters inside process() and returns ERESTART leaves no blocked slot behind for the next driver.', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    a.attach(HW, [AES]);
    const sid = f.crypto.crypto_newsession(ini(AES), HW).sid;
    const first = request(f, sid, [AES], CRYPTO_F_BATCH);
    f.crypto.crypto_dispatch(first.crp);
    // The consumer tears its session down while the request waits, so the slot empties outright.
    f.crypto.crypto_freesession(sid);
    a.refuseNext = 1;
    a.onInvoke = () => void f.crypto.crypto_unregister_all(a.hid);
    f.engine.runUntil(50 * US);
    expect(first.calls.map((c) => c.etype)).toEqual([EINVAL]);
    expect(f.crypto.drivers.slots[a.hid]!.cc_qblocked).toBe(0);
    const b = new FakeDriver(f, 'b', { kind: 'sync' });
    expect(b.attach(HW, [AES])).toBe(a.hid);
    const next = request(f, f.crypto.crypto_newsession(ini(AES), HW).sid, [AES]);
    f.crypto.crypto_dispatch(next.crp);
    f.run();
    expect(next.calls.map((c) => c.etype)).toEqual([0]);
    expect(f.crypto.reportLostRequests()).toBe(0);
  });

  it('A driver that unregisters inside kprocess() and returns ERESTART leaves no empty tombstone, and the operation goes to another driver.', () => {
    const f = makeFixture();
    let hid = -1;
    const methods: cryptodev_methods = {
      cryptodev_newsession: () => 0,
      cryptodev_freesession: () => 0,
      cryptodev_process: () => 0,
      cryptodev_kprocess: () => {
        f.crypto.crypto_unregister_all(hid);
        return ERESTART;
      },
    };
    hid = f.crypto.crypto_get_driverid({ nameunit: 'gone0', name: 'gone', driver: { methods } }, HW);
    f.crypto.crypto_register(hid, AES, 0, 0);
    f.crypto.crypto_kregister(hid, CRK_MOD_EXP, 0);
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    const cap = f.crypto.drivers.slots[hid]!;
    expect(cap.isTombstone).toBe(false);
    expect([cap.cc_koperations, cap.cc_kqblocked]).toEqual([0, 0]);
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, { kind: 'sync' });
    expect(pk.attach(HW, [], [CRK_MOD_EXP])).toBe(hid);
    f.run();
    expect(calls).toEqual([{ status: 0, hid: pk.hid }]);
  });
});

describe('keying operations', () => {
  it('A key operation for a kq-blocked driver waits for crypto_unblock instead of completing with ERESTART.', () => {
    const f = makeFixture();
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, { kind: 'later', delayPs: US });
    pk.attach(HW, [], [CRK_MOD_EXP]);
    f.crypto.drivers.slots[pk.hid]!.cc_kqblocked = 1;
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    expect(f.crypto.crypto_kdispatch(krp)).toBe(0);
    f.engine.runUntil(100 * US);
    expect(calls).toHaveLength(0);
    expect(f.crypto.queueDepth.asymmetric).toBe(1);
    f.crypto.crypto_unblock(pk.hid, CRYPTO_ASYMQ);
    f.run();
    expect(calls).toEqual([{ status: 0, hid: pk.hid }]);
  });

  it('crypto_kdone of an operation that never reached a driver decrements no driver\'s count.', () => {
    const f = makeFixture();
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, { kind: 'later', delayPs: 10 * US });
    pk.attach(HW, [], [CRK_MOD_EXP]);
    const busy = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(busy.krp);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(1);
    // krp_hid stays 0 (driver 0) on an operation nobody offers.
    const nobody = keyop(3, HW);
    f.crypto.crypto_kdispatch(nobody.krp);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(1);
    f.run();
    expect(nobody.calls.map((c) => c.status)).toEqual([ENODEV]);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(0);
  });

  it('A driver without a kprocess method completes key operations sent to it with ENODEV.', () => {
    const f = makeFixture();
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, { kind: 'absent' });
    pk.attach(HW, [], [CRK_MOD_EXP]);
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    f.run();
    expect(calls).toEqual([{ status: ENODEV, hid: pk.hid }]);
    expect(f.crypto.drivers.slots[pk.hid]!.cc_koperations).toBe(0);
  });
});

describe('the hot-eject contract (DESIGN.md)', () => {
  it('A driver detached with requests in flight loses none: they end EAGAIN, migrate with EAGAIN, then complete on another driver.', () => {
    const { f, hw, sw, sid } = withFallback({ kind: 'later', delayPs: 100 * US });
    const reqs = [0, 1, 2].map(() => request(f, sid, [AES]));
    const etypes = reqs.map((r) => resubmitting(f, r.crp));
    for (const r of reqs) f.crypto.crypto_dispatch(r.crp);
    f.engine.runUntil(10 * US);
    expect(hw.pending).toHaveLength(3);
    expect(hw.detach()).toBe(0);
    expect(f.crypto.drivers.slots[hw.hid]!.isTombstone).toBe(true);
    f.run();
    // In flight: EAGAIN from the driver (same SID); resubmitted: EAGAIN from the framework
    // (new SID); then the fallback does the work.
    expect(etypes).toEqual([
      [EAGAIN, EAGAIN, 0],
      [EAGAIN, EAGAIN, 0],
      [EAGAIN, EAGAIN, 0],
    ]);
    expect(sw.seen).toEqual(reqs.map((r) => r.crp));
    expect(sw.newsessionCalls).toHaveLength(1);
    expect(f.crypto.drivers.slots[hw.hid]!.isTombstone).toBe(false);
    expect(f.crypto.reportLostRequests()).toBe(0);
    f.violations.assertNone();
  });

  it('A driver that unregisters inside its own process() still completes what it accepted, and later requests migrate.', () => {
    const { f, hw, sw, sid } = withFallback({ kind: 'later', delayPs: 20 * US });
    hw.unregisterAfter = 1;
    const first = request(f, sid, [AES]);
    const second = request(f, sid, [AES]);
    const e1 = resubmitting(f, first.crp);
    const e2 = resubmitting(f, second.crp);
    f.crypto.crypto_dispatch(first.crp);
    expect(f.crypto.drivers.slots[hw.hid]!.isTombstone).toBe(true);
    f.crypto.crypto_dispatch(second.crp);
    f.run();
    expect(e1).toEqual([0]);
    expect(e2).toEqual([EAGAIN, 0]);
    expect(hw.seen).toEqual([first.crp]);
    expect(sw.seen).toEqual([second.crp]);
    f.violations.assertNone();
  });

  it('Requests waiting in the queue for a detached, blocked driver migrate instead of waiting for an unblock that never comes.', () => {
    const { f, hw, sw, sid } = withFallback({ kind: 'restart', times: 1, unblockAfterPs: 1e15, delayPs: US });
    const reqs = [0, 1].map(() => request(f, sid, [AES], CRYPTO_F_BATCH));
    const etypes = reqs.map((r) => resubmitting(f, r.crp));
    for (const r of reqs) f.crypto.crypto_dispatch(r.crp);
    f.engine.runUntil(50 * US);
    expect(f.crypto.drivers.slots[hw.hid]!.cc_qblocked).toBe(1);
    hw.detach();
    f.engine.runUntil(500 * US);
    expect(etypes).toEqual([
      [EAGAIN, 0],
      [EAGAIN, 0],
    ]);
    expect(sw.seen).toHaveLength(2);
  });
});
