/**
 * crypto(9) as a specification: one test (at least) per normative sentence of the manual page
 * (reference/crypto.9.txt, FreeBSD's share/man/man9/crypto.9). Each test is named after its
 * sentence. Where the 2015 page documents the pre-2007 function-pointer API, the sentence is
 * tested against the kobj form the framework actually has (reference/ocf.md §4.1).
 */
import { describe, expect, it } from 'vitest';
import { FakeDriver, US, ini, keyop, makeFixture, request, type FakeMode, type Fixture } from '../fixture.js';
import {
  CRK_MOD_EXP,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_F_BATCH,
  CRYPTO_F_CBIFSYNC,
  CRYPTO_F_CBIMM,
  CRYPTO_F_DONE,
  CRYPTO_HINT_MORE,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SYMQ,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  EAGAIN,
  EINVAL,
  EIO,
  ENOENT,
} from '../../../framework/constants.js';
import { CRYPTO_SESID2CAPS, CRYPTO_SESID2HID, CRYPTO_SESID2LID } from '../../../framework/drivers.js';
import type { cryptoini } from '../../../framework/structs.js';

const HW = CRYPTOCAP_F_HARDWARE;
const SW = CRYPTOCAP_F_SOFTWARE;
const AES = CRYPTO_AES_CBC;
const SHA1 = CRYPTO_SHA1_HMAC;

/** A hardware driver (completes later) and a software one (synchronous), both offering AES and SHA1-HMAC. */
function hwAndSw(hwMode: FakeMode = { kind: 'later', delayPs: 10 * US }) {
  const f = makeFixture();
  const hw = new FakeDriver(f, 'hw', hwMode);
  const sw = new FakeDriver(f, 'sw', { kind: 'sync' });
  hw.attach(HW, [AES, SHA1]);
  sw.attach(SW | CRYPTOCAP_F_SYNC, [AES, SHA1]);
  return { f, hw, sw };
}

function newsession(f: Fixture, crid: number, ...algs: number[]): bigint {
  const { error, sid } = f.crypto.crypto_newsession(ini(...algs), crid);
  expect(error).toBe(0);
  return sid;
}

/** The thread a callback runs on ('(none)' for an engine event, e.g. the completion interrupt). */
function threadOf(f: Fixture): string {
  return f.sched.current?.name ?? '(none)';
}

/** Everything of a cryptoini chain a framework or driver could modify, for before/after comparison. */
function snapshot(cri: cryptoini | null): unknown[] {
  const out: unknown[] = [];
  for (let c = cri; c; c = c.cri_next) {
    out.push({ alg: c.cri_alg, klen: c.cri_klen, mlen: c.cri_mlen, key: c.cri_key ? [...c.cri_key] : null, iv: [...c.cri_iv], next: c.cri_next });
  }
  return out;
}

describe('crypto(9) DESCRIPTION', () => {
  it.each([
    ['completed successfully by a synchronous driver', { kind: 'sync' } as FakeMode, 0],
    ['completed successfully later', { kind: 'later', delayPs: 5 * US } as FakeMode, 0],
    ['completed successfully through an in-order ring', { kind: 'fifo', delayPs: 5 * US } as FakeMode, 0],
    ['failed by the driver', { kind: 'fail', etype: EIO } as FakeMode, EIO],
  ])('The callback is invoked by the framework whether the request was successfully completed or not (%s).', (_case, mode, etype) => {
    const { f } = hwAndSw(mode);
    const sid = newsession(f, HW, AES);
    const { crp, calls } = request(f, sid, [AES]);
    expect(f.crypto.crypto_dispatch(crp)).toBe(0);
    f.run();
    expect(calls).toEqual([{ etype, sid, flags: CRYPTO_F_DONE }]);
    f.violations.assertNone();
  });

  it('An error indication is provided in the latter case.', () => {
    const { f } = hwAndSw({ kind: 'fail', etype: EIO });
    const { crp, calls } = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls.map((c) => c.etype)).toEqual([EIO]);
  });

  it('A specific error code, EAGAIN, is used to indicate that a session number has changed and that the request may be re-submitted immediately with the new session number.', () => {
    const { f, hw, sw } = hwAndSw();
    const old = newsession(f, HW, AES);
    f.crypto.crypto_unregister_all(hw.hid);
    const { crp, calls } = request(f, old, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.etype).toBe(EAGAIN);
    expect(calls[0]!.sid).not.toBe(old);
    expect(CRYPTO_SESID2HID(calls[0]!.sid)).toBe(sw.hid);
    expect(f.crypto.crypto_dispatch(crp)).toBe(0);
    f.run();
    expect(calls[1]!.etype).toBe(0);
    expect(sw.seen).toEqual([crp]);
  });

  it('Errors are only returned to the invoking function if not enough information to call the callback is available.', () => {
    const { f } = hwAndSw({ kind: 'fail', etype: EIO });
    const sid = newsession(f, HW, AES);
    // Enough information: errors travel through the callback, crypto_dispatch returns 0.
    const failing = request(f, sid, [AES]);
    const noDriver = request(f, 0x00ffffff_00000001n, [AES]);
    expect(f.crypto.crypto_dispatch(failing.crp)).toBe(0);
    expect(f.crypto.crypto_dispatch(noDriver.crp)).toBe(0);
    // Not enough: no request, or no callback to call.
    expect(f.crypto.crypto_dispatch(null)).toBe(EINVAL);
    const orphan = request(f, sid, [AES]).crp;
    orphan.crp_callback = null;
    expect(f.crypto.crypto_dispatch(orphan)).toBe(EINVAL);
    f.run();
    expect(failing.calls.map((c) => c.etype)).toEqual([EIO]);
    expect(noDriver.calls.map((c) => c.etype)).toEqual([EINVAL]);
  });

  it('For session initialization and teardown there is no callback mechanism used.', () => {
    const { f, hw } = hwAndSw();
    const pending = f.engine.pending;
    const { error, sid } = f.crypto.crypto_newsession(ini(AES), HW);
    // The driver's newsession ran inside the call and its outcome is the return value.
    expect(error).toBe(0);
    expect(hw.newsessionCalls).toHaveLength(1);
    expect(f.crypto.sessionIsLive(sid)).toBe(true);
    expect(f.crypto.crypto_freesession(sid)).toBe(0);
    expect(hw.freed).toEqual([sid]);
    expect(f.crypto.sessionIsLive(sid)).toBe(false);
    expect(f.engine.pending).toBe(pending);
  });

  it('The crypto_find_driver function may be called to return the specific id of the provided name.', () => {
    const { f, hw, sw } = hwAndSw();
    expect(f.crypto.crypto_find_driver('hw')).toBe(hw.hid);
    expect(f.crypto.crypto_find_driver('hw0')).toBe(hw.hid);
    expect(f.crypto.crypto_find_driver('sw0')).toBe(sw.hid);
  });

  it('If the specified driver could not be found, the returned id is -1.', () => {
    const { f, hw } = hwAndSw();
    expect(f.crypto.crypto_find_driver('hifn')).toBe(-1);
    expect(f.crypto.crypto_find_driver('hw1')).toBe(-1);
    f.crypto.crypto_unregister_all(hw.hid);
    expect(f.crypto.crypto_find_driver('hw')).toBe(-1);
  });

  it.each([
    ['a specific driver id (the hardware one)', (d: ReturnType<typeof hwAndSw>) => d.hw.hid, 'hw'],
    ['a specific driver id (the software one)', (d: ReturnType<typeof hwAndSw>) => d.sw.hid, 'sw'],
    ['CRYPTOCAP_F_HARDWARE, to select hardware devices', () => HW, 'hw'],
    ['CRYPTOCAP_F_SOFTWARE, to select software devices', () => SW, 'sw'],
  ] as const)('The third argument is either a specific driver id, or one or both of CRYPTOCAP_F_HARDWARE or CRYPTOCAP_F_SOFTWARE: %s.', (_case, crid, expected) => {
    const d = hwAndSw();
    const sid = newsession(d.f, crid(d), AES);
    expect(CRYPTO_SESID2HID(sid)).toBe(d[expected].hid);
  });

  it('If both are specified, a hardware device will be returned before a software device will be.', () => {
    const f = makeFixture();
    // The software driver takes the lower index and has fewer sessions: hardware still wins.
    const sw = new FakeDriver(f, 'sw', { kind: 'sync' });
    sw.attach(SW, [AES]);
    const hw = new FakeDriver(f, 'hw', { kind: 'sync' });
    hw.attach(HW, [AES]);
    for (let i = 0; i < 3; i++) expect(CRYPTO_SESID2HID(newsession(f, HW | SW, AES))).toBe(hw.hid);
    expect(sw.hid).toBeLessThan(hw.hid);
  });

  it('On success, the value pointed to by the first argument will be the Session IDentifier (SID).', () => {
    const { f, hw } = hwAndSw();
    const { error, sid } = f.crypto.crypto_newsession(ini(AES, SHA1), HW);
    expect(error).toBe(0);
    expect(CRYPTO_SESID2HID(sid)).toBe(hw.hid);
    expect(hw.sessions.get(CRYPTO_SESID2LID(sid))).toEqual([AES, SHA1]);
    expect(f.crypto.sessionIsLive(sid)).toBe(true);
  });

  it('The cryptoini structure and its contents will not be modified by the framework (or the drivers used).', () => {
    const { f } = hwAndSw();
    const cri = ini(AES, SHA1);
    cri.cri_klen = 128;
    cri.cri_key = new Uint8Array(16).fill(7);
    cri.cri_next!.cri_mlen = 12;
    const before = snapshot(cri);
    newsession(f, HW | SW, AES); // another session first, so selection has something to weigh
    expect(f.crypto.crypto_newsession(cri, HW | SW).error).toBe(0);
    expect(f.crypto.crypto_newsession(cri, SW).error).toBe(0);
    expect(snapshot(cri)).toEqual(before);
  });

  it('This cryptoini structure (CRD_INI) will not be modified by the framework or the device drivers, even when a session migrates.', () => {
    const { f, hw } = hwAndSw();
    const old = newsession(f, HW, AES, SHA1);
    const { crp } = request(f, old, [AES, SHA1]);
    const inis: cryptoini[] = [];
    for (let d = crp.crp_desc; d; d = d.crd_next) inis.push(d.CRD_INI);
    const before = inis.map((c) => snapshot(c));
    f.crypto.crypto_unregister_all(hw.hid);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(crp.crp_etype).toBe(EAGAIN);
    // FreeBSD linked the descriptors' CRD_INI through cri_next to rebuild the chain; ocfsim copies.
    expect(inis.map((c) => snapshot(c))).toEqual(before);
  });

  it('crypto_freesession is called with the SID returned by crypto_newsession to disestablish the session.', () => {
    const { f, hw } = hwAndSw();
    const sid = newsession(f, HW, AES);
    expect(f.crypto.crypto_freesession(sid)).toBe(0);
    expect(hw.freed).toEqual([sid]);
    expect(hw.sessions.size).toBe(0);
    expect(f.crypto.sessionIsLive(sid)).toBe(false);
  });

  it('crypto_dispatch is called to process a request.', () => {
    const { f, hw } = hwAndSw();
    const { crp, calls } = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(crp);
    expect(hw.seen).toEqual([crp]);
    f.run();
    expect(calls).toHaveLength(1);
  });
});

describe('crypto(9) struct cryptop', () => {
  it('crp_callback is invoked upon completion of the request, whether successful or not, through the crypto_done routine.', () => {
    const { f, hw } = hwAndSw({ kind: 'never' });
    const ok = request(f, newsession(f, HW, AES), [AES]);
    const bad = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(ok.crp);
    f.crypto.crypto_dispatch(bad.crp);
    f.run();
    expect(hw.seen).toHaveLength(2);
    expect(ok.calls).toHaveLength(0);
    expect(bad.calls).toHaveLength(0);
    f.crypto.crypto_done(ok.crp);
    bad.crp.crp_etype = EIO;
    f.crypto.crypto_done(bad.crp);
    f.run();
    expect(ok.calls.map((c) => c.etype)).toEqual([0]);
    expect(bad.calls.map((c) => c.etype)).toEqual([EIO]);
  });

  it('If the EAGAIN error code is returned, the SID has changed (and has been recorded in the crp_sid field).', () => {
    const { f, hw, sw } = hwAndSw();
    const old = newsession(f, HW, AES);
    f.crypto.crypto_unregister_all(hw.hid);
    const { crp, calls } = request(f, old, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls[0]!.etype).toBe(EAGAIN);
    expect(crp.crp_sid).toBe(calls[0]!.sid);
    expect(f.crypto.sessionIsLive(crp.crp_sid)).toBe(true);
    expect(f.crypto.sessionIsLive(old)).toBe(false);
    expect(sw.sessions.size).toBe(1);
  });

  it('The consumer should record the new SID and use it in all subsequent requests.', () => {
    const { f, hw, sw } = hwAndSw();
    const old = newsession(f, HW, AES);
    f.crypto.crypto_unregister_all(hw.hid);
    const first = request(f, old, [AES]);
    f.crypto.crypto_dispatch(first.crp);
    f.run();
    const recorded = first.crp.crp_sid;
    const next = request(f, recorded, [AES]);
    f.crypto.crypto_dispatch(next.crp);
    f.run();
    expect(next.calls.map((c) => c.etype)).toEqual([0]);
    expect(sw.seen).toEqual([next.crp]);
  });

  it('In this case, the request may be re-submitted immediately.', () => {
    const { f, hw, sw } = hwAndSw();
    const old = newsession(f, HW, AES);
    f.crypto.crypto_unregister_all(hw.hid);
    const etypes: number[] = [];
    const { crp } = request(f, old, [AES]);
    crp.crp_callback = (c) => {
      etypes.push(c.crp_etype);
      if (c.crp_etype === EAGAIN) expect(f.crypto.crypto_dispatch(c)).toBe(0);
    };
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(etypes).toEqual([EAGAIN, 0]);
    expect(sw.seen).toEqual([crp]);
    f.violations.assertNone();
  });

  it('This mechanism is used by the framework to perform session migration (move a session from one driver to another).', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    const b = new FakeDriver(f, 'b', { kind: 'sync' });
    a.attach(HW, [AES]);
    const old = newsession(f, HW, AES);
    b.attach(HW, [AES]);
    f.crypto.crypto_unregister_all(a.hid);
    expect(f.crypto.drivers.slots[a.hid]!.isTombstone).toBe(true);
    const { crp } = request(f, old, [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(CRYPTO_SESID2HID(crp.crp_sid)).toBe(b.hid);
    expect(b.sessions.get(CRYPTO_SESID2LID(crp.crp_sid))).toEqual([AES]);
    // The old session is gone, and with it the tombstone.
    expect(f.crypto.drivers.slots[a.hid]!.isTombstone).toBe(false);
    expect(f.crypto.drivers.slots[a.hid]!.cc_sessions).toBe(0);
  });

  it('crp_opaque is passed through the crypto framework untouched.', () => {
    const { f } = hwAndSw();
    const token = { mine: true };
    const { crp } = request(f, newsession(f, HW, AES), [AES]);
    crp.crp_opaque = token;
    let seen: unknown;
    crp.crp_callback = (c) => {
      seen = c.crp_opaque;
    };
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(seen).toBe(token);
  });
});

describe('crypto(9) crp_flags', () => {
  it('CRYPTO_F_BATCH: Batch operation if possible.', () => {
    const { f, hw } = hwAndSw();
    const sid = newsession(f, HW, AES);
    const reqs = [request(f, sid, [AES], CRYPTO_F_BATCH), request(f, sid, [AES], CRYPTO_F_BATCH)];
    for (const r of reqs) f.crypto.crypto_dispatch(r.crp);
    // Not handed over inside crypto_dispatch: the dispatcher thread batches them.
    expect(hw.seen).toHaveLength(0);
    expect(f.crypto.queueDepth.symmetric).toBe(2);
    f.run();
    expect(hw.seen).toEqual(reqs.map((r) => r.crp));
    expect(hw.hints).toEqual([CRYPTO_HINT_MORE, 0]);
  });

  it('CRYPTO_F_CBIMM: Do callback immediately instead of doing it from a dedicated kernel thread.', () => {
    const { f, sw } = hwAndSw();
    const sid = newsession(f, sw.hid, AES);
    const where: string[] = [];
    const imm = request(f, sid, [AES], CRYPTO_F_CBIMM);
    imm.crp.crp_callback = () => void where.push(`imm:${threadOf(f)}`);
    const plain = request(f, sid, [AES]);
    plain.crp.crp_callback = () => void where.push(`plain:${threadOf(f)}`);
    f.crypto.crypto_dispatch(imm.crp);
    // A synchronous driver: the callback ran inside crypto_done, before crypto_dispatch returned.
    expect(where).toEqual(['imm:(none)']);
    f.crypto.crypto_dispatch(plain.crp);
    expect(where).toEqual(['imm:(none)']);
    f.run();
    expect(where).toEqual(['imm:(none)', 'plain:crypto returns']);
  });

  it('CRYPTO_F_CBIMM calls back from inside crypto_done, in the completing context, for an asynchronous driver too.', () => {
    const { f, hw } = hwAndSw({ kind: 'later', delayPs: 20 * US });
    const sid = newsession(f, hw.hid, AES);
    const where: string[] = [];
    const imm = request(f, sid, [AES], CRYPTO_F_CBIMM);
    imm.crp.crp_callback = () => void where.push(threadOf(f));
    f.crypto.crypto_dispatch(imm.crp);
    f.run();
    expect(where).toEqual(['(none)']);
  });

  it('CRYPTO_F_DONE: Operation completed.', () => {
    const { f } = hwAndSw({ kind: 'never' });
    const { crp, calls } = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(crp.crp_flags & CRYPTO_F_DONE).toBe(0);
    f.crypto.crypto_done(crp);
    expect(crp.crp_flags & CRYPTO_F_DONE).toBe(CRYPTO_F_DONE);
    f.run();
    expect(calls[0]!.flags & CRYPTO_F_DONE).toBe(CRYPTO_F_DONE);
  });

  it.each([
    ['calls back immediately for a driver that specified CRYPTOCAP_F_SYNC', SW | CRYPTOCAP_F_SYNC, { kind: 'later', delayPs: 3 * US } as FakeMode, '(none)'],
    ['goes through the return thread for a driver without CRYPTOCAP_F_SYNC, even one completing inside process()', SW, { kind: 'sync' } as FakeMode, 'crypto returns'],
  ])('CRYPTO_F_CBIFSYNC: Do callback immediately if operation is synchronous (that the driver specified the CRYPTOCAP_F_SYNC flag): %s.', (_case, flags, mode, thread) => {
    const f = makeFixture();
    const d = new FakeDriver(f, 'd', mode);
    d.attach(flags, [AES]);
    const { crp } = request(f, newsession(f, d.hid, AES), [AES], CRYPTO_F_CBIFSYNC);
    const where: string[] = [];
    crp.crp_callback = () => void where.push(threadOf(f));
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(where).toEqual([thread]);
  });

  it('CRYPTO_F_CBIFSYNC decides by the capabilities recorded in the SID, not the driver\'s current flags.', () => {
    const f = makeFixture();
    const d = new FakeDriver(f, 'd', { kind: 'sync' });
    d.attach(SW | CRYPTOCAP_F_SYNC, [AES]);
    const sid = newsession(f, d.hid, AES);
    expect(CRYPTO_SESID2CAPS(sid) & CRYPTOCAP_F_SYNC).toBe(CRYPTOCAP_F_SYNC);
    f.crypto.drivers.slots[d.hid]!.cc_flags &= ~CRYPTOCAP_F_SYNC;
    const { crp, calls } = request(f, sid, [AES], CRYPTO_F_CBIFSYNC);
    f.crypto.crypto_dispatch(crp);
    expect(calls).toHaveLength(1);
  });
});

describe('crypto(9) crypto_getreq and crypto_freereq', () => {
  it.each([0, 1, 2, 5])('crypto_getreq allocates a cryptop structure with a linked list of as many cryptodesc structures as were specified in the argument passed to it (%i).', (n) => {
    const { f } = hwAndSw();
    const crp = f.crypto.crypto_getreq(n)!;
    let count = 0;
    for (let d = crp.crp_desc; d; d = d.crd_next) count++;
    expect(count).toBe(n);
    expect(crp.crp_sid).toBe(0n);
    expect(crp.crp_flags).toBe(0);
    expect(crp.crp_callback).toBeNull();
  });

  it('crypto_freereq deallocates a structure cryptop and any cryptodesc structures linked to it.', () => {
    const { f } = hwAndSw();
    const crp = f.crypto.crypto_getreq(3)!;
    f.crypto.crypto_freereq(crp);
    expect(crp.crp_desc).toBeNull();
    expect(() => f.crypto.crypto_freereq(null)).not.toThrow();
    f.violations.assertNone();
  });
});

describe('crypto(9) keying operations', () => {
  function keyDriver(kmode: ConstructorParameters<typeof FakeDriver>[4]) {
    const f = makeFixture();
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, kmode);
    pk.attach(HW, [AES], [CRK_MOD_EXP]);
    return { f, pk };
  }

  it('crypto_kdispatch is called to perform a keying operation.', () => {
    const { f, pk } = keyDriver({ kind: 'later', delayPs: 5 * US });
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    expect(f.crypto.crypto_kdispatch(krp)).toBe(0);
    expect(pk.kops).toEqual([krp]);
    f.run();
    expect(calls).toEqual([{ status: 0, hid: pk.hid }]);
  });

  it('krp_status: Return code (an errno-style variable indicating lower-level reasons for operation failure).', () => {
    const { f } = keyDriver({ kind: 'fail', status: EIO });
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    f.run();
    expect(calls.map((c) => c.status)).toEqual([EIO]);
  });

  it('krp_hid: Identifier specifying which low-level driver is being used.', () => {
    const f = makeFixture();
    const a = new FakeDriver(f, 'a', { kind: 'sync' });
    const b = new FakeDriver(f, 'b', { kind: 'sync' });
    a.attach(HW, [AES]);
    b.attach(HW, [AES], [CRK_MOD_EXP]);
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    expect(krp.krp_hid).toBe(b.hid);
    f.run();
    expect(calls[0]!.hid).toBe(b.hid);
  });

  it('krp_callback: Callback called on completion of a keying operation.', () => {
    const { f } = keyDriver({ kind: 'later', delayPs: 50 * US });
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    let at = -1;
    krp.krp_callback = () => {
      at = f.sched.localNow();
      calls.push({ status: 0, hid: 0 });
    };
    f.crypto.crypto_kdispatch(krp);
    f.run();
    expect(calls).toHaveLength(1);
    expect(at).toBeGreaterThanOrEqual(50 * US);
  });

  it('In case of an unrecoverable error, the error indication must be placed in the krp_status field of the cryptkop structure.', () => {
    const { f, pk } = keyDriver({ kind: 'fail', status: EINVAL });
    const { krp, calls } = keyop(CRK_MOD_EXP, pk.hid);
    f.crypto.crypto_kdispatch(krp);
    f.run();
    expect(calls).toEqual([{ status: EINVAL, hid: pk.hid }]);
    expect(f.crypto.cryptostats.cs_kerrs).toBe(1);
  });

  it('When the request is completed, or an error is detected, the kprocess routine should invoke crypto_kdone.', () => {
    const { f, pk } = keyDriver({ kind: 'sync' });
    const { krp, calls } = keyop(CRK_MOD_EXP, HW);
    f.crypto.crypto_kdispatch(krp);
    expect(pk.kops).toEqual([krp]);
    // crypto_kdone queues the callback for the return thread (no CBIMM for key operations).
    expect(calls).toHaveLength(0);
    f.run();
    expect(calls).toHaveLength(1);
    expect(f.crypto.drivers.slots[pk.hid]!.cc_koperations).toBe(0);
  });
});

describe('crypto(9) DRIVER-SIDE API', () => {
  it.each([
    ['no flags', 0, false],
    ['CRYPTOCAP_F_SYNC alone', CRYPTOCAP_F_SYNC, false],
    ['CRYPTOCAP_F_HARDWARE', HW, true],
    ['CRYPTOCAP_F_SOFTWARE', SW, true],
    ['CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE', HW | SW, true],
    ['CRYPTOCAP_F_SOFTWARE | CRYPTOCAP_F_SYNC', SW | CRYPTOCAP_F_SYNC, true],
  ])('One of CRYPTOCAP_F_SOFTWARE or CRYPTOCAP_F_HARDWARE must be specified to crypto_get_driverid (%s).', (_case, flags, ok) => {
    const f = makeFixture();
    const d = new FakeDriver(f, 'd', { kind: 'sync' });
    const hid = f.crypto.crypto_get_driverid(d.dev, flags);
    if (ok) expect(hid).toBeGreaterThanOrEqual(0);
    else expect(hid).toBe(-1);
  });

  it('The CRYPTOCAP_F_SYNC may also be specified, and should be specified if the driver does all of its operations synchronously.', () => {
    const f = makeFixture();
    const d = new FakeDriver(f, 'd', { kind: 'sync' });
    d.attach(SW | CRYPTOCAP_F_SYNC, [AES]);
    expect(f.crypto.crypto_getcaps(d.hid)).toBe(SW | CRYPTOCAP_F_SYNC);
    expect(CRYPTO_SESID2CAPS(newsession(f, SW, AES)) >>> 0).toBe((SW | CRYPTOCAP_F_SYNC) >>> 0);
  });

  it('For each algorithm the driver supports, it must then call crypto_register.', () => {
    const f = makeFixture();
    const d = new FakeDriver(f, 'd', { kind: 'sync' });
    d.hid = f.crypto.crypto_get_driverid(d.dev, HW);
    expect(f.crypto.crypto_newsession(ini(AES), HW).error).toBe(EINVAL);
    expect(f.crypto.crypto_register(d.hid, AES, 0, 0)).toBe(0);
    expect(CRYPTO_SESID2HID(newsession(f, HW, AES))).toBe(d.hid);
    expect(f.crypto.crypto_newsession(ini(SHA1), HW).error).toBe(EINVAL);
  });

  it('The first two arguments of crypto_register are the driver and algorithm identifiers.', () => {
    const { f, hw } = hwAndSw();
    expect(f.crypto.crypto_register(hw.hid, CRYPTO_3DES_CBC, 0, 0)).toBe(0);
    expect(f.crypto.drivers.slots[hw.hid]!.cc_alg[CRYPTO_3DES_CBC]! & 1).toBe(1);
    expect(f.crypto.crypto_register(99, AES, 0, 0)).toBe(EINVAL);
    expect(f.crypto.crypto_register(hw.hid, 0, 0, 0)).toBe(EINVAL);
    expect(f.crypto.crypto_register(hw.hid, 29, 0, 0)).toBe(EINVAL);
  });

  it('crypto_unregister is called by drivers that wish to withdraw support for an algorithm.', () => {
    const { f, hw, sw } = hwAndSw();
    expect(f.crypto.crypto_unregister(hw.hid, AES)).toBe(0);
    expect(CRYPTO_SESID2HID(newsession(f, HW | SW, AES))).toBe(sw.hid);
    expect(CRYPTO_SESID2HID(newsession(f, HW | SW, SHA1))).toBe(hw.hid);
    expect(f.crypto.crypto_unregister(hw.hid, AES)).toBe(EINVAL);
  });

  /** Retire a driver one of the two ways crypto(9) describes. */
  const retirements = [
    ['crypto_unregister_all', (f: Fixture, d: FakeDriver) => expect(f.crypto.crypto_unregister_all(d.hid)).toBe(0)],
    ['crypto_unregister of every algorithm one by one', (f: Fixture, d: FakeDriver) => {
      expect(f.crypto.crypto_unregister(d.hid, AES)).toBe(0);
      expect(f.crypto.crypto_find_driver('hw')).toBe(d.hid);
      expect(f.crypto.crypto_unregister(d.hid, SHA1)).toBe(0);
    }],
  ] as const;

  it.each(retirements)('%s disables the driver: no new sessions will be allocated on that driver, and any existing sessions will be migrated to other drivers.', (_how, retire) => {
    const { f, hw, sw } = hwAndSw();
    const old = newsession(f, HW, AES, SHA1);
    retire(f, hw);
    expect(f.crypto.crypto_find_driver('hw')).toBe(-1);
    expect(f.crypto.crypto_newsession(ini(AES), hw.hid).error).toBe(EINVAL);
    expect(f.crypto.crypto_newsession(ini(AES), HW).error).toBe(EINVAL);
    expect(CRYPTO_SESID2HID(newsession(f, HW | SW, AES))).toBe(sw.hid);
    expect(hw.newsessionCalls).toHaveLength(1);
    const { crp, calls } = request(f, old, [AES, SHA1]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls[0]!.etype).toBe(EAGAIN);
    expect(CRYPTO_SESID2HID(crp.crp_sid)).toBe(sw.hid);
    expect(hw.seen).toHaveLength(0);
  });

  it('After a call to crypto_unregister_all there will be no threads in either the newsession or freesession function of the driver.', () => {
    const { f, hw } = hwAndSw();
    const sids = [newsession(f, HW, AES), newsession(f, HW, SHA1)];
    const calls = hw.newsessionCalls.length;
    f.crypto.crypto_unregister_all(hw.hid);
    newsession(f, HW | SW, AES);
    for (const sid of sids) expect(f.crypto.crypto_freesession(sid)).toBe(0);
    expect(hw.newsessionCalls).toHaveLength(calls);
    expect(hw.freed).toEqual([]);
  });

  it('The second argument to newsession contains the driver identifier obtained via crypto_get_driverid.', () => {
    const { f, hw, sw } = hwAndSw();
    newsession(f, HW, AES);
    newsession(f, SW, AES);
    expect(hw.newsessionCalls).toEqual([hw.hid]);
    expect(sw.newsessionCalls).toEqual([sw.hid]);
  });

  it('On successful return, the second argument of newsession should contain a driver-specific session identifier.', () => {
    const { f, hw } = hwAndSw();
    const a = newsession(f, HW, AES);
    const b = newsession(f, HW, AES);
    expect([CRYPTO_SESID2LID(a), CRYPTO_SESID2LID(b)]).toEqual([...hw.sessions.keys()]);
  });

  it('The freesession routine takes the SID, which is the concatenation of the driver identifier and the driver-specific session identifier.', () => {
    const { f, hw } = hwAndSw();
    newsession(f, HW, AES);
    const sid = newsession(f, HW, AES);
    f.crypto.crypto_freesession(sid);
    expect(hw.freed).toEqual([sid]);
    expect(CRYPTO_SESID2HID(hw.freed[0]!)).toBe(hw.hid);
    expect(CRYPTO_SESID2LID(hw.freed[0]!)).toBe(2);
  });

  it('The process routine is invoked with a request to perform crypto processing.', () => {
    const { f, hw } = hwAndSw();
    const { crp } = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(crp);
    expect(hw.seen).toEqual([crp]);
    expect(hw.hints).toEqual([0]);
  });

  it('In case of an unrecoverable error, the error indication must be placed in the crp_etype field of the cryptop structure.', () => {
    const { f } = hwAndSw({ kind: 'fail', etype: EIO });
    const { crp, calls } = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(calls.map((c) => c.etype)).toEqual([EIO]);
    expect(f.crypto.cryptostats.cs_errs).toBe(1);
  });

  it('When the request is completed, or an error is detected, the process routine must invoke crypto_done.', () => {
    const { f, hw } = hwAndSw({ kind: 'never' });
    const { crp, calls } = request(f, newsession(f, HW, AES), [AES]);
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(hw.seen).toEqual([crp]);
    expect(calls).toHaveLength(0);
    expect(f.crypto.outstanding).toBe(1);
    f.crypto.crypto_done(crp);
    f.run();
    expect(calls).toHaveLength(1);
    expect(f.crypto.outstanding).toBe(0);
  });

  it('In case of a temporary resource exhaustion, the process routine may return ERESTART in which case the crypto services will requeue the request, mark the driver as blocked, and stop submitting requests for processing.', () => {
    // Never unblocks by itself; BATCH so the requests go through the dispatcher thread.
    const { f, hw } = hwAndSw({ kind: 'restart', times: 1, unblockAfterPs: 1e12, delayPs: US });
    const sid = newsession(f, HW, AES);
    const reqs = [0, 1, 2].map(() => request(f, sid, [AES], CRYPTO_F_BATCH));
    for (const r of reqs) f.crypto.crypto_dispatch(r.crp);
    f.engine.runUntil(100 * US);
    expect(hw.restarts).toBe(1);
    expect(hw.seen).toHaveLength(0);
    expect(f.crypto.drivers.slots[hw.hid]!.cc_qblocked).toBe(1);
    expect(f.crypto.queueDepth.symmetric).toBe(3);
    expect(reqs.every((r) => r.calls.length === 0)).toBe(true);
  });

  it('The driver is then responsible for notifying the crypto services when it is again able to process requests through the crypto_unblock routine.', () => {
    const { f, hw } = hwAndSw({ kind: 'restart', times: 1, unblockAfterPs: 1e12, delayPs: US });
    const sid = newsession(f, HW, AES);
    const reqs = [0, 1, 2].map(() => request(f, sid, [AES], CRYPTO_F_BATCH));
    for (const r of reqs) f.crypto.crypto_dispatch(r.crp);
    f.engine.runUntil(100 * US);
    expect(hw.seen).toHaveLength(0);
    expect(f.crypto.crypto_unblock(hw.hid, CRYPTO_SYMQ)).toBe(0);
    f.engine.runUntil(200 * US);
    // Requeued at the head: the order of submission is kept.
    expect(hw.seen).toEqual(reqs.map((r) => r.crp));
    expect(reqs.map((r) => r.calls.length)).toEqual([1, 1, 1]);
  });

  it('The kprocess routine is invoked with a request to perform crypto key processing.', () => {
    const f = makeFixture();
    const pk = new FakeDriver(f, 'pk', { kind: 'sync' }, 0, { kind: 'sync' });
    pk.attach(HW, [], [CRK_MOD_EXP]);
    const { krp } = keyop(CRK_MOD_EXP, pk.hid);
    f.crypto.crypto_kdispatch(krp);
    expect(pk.kops).toEqual([krp]);
  });
});

describe('crypto(9) RETURN VALUES', () => {
  const cases: [string, (f: Fixture, d: FakeDriver, sid: bigint) => number, (f: Fixture, d: FakeDriver, sid: bigint) => number, number][] = [
    ['crypto_register', (f, d) => f.crypto.crypto_register(d.hid, CRYPTO_3DES_CBC, 0, 0), (f, d) => f.crypto.crypto_register(d.hid, 99, 0, 0), EINVAL],
    ['crypto_kregister', (f, d) => f.crypto.crypto_kregister(d.hid, CRK_MOD_EXP, 0), (f, d) => f.crypto.crypto_kregister(d.hid, 5, 0), EINVAL],
    ['crypto_unregister', (f, d) => f.crypto.crypto_unregister(d.hid, SHA1), (f, d) => f.crypto.crypto_unregister(d.hid, CRYPTO_3DES_CBC), EINVAL],
    ['crypto_newsession', (f) => f.crypto.crypto_newsession(ini(AES), HW).error, (f) => f.crypto.crypto_newsession(ini(CRYPTO_3DES_CBC), HW).error, EINVAL],
    ['crypto_freesession', (f, _d, sid) => f.crypto.crypto_freesession(sid), (f) => f.crypto.crypto_freesession(0x0000007f_00000001n), ENOENT],
    ['crypto_unblock', (f, d) => f.crypto.crypto_unblock(d.hid, CRYPTO_SYMQ), (f) => f.crypto.crypto_unblock(-1, CRYPTO_SYMQ), EINVAL],
  ];

  it.each(cases)('%s returns 0 on success, or an error code on failure.', (_name, success, failure, error) => {
    const { f, hw } = hwAndSw();
    const sid = newsession(f, HW, AES);
    expect(success(f, hw, sid)).toBe(0);
    expect(failure(f, hw, sid)).toBe(error);
  });

  it('crypto_get_driverid returns a non-negative value on success, and -1 on failure.', () => {
    const f = makeFixture();
    const ids = [0, 1, 2, 3, 4, 5].map((i) => f.crypto.crypto_get_driverid(new FakeDriver(f, 'd', { kind: 'sync' }, i).dev, HW));
    expect(ids).toEqual([0, 1, 2, 3, 4, 5]);
    expect(f.crypto.crypto_get_driverid(new FakeDriver(f, 'e', { kind: 'sync' }).dev, 0)).toBe(-1);
    const noMethods = { nameunit: 'bare0', name: 'bare', driver: { methods: {} } };
    expect(f.crypto.crypto_get_driverid(noMethods, HW)).toBe(-1);
  });

  it('crypto_getreq returns a pointer to a cryptop structure and NULL on failure.', () => {
    const { f } = hwAndSw();
    expect(f.crypto.crypto_getreq(1)).not.toBeNull();
    expect(f.crypto.crypto_getreq(-1)).toBeNull();
    expect(f.crypto.crypto_getreq(1.5)).toBeNull();
    expect(f.crypto.crypto_getreq(Number.NaN)).toBeNull();
  });

  it('crypto_dispatch returns EINVAL if its argument or the callback function was NULL, and 0 otherwise.', () => {
    const { f } = hwAndSw({ kind: 'fail', etype: EIO });
    const sid = newsession(f, HW, AES);
    expect(f.crypto.crypto_dispatch(null)).toBe(EINVAL);
    const { crp } = request(f, sid, [AES]);
    const cb = crp.crp_callback;
    crp.crp_callback = null;
    expect(f.crypto.crypto_dispatch(crp)).toBe(EINVAL);
    crp.crp_callback = cb;
    expect(f.crypto.crypto_dispatch(crp)).toBe(0);
    for (const flags of [CRYPTO_F_BATCH, CRYPTO_F_CBIMM, CRYPTO_F_CBIFSYNC]) expect(f.crypto.crypto_dispatch(request(f, sid, [AES], flags).crp)).toBe(0);
    f.run();
    f.violations.assertNone();
  });

  it('The callback is provided with an error code in case of failure, in the crp_etype field.', () => {
    const { f, hw } = hwAndSw();
    const sid = newsession(f, HW, AES);
    hw.mode = { kind: 'fail', etype: EIO };
    const failed = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(failed.crp);
    hw.mode = { kind: 'sync' };
    const ok = request(f, sid, [AES]);
    f.crypto.crypto_dispatch(ok.crp);
    f.run();
    expect(failed.calls.map((c) => c.etype)).toEqual([EIO]);
    expect(ok.calls.map((c) => c.etype)).toEqual([0]);
  });
});

describe('crypto(9) BUGS', () => {
  it('The framework assumes that all the algorithms in a crypto_newsession operation must be available by the same driver; if that is not the case, session initialization will fail.', () => {
    const f = makeFixture();
    const cipher = new FakeDriver(f, 'cipher', { kind: 'sync' });
    const mac = new FakeDriver(f, 'mac', { kind: 'sync' });
    cipher.attach(HW, [AES]);
    mac.attach(SW, [SHA1]);
    for (const crid of [HW, SW, HW | SW, cipher.hid, mac.hid]) expect(f.crypto.crypto_newsession(ini(AES, SHA1), crid).error).toBe(EINVAL);
    expect(cipher.newsessionCalls).toHaveLength(0);
    expect(mac.newsessionCalls).toHaveLength(0);
  });
});
