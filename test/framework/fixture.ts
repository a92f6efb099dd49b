/**
 * A framework on a bare substrate (engine, CPUs, trace, violations, sysctl) plus a configurable
 * fake crypto driver, used by the crypto(9) conformance tests (test/framework/crypto/).
 *
 * The fake driver completes synchronously, later, in order through a ring, with an error, returns
 * ERESTART N times then unblocks, unregisters itself mid-flight, detaches under the hot-eject
 * contract (DESIGN.md: crypto_unregister_all first, then every request still in flight completes
 * with EAGAIN), or never completes (a driver bug, for lost-request tests). Its keying side has
 * the same choices.
 */
import { EventEngine } from '../../sim/engine.js';
import { Priority, Scheduler, type KThread, type Wait } from '../../sim/cpu.js';
import { TraceRecorder } from '../../sim/trace.js';
import { ViolationLog } from '../../sim/violations.js';
import { Sysctl } from '../../sim/sysctl.js';
import { CryptoFramework } from '../../framework/crypto.js';
import type { CryptoDevice, cryptodev_methods } from '../../framework/drivers.js';
import { CRYPTO_ASYMQ, CRYPTO_SYMQ, EAGAIN, EINVAL, ERESTART } from '../../framework/constants.js';
import { CRYPTO_SESID2LID } from '../../framework/drivers.js';
import { cryptkop, cryptoini, type cryptop } from '../../framework/structs.js';

/** One microsecond in picoseconds. */
export const US = 1_000_000;

export interface Fixture {
  engine: EventEngine;
  sched: Scheduler;
  trace: TraceRecorder;
  violations: ViolationLog;
  sysctl: Sysctl;
  crypto: CryptoFramework;
  /** Run a generator body as a consumer thread. */
  consumer(name: string, body: (td: KThread) => Generator<Wait, void, number>): KThread;
  /** Run the machine until nothing is left to do. */
  run(): void;
}

export function makeFixture(options: { cpus?: number; trace?: boolean } = {}): Fixture {
  const engine = new EventEngine();
  const trace = new TraceRecorder({ enabled: options.trace ?? false });
  const sched = new Scheduler(engine, { cpus: options.cpus ?? 2, trace });
  const violations = new ViolationLog(trace);
  const sysctl = new Sysctl();
  const crypto = new CryptoFramework({ scheduler: sched, trace, violations, sysctl });
  return {
    engine,
    sched,
    trace,
    violations,
    sysctl,
    crypto,
    consumer: (name, body) => sched.spawn(name, Priority.User, body),
    run: () => engine.run(),
  };
}

/** A cryptoini chain with one link per algorithm, in order. */
export function ini(...algs: number[]): cryptoini {
  let head: cryptoini | null = null;
  for (let i = algs.length - 1; i >= 0; i--) head = new cryptoini({ cri_alg: algs[i]!, cri_next: head });
  if (!head) throw new RangeError('ini: at least one algorithm');
  return head;
}

/**
 * A request on `sid` with one descriptor per algorithm (as a consumer fills it from crypto_getreq)
 * whose callback records each call in `calls`.
 */
export function request(f: Fixture, sid: bigint, algs: number[], flags = 0): { crp: cryptop; calls: { etype: number; sid: bigint; flags: number }[] } {
  const crp = f.crypto.crypto_getreq(algs.length)!;
  let d = crp.crp_desc;
  for (const alg of algs) {
    d!.crd_alg = alg;
    d = d!.crd_next;
  }
  crp.crp_sid = sid;
  crp.crp_flags = flags;
  const calls: { etype: number; sid: bigint; flags: number }[] = [];
  crp.crp_callback = (c) => {
    calls.push({ etype: c.crp_etype, sid: c.crp_sid, flags: c.crp_flags });
  };
  return { crp, calls };
}

export type FakeMode =
  /** crypto_done inside process() */
  | { kind: 'sync' }
  /** crypto_done `delayPs` after process() (from an engine event, like an interrupt) */
  | { kind: 'later'; delayPs: number }
  /** an in-order ring: requests complete oldest first, one every `delayPs` */
  | { kind: 'fifo'; delayPs: number }
  /** ERESTART for the first `times` requests, crypto_unblock after `unblockAfterPs`, then complete later */
  | { kind: 'restart'; times: number; unblockAfterPs: number; delayPs: number }
  /** crypto_done inside process() with `crp_etype = etype` (an unrecoverable error) */
  | { kind: 'fail'; etype: number }
  /** never complete (a driver bug: for lost-request tests) */
  | { kind: 'never' };

export type FakeKMode =
  /** crypto_kdone `delayPs` after kprocess() */
  | { kind: 'later'; delayPs: number }
  /** crypto_kdone inside kprocess() */
  | { kind: 'sync' }
  /** crypto_kdone inside kprocess() with `krp_status = status` */
  | { kind: 'fail'; status: number }
  /** ERESTART for the first `times` operations, crypto_unblock(ASYMQ) after `unblockAfterPs` */
  | { kind: 'restart'; times: number; unblockAfterPs: number; delayPs: number }
  /** the driver has no kprocess method at all */
  | { kind: 'absent' };

export class FakeDriver {
  readonly dev: CryptoDevice;
  hid = -1;
  /** Requests accepted by process() (returned 0), in order. */
  readonly seen: cryptop[] = [];
  readonly hints: number[] = [];
  /** Requests the driver passed to crypto_done, in order. */
  readonly completed: cryptop[] = [];
  readonly sessions = new Map<number, number[]>();
  /** Every newsession the framework asked for: the preset `sidp.lid` it was handed. */
  readonly newsessionCalls: number[] = [];
  restarts = 0;
  krestarts = 0;
  private nextLid = 1;
  /** Error to return from newsession (0 = succeed). */
  newsessionError = 0;
  freed: bigint[] = [];
  kops: cryptkop[] = [];
  /** Accepted and not yet completed, oldest first (the ring of a 'fifo' driver). */
  readonly pending: cryptop[] = [];
  private readonly timers = new Map<cryptop, number>();
  private pumping = false;
  /** After accepting this many requests, call crypto_unregister_all inside process() (0 = never). */
  unregisterAfter = 0;
  /** Called at the start of every process() call, before the driver decides anything. */
  onInvoke: ((crp: cryptop, hint: number) => void) | null = null;
  /** Refuse this many upcoming process() calls with ERESTART; the test calls crypto_unblock itself. */
  refuseNext = 0;
  /** Called inside process() for each accepted request, before it is completed. */
  onProcess: ((crp: cryptop, hint: number) => void) | null = null;
  detached = false;

  constructor(
    readonly f: Fixture,
    readonly name: string,
    public mode: FakeMode,
    unit = 0,
    public kmode: FakeKMode = { kind: 'later', delayPs: US },
  ) {
    const self = this;
    const methods: cryptodev_methods = {
      cryptodev_newsession(_dev, sidp, cri: cryptoini) {
        self.newsessionCalls.push(sidp.lid);
        if (self.newsessionError) return self.newsessionError;
        const algs: number[] = [];
        for (let c: cryptoini | null = cri; c; c = c.cri_next) algs.push(c.cri_alg);
        sidp.lid = self.nextLid++;
        self.sessions.set(sidp.lid, algs);
        return 0;
      },
      cryptodev_freesession(_dev, sid) {
        self.freed.push(sid);
        return self.sessions.delete(CRYPTO_SESID2LID(sid)) ? 0 : EINVAL;
      },
      cryptodev_process(_dev, crp, hint) {
        return self.process(crp, hint);
      },
    };
    if (kmode.kind !== 'absent') methods.cryptodev_kprocess = (_dev, krp) => self.kprocess(krp);
    this.dev = { nameunit: `${name}${unit}`, name, driver: { methods } };
  }

  attach(flags: number, algs: number[], kalgs: number[] = []): number {
    this.hid = this.f.crypto.crypto_get_driverid(this.dev, flags);
    for (const a of algs) this.f.crypto.crypto_register(this.hid, a, 0, 0);
    for (const k of kalgs) this.f.crypto.crypto_kregister(this.hid, k, 0);
    return this.hid;
  }

  /**
   * The hot-eject contract (DESIGN.md): crypto_unregister_all first, so live sessions become a
   * CLEANUP tombstone, then every request still in flight completes with EAGAIN.
   */
  detach(): number {
    const err = this.f.crypto.crypto_unregister_all(this.hid);
    this.detached = true;
    for (const crp of this.pending.splice(0)) {
      const h = this.timers.get(crp);
      if (h !== undefined) this.f.engine.cancel(h);
      this.timers.delete(crp);
      crp.crp_etype = EAGAIN;
      this.done(crp);
    }
    return err;
  }

  private done(crp: cryptop): void {
    this.completed.push(crp);
    this.f.crypto.crypto_done(crp);
  }

  private process(crp: cryptop, hint: number): number {
    this.onInvoke?.(crp, hint);
    if (this.refuseNext > 0) {
      this.refuseNext--;
      return ERESTART;
    }
    const m = this.mode;
    if (m.kind === 'restart' && this.restarts < m.times) {
      this.restarts++;
      const hid = this.hid;
      this.f.engine.schedule(this.f.sched.localNow() + m.unblockAfterPs, () => this.f.crypto.crypto_unblock(hid, CRYPTO_SYMQ));
      return ERESTART;
    }
    this.seen.push(crp);
    this.hints.push(hint);
    this.onProcess?.(crp, hint);
    if (this.unregisterAfter > 0 && this.seen.length === this.unregisterAfter) this.f.crypto.crypto_unregister_all(this.hid);
    switch (m.kind) {
      case 'sync':
        this.done(crp);
        break;
      case 'fail':
        crp.crp_etype = m.etype;
        this.done(crp);
        break;
      case 'later':
      case 'restart': {
        this.pending.push(crp);
        const h = this.f.engine.schedule(this.f.sched.localNow() + m.delayPs, () => {
          this.timers.delete(crp);
          const i = this.pending.indexOf(crp);
          if (i >= 0) this.pending.splice(i, 1);
          this.done(crp);
        });
        this.timers.set(crp, h);
        break;
      }
      case 'fifo':
        this.pending.push(crp);
        this.pump(m.delayPs);
        break;
      case 'never':
        this.pending.push(crp);
        break;
    }
    return 0;
  }

  /** The 'fifo' ring: one completion every `delayPs`, always the oldest request. */
  private pump(delayPs: number): void {
    if (this.pumping) return;
    this.pumping = true;
    this.f.engine.schedule(this.f.sched.localNow() + delayPs, () => {
      this.pumping = false;
      const crp = this.pending.shift();
      if (!crp) return;
      if (this.pending.length > 0) this.pump(delayPs);
      this.done(crp);
    });
  }

  private kprocess(krp: cryptkop): number {
    const m = this.kmode;
    if (m.kind === 'restart' && this.krestarts < m.times) {
      this.krestarts++;
      const hid = this.hid;
      this.f.engine.schedule(this.f.sched.localNow() + m.unblockAfterPs, () => this.f.crypto.crypto_unblock(hid, CRYPTO_ASYMQ));
      return ERESTART;
    }
    this.kops.push(krp);
    if (m.kind === 'sync') {
      this.f.crypto.crypto_kdone(krp);
    } else if (m.kind === 'fail') {
      krp.krp_status = m.status;
      this.f.crypto.crypto_kdone(krp);
    } else if (m.kind === 'later' || m.kind === 'restart') {
      this.f.engine.schedule(this.f.sched.localNow() + m.delayPs, () => this.f.crypto.crypto_kdone(krp));
    }
    return 0;
  }
}

/** A keying operation whose callback records each call. */
export function keyop(op: number, crid: number): { krp: cryptkop; calls: { status: number; hid: number }[] } {
  const krp = new cryptkop();
  krp.krp_op = op;
  krp.krp_crid = crid;
  const calls: { status: number; hid: number }[] = [];
  krp.krp_callback = (k) => {
    calls.push({ status: k.krp_status, hid: k.krp_hid });
  };
  return { krp, calls };
}
