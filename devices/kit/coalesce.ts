/**
 * Interrupt coalescing: raise the completion interrupt after N completions or after a timeout,
 * whichever comes first — the policy of SafeXcel's HI_DESC_CNT threshold, ubsec's MCR aggregation
 * and of most later NICs (hw.md §9, "Coalescing").
 *
 * A completion may be *masked* (Hifn's MASKDONEIRQ on a result descriptor, set by `hw.hifn.maxbatch`
 * batching): it is counted and reported with the next raise, but it neither triggers a raise nor
 * starts the timeout. With `count: 1` and masked completions, this is exactly Hifn's behaviour.
 *
 * The coalescer decides *when*; the model decides *what* a raise does (set DONE in a status
 * register, update its interrupt line).
 *
 * @example
 *   const coalesce = new InterruptCoalescer(env, { count: 4, timeoutPs: 50_000_000, raise: (t, n) => {
 *     regs.reg('STATUS').setBits(DONE); irq.update(t);
 *   } });
 *   coalesce.complete(t, desc.maskIrq === 1);
 */
import type { EventHandle } from '../../sim/engine.js';
import type { DeviceEnv } from './env.js';

export interface CoalescerOptions {
  /** Unmasked completions that trigger a raise (>= 1). */
  count: number;
  /** Raise this long after the first unmasked completion not yet raised, ps (0 = no timeout). */
  timeoutPs: number;
  /** What a raise does. `n` = completions (masked ones included) since the previous raise. */
  raise: (t: number, n: number) => void;
}

export interface CoalescerStats {
  completions: number;
  raises: number;
  byCount: number;
  byTimeout: number;
  byFlush: number;
}

export class InterruptCoalescer {
  readonly stats: CoalescerStats = { completions: 0, raises: 0, byCount: 0, byTimeout: 0, byFlush: 0 };
  private countThreshold: number;
  private timeout: number;
  private readonly raiseFn: (t: number, n: number) => void;
  private pendingAll = 0;
  private pendingUnmasked = 0;
  private timer: EventHandle | null = null;

  constructor(
    readonly env: DeviceEnv,
    o: CoalescerOptions,
  ) {
    this.countThreshold = 1;
    this.timeout = 0;
    this.raiseFn = o.raise;
    this.setPolicy(o.count, o.timeoutPs);
  }

  /** Completions not yet reported by a raise. */
  get pending(): number {
    return this.pendingAll;
  }

  get count(): number {
    return this.countThreshold;
  }

  get timeoutPs(): number {
    return this.timeout;
  }

  /** Change the policy (software wrote the coalescing register). Applies from the next completion. */
  setPolicy(count: number, timeoutPs: number): void {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`coalescer: count must be an integer >= 1, got ${count}`);
    if (!Number.isSafeInteger(timeoutPs) || timeoutPs < 0) throw new RangeError(`coalescer: timeoutPs must be an integer >= 0, got ${timeoutPs}`);
    this.countThreshold = count;
    this.timeout = timeoutPs;
  }

  /** One request completed at `t` (now or later). */
  complete(t: number, masked = false): void {
    const engine = this.env.engine;
    if (t > engine.now) {
      engine.schedule(t, () => this.complete(t, masked));
      return;
    }
    this.stats.completions++;
    this.pendingAll++;
    if (masked) return;
    this.pendingUnmasked++;
    if (this.pendingUnmasked >= this.countThreshold) {
      this.stats.byCount++;
      this.fire(engine.now);
    } else if (this.timeout > 0 && this.timer === null) {
      this.timer = engine.schedule(engine.now + this.timeout, () => {
        this.timer = null;
        if (this.pendingUnmasked === 0) return;
        this.stats.byTimeout++;
        this.fire(engine.now);
      });
    }
  }

  /** Raise now if anything is pending (masked completions included). */
  flush(t: number = this.env.now): void {
    if (this.pendingAll === 0) return;
    this.stats.byFlush++;
    this.fire(t);
  }

  /** Forget pending completions and the timer (a card reset). */
  reset(): void {
    this.cancelTimer();
    this.pendingAll = 0;
    this.pendingUnmasked = 0;
  }

  private fire(t: number): void {
    const n = this.pendingAll;
    this.cancelTimer();
    this.pendingAll = 0;
    this.pendingUnmasked = 0;
    this.stats.raises++;
    this.raiseFn(t, n);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.env.engine.cancel(this.timer);
    this.timer = null;
  }
}
