/**
 * A framework on a bare substrate (engine, CPUs, trace, violations, sysctl) plus a configurable
 * fake crypto driver: completes synchronously, completes later, returns ERESTART N times then
 * unblocks, or unregisters mid-flight. Used by the crypto(9) conformance tests.
 */
import { EventEngine } from '../../sim/engine.js';
import { Priority, Scheduler, type KThread, type Wait } from '../../sim/cpu.js';
import { TraceRecorder } from '../../sim/trace.js';
import { ViolationLog } from '../../sim/violations.js';
import { Sysctl } from '../../sim/sysctl.js';
import { CryptoFramework } from '../../framework/crypto.js';
import type { CryptoDevice, cryptodev_methods } from '../../framework/drivers.js';
import { ERESTART, CRYPTO_SYMQ } from '../../framework/constants.js';
import { CRYPTO_SESID2LID } from '../../framework/drivers.js';
import type { cryptkop, cryptoini, cryptop } from '../../framework/structs.js';

export interface Fixture {
  engine: EventEngine;
  sched: Scheduler;
  trace: TraceRecorder;
  violations: ViolationLog;
  sysctl: Sysctl;
  crypto: CryptoFramework;
  /** Run a generator body as a consumer thread. */
  consumer(name: string, body: (td: KThread) => Generator<Wait, void, number>): KThread;
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
  };
}

export type FakeMode =
  /** crypto_done inside process() */
  | { kind: 'sync' }
  /** crypto_done after `delayPs` (from an engine event, like an interrupt) */
  | { kind: 'later'; delayPs: number }
  /** ERESTART for the first `times` requests, crypto_unblock after `unblockAfterPs`, then complete later */
  | { kind: 'restart'; times: number; unblockAfterPs: number; delayPs: number }
  /** never complete (a driver bug: for lost-request tests) */
  | { kind: 'never' };

export class FakeDriver {
  readonly dev: CryptoDevice;
  hid = -1;
  readonly seen: cryptop[] = [];
  readonly hints: number[] = [];
  readonly sessions = new Map<number, number[]>();
  restarts = 0;
  private nextLid = 1;
  /** Error to return from newsession (0 = succeed). */
  newsessionError = 0;
  freed: bigint[] = [];
  kops: cryptkop[] = [];

  constructor(readonly f: Fixture, readonly name: string, public mode: FakeMode, unit = 0) {
    const self = this;
    const methods: cryptodev_methods = {
      cryptodev_newsession(_dev, sidp, cri: cryptoini) {
        if (self.newsessionError) return self.newsessionError;
        const algs: number[] = [];
        for (let c: cryptoini | null = cri; c; c = c.cri_next) algs.push(c.cri_alg);
        sidp.lid = self.nextLid++;
        self.sessions.set(sidp.lid, algs);
        return 0;
      },
      cryptodev_freesession(_dev, sid) {
        self.freed.push(sid);
        return self.sessions.delete(CRYPTO_SESID2LID(sid)) ? 0 : 22;
      },
      cryptodev_process(_dev, crp, hint) {
        return self.process(crp, hint);
      },
      cryptodev_kprocess(_dev, krp) {
        self.kops.push(krp);
        f.engine.schedule(f.sched.localNow() + 1_000_000, () => f.crypto.crypto_kdone(krp));
        return 0;
      },
    };
    this.dev = { nameunit: `${name}${unit}`, name, driver: { methods } };
  }

  attach(flags: number, algs: number[]): number {
    this.hid = this.f.crypto.crypto_get_driverid(this.dev, flags);
    for (const a of algs) this.f.crypto.crypto_register(this.hid, a, 0, 0);
    return this.hid;
  }

  private process(crp: cryptop, hint: number): number {
    const m = this.mode;
    if (m.kind === 'restart' && this.restarts < m.times) {
      this.restarts++;
      const hid = this.hid;
      this.f.engine.schedule(this.f.sched.localNow() + m.unblockAfterPs, () => this.f.crypto.crypto_unblock(hid, CRYPTO_SYMQ));
      return ERESTART;
    }
    this.seen.push(crp);
    this.hints.push(hint);
    if (m.kind === 'sync') {
      this.f.crypto.crypto_done(crp);
    } else if (m.kind === 'later' || m.kind === 'restart') {
      this.f.engine.schedule(this.f.sched.localNow() + m.delayPs, () => this.f.crypto.crypto_done(crp));
    }
    return 0;
  }
}
