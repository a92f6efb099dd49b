/**
 * The core of crypto(9): sessions, dispatch, the dispatcher and return threads, ERESTART
 * blocking, session migration away from unregistered drivers, and the keying queue. Follows
 * FreeBSD 10/11's sys/opencrypto/crypto.c (reference/ocf.md §4) on simulated CPUs.
 *
 * Where the 2015 kernel would crash, hang or lose a request, this returns a clear error
 * instead; each such place is marked "difference" and listed in docs/differences.md.
 *
 * @example
 *   const { error, sid } = crypto.crypto_newsession(cri, CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE);
 *   const crp = crypto.crypto_getreq(1)!;
 *   crp.crp_sid = sid; crp.crp_callback = (c) => { ... }; crypto.crypto_dispatch(crp);
 */
import { InflightTable } from './inflight.js';
import { Priority, type KThread, type Scheduler } from '../sim/cpu.js';
import type { TraceRecorder } from '../sim/trace.js';
import type { ViolationLog } from '../sim/violations.js';
import type { Sysctl } from '../sim/sysctl.js';
import {
  CRK_ALGORITHM_MAX,
  CRYPTO_ALG_FLAG_SUPPORTED,
  CRYPTO_ALGORITHM_MAX,
  CRYPTO_ALGORITHM_MIN,
  CRYPTO_ASYMQ,
  CRYPTO_F_BATCH,
  CRYPTO_F_CBIFSYNC,
  CRYPTO_F_CBIMM,
  CRYPTO_F_DONE,
  CRYPTO_HINT_MORE,
  CRYPTO_SYMQ,
  CRYPTOCAP_F_HARDWARE,
  CRYPTOCAP_F_SOFTWARE,
  CRYPTOCAP_F_SYNC,
  EAGAIN,
  EINVAL,
  ENODEV,
  ENOENT,
  ERESTART,
  errnoName,
} from './constants.js';
import {
  CRYPTO_SESID2CAPS,
  CRYPTO_SESID2HID,
  DriverTable,
  cryptocap,
  kobjMethods,
  makeSid,
  supportsChain,
  type CryptoDevice,
} from './drivers.js';
import { cryptkop, cryptodesc, cryptoini, cryptop } from './structs.js';
import { cryptostats } from './stats.js';
import { AMD64_2015_COSTS, type FrameworkCosts } from './costs.js';

export interface CryptoFrameworkOptions {
  scheduler: Scheduler;
  trace: TraceRecorder;
  violations: ViolationLog;
  sysctl: Sysctl;
  costs?: FrameworkCosts;
  /** Print driver registration messages (crypto: assign ...) here. */
  console?: (line: string) => void;
}

export class CryptoFramework {
  readonly drivers = new DriverTable();
  readonly cryptostats = new cryptostats();
  readonly costs: FrameworkCosts;
  /** The symmetric and asymmetric queues of crypto_proc, and the return queues. */
  private readonly crp_q: cryptop[] = [];
  private readonly crp_kq: cryptkop[] = [];
  private readonly crp_ret_q: cryptop[] = [];
  private readonly crp_ret_kq: cryptkop[] = [];
  /** Requests dispatched and not yet completed (for double-completion and lost-request checks). */
  private readonly inflight = new InflightTable<cryptop>();
  private readonly kinflight = new InflightTable<cryptkop>();
  /** Live sessions, so a bogus or twice-freed SID cannot corrupt a driver's session count. */
  private readonly sessions = new Set<bigint>();
  /** Requests already reported as lost. */
  private readonly reportedLost = new WeakSet<object>();
  /** Old SID → new SID for sessions migrated off a tombstone (later requests on the old SID follow). */
  private readonly migrated = new Map<bigint, bigint>();
  private readonly sched: Scheduler;
  private readonly trace: TraceRecorder;
  private readonly violations: ViolationLog;
  private readonly sysctl: Sysctl;
  private readonly print: (line: string) => void;
  private procSleeping = false;
  private retSleeping = false;
  private nextReqId = 1;
  readonly crypto_proc: KThread;
  readonly crypto_ret_proc: KThread;
  /** Channels the two threads sleep on. */
  private readonly procChan = { name: 'crp_q' };
  private readonly retChan = { name: 'crp_ret_q' };

  constructor(options: CryptoFrameworkOptions) {
    this.sched = options.scheduler;
    this.trace = options.trace;
    this.violations = options.violations;
    this.sysctl = options.sysctl;
    this.costs = options.costs ?? AMD64_2015_COSTS;
    this.print = options.console ?? (() => {});
    this.sysctl.register('kern.cryptodevallowsoft', {
      initial: 0,
      min: -1,
      max: 1,
      description: 'Enable/disable use of software crypto by /dev/crypto (FreeBSD default 0)',
    });
    this.sysctl.register('kern.userasymcrypto', {
      initial: 1,
      min: 0,
      max: 1,
      description: 'Enable/disable user-mode access to asymmetric crypto support (FreeBSD default 1)',
    });
    this.sysctl.register('debug.crypto_timing', {
      initial: 0,
      min: 0,
      max: 1,
      description: 'Enable/disable crypto timing support (dispatch/invoke/done/callback stage times)',
    });
    // Read on every request: kept in a field rather than looked up by name each time.
    this.sysctl.watch('debug.crypto_timing', (v) => (this.timing = v !== 0));
    this.crypto_proc = this.sched.spawn('crypto', Priority.Kernel, (td) => this.procBody(td));
    this.crypto_ret_proc = this.sched.spawn('crypto returns', Priority.Kernel, (td) => this.retBody(td));
  }

  // ---- driver side -------------------------------------------------------------------------

  /**
   * crypto_get_driverid(9): a slot for `dev`, whose driver's kobj methods serve it. `flags` must
   * hold CRYPTOCAP_F_HARDWARE or CRYPTOCAP_F_SOFTWARE. Returns the driver id, or -1.
   */
  crypto_get_driverid(dev: CryptoDevice, flags: number): number {
    if ((flags & (CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE)) === 0) {
      this.print(`${dev?.nameunit ?? '?'}: no flags specified when registering driver`);
      return -1;
    }
    if (!dev) return -1;
    const methods = kobjMethods(dev);
    if (typeof methods === 'string') {
      this.print(`crypto_get_driverid: ${methods}`);
      return -1;
    }
    // Difference: FreeBSD reused any free slot. A slot whose old SIDs still forward to a migrated
    // session stays reserved, or a new driver there could hand out one of those SIDs again and a
    // consumer's stale request would then free or use another consumer's session.
    const hid = this.drivers.allocate((i) => this.forwardsFrom(i));
    const cap = this.drivers.slots[hid]!;
    cap.cc_dev = dev;
    cap.cc_methods = methods;
    cap.cc_name = dev.nameunit;
    cap.cc_flags = flags >>> 0;
    // The "mark": a slot that got an id but never registered still counts as busy.
    cap.cc_sessions = 1;
    this.print(`crypto: assign ${dev.nameunit} driver id ${hid}, flags 0x${(flags >>> 0).toString(16)}`);
    this.traceFw('crypto.driverid', undefined, { hid, dev: dev.nameunit });
    return hid;
  }

  /** crypto_register(9): announce support for `alg`. Resets the session count, as FreeBSD does. */
  crypto_register(driverid: number, alg: number, maxoplen: number, flags: number): number {
    const cap = this.drivers.check(driverid);
    if (!cap || !Number.isInteger(alg) || alg < CRYPTO_ALGORITHM_MIN || alg > CRYPTO_ALGORITHM_MAX) return EINVAL;
    cap.cc_alg[alg] = (flags | CRYPTO_ALG_FLAG_SUPPORTED) & 0xff;
    cap.cc_max_op_len[alg] = maxoplen & 0xffff;
    cap.cc_sessions = 0;
    return 0;
  }

  /** crypto_kregister(9): announce support for keying operation `kalg`. */
  crypto_kregister(driverid: number, kalg: number, flags: number): number {
    const cap = this.drivers.check(driverid);
    if (!cap || !Number.isInteger(kalg) || kalg < 0 || kalg > CRK_ALGORITHM_MAX) return EINVAL;
    cap.cc_kalg[kalg] = (flags | CRYPTO_ALG_FLAG_SUPPORTED) & 0xff;
    return 0;
  }

  /** crypto_unregister(9): withdraw one algorithm; the last one withdrawn retires the driver. */
  crypto_unregister(driverid: number, alg: number): number {
    const cap = this.drivers.check(driverid);
    if (!cap || !Number.isInteger(alg) || alg < CRYPTO_ALGORITHM_MIN || alg > CRYPTO_ALGORITHM_MAX) return EINVAL;
    if (!cap.cc_alg[alg]) return EINVAL;
    cap.cc_alg[alg] = 0;
    cap.cc_max_op_len[alg] = 0;
    if (!cap.cc_alg.some((a) => a !== 0)) this.driverFinis(cap, driverid);
    return 0;
  }

  /**
   * crypto_unregister_all(9): retire the driver. Live sessions or key operations leave a
   * CLEANUP tombstone; their next request migrates (EAGAIN with a new SID).
   */
  crypto_unregister_all(driverid: number): number {
    const cap = this.drivers.check(driverid);
    if (!cap) return EINVAL;
    this.driverFinis(cap, driverid);
    return 0;
  }

  /** crypto_unblock(9): the driver can take requests again from the queue(s) in `what`. */
  crypto_unblock(driverid: number, what: number): number {
    const cap = this.drivers.check(driverid);
    if (!cap) return EINVAL;
    if (what & CRYPTO_SYMQ) cap.cc_qblocked = 0;
    if (what & CRYPTO_ASYMQ) cap.cc_kqblocked = 0;
    this.traceFw('crypto.unblock', undefined, { hid: driverid, what });
    if (this.procSleeping) this.sched.wakeup(this.procChan);
    return 0;
  }

  /** crypto_find_driver(9): the first live driver whose name or nameunit starts with `match`. */
  crypto_find_driver(match: string): number {
    for (let i = 0; i < this.drivers.slots.length; i++) {
      const cap = this.drivers.slots[i]!;
      if (!cap.cc_dev || cap.isTombstone) continue;
      if (cap.cc_dev.nameunit.startsWith(match) || cap.cc_dev.name.startsWith(match)) return i;
    }
    return -1;
  }

  /** The device of a driver id, or null (crypto_find_device_byhid). */
  crypto_find_device_byhid(hid: number): CryptoDevice | null {
    return this.drivers.check(hid)?.cc_dev ?? null;
  }

  /** crypto_getcaps: the driver's capability flags, 0 for a bad id. */
  crypto_getcaps(hid: number): number {
    return this.drivers.check(hid)?.cc_flags ?? 0;
  }

  /**
   * crypto_getfeat: the CRF_* bits of every keying operation some driver offers. Like FreeBSD it
   * loops kalg < CRK_ALGORITHM_MAX, so CRF_DH_COMPUTE_KEY is never reported, and software
   * drivers count only with kern.cryptodevallowsoft set.
   */
  crypto_getfeat(): { error: number; feat: number } {
    let feat = 0;
    const allowSoft = this.sysctl.get('kern.cryptodevallowsoft') !== 0;
    for (const cap of this.drivers.slots) {
      if (!cap.cc_dev || cap.isTombstone) continue;
      if (cap.cc_flags & CRYPTOCAP_F_SOFTWARE && !allowSoft) continue;
      for (let kalg = 0; kalg < CRK_ALGORITHM_MAX; kalg++) if (cap.cc_kalg[kalg]! & CRYPTO_ALG_FLAG_SUPPORTED) feat |= 1 << kalg;
    }
    return { error: 0, feat };
  }

  // ---- sessions ----------------------------------------------------------------------------

  /**
   * crypto_newsession(9). `crid` is a driver index when it holds neither CRYPTOCAP_F_HARDWARE nor
   * CRYPTOCAP_F_SOFTWARE; with both, a hardware driver is chosen before a software one.
   */
  crypto_newsession(cri: cryptoini | null, crid: number): { error: number; sid: bigint } {
    this.sched.current?.chargeCycles(this.costs.newsession);
    if (!cri) return { error: EINVAL, sid: 0n };
    let hid: number;
    if ((crid & (CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE)) === 0) {
      const cap = this.drivers.check(crid);
      hid = cap && cap.cc_dev && !cap.isTombstone && supportsChain(cap, cri) ? crid : -1;
    } else {
      hid = this.drivers.selectDriver(cri, crid);
    }
    if (hid < 0) return { error: EINVAL, sid: 0n };
    const cap = this.drivers.slots[hid]!;
    const sidp = { lid: hid };
    const err = this.sched.noSleep(`cryptodev_newsession ${cap.cc_name}`, () =>
      cap.cc_methods!.cryptodev_newsession(cap.cc_dev!, sidp, cri),
    );
    if (err !== 0) return { error: err, sid: 0n };
    const sid = makeSid(cap.cc_flags, hid, sidp.lid);
    cap.cc_sessions++;
    this.sessions.add(sid);
    this.traceFw('crypto.newsession', undefined, { hid, sid });
    return { error: 0, sid };
  }

  /**
   * crypto_freesession(9). Difference: a tombstone's driver is gone, so its FREESESSION is not
   * called (FreeBSD called through a NULL device); an unknown SID is EINVAL and changes no count.
   */
  crypto_freesession(sid: bigint): number {
    // Difference: a consumer that kept the SID from before a migration (as /dev/crypto did) frees
    // the session it migrated to, instead of leaking it.
    const forward = this.sessions.has(sid) ? undefined : this.migrated.get(sid);
    if (forward !== undefined) return this.crypto_freesession(forward);
    this.sched.current?.chargeCycles(this.costs.freesession);
    const hid = CRYPTO_SESID2HID(sid);
    const cap = this.drivers.check(hid);
    if (!cap) return ENOENT;
    if (!this.sessions.delete(sid)) return EINVAL;
    // Old SIDs forward to a migrated session only while it lives (and the map stays bounded).
    for (const [old, to] of this.migrated) if (to === sid) this.migrated.delete(old);
    if (cap.cc_sessions > 0) cap.cc_sessions--;
    let err = 0;
    if (cap.cc_dev && cap.cc_methods) {
      err = this.sched.noSleep(`cryptodev_freesession ${cap.cc_name}`, () => cap.cc_methods!.cryptodev_freesession(cap.cc_dev!, sid));
    }
    this.traceFw('crypto.freesession', undefined, { hid, sid });
    this.drivers.removeIfIdle(cap);
    return err;
  }

  /** Do old SIDs of driver slot `hid` still forward to a migrated session? */
  private forwardsFrom(hid: number): boolean {
    for (const old of this.migrated.keys()) if (CRYPTO_SESID2HID(old) === hid) return true;
    return false;
  }

  /** Is `sid` a live session (created and not yet freed)? */
  sessionIsLive(sid: bigint): boolean {
    return this.sessions.has(sid);
  }

  // ---- requests ----------------------------------------------------------------------------

  /** crypto_getreq(9): a zeroed request with `num` linked descriptors. */
  crypto_getreq(num: number): cryptop | null {
    if (!Number.isInteger(num) || num < 0) return null;
    this.sched.current?.chargeCycles(this.costs.getreq);
    const crp = new cryptop();
    let prev: cryptodesc | null = null;
    for (let i = 0; i < num; i++) {
      const crd = new cryptodesc();
      if (prev) prev.crd_next = crd;
      else crp.crp_desc = crd;
      prev = crd;
    }
    return crp;
  }

  /** crypto_freereq(9). Freeing a request still in flight is refused (it would be used after free). */
  crypto_freereq(crp: cryptop | null): void {
    if (!crp) return;
    this.sched.current?.chargeCycles(this.costs.freereq);
    if (this.inflight.has(crp)) {
      this.report('use-after-free', crp, 'crypto_freereq of a request that is still in flight');
      return;
    }
    crp.crp_desc = null;
  }

  /**
   * crypto_dispatch(9). Returns EINVAL if `crp` or its callback is missing (as the manual page
   * says; FreeBSD only asserted), and 0 otherwise: the outcome arrives through the callback.
   */
  crypto_dispatch(crp: cryptop | null): number {
    if (!crp || typeof crp.crp_callback !== 'function') return EINVAL;
    if (this.inflight.has(crp)) {
      // Difference: dispatching a request that is already queued or in a driver would complete it twice.
      this.report('double-dispatch', crp, 'crypto_dispatch of a request already in flight');
      return EINVAL;
    }
    const td = this.sched.current;
    td?.chargeCycles(this.costs.dispatch);
    const now = this.sched.localNow();
    if (crp.crp_reqid === 0) crp.crp_reqid = this.nextReqId++;
    // A resubmission after EAGAIN reuses the request: it is no longer done.
    crp.crp_flags &= ~CRYPTO_F_DONE;
    crp.crp_etype = 0;
    this.cryptostats.cs_ops++;
    if (this.timing) crp.crp_tstamp = now;
    this.inflight.add(crp);
    if (this.trace.on) this.traceFw('crypto.dispatch', crp, { sid: crp.crp_sid, flags: crp.crp_flags });

    const hid = CRYPTO_SESID2HID(crp.crp_sid);
    const cap = this.drivers.check(hid);
    if (!cap) {
      // Difference: a SID naming no driver slot would fault in FreeBSD; complete with EINVAL.
      crp.crp_etype = EINVAL;
      this.crypto_done(crp);
      return 0;
    }
    if ((crp.crp_flags & CRYPTO_F_BATCH) === 0 && !cap.cc_qblocked) {
      const result = this.invoke(cap, crp, 0);
      if (result !== ERESTART) return result;
      // Direct dispatch ERESTART does not mark the driver blocked (FreeBSD); the request queues.
    }
    this.crp_q.push(crp);
    this.traceFw('crypto.queue', crp, { depth: this.crp_q.length });
    if (this.procSleeping) this.sched.wakeup(this.procChan);
    return 0;
  }

  /**
   * crypto_done(9): called by a driver when a request completes, with `crp_etype` set on error.
   * A second completion of the same request is a "double-completion" violation and never calls
   * the callback again.
   */
  crypto_done(crp: cryptop): void {
    if (!this.inflight.delete(crp)) {
      const what = crp.crp_flags & CRYPTO_F_DONE ? 'double-completion' : 'completion-without-dispatch';
      this.report(what, crp, `crypto_done called on request ${crp.crp_reqid} which is not in flight`);
      return;
    }
    this.sched.current?.chargeCycles(this.costs.done);
    const now = this.sched.localNow();
    crp.crp_flags |= CRYPTO_F_DONE;
    if (crp.crp_etype !== 0) this.cryptostats.cs_errs++;
    if (this.timing) this.stamp(crp, this.cryptostats.cs_done, now);
    if (this.trace.on) this.traceFw('crypto.done', crp, { etype: errnoName(crp.crp_etype) });
    const immediate =
      (crp.crp_flags & CRYPTO_F_CBIMM) !== 0 ||
      ((crp.crp_flags & CRYPTO_F_CBIFSYNC) !== 0 && (CRYPTO_SESID2CAPS(crp.crp_sid) & CRYPTOCAP_F_SYNC) !== 0);
    if (immediate) {
      this.callback(crp);
      return;
    }
    const wasEmpty = this.crp_ret_q.length === 0 && this.crp_ret_kq.length === 0;
    this.crp_ret_q.push(crp);
    if (wasEmpty && this.retSleeping) this.sched.wakeup(this.retChan);
  }

  // ---- keying operations -------------------------------------------------------------------

  /** crypto_kdispatch(9). The outcome arrives in `krp_status` through the callback. */
  crypto_kdispatch(krp: cryptkop | null): number {
    if (!krp || typeof krp.krp_callback !== 'function') return EINVAL;
    if (this.kinflight.has(krp)) return EINVAL;
    this.sched.current?.chargeCycles(this.costs.kdispatch);
    if (krp.krp_reqid === 0) krp.krp_reqid = this.nextReqId++;
    this.cryptostats.cs_kops++;
    krp.krp_status = 0;
    this.kinflight.add(krp);
    this.traceK('crypto.kdispatch', krp, { op: krp.krp_op });
    if (this.kinvoke(krp, krp.krp_crid) === ERESTART) {
      this.crp_kq.push(krp);
      if (this.procSleeping) this.sched.wakeup(this.procChan);
    }
    return 0;
  }

  /** crypto_kdone(9): a driver finished a keying operation (status in `krp_status`). */
  crypto_kdone(krp: cryptkop): void {
    if (!this.kinflight.delete(krp)) {
      this.violations.report({
        kind: 'double-completion',
        t: this.sched.localNow(),
        req: krp.krp_reqid,
        message: `crypto_kdone called on key operation ${krp.krp_reqid} which is not in flight`,
      });
      return;
    }
    this.sched.current?.chargeCycles(this.costs.kdone);
    if (krp.krp_status !== 0) this.cryptostats.cs_kerrs++;
    const cap = this.drivers.check(krp.krp_hid);
    // Difference: FreeBSD decremented the count even for an op that never reached a driver.
    if (cap && (krp as KopInternal).counted) {
      (krp as KopInternal).counted = false;
      if (cap.cc_koperations > 0) cap.cc_koperations--;
      this.drivers.removeIfIdle(cap);
    }
    this.traceK('crypto.kdone', krp, { status: krp.krp_status });
    const wasEmpty = this.crp_ret_q.length === 0 && this.crp_ret_kq.length === 0;
    this.crp_ret_kq.push(krp);
    if (wasEmpty && this.retSleeping) this.sched.wakeup(this.retChan);
  }

  // ---- checks ------------------------------------------------------------------------------

  /** Requests dispatched and not completed. */
  get outstanding(): number {
    return this.inflight.size + this.kinflight.size;
  }

  get queueDepth(): { symmetric: number; asymmetric: number; returns: number } {
    return { symmetric: this.crp_q.length, asymmetric: this.crp_kq.length, returns: this.crp_ret_q.length + this.crp_ret_kq.length };
  }

  /**
   * Report every request still in flight as a "lost request" (call when the machine has gone
   * idle: nothing left can ever complete them). Returns how many were reported.
   */
  reportLostRequests(): number {
    const t = this.sched.engine.now;
    for (const crp of this.inflight) {
      // Each lost request is reported once, however often the machine goes idle.
      if (this.reportedLost.has(crp)) continue;
      this.reportedLost.add(crp);
      const cap = this.drivers.check(CRYPTO_SESID2HID(crp.crp_sid));
      const where = cap?.cc_name ? ` (driver ${cap.cc_name}${cap.cc_qblocked ? ', blocked' : ''})` : '';
      this.violations.report({
        kind: 'lost-request',
        t,
        req: crp.crp_reqid,
        message: `request ${crp.crp_reqid} on session 0x${crp.crp_sid.toString(16)} was dispatched but never completed${where}`,
      });
    }
    for (const krp of this.kinflight) {
      if (this.reportedLost.has(krp)) continue;
      this.reportedLost.add(krp);
      this.violations.report({ kind: 'lost-request', t, req: krp.krp_reqid, message: `key operation ${krp.krp_reqid} was dispatched but never completed` });
    }
    return this.inflight.size + this.kinflight.size;
  }

  // ---- internals ---------------------------------------------------------------------------

  /** debug.crypto_timing, kept current by a sysctl watcher (read on every request). */
  private timing = false;

  private stamp(crp: cryptop, stat: { add(ps: number): void }, now: number): void {
    stat.add(Math.max(0, now - crp.crp_tstamp));
    crp.crp_tstamp = now;
  }

  private driverFinis(cap: cryptocap, hid: number): void {
    const name = cap.cc_name;
    this.drivers.finis(cap);
    this.traceFw('crypto.unregister', undefined, { hid, dev: name, tombstone: cap.isTombstone });
    // Requests queued for this driver must not wait for an unblock that can never come.
    if (this.procSleeping && this.crp_q.length + this.crp_kq.length > 0) this.sched.wakeup(this.procChan);
  }

  /**
   * crypto_invoke: hand a request to its driver, or migrate it if the driver is gone. Difference:
   * requests on a session that was already migrated follow it to the new SID (FreeBSD freed the
   * old session again for each one, corrupting the count), and a request on a slot that is
   * neither live nor a tombstone completes with EINVAL instead of calling a NULL device.
   */
  private readonly processLabels = new Map<string, string>();

  // The last name and label: measured, the Map lookup alone cost ~0.2 µs per request once several
  // request kinds had run (a driver's name is a concatenated string), as much as cryptosoft's path.
  private lastLabelName = '';
  private lastLabel = '';

  private processLabel(name: string): string {
    if (name === this.lastLabelName) return this.lastLabel;
    let label = this.processLabels.get(name);
    if (label === undefined) this.processLabels.set(name, (label = `cryptodev_process ${name}`));
    this.lastLabelName = name;
    this.lastLabel = label;
    return label;
  }

  private invoke(cap: cryptocap, crp: cryptop, hint: number): number {
    this.sched.current?.chargeCycles(this.costs.invoke);
    const now = this.sched.localNow();
    if (this.timing) this.stamp(crp, this.cryptostats.cs_invoke, now);
    // A request on a session that already migrated follows it, even if the old slot was reused.
    // (The size test first: hashing a BigInt key costs more than the rest of this function.)
    if (!cap.cc_dev || (this.migrated.size > 0 && this.migrated.has(crp.crp_sid))) return this.migrate(cap, crp);
    if (this.trace.on) this.traceFw('crypto.invoke', crp, { dev: cap.cc_name, hint });
    // noSleep without its closure and label string per request (the label is built once per name).
    this.sched.enterNoSleep(this.processLabel(cap.cc_name));
    try {
      return cap.cc_methods!.cryptodev_process(cap.cc_dev!, crp, hint);
    } finally {
      this.sched.exitNoSleep();
    }
  }

  private migrate(cap: cryptocap, crp: cryptop): number {
    const old = crp.crp_sid;
    const already = this.migrated.get(old);
    if (already !== undefined) {
      crp.crp_sid = already;
      crp.crp_etype = EAGAIN;
    } else if (!cap.isTombstone || !this.sessions.has(old)) {
      crp.crp_etype = EINVAL;
    } else {
      // SIDs that already forwarded to `old` forward to its successor.
      const followers = [...this.migrated].filter(([, to]) => to === old).map(([from]) => from);
      this.crypto_freesession(old);
      // Rebuild the session from the request's descriptors (FreeBSD links their CRD_INI).
      let chain: cryptoini | null = null;
      let tail: cryptoini | null = null;
      for (let d = crp.crp_desc; d; d = d.crd_next) {
        const ini = new cryptoini({ cri_alg: d.CRD_INI.cri_alg, cri_klen: d.CRD_INI.cri_klen, cri_mlen: d.CRD_INI.cri_mlen, cri_key: d.CRD_INI.cri_key });
        if (tail) tail.cri_next = ini;
        else chain = ini;
        tail = ini;
      }
      const { error, sid } = this.crypto_newsession(chain, CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE);
      if (error === 0) {
        crp.crp_sid = sid;
        this.migrated.set(old, sid);
        for (const from of followers) this.migrated.set(from, sid);
      }
      crp.crp_etype = EAGAIN;
      this.traceFw('crypto.migrate', crp, { from: old, to: error === 0 ? sid : 0n, error: errnoName(error) });
    }
    this.crypto_done(crp);
    return 0;
  }

  private kinvoke(krp: cryptkop, crid: number): number {
    const allowSoft = this.sysctl.get('kern.cryptodevallowsoft') !== 0;
    let hid = -1;
    if ((crid & (CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE)) === 0) {
      const cap = this.drivers.check(crid);
      if (
        cap &&
        cap.cc_dev &&
        !cap.isTombstone &&
        Number.isInteger(krp.krp_op) &&
        krp.krp_op >= 0 &&
        krp.krp_op <= CRK_ALGORITHM_MAX &&
        cap.cc_kalg[krp.krp_op]! & CRYPTO_ALG_FLAG_SUPPORTED &&
        (allowSoft || cap.cc_flags & CRYPTOCAP_F_HARDWARE)
      ) {
        hid = crid;
      }
    } else {
      const flags = allowSoft ? crid : crid & ~CRYPTOCAP_F_SOFTWARE;
      hid = Number.isInteger(krp.krp_op) && krp.krp_op >= 0 && krp.krp_op <= CRK_ALGORITHM_MAX ? this.drivers.selectKDriver(krp.krp_op, flags) : -1;
    }
    if (hid < 0) {
      krp.krp_status = ENODEV;
      this.crypto_kdone(krp);
      return 0;
    }
    const cap = this.drivers.slots[hid]!;
    krp.krp_hid = hid;
    // Difference: FreeBSD completed an op for a kq-blocked driver with status ERESTART (despite
    // its comment saying it would be resubmitted); here it waits in the queue for crypto_unblock.
    if (cap.cc_kqblocked) return ERESTART;
    cap.cc_koperations++;
    (krp as KopInternal).counted = true;
    this.traceK('crypto.kinvoke', krp, { dev: cap.cc_name });
    const kprocess = cap.cc_methods!.cryptodev_kprocess;
    if (!kprocess) {
      krp.krp_status = ENODEV;
      this.crypto_kdone(krp);
      return 0;
    }
    const r = this.sched.noSleep(`cryptodev_kprocess ${cap.cc_name}`, () => kprocess.call(cap.cc_methods, cap.cc_dev!, krp, 0));
    if (r === ERESTART) {
      (krp as KopInternal).counted = false;
      cap.cc_koperations--;
      // Difference: a driver that unregistered inside kprocess() left a tombstone held only by
      // this operation; FreeBSD kept that empty tombstone for ever.
      this.drivers.removeIfIdle(cap);
      return ERESTART;
    }
    return 0;
  }

  private callback(crp: cryptop): void {
    const now = this.sched.localNow();
    if (this.timing) this.stamp(crp, this.cryptostats.cs_cb, now);
    if (this.trace.on) this.traceFw('crypto.callback', crp, { etype: errnoName(crp.crp_etype) });
    crp.crp_callback!(crp);
    if (this.timing) this.stamp(crp, this.cryptostats.cs_finis, this.sched.localNow());
  }

  /** crypto_proc: one symmetric and one asymmetric request per iteration; sleeps when idle. */
  private *procBody(td: KThread): Generator<ReturnType<KThread['msleep']>, void, number> {
    for (;;) {
      let budget = 64;
      let worked = true;
      const start = td.localTime;
      while (worked && budget-- > 0 && !this.stepIsLong(td, start)) {
        td.chargeCycles(this.costs.procLoop);
        worked = this.procSymmetric(td);
        worked = this.procAsymmetric() || worked;
      }
      if (worked) {
        yield td.yieldCpu();
        continue;
      }
      this.procSleeping = true;
      yield td.msleep(this.procChan, 'crypto_wait');
      this.procSleeping = false;
      this.cryptostats.cs_intrs++;
    }
  }

  private procSymmetric(td: KThread): boolean {
    let submit = -1;
    let hint = 0;
    for (let i = 0; i < this.crp_q.length; i++) {
      td.chargeCycles(this.costs.procScanPerEntry);
      const crp = this.crp_q[i]!;
      const hid = CRYPTO_SESID2HID(crp.crp_sid);
      const cap = this.drivers.check(hid);
      if (!cap || !cap.cc_dev) {
        // Needs migration (or an error): take it now if nothing was picked yet.
        if (submit < 0) submit = i;
        break;
      }
      if (cap.cc_qblocked) continue;
      if (submit < 0) {
        submit = i;
        if ((crp.crp_flags & CRYPTO_F_BATCH) === 0) break;
      } else {
        if (CRYPTO_SESID2HID(this.crp_q[submit]!.crp_sid) === hid) hint = CRYPTO_HINT_MORE;
        break;
      }
    }
    if (submit < 0) return false;
    const [crp] = this.crp_q.splice(submit, 1) as [cryptop];
    const cap = this.drivers.check(CRYPTO_SESID2HID(crp.crp_sid));
    if (!cap) {
      crp.crp_etype = EINVAL;
      this.crypto_done(crp);
      return true;
    }
    const r = this.invoke(cap, crp, hint);
    if (r === ERESTART) {
      // Difference: FreeBSD marked the slot even when the driver had unregistered inside its
      // process(); the next driver given that slot then started blocked and got nothing.
      if (cap.cc_dev) cap.cc_qblocked = 1;
      this.crp_q.unshift(crp);
      this.cryptostats.cs_blocks++;
      this.traceFw('crypto.blocked', crp, { dev: cap.cc_name });
    }
    return true;
  }

  private procAsymmetric(): boolean {
    const i = this.crp_kq.findIndex((krp) => {
      const cap = this.drivers.check(krp.krp_hid);
      return !cap || !cap.cc_dev || !cap.cc_kqblocked;
    });
    if (i < 0) return false;
    const [krp] = this.crp_kq.splice(i, 1) as [cryptkop];
    const cap = this.drivers.check(krp.krp_hid);
    if (!cap || !cap.cc_dev) {
      // The driver went away: force reselection.
      const sel = krp.krp_crid & (CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE);
      krp.krp_hid = sel !== 0 ? sel : CRYPTOCAP_F_HARDWARE | CRYPTOCAP_F_SOFTWARE;
    }
    const r = this.kinvoke(krp, krp.krp_hid);
    if (r === ERESTART) {
      const blocked = this.drivers.check(krp.krp_hid);
      if (blocked?.cc_dev) blocked.cc_kqblocked = 1;
      this.crp_kq.unshift(krp);
      this.cryptostats.cs_kblocks++;
    }
    return true;
  }

  /** crypto_ret_proc: run callbacks, one symmetric and one asymmetric per iteration. */
  private *retBody(td: KThread): Generator<ReturnType<KThread['msleep']>, void, number> {
    let start = td.localTime;
    for (;;) {
      if (this.stepIsLong(td, start)) {
        yield td.yieldCpu();
        start = td.localTime;
        continue;
      }
      const crp = this.crp_ret_q.shift();
      const krp = this.crp_ret_kq.shift();
      if (!crp && !krp) {
        this.retSleeping = true;
        yield td.msleep(this.retChan, 'crypto_ret_wait');
        start = td.localTime;
        this.retSleeping = false;
        this.cryptostats.cs_rets++;
        continue;
      }
      td.chargeCycles(this.costs.retLoop);
      if (crp) this.callback(crp);
      if (krp) {
        this.traceK('crypto.kcallback', krp, { status: krp.krp_status });
        krp.krp_callback!(krp);
      }
    }
  }

  /**
   * Has this step of a framework thread run for half a scheduling quantum? A step is atomic, so
   * the other simulated CPUs' threads cannot interleave with it: the dispatcher and return threads
   * give the CPU back between requests, as a preemptible kernel thread effectively does.
   */
  private stepIsLong(td: KThread, start: number): boolean {
    return td.localTime - start >= this.sched.quantumPs / 2;
  }

  private report(kind: string, crp: cryptop, message: string): void {
    this.violations.report({ kind, t: this.sched.localNow(), req: crp.crp_reqid, message });
  }

  private traceFw(kind: string, crp: cryptop | undefined, fields: Record<string, string | number | boolean | bigint>): void {
    if (!this.trace.on) return;
    const td = this.sched.current;
    this.trace.record({
      t: this.sched.localNow(),
      layer: 'framework',
      where: td ? td.name : 'crypto',
      kind,
      ...(crp ? { req: crp.crp_reqid } : {}),
      fields,
    });
  }

  private traceK(kind: string, krp: cryptkop, fields: Record<string, string | number | boolean | bigint>): void {
    if (!this.trace.on) return;
    const td = this.sched.current;
    this.trace.record({ t: this.sched.localNow(), layer: 'framework', where: td ? td.name : 'crypto', kind, req: krp.krp_reqid, fields });
  }
}

/** Private bookkeeping on a key operation: whether it holds a cc_koperations count. */
interface KopInternal extends cryptkop {
  counted?: boolean;
}
