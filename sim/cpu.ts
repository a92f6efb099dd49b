/**
 * Simulated CPUs and kernel threads.
 *
 * A thread is a generator. Each resumption of the generator is one *step*: it runs atomically as
 * ordinary JS and charges simulated CPU time for what it does (`charge`). Its local clock starts at
 * the step's start and advances with every charge; whatever it does to a device is stamped with that
 * local time (temporal decoupling, DESIGN.md). The CPU stays busy until the step's local time, then
 * the thread's yielded `Wait` takes effect (sleep on a channel, pause, yield) and the CPU picks the
 * highest-priority runnable thread.
 *
 * Reading a device register synchronises: `sync()` runs every *device* event due up to the thread's
 * local time. Other threads' steps that fall due meanwhile are deferred until the syncing step ends,
 * so no thread ever runs inside another's step (the reason: it keeps every kernel structure
 * consistent without locks, at the price of a small timing error the loosely-timed model accepts).
 *
 * @example
 *   const cpus = new Scheduler(engine, { cpus: 2 });
 *   cpus.spawn('worker', Priority.Kernel, function* (td) {
 *     for (;;) { td.charge(1_000_000); yield td.msleep(queue, 'work'); }
 *   });
 */
import { EventEngine } from './engine.js';
import { ClockDomain } from './clock.js';
import { TraceRecorder } from './trace.js';
import { EWOULDBLOCK } from './errno.js';

/** Lower numbers run first, as in FreeBSD. */
export enum Priority {
  Interrupt = 0,
  Kernel = 1,
  User = 2,
}

/** A thread tried to sleep where the kernel forbids it (interrupt filter, a driver's process routine). */
export class SleepNotAllowedError extends Error {
  override name = 'SleepNotAllowedError';
}

/** A thread's body threw: the simulation cannot continue meaningfully. */
export class ThreadCrashedError extends Error {
  override name = 'ThreadCrashedError';
  constructor(readonly thread: string, readonly time: number, readonly original: unknown) {
    super(`thread ${thread} crashed at t=${time} ps: ${original instanceof Error ? original.message : String(original)}`);
    if (original instanceof Error && original.stack) this.stack = `${this.name}: ${this.message}\n${original.stack}`;
  }
}

export type Wait =
  | { readonly kind: 'sleep'; readonly chan: unknown; readonly wmesg: string; readonly timeout: number }
  | { readonly kind: 'pause'; readonly duration: number }
  | { readonly kind: 'yield' };

/** What a thread body is: resumed with 0, or with EWOULDBLOCK after a timed-out msleep. */
export type ThreadBody = (td: KThread) => Generator<Wait, void, number>;

export type ThreadState = 'runnable' | 'running' | 'sleeping' | 'paused' | 'done';

export interface SchedulerOptions {
  cpus?: number;
  /** Host CPU clock, for `chargeCycles`. */
  clock?: ClockDomain;
  /** Cost of switching to a thread at the start of a step (ps). */
  contextSwitchPs?: number;
  /** A thread ahead of global time by more than this synchronises on its next charge (ps). */
  quantumPs?: number;
  trace?: TraceRecorder;
}

export class KThread {
  state: ThreadState = 'runnable';
  /** Local time while running; the time the last step ended otherwise. */
  localTime = 0;
  /** Total CPU time charged (ps). */
  cpuTime = 0;
  steps = 0;
  /** The CPU the thread last ran on. */
  cpu = -1;
  /** Set while sleeping: what it sleeps on and whether a wakeup or timeout already came. */
  sleepChan: unknown = undefined;
  wmesg = '';
  /** @internal A wakeup arrived between the yield of a sleep and the end of that step. */
  wokenInStep = false;
  /** @internal When that wakeup happened (the waker's local time). */
  wokenAt = 0;
  private resumeValue = 0;
  private timeoutHandle = -1;
  private readonly gen: Generator<Wait, void, number>;

  constructor(
    readonly scheduler: Scheduler,
    readonly name: string,
    readonly priority: number,
    body: ThreadBody,
    readonly id: number,
  ) {
    this.gen = body(this);
  }

  /** Charge `ps` picoseconds of CPU time to this thread's current step. */
  charge(ps: number): void {
    this.scheduler.chargeThread(this, ps);
  }

  /** Charge `cycles` host CPU cycles. */
  chargeCycles(cycles: number): void {
    this.scheduler.chargeThread(this, this.scheduler.clock.cyclesToPs(Math.ceil(cycles)));
  }

  /** msleep(9): yield the returned value to sleep on `chan` until `wakeup(chan)` or `timeout` ps (0 = none). */
  msleep(chan: unknown, wmesg = 'sleep', timeout = 0): Wait {
    this.scheduler.assertMaySleep(this, `msleep("${wmesg}")`);
    if (!(timeout >= 0)) throw new RangeError(`msleep: timeout must be >= 0 ps, got ${timeout}`);
    return { kind: 'sleep', chan, wmesg, timeout };
  }

  /** pause(9): yield the returned value to sleep for `duration` ps. */
  pause(duration: number): Wait {
    this.scheduler.assertMaySleep(this, 'pause');
    if (!(duration >= 0)) throw new RangeError(`pause: duration must be >= 0 ps, got ${duration}`);
    return { kind: 'pause', duration };
  }

  /** Give the CPU to other runnable threads of equal or higher priority. */
  yieldCpu(): Wait {
    return { kind: 'yield' };
  }

  /** @internal */
  resume(): IteratorResult<Wait, void> {
    const v = this.resumeValue;
    this.resumeValue = 0;
    return this.gen.next(v);
  }

  /** @internal */
  setResume(value: number): void {
    this.resumeValue = value;
  }

  /** @internal */
  setTimeoutHandle(h: number): void {
    this.timeoutHandle = h;
  }

  /** @internal */
  takeTimeoutHandle(): number {
    const h = this.timeoutHandle;
    this.timeoutHandle = -1;
    return h;
  }
}

interface Cpu {
  index: number;
  running: KThread | null;
  /** Busy time accumulated (ps). */
  busy: number;
  /** Time the CPU becomes free (end of the running step). */
  busyUntil: number;
}

export interface CpuUsage {
  cpu: number;
  busyPs: number;
  utilisation: number;
}

export interface ThreadUsage {
  name: string;
  cpuTimePs: number;
  utilisation: number;
  steps: number;
  state: ThreadState;
}

export class Scheduler {
  readonly clock: ClockDomain;
  readonly contextSwitchPs: number;
  readonly quantumPs: number;
  private readonly cpus: Cpu[];
  private readonly threads: KThread[] = [];
  /** Runnable threads, one FIFO per priority value. */
  private readonly runq = new Map<number, KThread[]>();
  private readonly sleepq = new Map<unknown, KThread[]>();
  private readonly trace: TraceRecorder | undefined;
  private cur: KThread | null = null;
  private noSleepLabels: string[] = [];
  private syncing = false;
  private deferred: (() => void)[] = [];
  private kickPending = new Set<number>();
  private nextId = 0;

  constructor(readonly engine: EventEngine, options: SchedulerOptions = {}) {
    const n = options.cpus ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`Scheduler: cpus must be 1..256, got ${n}`);
    this.clock = options.clock ?? ClockDomain.CPU2400;
    this.contextSwitchPs = options.contextSwitchPs ?? 300_000;
    this.quantumPs = options.quantumPs ?? 10_000_000;
    this.trace = options.trace;
    this.cpus = Array.from({ length: n }, (_, index) => ({ index, running: null, busy: 0, busyUntil: 0 }));
  }

  get cpuCount(): number {
    return this.cpus.length;
  }

  /** The thread whose step is running, or null outside any thread (test code, device events). */
  get current(): KThread | null {
    return this.cur;
  }

  /** The time at which the caller acts: the running thread's local time, else global time. */
  localNow(): number {
    return this.cur ? this.cur.localTime : this.engine.now;
  }

  /** Charge the running thread, if any (device and test code run for free). */
  charge(ps: number): void {
    if (this.cur) this.chargeThread(this.cur, ps);
  }

  /** Create a kernel thread; it becomes runnable at the current time. */
  spawn(name: string, priority: number, body: ThreadBody): KThread {
    if (typeof body !== 'function') throw new TypeError(`spawn ${name}: body must be a generator function`);
    if (!Number.isInteger(priority)) throw new RangeError(`spawn ${name}: priority must be an integer`);
    const td = new KThread(this, name, priority, body, this.nextId++);
    td.localTime = this.localNow();
    this.threads.push(td);
    this.makeRunnable(td, td.localTime);
    return td;
  }

  /** wakeup(9): make every thread sleeping on `chan` runnable. Returns how many woke. */
  wakeup(chan: unknown): number {
    const q = this.sleepq.get(chan);
    if (!q) return 0;
    this.sleepq.delete(chan);
    for (const td of q) this.wake(td, 0);
    return q.length;
  }

  /** wakeup_one(9): wake the longest sleeper on `chan`. */
  wakeup_one(chan: unknown): number {
    const q = this.sleepq.get(chan);
    const td = q?.shift();
    if (!td) return 0;
    if (q!.length === 0) this.sleepq.delete(chan);
    this.wake(td, 0);
    return 1;
  }

  /** Run `fn` where sleeping is forbidden (interrupt filters, driver process routines). */
  noSleep<T>(label: string, fn: () => T): T {
    this.enterNoSleep(label);
    try {
      return fn();
    } finally {
      this.exitNoSleep();
    }
  }

  /**
   * The same as {@link noSleep} without a closure, for a path taken on every request: each
   * enterNoSleep must be matched by exitNoSleep in a `finally`.
   */
  enterNoSleep(label: string): void {
    this.noSleepLabels.push(label);
  }

  exitNoSleep(): void {
    this.noSleepLabels.pop();
  }

  /** @internal */
  assertMaySleep(td: KThread, what: string): void {
    if (this.cur !== td) {
      throw new SleepNotAllowedError(`${what}: thread ${td.name} may only sleep from its own running step`);
    }
    const label = this.noSleepLabels[this.noSleepLabels.length - 1];
    if (label !== undefined) {
      throw new SleepNotAllowedError(`${what} called in ${label}, which must not sleep (thread ${td.name}, t=${td.localTime} ps)`);
    }
  }

  /**
   * Synchronise the running thread with global time: run every device event due up to its local
   * time (an MMIO read, DELAY(9)). Outside a thread this is a no-op.
   */
  sync(): void {
    const td = this.cur;
    if (!td || this.syncing) return;
    if (td.localTime <= this.engine.now) return;
    this.syncing = true;
    try {
      this.engine.runUntil(td.localTime);
    } finally {
      this.syncing = false;
    }
    if (this.deferred.length > 0) {
      const run = this.deferred;
      this.deferred = [];
      // After the current step returns to the engine loop, in their original order.
      // Through cpuEvent, so that a second sync in this same step defers them again.
      this.cpuEvent(this.engine.now, () => {
        for (const fn of run) fn();
      });
    }
  }

  /** DELAY(9): busy-wait `us` microseconds, charged to the running thread, then synchronise. */
  DELAY(us: number): void {
    if (!(us >= 0)) throw new RangeError(`DELAY: microseconds must be >= 0, got ${us}`);
    this.charge(Math.round(us * 1_000_000));
    this.sync();
  }

  /** @internal */
  chargeThread(td: KThread, ps: number): void {
    if (!(ps >= 0) || !Number.isFinite(ps)) throw new RangeError(`charge: ps must be a finite number >= 0, got ${ps}`);
    if (td !== this.cur) throw new Error(`charge: thread ${td.name} is not running`);
    const whole = Math.ceil(ps);
    td.localTime += whole;
    td.cpuTime += whole;
    if (td.localTime - this.engine.now > this.quantumPs) this.sync();
  }

  /** Per-CPU busy time and utilisation over [0, now]. */
  cpuUsage(): CpuUsage[] {
    const now = Math.max(1, this.engine.now);
    return this.cpus.map((c) => {
      // A step is charged in full when it starts; do not count the part that lies in the future.
      const ahead = c.running ? Math.max(0, c.busyUntil - now) : 0;
      return { cpu: c.index, busyPs: c.busy - ahead, utilisation: (c.busy - ahead) / now };
    });
  }

  /** Per-thread CPU time and utilisation over [0, now] (fraction of one CPU). */
  threadUsage(): ThreadUsage[] {
    const now = Math.max(1, this.engine.now);
    return this.threads.map((t) => ({
      name: t.name,
      cpuTimePs: t.cpuTime,
      utilisation: t.cpuTime / now,
      steps: t.steps,
      state: t.state,
    }));
  }

  get allThreads(): readonly KThread[] {
    return this.threads;
  }

  private wake(td: KThread, resume: number): void {
    if (td.state !== 'sleeping' && td.state !== 'running') return;
    const h = td.takeTimeoutHandle();
    if (h >= 0) this.engine.cancel(h);
    td.setResume(resume);
    td.sleepChan = undefined;
    if (td.state === 'running') {
      // The sleep was registered in this very step; it takes effect when the step ends.
      td.wokenInStep = true;
      td.wokenAt = this.localNow();
      return;
    }
    this.makeRunnable(td, this.localNow());
  }

  private makeRunnable(td: KThread, at: number): void {
    if (at > this.engine.now) {
      // Runnable from `at` on, not before: a CPU freeing earlier must not pick it up early.
      td.state = 'paused';
      this.cpuEvent(at, () => this.enqueue(td, at));
      return;
    }
    this.enqueue(td, at);
  }

  private enqueue(td: KThread, at: number): void {
    td.state = 'runnable';
    let q = this.runq.get(td.priority);
    if (!q) {
      q = [];
      this.runq.set(td.priority, q);
    }
    q.push(td);
    this.kick(at);
  }

  /** Ask idle CPUs to look for work at time `at`. */
  private kick(at: number): void {
    const t = Math.max(at, this.engine.now);
    if (this.kickPending.has(t)) return;
    this.kickPending.add(t);
    this.cpuEvent(t, () => {
      this.kickPending.delete(t);
      this.dispatchIdle(t);
    });
  }

  /** CPU-side events are deferred while a thread synchronises, so steps never nest. */
  private cpuEvent(at: number, fn: () => void): void {
    this.engine.schedule(at, () => {
      if (this.syncing) this.deferred.push(fn);
      else fn();
    });
  }

  private pickRunnable(): KThread | undefined {
    let best: number | undefined;
    for (const [prio, q] of this.runq) {
      if (q.length > 0 && (best === undefined || prio < best)) best = prio;
    }
    return best === undefined ? undefined : this.runq.get(best)!.shift();
  }

  private dispatchIdle(at: number): void {
    for (const cpu of this.cpus) {
      if (cpu.running) continue;
      const td = this.pickRunnable();
      if (!td) return;
      this.runStep(cpu, td, at);
    }
  }

  private runStep(cpu: Cpu, td: KThread, startAt: number): void {
    // A dispatch deferred while another thread synchronised runs after that sync, when global
    // time has moved on: the step starts now, not at the (past) time the dispatch was asked for.
    const start = Math.max(startAt, this.engine.now);
    cpu.running = td;
    td.state = 'running';
    td.cpu = cpu.index;
    td.localTime = start;
    td.steps++;
    this.cur = td;
    let result: IteratorResult<Wait, void>;
    try {
      this.chargeThread(td, this.contextSwitchPs);
      result = td.resume();
    } catch (err) {
      td.state = 'done';
      throw new ThreadCrashedError(td.name, td.localTime, err);
    } finally {
      this.cur = null;
    }
    const end = td.localTime;
    const dur = end - start;
    cpu.busy += dur;
    cpu.busyUntil = end;
    if (this.trace?.on) {
      this.trace.record({ t: start, layer: 'cpu', where: td.name, kind: 'thread.step', dur, fields: { cpu: cpu.index } });
    }
    const wait = result.done ? null : result.value;
    if (wait && wait.kind === 'sleep') this.registerSleep(td, wait, end);
    this.cpuEvent(end, () => this.endStep(cpu, td, wait, end));
  }

  private registerSleep(td: KThread, wait: Extract<Wait, { kind: 'sleep' }>, end: number): void {
    td.sleepChan = wait.chan;
    td.wmesg = wait.wmesg;
    // Registered now, while the step's JS is still atomic, so a wakeup before `end` is not lost.
    let q = this.sleepq.get(wait.chan);
    if (!q) {
      q = [];
      this.sleepq.set(wait.chan, q);
    }
    q.push(td);
    if (wait.timeout > 0) {
      td.setTimeoutHandle(
        this.engine.schedule(end + wait.timeout, () => {
          td.setTimeoutHandle(-1);
          const sq = this.sleepq.get(td.sleepChan);
          if (sq) {
            const i = sq.indexOf(td);
            if (i >= 0) sq.splice(i, 1);
            if (sq.length === 0) this.sleepq.delete(td.sleepChan);
          }
          this.wake(td, EWOULDBLOCK);
        }),
      );
    }
  }

  private endStep(cpu: Cpu, td: KThread, wait: Wait | null, end: number): void {
    cpu.running = null;
    if (wait === null) {
      td.state = 'done';
    } else if (wait.kind === 'sleep') {
      if (td.wokenInStep) {
        td.wokenInStep = false;
        this.makeRunnable(td, Math.max(end, td.wokenAt));
      } else {
        td.state = 'sleeping';
      }
    } else if (wait.kind === 'pause') {
      td.state = 'paused';
      this.makeRunnable(td, end + wait.duration);
    } else {
      this.makeRunnable(td, end);
    }
    this.dispatchIdle(end);
  }
}
