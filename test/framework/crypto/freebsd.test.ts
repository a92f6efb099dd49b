/**
 * What FreeBSD 10/11's sys/opencrypto/crypto.c does beyond the manual page (reference/ocf.md,
 * "Top 20 surprises" and §4): SID layout, driver selection, the session "mark", tombstones,
 * BATCH look-ahead, ERESTART blocking, keying-operation selection, statistics, timing, sysctls.
 */
import { describe, expect, it } from 'vitest';
import { FakeDriver, US, ini, keyop, makeFixture, request, type FakeKMode, type FakeMode, type Fixture } from '../fixture.js';
import {
  CRF_DSA_SIGN,
  CRF_MOD_EXP,
  CRK_DH_COMPUTE_KEY,
  CRK_DSA_SIGN,
  CRK_MOD_EXP,
  CRYPTO_AES_CBC,
  CRYPTO_ASYMQ,
  CRYPTO_F_BATCH,
  CRYPTO_HINT_MORE,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SYMQ,
  CRYPTOCAP_F_CLEANUP,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  EAGAIN,
  EINVAL,
  EIO,
  ENODEV,
  ENOENT,
  ENOMEM,
} from '../../../framework/constants.js';
import { CRYPTO_SESID2CAPS, CRYPTO_SESID2HID, CRYPTO_SESID2LID } from '../../../framework/drivers.js';

const HW = CRYPTOCAP_F_HARDWARE;
const SW = CRYPTOCAP_F_SOFTWARE;
const AES = CRYPTO_AES_CBC;
const SHA1 = CRYPTO_SHA1_HMAC;

/** `n` drivers named d0, d1, ... with the given flags, all offering AES and SHA1-HMAC. */
function drivers(flags: number[], mode: FakeMode = { kind: 'later', delayPs: 10 * US }, kmode?: FakeKMode): { f: Fixture; d: FakeDriver[] } {
  const f = makeFixture();
  const d = flags.map((fl, i) => {
    const drv = new FakeDriver(f, `d${i}_`, mode, 0, kmode);
    drv.attach(fl, [AES, SHA1], [CRK_MOD_EXP]);
    return drv;
  });
  return { f, d };
}

function hidOf(f: Fixture, crid: number, ...algs: number[]): number {
  const { error, sid } = f.crypto.crypto_newsession(ini(...algs), crid);
  expect(error).toBe(0);
  return CRYPTO_SESID2HID(sid);
}

describe('session identifiers', () => {
  it('The first session of a SOFTWARE|SYNC driver on driver id 0 is 0x0600000000000001.', () => {
    const f = makeFixture();
    const soft = new FakeDriver(f, 'cryptosoft', { kind: 'sync' });
    expect(soft.attach(SW | CRYPTOCAP_F_SYNC, [AES])).toBe(0);
    expect(f.crypto.crypto_newsession(ini(AES), HW | SW)).toEqual({ error: 0, sid: 0x06000000_00000001n });
  });

  it('A SID holds the driver\'s capability flags and id in its upper word and the driver\'s session id in its lower word.', () => {
    const { f, d } = drivers([HW, HW, HW]);
    const hid = hidOf(f, 2, AES);
    expect(hid).toBe(2);
    const { sid } = f.crypto.crypto_newsession(ini(AES), d[2]!.hid);
    expect(sid).toBe(0x01000002_00000002n);
    expect(CRYPTO_SESID2CAPS(sid)).toBe(HW);
    expect(CRYPTO_SESID2LID(sid)).toBe(2);
  });
});

describe('driver selection (crypto_newsession)', () => {
  it('A crid with neither HARDWARE nor SOFTWARE is a driver index, so crid 0 means driver #0.', () => {
    const { f } = drivers([SW, HW]);
    expect(hidOf(f, 0, AES)).toBe(0);
    expect(hidOf(f, 1, AES)).toBe(1);
  });

  it.each([
    ['an index past the table', 64],
    ['a negative index', -1],
    ['an empty slot', 3],
    ['an index whose driver lacks an algorithm of the chain', 0],
    ['CRYPTOCAP_F_SYNC alone (read as an index)', CRYPTOCAP_F_SYNC],
  ])('An explicit driver index that is %s is EINVAL.', (_case, crid) => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    a.attach(HW, [AES]);
    expect(f.crypto.crypto_newsession(ini(AES, SHA1), crid).error).toBe(EINVAL);
  });

  it('Among qualifying drivers the one with the fewest sessions wins, and the lowest index on ties.', () => {
    const { f, d } = drivers([HW, HW, HW]);
    const order = Array.from({ length: 6 }, () => hidOf(f, HW, AES));
    expect(order).toEqual([0, 1, 2, 0, 1, 2]);
    const { sid } = f.crypto.crypto_newsession(ini(SHA1), d[1]!.hid);
    expect(CRYPTO_SESID2HID(sid)).toBe(1);
    expect(hidOf(f, HW, AES)).toBe(0);
    expect(hidOf(f, HW, AES)).toBe(2);
  });

  it('Software drivers are considered only when no hardware driver supports every algorithm of the chain.', () => {
    const f = makeFixture();
    const hw = new FakeDriver(f, 'hw', { kind: 'sync' });
    const sw = new FakeDriver(f, 'sw', { kind: 'sync' });
    hw.attach(HW, [AES]);
    sw.attach(SW, [AES, SHA1]);
    expect(hidOf(f, HW | SW, AES)).toBe(hw.hid);
    expect(hidOf(f, HW | SW, AES, SHA1)).toBe(sw.hid);
    expect(f.crypto.crypto_newsession(ini(AES, SHA1), HW).error).toBe(EINVAL);
  });

  it('A HARDWARE-only crid never reaches a software driver, and a SOFTWARE-only crid never reaches a hardware one.', () => {
    const f = makeFixture();
    const hw = new FakeDriver(f, 'hw', { kind: 'sync' });
    const sw = new FakeDriver(f, 'sw', { kind: 'sync' });
    hw.attach(HW, [AES]);
    sw.attach(SW, [SHA1]);
    expect(f.crypto.crypto_newsession(ini(SHA1), HW).error).toBe(EINVAL);
    expect(f.crypto.crypto_newsession(ini(AES), SW).error).toBe(EINVAL);
  });

  it('A driver flagged both HARDWARE and SOFTWARE takes part in either pass.', () => {
    const f = makeFixture();
    const both = new FakeDriver(f, 'both', { kind: 'sync' });
    both.attach(HW | SW, [AES]);
    expect(hidOf(f, HW, AES)).toBe(both.hid);
    expect(hidOf(f, SW, AES)).toBe(both.hid);
  });

  it('crypto_get_driverid parks cc_sessions at 1 (the "mark") and every crypto_register resets it to 0.', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    const hid = f.crypto.crypto_get_driverid(a.dev, HW);
    const cap = f.crypto.drivers.slots[hid]!;
    expect(cap.cc_sessions).toBe(1);
    f.crypto.crypto_register(hid, AES, 0, 0);
    expect(cap.cc_sessions).toBe(0);
    hidOf(f, HW, AES);
    hidOf(f, HW, AES);
    expect(cap.cc_sessions).toBe(2);
    f.crypto.crypto_register(hid, SHA1, 0, 0);
    expect(cap.cc_sessions).toBe(0);
  });

  it('Because crypto_register resets the session count, a driver that registers again looks idle to the selection.', () => {
    const { f, d } = drivers([HW, HW]);
    expect([hidOf(f, HW, AES), hidOf(f, HW, AES), hidOf(f, HW, AES)]).toEqual([0, 1, 0]);
    f.crypto.crypto_register(d[0]!.hid, CRYPTO_SHA1_HMAC, 0, 0);
    expect(hidOf(f, HW, AES)).toBe(0);
  });

  it('There is no fallback to another driver when the chosen driver\'s newsession fails.', () => {
    const { f, d } = drivers([HW, HW, SW]);
    d[0]!.newsessionError = ENOMEM;
    expect(f.crypto.crypto_newsession(ini(AES), HW | SW)).toEqual({ error: ENOMEM, sid: 0n });
    expect(d[1]!.newsessionCalls).toHaveLength(0);
    expect(d[2]!.newsessionCalls).toHaveLength(0);
    expect(f.crypto.drivers.slots[0]!.cc_sessions).toBe(0);
  });

  it('crypto_get_driverid takes the lowest free slot, and the table of 4 doubles when it is full.', () => {
    const f = makeFixture();
    expect(f.crypto.drivers.slots).toHaveLength(4);
    const ds = [0, 1, 2, 3, 4].map((i) => new FakeDriver(f, 'd', { kind: 'sync' }, i));
    expect(ds.map((d) => d.attach(HW, [AES]))).toEqual([0, 1, 2, 3, 4]);
    expect(f.crypto.drivers.slots).toHaveLength(8);
    f.crypto.crypto_unregister_all(1);
    expect(new FakeDriver(f, 'e', { kind: 'sync' }).attach(HW, [AES])).toBe(1);
  });
});

describe('unregistering and tombstones', () => {
  it('crypto_unregister_all with live sessions leaves a CLEANUP tombstone that find_driver, selection and get_driverid skip.', () => {
    const { f, d } = drivers([HW, HW]);
    const sid = f.crypto.crypto_newsession(ini(AES), 0).sid;
    f.crypto.crypto_unregister_all(0);
    const cap = f.crypto.drivers.slots[0]!;
    expect(cap.cc_flags >>> 0).toBe(CRYPTOCAP_F_CLEANUP);
    expect(cap.cc_dev).toBeNull();
    expect(cap.cc_sessions).toBe(1);
    expect(f.crypto.crypto_find_driver('d0_')).toBe(-1);
    expect(hidOf(f, HW, AES)).toBe(d[1]!.hid);
    expect(new FakeDriver(f, 'late', { kind: 'sync' }).attach(HW, [AES])).toBe(2);
    expect(f.crypto.sessionIsLive(sid)).toBe(true);
  });

  it('The tombstone is removed when its last session is freed, and its slot is then reused.', () => {
    const { f } = drivers([HW]);
    const a = f.crypto.crypto_newsession(ini(AES), 0).sid;
    const b = f.crypto.crypto_newsession(ini(AES), 0).sid;
    f.crypto.crypto_unregister_all(0);
    expect(f.crypto.crypto_freesession(a)).toBe(0);
    expect(f.crypto.drivers.slots[0]!.isTombstone).toBe(true);
    expect(f.crypto.crypto_freesession(b)).toBe(0);
    expect(f.crypto.drivers.slots[0]!.isTombstone).toBe(false);
    expect(f.crypto.drivers.slots[0]!.cc_flags).toBe(0);
    expect(new FakeDriver(f, 'next', { kind: 'sync' }).attach(HW, [AES])).toBe(0);
  });

  it('A driver without live sessions is removed outright by crypto_unregister_all.', () => {
    const { f } = drivers([HW]);
    f.crypto.crypto_unregister_all(0);
    expect(f.crypto.drivers.slots[0]!.cc_flags).toBe(0);
    expect(f.crypto.drivers.slots[0]!.cc_dev).toBeNull();
  });

  it('A driver that got an id but never registered leaves a permanent tombstone (its "mark" session).', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    const hid = f.crypto.crypto_get_driverid(a.dev, HW);
    f.crypto.crypto_unregister_all(hid);
    expect(f.crypto.drivers.slots[hid]!.isTombstone).toBe(true);
    expect(f.crypto.drivers.slots[hid]!.cc_sessions).toBe(1);
    expect(new FakeDriver(f, 'b', { kind: 'sync' }).attach(HW, [AES])).toBe(hid + 1);
  });

  it('Migration frees the old session and creates the new one with HARDWARE|SOFTWARE, whatever crid the original used.', () => {
    const f = makeFixture();
    const sw1 = new FakeDriver(f, 'swa', { kind: 'sync' });
    const sw2 = new FakeDriver(f, 'swb', { kind: 'sync' });
    const hw = new FakeDriver(f, 'hw', { kind: 'sync' });
    sw1.attach(SW, [AES]);
    sw2.attach(SW, [AES]);
    hw.attach(HW, [AES]);
    const old = f.crypto.crypto_newsession(ini(AES), SW).sid;
    expect(CRYPTO_SESID2HID(old)).toBe(sw1.hid);
    f.crypto.crypto_unregister_all(sw1.hid);
    const { crp, calls } = request(f, old, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls.map((c) => c.etype)).toEqual([EAGAIN]);
    expect(CRYPTO_SESID2HID(crp.crp_sid)).toBe(hw.hid);
    expect(sw2.newsessionCalls).toHaveLength(0);
    expect(f.crypto.sessionIsLive(old)).toBe(false);
    expect(sw1.freed).toEqual([]);
  });

  it('Migration counts as one operation and one error in cryptostats, and the resubmission as another operation.', () => {
    const { f, d } = drivers([HW, HW], { kind: 'sync' });
    const old = f.crypto.crypto_newsession(ini(AES), 0).sid;
    f.crypto.crypto_unregister_all(d[0]!.hid);
    const { crp } = request(f, old, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(f.crypto.cryptostats.cs_ops).toBe(2);
    expect(f.crypto.cryptostats.cs_errs).toBe(1);
    expect(d[1]!.seen).toEqual([crp]);
  });
});

describe('dispatch, BATCH and ERESTART', () => {
  it('A non-BATCH request is handed to its driver inside crypto_dispatch with hint 0.', () => {
    const { f, d } = drivers([HW]);
    const { crp } = request(f, f.crypto.crypto_newsession(ini(AES), HW).sid, [AES]);
    f.crypto.crypto_dispatch(crp);
    expect(d[0]!.seen).toEqual([crp]);
    expect(d[0]!.hints).toEqual([0]);
    expect(f.crypto.queueDepth.symmetric).toBe(0);
  });

  it.each([
    ['two for the same driver, then one for another', [0, 0, 1], [[CRYPTO_HINT_MORE, 0], [0]]],
    ['alternating drivers', [0, 1, 0], [[0, 0], [0]]],
    ['three for the same driver', [0, 0, 0], [[CRYPTO_HINT_MORE, CRYPTO_HINT_MORE, 0], []]],
  ])('BATCH requests are handed over by the dispatcher thread, with CRYPTO_HINT_MORE when the next queued request is for the same driver (%s).', (_case, targets, hints) => {
    const { f, d } = drivers([HW, HW]);
    const sids = [f.crypto.crypto_newsession(ini(AES), 0).sid, f.crypto.crypto_newsession(ini(AES), 1).sid];
    for (const t of targets) f.crypto.crypto_dispatch(request(f, sids[t]!, [AES], CRYPTO_F_BATCH).crp);
    expect(f.crypto.queueDepth.symmetric).toBe(3);
    f.run();
    expect([d[0]!.hints, d[1]!.hints]).toEqual(hints);
  });

  it('ERESTART from a direct dispatch queues the request without marking the driver blocked.', () => {
    const { f, d } = drivers([HW], { kind: 'restart', times: 1, unblockAfterPs: 1e12, delayPs: US });
    const { crp, calls } = request(f, f.crypto.crypto_newsession(ini(AES), HW).sid, [AES]);
    expect(f.crypto.crypto_dispatch(crp)).toBe(0);
    expect(d[0]!.restarts).toBe(1);
    expect(f.crypto.drivers.slots[0]!.cc_qblocked).toBe(0);
    expect(f.crypto.queueDepth.symmetric).toBe(1);
    // The dispatcher thread then hands it over without any crypto_unblock.
    f.engine.runUntil(100 * US);
    expect(d[0]!.seen).toEqual([crp]);
    expect(calls).toHaveLength(1);
    expect(f.crypto.cryptostats.cs_blocks).toBe(0);
  });

  it('ERESTART on the dispatcher thread marks the driver blocked, requeues the request at the head and counts cs_blocks.', () => {
    const { f, d } = drivers([HW, HW], { kind: 'later', delayPs: US });
    d[0]!.mode = { kind: 'restart', times: 1, unblockAfterPs: 50 * US, delayPs: US };
    const s0 = f.crypto.crypto_newsession(ini(AES), 0).sid;
    const s1 = f.crypto.crypto_newsession(ini(AES), 1).sid;
    const order: string[] = [];
    const mk = (name: string, sid: bigint) => {
      const r = request(f, sid, [AES], CRYPTO_F_BATCH);
      r.crp.crp_callback = () => void order.push(name);
      return r.crp;
    };
    // Queue: a1 (driver 0), b1 (driver 1), a2 (driver 0).
    for (const crp of [mk('a1', s0), mk('b1', s1), mk('a2', s0)]) f.crypto.crypto_dispatch(crp);
    f.engine.runUntil(20 * US);
    expect(f.crypto.drivers.slots[0]!.cc_qblocked).toBe(1);
    expect(f.crypto.cryptostats.cs_blocks).toBe(1);
    // Driver 1 kept flowing while driver 0 was blocked; a1 kept its place ahead of a2.
    expect(order).toEqual(['b1']);
    expect(f.crypto.queueDepth.symmetric).toBe(2);
    f.run();
    expect(order).toEqual(['b1', 'a1', 'a2']);
    expect(f.crypto.drivers.slots[0]!.cc_qblocked).toBe(0);
  });

  it('A non-BATCH dispatch to a blocked driver queues silently and returns 0.', () => {
    const { f, d } = drivers([HW], { kind: 'restart', times: 2, unblockAfterPs: 1e9, delayPs: US });
    const sid = f.crypto.crypto_newsession(ini(AES), HW).sid;
    f.crypto.crypto_dispatch(request(f, sid, [AES]).crp);
    f.engine.runUntil(10 * US);
    expect(f.crypto.drivers.slots[0]!.cc_qblocked).toBe(1);
    const late = request(f, sid, [AES]);
    expect(f.crypto.crypto_dispatch(late.crp)).toBe(0);
    expect(d[0]!.restarts).toBe(2);
    expect(f.crypto.queueDepth.symmetric).toBe(2);
    f.run();
    expect(late.calls).toHaveLength(1);
    expect(d[0]!.seen).toHaveLength(2);
  });

  it('The callback of a request without CBIMM or CBIFSYNC runs on the "crypto returns" thread.', () => {
    const { f } = drivers([SW | CRYPTOCAP_F_SYNC], { kind: 'sync' });
    const { crp } = request(f, f.crypto.crypto_newsession(ini(AES), SW).sid, [AES]);
    let thread = '';
    crp.crp_callback = () => void (thread = f.sched.current?.name ?? '');
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(thread).toBe('crypto returns');
  });
});

describe('keying operations', () => {
  it('crypto_getfeat never reports CRF_DH_COMPUTE_KEY and hides software drivers unless kern.cryptodevallowsoft is set.', () => {
    const f = makeFixture();
    const hw = new FakeDriver(f, 'hw', { kind: 'sync' });
    const sw = new FakeDriver(f, 'sw', { kind: 'sync' });
    hw.attach(HW, [], [CRK_MOD_EXP, CRK_DH_COMPUTE_KEY]);
    sw.attach(SW, [], [CRK_DSA_SIGN]);
    expect(f.crypto.crypto_getfeat()).toEqual({ error: 0, feat: CRF_MOD_EXP });
    f.sysctl.set('kern.cryptodevallowsoft', 1);
    expect(f.crypto.crypto_getfeat()).toEqual({ error: 0, feat: CRF_MOD_EXP | CRF_DSA_SIGN });
  });

  it.each([
    ['by flags', () => HW | SW],
    ['by explicit index', () => 0],
  ])('A key operation reaches a software driver only with kern.cryptodevallowsoft set, otherwise it completes with ENODEV (%s).', (_case, crid) => {
    const f = makeFixture();
    const sw = new FakeDriver(f, 'sw', { kind: 'sync' }, 0, { kind: 'sync' });
    sw.attach(SW, [], [CRK_MOD_EXP]);
    const denied = keyop(CRK_MOD_EXP, crid());
    expect(f.crypto.crypto_kdispatch(denied.krp)).toBe(0);
    f.sysctl.set('kern.cryptodevallowsoft', 1);
    const allowed = keyop(CRK_MOD_EXP, crid());
    f.crypto.crypto_kdispatch(allowed.krp);
    f.run();
    expect(denied.calls.map((c) => c.status)).toEqual([ENODEV]);
    expect(allowed.calls).toEqual([{ status: 0, hid: sw.hid }]);
    expect(sw.kops).toEqual([allowed.krp]);
  });

  it('A key operation no driver offers completes with ENODEV and crypto_kdispatch still returns 0.', () => {
    const { f } = drivers([HW]);
    const { krp, calls } = keyop(CRK_DSA_SIGN, HW | SW);
    expect(f.crypto.crypto_kdispatch(krp)).toBe(0);
    f.run();
    expect(calls.map((c) => c.status)).toEqual([ENODEV]);
    expect(f.crypto.cryptostats.cs_kerrs).toBe(1);
  });

  it('Key operations go to the hardware driver with the fewest operations in flight, the lowest index on ties.', () => {
    const { f, d } = drivers([HW, HW], { kind: 'sync' }, { kind: 'later', delayPs: 10 * US });
    const ops = [0, 1, 2].map(() => keyop(CRK_MOD_EXP, HW));
    for (const o of ops) f.crypto.crypto_kdispatch(o.krp);
    expect(ops.map((o) => o.krp.krp_hid)).toEqual([0, 1, 0]);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(2);
    f.run();
    expect(d[0]!.kops).toHaveLength(2);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(0);
  });

  it('A kprocess ERESTART on the dispatcher thread blocks the asymmetric queue, counts cs_kblocks, and crypto_unblock(CRYPTO_ASYMQ) releases it.', () => {
    const { f, d } = drivers([HW], { kind: 'sync' }, { kind: 'restart', times: 2, unblockAfterPs: 50 * US, delayPs: US });
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    // The direct ERESTART only queued it; the dispatcher thread's ERESTART blocks the driver.
    expect(f.crypto.drivers.slots[0]!.cc_kqblocked).toBe(0);
    f.engine.runUntil(20 * US);
    expect(f.crypto.drivers.slots[0]!.cc_kqblocked).toBe(1);
    expect(f.crypto.cryptostats.cs_kblocks).toBe(1);
    expect(f.crypto.queueDepth.asymmetric).toBe(1);
    f.run();
    expect(calls).toEqual([{ status: 0, hid: 0 }]);
    expect(d[0]!.krestarts).toBe(2);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(0);
  });

  it('crypto_unblock(CRYPTO_SYMQ) leaves the asymmetric queue blocked and crypto_unblock(CRYPTO_ASYMQ) the symmetric one.', () => {
    const { f } = drivers([HW]);
    const cap = f.crypto.drivers.slots[0]!;
    cap.cc_qblocked = 1;
    cap.cc_kqblocked = 1;
    f.crypto.crypto_unblock(0, CRYPTO_SYMQ);
    expect([cap.cc_qblocked, cap.cc_kqblocked]).toEqual([0, 1]);
    cap.cc_qblocked = 1;
    f.crypto.crypto_unblock(0, CRYPTO_ASYMQ);
    expect([cap.cc_qblocked, cap.cc_kqblocked]).toEqual([1, 0]);
  });

  it('A key operation counted on a driver that unregisters keeps its tombstone until crypto_kdone.', () => {
    const { f } = drivers([HW], { kind: 'sync' }, { kind: 'later', delayPs: 10 * US });
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    f.crypto.crypto_unregister_all(0);
    expect(f.crypto.drivers.slots[0]!.isTombstone).toBe(true);
    expect(f.crypto.drivers.slots[0]!.cc_koperations).toBe(1);
    f.run();
    expect(calls).toHaveLength(1);
    expect(f.crypto.drivers.slots[0]!.isTombstone).toBe(false);
  });
});

describe('statistics, timing and sysctls', () => {
  it('cryptostats counts operations, errors, blocks, key operations, key errors, and the wakeups of both threads.', () => {
    const { f, d } = drivers([HW, HW], { kind: 'later', delayPs: US }, { kind: 'later', delayPs: US });
    const s0 = f.crypto.crypto_newsession(ini(AES), 0).sid;
    const s1 = f.crypto.crypto_newsession(ini(AES), 1).sid;
    d[1]!.mode = { kind: 'restart', times: 2, unblockAfterPs: 5 * US, delayPs: US };
    for (let i = 0; i < 3; i++) f.crypto.crypto_dispatch(request(f, s0, [AES]).crp);
    f.crypto.crypto_dispatch(request(f, s1, [AES]).crp);
    f.run();
    d[0]!.mode = { kind: 'fail', etype: EIO };
    f.crypto.crypto_dispatch(request(f, s0, [AES]).crp);
    f.crypto.crypto_kdispatch(keyop(CRK_MOD_EXP, HW).krp);
    f.crypto.crypto_kdispatch(keyop(CRK_DSA_SIGN, HW).krp);
    f.run();
    const s = f.crypto.cryptostats;
    expect([s.cs_ops, s.cs_errs, s.cs_blocks, s.cs_kops, s.cs_kerrs, s.cs_kblocks]).toEqual([5, 1, 1, 2, 1, 0]);
    expect(s.cs_intrs).toBeGreaterThan(0);
    expect(s.cs_rets).toBeGreaterThan(0);
  });

  it('debug.crypto_timing measures the dispatch→invoke, invoke→done, done→callback and callback stages in simulated picoseconds.', () => {
    const { f } = drivers([HW], { kind: 'later', delayPs: 40 * US });
    f.sysctl.set('debug.crypto_timing', 1);
    const sid = f.crypto.crypto_newsession(ini(AES), HW).sid;
    const { crp } = request(f, sid, [AES], CRYPTO_F_BATCH);
    crp.crp_callback = () => f.sched.current?.charge(3 * US);
    f.consumer('consumer', function* () {
      f.crypto.crypto_dispatch(crp);
    });
    f.run();
    const s = f.crypto.cryptostats;
    for (const stage of [s.cs_invoke, s.cs_done, s.cs_cb, s.cs_finis]) expect(stage.count).toBe(1);
    // Queued (BATCH) for the dispatcher thread: some simulated time passes before invoke.
    expect(s.cs_invoke.acc).toBeGreaterThan(0);
    expect(s.cs_done.acc).toBeGreaterThanOrEqual(40 * US);
    expect(s.cs_done.acc).toBeLessThan(42 * US);
    expect(s.cs_cb.acc).toBeGreaterThan(0);
    expect(s.cs_finis.acc).toBe(3 * US);
    expect(s.cs_done.min).toBe(s.cs_done.max);
  });

  it('With debug.crypto_timing off no stage is measured.', () => {
    const { f } = drivers([HW]);
    const { crp } = request(f, f.crypto.crypto_newsession(ini(AES), HW).sid, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    const s = f.crypto.cryptostats;
    expect([s.cs_invoke.count, s.cs_done.count, s.cs_cb.count, s.cs_finis.count]).toEqual([0, 0, 0, 0]);
    expect(crp.crp_tstamp).toBe(0);
  });

  it('The framework\'s sysctls default to FreeBSD\'s values.', () => {
    const f = makeFixture();
    expect(f.sysctl.get('kern.cryptodevallowsoft')).toBe(0);
    expect(f.sysctl.get('kern.userasymcrypto')).toBe(1);
    expect(f.sysctl.get('debug.crypto_timing')).toBe(0);
  });
});

describe('driver lookup', () => {
  it('crypto_find_driver matches a prefix of the driver name or nameunit, and the empty name matches the first driver.', () => {
    const f = makeFixture();
    const h0 = new FakeDriver(f, 'hifn', { kind: 'sync' }, 0);
    const h1 = new FakeDriver(f, 'hifn', { kind: 'sync' }, 1);
    const u = new FakeDriver(f, 'ubsec', { kind: 'sync' }, 0);
    for (const d of [h0, h1, u]) d.attach(HW, [AES]);
    expect(f.crypto.crypto_find_driver('hifn')).toBe(h0.hid);
    expect(f.crypto.crypto_find_driver('hifn1')).toBe(h1.hid);
    expect(f.crypto.crypto_find_driver('ub')).toBe(u.hid);
    expect(f.crypto.crypto_find_driver('')).toBe(h0.hid);
    expect(f.crypto.crypto_find_driver('hifnx')).toBe(-1);
  });

  it('crypto_getcaps returns a driver\'s flags (0 for a bad id) and crypto_find_device_byhid its device.', () => {
    const { f, d } = drivers([HW | CRYPTOCAP_F_SYNC]);
    expect(f.crypto.crypto_getcaps(0)).toBe(HW | CRYPTOCAP_F_SYNC);
    expect(f.crypto.crypto_getcaps(7)).toBe(0);
    expect(f.crypto.crypto_getcaps(-3)).toBe(0);
    expect(f.crypto.crypto_find_device_byhid(0)).toBe(d[0]!.dev);
    expect(f.crypto.crypto_find_device_byhid(99)).toBeNull();
  });

  it('crypto_freesession of a SID whose driver id lies outside the table is ENOENT.', () => {
    const { f } = drivers([HW]);
    expect(f.crypto.crypto_freesession(0x01000040_00000001n)).toBe(ENOENT);
  });
});
