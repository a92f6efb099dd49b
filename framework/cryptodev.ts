/**
 * crypto(4): `/dev/crypto` for user programs (sys/opencrypto/cryptodev.c, FreeBSD 10/11 as of
 * 2015; reference/ocf.md §5). `cryptodev_open(machine)` is `open("/dev/crypto")` followed by
 * CRIOGET: a cloned descriptor with its own session list, closed with `close()`, which frees them.
 *
 * Every ioctl runs in the descriptor's simulated user thread (Priority.User): the system call,
 * copyin and copyout are charged to it, and it sleeps on the request until the driver is done, in
 * simulated time. Calls on one descriptor run one after another in the order they were issued,
 * like the system calls of a single-threaded process; open several descriptors for concurrency.
 *
 * - `await fd.ioctl(cmd, arg)` queues the call at the current simulated time and resolves when
 *   the simulation has run far enough: something must run the machine (`machine.run()`,
 *   `runUntil`, or `cryptodev_run`, which drives an async program). On failure it rejects with a
 *   `CryptodevError` carrying `errno` (FreeBSD's number) and `code` ('EINVAL'), like Node's fs
 *   errors.
 * - `fd.ioctlSync(cmd, arg)` runs the machine until the call completes, and throws on failure.
 *
 * The handlers live in cryptodev-session.ts (CIOCGSESSION, CIOCGSESSION2, CIOCFSESSION),
 * cryptodev-crypt.ts (CIOCCRYPT, CIOCCRYPTAEAD) and cryptodev-key.ts (CIOCKEY, CIOCKEY2,
 * CIOCASYMFEAT, CIOCFINDDEV); docs/cryptodev.md is the guide, and docs/differences.md lists where
 * this differs from FreeBSD.
 *
 * @example
 *   const fd = machine.cryptodev();
 *   const sop = new session2_op({ cipher: CRYPTO_AES_CBC, keylen: 16, key, crid: CRYPTO_FLAG_SOFTWARE });
 *   fd.ioctlSync(CIOCGSESSION2, sop);
 *   fd.ioctlSync(CIOCCRYPT, new crypt_op({ ses: sop.ses, op: COP_ENCRYPT, len: 64, src, dst, iv }));
 *   fd.close();
 */
import { Priority, type KThread, type Wait } from '../sim/cpu.js';
import { KernelError } from '../sim/errno.js';
import type { CryptoFramework } from './crypto.js';
import { EINVAL } from './constants.js';
import { AMD64_2015_CRYPTODEV_COSTS, type CryptodevCosts } from './cryptodev-costs.js';
import { IoctlError, fail, type CryptodevHost, type Kctx } from './cryptodev-copy.js';
import { csefree, cryptodev_fsession, cryptodev_gsession, setField, type fcrypt } from './cryptodev-session.js';
import { cryptodev_aead, cryptodev_op } from './cryptodev-crypt.js';
import { cryptodev_asymfeat, cryptodev_finddev, cryptodev_key } from './cryptodev-key.js';
import {
  CIOCASYMFEAT,
  CIOCCRYPT,
  CIOCCRYPTAEAD,
  CIOCFINDDEV,
  CIOCFSESSION,
  CIOCGSESSION,
  CIOCGSESSION2,
  CIOCKEY,
  CIOCKEY2,
  EBADF,
  ioctlName,
  type crypt_aead,
  type crypt_find_op,
  type crypt_kop,
  type crypt_op,
  type session2_op,
  type session_op,
} from './cryptodev-structs.js';

export type { CryptodevHost } from './cryptodev-copy.js';

/** A failed ioctl: `errno` is FreeBSD's number, `code` its name, as on Node's system errors. */
export class CryptodevError extends KernelError {
  override name = 'CryptodevError';
  readonly syscall = 'ioctl';
  constructor(errno: number, readonly ioctl: string, detail: string) {
    super(errno, `${ioctl}: ${detail}`);
  }
}

interface Call {
  readonly cmd: number;
  readonly arg: unknown;
  readonly settle: (error: unknown, value: number) => void;
}

interface HandlerResult {
  /** Fields written back into the argument on success. */
  out?: Record<string, unknown>;
  /** The value the call resolves with (CIOCASYMFEAT's feature bits), else 0. */
  value?: number;
}

/** The /dev/crypto state of one machine. */
interface DevState {
  readonly handles: Set<CryptodevHandle>;
  nextFd: number;
  /** Calls issued and not yet settled, on every descriptor. */
  pending: number;
  readonly ledger: { kernelBlocks: number };
}

const states = new WeakMap<CryptoFramework, DevState>();

function stateOf(host: CryptodevHost): DevState {
  let s = states.get(host.crypto);
  if (!s) {
    s = { handles: new Set(), nextFd: 3, pending: 0, ledger: { kernelBlocks: 0 } };
    states.set(host.crypto, s);
  }
  return s;
}

/** An open /dev/crypto descriptor after CRIOGET. */
export class CryptodevHandle {
  /** The descriptor number (cosmetic: names the thread and traces). */
  readonly fd: number;
  private readonly fcr: fcrypt = { csessions: [], sesn: 0 };
  private readonly queue: Call[] = [];
  private current: Call | null = null;
  private td: KThread | null = null;
  private sleeping = false;
  private closing = false;
  private closedFlag = false;
  private readonly chan: { readonly name: string };
  private readonly state: DevState;

  constructor(
    private readonly host: CryptodevHost,
    private readonly costs: CryptodevCosts = AMD64_2015_CRYPTODEV_COSTS,
  ) {
    this.state = stateOf(host);
    this.fd = this.state.nextFd++;
    this.chan = { name: `cryptodev fd ${this.fd}` };
    this.state.handles.add(this);
  }

  ioctl(cmd: typeof CIOCGSESSION, arg: session_op): Promise<number>;
  ioctl(cmd: typeof CIOCGSESSION2, arg: session2_op): Promise<number>;
  ioctl(cmd: typeof CIOCFSESSION, ses: number): Promise<number>;
  ioctl(cmd: typeof CIOCCRYPT, arg: crypt_op): Promise<number>;
  ioctl(cmd: typeof CIOCCRYPTAEAD, arg: crypt_aead): Promise<number>;
  ioctl(cmd: typeof CIOCKEY | typeof CIOCKEY2, arg: crypt_kop): Promise<number>;
  ioctl(cmd: typeof CIOCASYMFEAT): Promise<number>;
  ioctl(cmd: typeof CIOCFINDDEV, arg: crypt_find_op): Promise<number>;
  ioctl(cmd: number, arg?: unknown): Promise<number>;
  /**
   * Issue an ioctl. It starts at the current simulated time in this descriptor's user thread and
   * resolves (with 0, or CIOCASYMFEAT's CRF_* bits) once the machine has run far enough; output
   * fields are written into `arg` on success only, as the kernel's struct copyout is.
   */
  ioctl(cmd: number, arg?: unknown): Promise<number> {
    return new Promise((resolve, reject) => {
      this.submit(cmd, arg, (error, value) => (error === null ? resolve(value) : reject(error)));
    });
  }

  ioctlSync(cmd: typeof CIOCGSESSION, arg: session_op): number;
  ioctlSync(cmd: typeof CIOCGSESSION2, arg: session2_op): number;
  ioctlSync(cmd: typeof CIOCFSESSION, ses: number): number;
  ioctlSync(cmd: typeof CIOCCRYPT, arg: crypt_op): number;
  ioctlSync(cmd: typeof CIOCCRYPTAEAD, arg: crypt_aead): number;
  ioctlSync(cmd: typeof CIOCKEY | typeof CIOCKEY2, arg: crypt_kop): number;
  ioctlSync(cmd: typeof CIOCASYMFEAT): number;
  ioctlSync(cmd: typeof CIOCFINDDEV, arg: crypt_find_op): number;
  ioctlSync(cmd: number, arg?: unknown): number;
  /**
   * Issue an ioctl and run the machine, one event at a time, until it completes. Throws the
   * CryptodevError of a failed call. Call it from outside the simulation (test code, a tool), not
   * from a simulated thread or an event handler.
   */
  ioctlSync(cmd: number, arg?: unknown): number {
    if (this.host.scheduler.current) {
      throw new Error(`ioctlSync(${ioctlName(cmd)}) was called from thread ${this.host.scheduler.current.name}; inside the simulation use ioctl()`);
    }
    let done = false;
    let error: unknown = null;
    let value = 0;
    let returnedAt = 0;
    this.submit(cmd, arg, (e, v) => {
      done = true;
      error = e;
      value = v;
      returnedAt = this.host.scheduler.localNow();
    });
    const engine = this.host.engine;
    while (!done && engine.step()) {
      /* run the machine until the call completes */
    }
    if (!done) {
      // Difference: FreeBSD's process would sleep in "crydev" for ever.
      this.host.crypto.reportLostRequests();
      throw new Error(`${ioctlName(cmd)} on fd ${this.fd} never completed: the machine went idle with the call still waiting (see machine.violations)`);
    }
    // The call returned inside a thread's step, at that thread's local time: bring the machine's
    // clock there, so `machine.now` after the call is when the program got control back.
    if (returnedAt > engine.now) engine.runUntil(returnedAt);
    if (error !== null) throw error;
    return value;
  }

  /**
   * close(2): free every session of the descriptor. Immediate when no call is in progress;
   * otherwise done by the descriptor's thread after its last call. Later ioctls fail with EBADF.
   */
  close(): void {
    if (this.closing) throw new CryptodevError(EBADF, 'close', `fd ${this.fd} is already closed`);
    this.closing = true;
    if (this.current === null && this.queue.length === 0) {
      this.freeAll(null);
      if (this.td && this.sleeping) this.host.scheduler.wakeup(this.chan);
    }
    // Otherwise the thread frees them when it has drained the queue.
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Calls issued and not yet complete. */
  get busy(): boolean {
    return this.current !== null || this.queue.length > 0;
  }

  /** The descriptor's sessions: the program's number and the kernel SID behind it. */
  get sessions(): readonly { readonly ses: number; readonly sid: bigint }[] {
    return this.fcr.csessions.map((c) => ({ ses: c.ses, sid: c.sid }));
  }

  private submit(cmd: number, arg: unknown, settle: (error: unknown, value: number) => void): void {
    if (this.closing) {
      settle(new CryptodevError(EBADF, ioctlName(cmd), `fd ${this.fd} is closed`), 0);
      return;
    }
    this.state.pending++;
    this.queue.push({
      cmd,
      arg,
      settle: (e, v) => {
        this.state.pending--;
        settle(e, v);
      },
    });
    if (!this.td) {
      this.td = this.host.scheduler.spawn(`cryptodev fd ${this.fd}`, Priority.User, (td) => this.body(td));
    } else if (this.sleeping) {
      this.host.scheduler.wakeup(this.chan);
    }
  }

  private *body(td: KThread): Generator<Wait, void, number> {
    for (;;) {
      const call = this.queue.shift();
      if (!call) {
        if (this.closing) {
          this.freeAll(td);
          this.td = null;
          return;
        }
        this.sleeping = true;
        yield td.msleep(this.chan, 'ioctl');
        this.sleeping = false;
        continue;
      }
      this.current = call;
      yield* this.execute(td, call);
      this.current = null;
    }
  }

  private *execute(td: KThread, call: Call): Generator<Wait, void, number> {
    const k: Kctx = { td, host: this.host, costs: this.costs, ledger: this.state.ledger };
    const name = ioctlName(call.cmd);
    td.chargeCycles(this.costs.syscall);
    this.traceCall('cryptodev.ioctl', td, { ioctl: name });
    let error: unknown = null;
    let value = 0;
    try {
      const r = yield* this.handle(k, call.cmd, call.arg);
      if (r.out) for (const [f, v] of Object.entries(r.out)) setField(call.arg as Record<string, unknown>, f, v);
      value = r.value ?? 0;
    } catch (e) {
      // IoctlError is an errno; anything else is a bug below (a driver, the framework, or here),
      // passed on as it is so that it is not mistaken for a documented outcome.
      error = e instanceof IoctlError ? new CryptodevError(e.errno, name, e.message) : e;
    }
    this.traceCall('cryptodev.return', td, {
      ioctl: name,
      error: error === null ? 'OK' : error instanceof CryptodevError ? error.code : 'exception',
    });
    call.settle(error, value);
  }

  private *handle(k: Kctx, cmd: number, arg: unknown): Generator<Wait, HandlerResult, number> {
    switch (cmd) {
      case CIOCGSESSION:
      case CIOCGSESSION2:
        return { out: cryptodev_gsession(k, this.fcr, arg, cmd === CIOCGSESSION2) };
      case CIOCFSESSION:
        cryptodev_fsession(k, this.fcr, arg);
        return {};
      case CIOCCRYPT:
        yield* cryptodev_op(k, this.fcr, arg);
        return {};
      case CIOCCRYPTAEAD:
        yield* cryptodev_aead(k, this.fcr, arg);
        return {};
      case CIOCKEY:
      case CIOCKEY2:
        return { out: yield* cryptodev_key(k, arg, cmd === CIOCKEY2) };
      case CIOCASYMFEAT:
        return { value: cryptodev_asymfeat(k) };
      case CIOCFINDDEV:
        return { out: cryptodev_finddev(k, arg) };
      default:
        fail(EINVAL, `${ioctlName(cmd)} is not an ioctl of a cloned /dev/crypto descriptor`);
    }
  }

  /** cryptof_close: free every session (errors are ignored, as FreeBSD does). */
  private freeAll(td: KThread | null): void {
    const k: Kctx | null = td ? { td, host: this.host, costs: this.costs, ledger: this.state.ledger } : null;
    for (const cse of [...this.fcr.csessions]) csefree(this.host.crypto, this.fcr, cse, k);
    this.closedFlag = true;
    this.state.handles.delete(this);
  }

  private traceCall(kind: string, td: KThread, fields: Record<string, string>): void {
    if (!this.host.trace.on) return;
    this.host.trace.record({ t: td.localTime, layer: 'framework', where: td.name, kind, fields: { fd: this.fd, ...fields } });
  }
}

/** open("/dev/crypto") and CRIOGET: a descriptor with an empty session list. */
export function cryptodev_open(host: CryptodevHost, costs?: CryptodevCosts): CryptodevHandle {
  return new CryptodevHandle(host, costs);
}

/**
 * Run an async program that uses /dev/crypto: whenever it waits on an ioctl, run the machine until
 * the calls in progress complete, then let the program go on. Resolves with the program's result.
 *
 * @example
 *   const out = await cryptodev_run(machine, async () => { await fd.ioctl(CIOCGSESSION2, sop); ... });
 */
export async function cryptodev_run<T>(host: CryptodevHost, program: () => Promise<T>): Promise<T> {
  const state = stateOf(host);
  let settled = false;
  const p = program();
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    // Let the program reach its next await (and host I/O progress) before running the machine.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (settled) return p;
    if (state.pending === 0) continue;
    while (state.pending > 0 && host.engine.step()) {
      /* run the machine until the calls in progress complete */
    }
    if (state.pending > 0) {
      host.crypto.reportLostRequests();
      throw new Error(`${state.pending} /dev/crypto call(s) never completed: the machine went idle (see machine.violations)`);
    }
  }
}

export interface ConsistencyOptions {
  /**
   * No other consumer (a kernel thread, IPsec) holds sessions: every driver's session count must
   * equal the /dev/crypto sessions on it exactly.
   */
  exclusive?: boolean;
}

/**
 * Check what a quiet machine must satisfy after /dev/crypto use (call it after `machine.run()`):
 * no call or request in flight, no queued request, no violation, every kernel buffer freed, every
 * open session still known to the framework (unless its driver is gone), and (exclusive) session
 * counts that match. Returns one line per problem; empty means consistent.
 */
export function cryptodev_consistency(host: CryptodevHost, options: ConsistencyOptions = {}): string[] {
  const problems: string[] = [];
  const state = stateOf(host);
  const crypto = host.crypto;
  if (state.pending > 0) problems.push(`${state.pending} /dev/crypto call(s) still in progress`);
  if (crypto.outstanding > 0) problems.push(`${crypto.outstanding} request(s) or key operation(s) still in flight`);
  const q = crypto.queueDepth;
  if (q.symmetric + q.asymmetric + q.returns > 0) problems.push(`queues not empty: ${JSON.stringify(q)}`);
  for (const v of host.violations.all) problems.push(`violation [${v.kind}] t=${v.t} ps: ${v.message}`);
  if (state.ledger.kernelBlocks !== 0) problems.push(`${state.ledger.kernelBlocks} /dev/crypto kernel buffer(s) not freed`);
  const perHid = new Map<number, number>();
  for (const h of state.handles) {
    for (const { ses, sid } of h.sessions) {
      const hid = Number((sid >> 32n) & 0xffffffn);
      if (crypto.sessionIsLive(sid)) {
        perHid.set(hid, (perHid.get(hid) ?? 0) + 1);
      } else if (crypto.drivers.check(hid)?.cc_dev) {
        problems.push(`fd ${h.fd} session ${ses}: SID 0x${sid.toString(16)} is not a live session, yet driver ${hid} is`);
      }
    }
  }
  if (options.exclusive) {
    crypto.drivers.slots.forEach((cap, hid) => {
      const expected = perHid.get(hid) ?? 0;
      if (cap.cc_sessions !== expected) {
        problems.push(`driver slot ${hid} (${cap.cc_name || 'empty'}): cc_sessions ${cap.cc_sessions}, but /dev/crypto holds ${expected}`);
      }
      if (cap.isTombstone && cap.cc_sessions === 0 && cap.cc_koperations === 0) problems.push(`driver slot ${hid} is an idle tombstone`);
    });
  }
  return problems;
}

