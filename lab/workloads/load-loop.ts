/**
 * The submitting thread every workload shares: open loop (Poisson arrivals at a rate, with a cap
 * on requests in flight beyond which arrivals are dropped, as an interface queue drops packets) or
 * closed loop (N requests in flight: sleep until a completion makes room).
 *
 * One step of the thread submits what is due, but never more than `STEP_BUDGET_PS` of CPU: with a
 * synchronous driver (cryptosoft completes inside crypto_dispatch) a closed loop would otherwise
 * never leave its step, since every completion makes room for the next request at once.
 *
 * @example
 *   const loop = new LoadLoop(m, { name: 'esp', priority: Priority.Kernel, prng, rate: 20_000 }, (td) => submitPacket(td));
 *   loop.start();        // ... completion callbacks call loop.completed()
 */
import type { KThread, Wait } from '../../sim/cpu.js';
import { PRIORITY } from './workload.js';
import type { Prng } from '../../sim/prng.js';
import type { Machine } from '../machine.js';
import type { Ledger } from './ledger.js';

/** CPU a submitting step may use before it gives the CPU back (ps). */
export const STEP_BUDGET_PS = 20_000_000;
/** Open loop: arrivals later than this behind their time are dropped, not sent in a burst (ps). */
export const STALL_PS = 1_000_000_000;
/** Open loop: arrivals beyond this many requests in flight are dropped (default). */
export const DEFAULT_MAX_IN_FLIGHT = 1024;

export interface LoadLoopOptions {
  name: string;
  priority: number;
  prng: Prng;
  ledger: Ledger;
  rate?: number;
  outstanding?: number;
  maxInFlight?: number;
}

export class LoadLoop {
  private rate: number;
  private depth: number;
  private readonly maxInFlight: number;
  private inflight = 0;
  private stopped = true;
  private resync = false;
  private td: KThread | null = null;
  private readonly chan: { name: string };

  constructor(
    private readonly m: Machine,
    private readonly o: LoadLoopOptions,
    /** Submit one request from thread `td` (charging what it costs). */
    private readonly submit: (td: KThread) => void,
  ) {
    this.rate = o.rate ?? 0;
    this.depth = o.outstanding ?? 0;
    this.maxInFlight = o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.chan = { name: `${o.name} room` };
  }

  get open(): boolean {
    return this.rate > 0;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (!this.td || this.td.state === 'done') {
      this.td = this.m.scheduler.spawn(this.o.name, this.o.priority, (td) => this.body(td));
    }
  }

  stop(): void {
    this.stopped = true;
    this.m.scheduler.wakeup(this.chan);
  }

  steer(o: { rate?: number; outstanding?: number }): void {
    if (o.rate !== undefined) {
      if (!(o.rate > 0)) throw new RangeError(`${this.o.name}: rate must be > 0`);
      if (this.rate === 0) this.resync = true; // from closed loop: arrivals start now
      this.rate = o.rate;
      this.depth = 0;
    }
    if (o.outstanding !== undefined) {
      if (!(Number.isInteger(o.outstanding) && o.outstanding >= 1)) throw new RangeError(`${this.o.name}: outstanding must be an integer >= 1`);
      this.depth = o.outstanding;
      this.rate = 0;
    }
    this.m.scheduler.wakeup(this.chan);
  }

  /** A request finished for good: make room. */
  completed(): void {
    this.inflight--;
    if (!this.open && this.inflight < this.depth) this.m.scheduler.wakeup(this.chan);
  }

  private gap(): number {
    return Math.max(1, Math.round(this.o.prng.exponential(1e12 / this.rate)));
  }

  private *body(td: KThread): Generator<Wait, void, number> {
    let next = td.localTime;
    while (!this.stopped) {
      const stepStart = td.localTime;
      if (this.open) {
        if (this.resync) {
          next = stepStart;
          this.resync = false;
        } else if (next < stepStart - STALL_PS) {
          // The thread could not run for a while (the CPUs held by a long atomic step): the
          // arrivals it missed are counted as dropped, as a NIC would drop them, rather than
          // sent in one burst.
          const missed = Math.floor(((stepStart - next) * this.rate) / 1e12);
          for (let k = 0; k < missed; k++) this.o.ledger.dropped(Math.round(next + (k * (stepStart - next)) / missed));
          next = stepStart;
        }
        while (next <= td.localTime && td.localTime - stepStart < STEP_BUDGET_PS && !this.stopped) {
          if (this.inflight >= this.maxInFlight) this.o.ledger.dropped(td.localTime);
          else {
            this.inflight++;
            this.submit(td);
          }
          next += this.gap();
        }
        yield next > td.localTime ? td.pause(next - td.localTime) : td.yieldCpu();
      } else {
        while (this.inflight < this.depth && td.localTime - stepStart < STEP_BUDGET_PS && !this.stopped) {
          this.inflight++;
          this.submit(td);
        }
        next = td.localTime;
        yield this.inflight >= this.depth ? td.msleep(this.chan, 'room') : td.yieldCpu();
      }
    }
  }
}

/** What a workload spec says about its loop (the fields LoadLoop reads). */
export interface LoopSpec {
  name: string;
  priority?: 'kernel' | 'user';
  rate?: number;
  outstanding?: number;
  maxInFlight?: number;
}

/** The LoadLoop of a workload: its spec's rate/outstanding/cap, arrivals from its PRNG's "arrivals" stream. */
export function loadLoopFor(
  m: Machine,
  spec: LoopSpec,
  prng: Prng,
  ledger: Ledger,
  defaultPriority: 'kernel' | 'user',
  submit: (td: KThread) => void,
): LoadLoop {
  return new LoadLoop(
    m,
    {
      name: spec.name,
      priority: PRIORITY[spec.priority ?? defaultPriority],
      prng: prng.stream('arrivals'),
      ledger,
      ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
      ...(spec.outstanding !== undefined ? { outstanding: spec.outstanding } : {}),
      ...(spec.maxInFlight !== undefined ? { maxInFlight: spec.maxInFlight } : {}),
    },
    submit,
  );
}
