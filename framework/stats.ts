/**
 * struct cryptostats (kern.crypto_stats) and the debug.crypto_timing stage timers, measured in
 * simulated time (reference/ocf.md §4.11).
 */
export class cryptotstat {
  /** Accumulated, minimum and maximum stage time, picoseconds. */
  acc = 0;
  min = Infinity;
  max = 0;
  count = 0;

  add(ps: number): void {
    this.acc += ps;
    if (ps < this.min) this.min = ps;
    if (ps > this.max) this.max = ps;
    this.count++;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.acc / this.count;
  }
}

export class cryptostats {
  cs_ops = 0;
  cs_errs = 0;
  cs_kops = 0;
  cs_kerrs = 0;
  cs_intrs = 0;
  cs_rets = 0;
  cs_blocks = 0;
  cs_kblocks = 0;
  /** dispatch → invoke */
  readonly cs_invoke = new cryptotstat();
  /** invoke → done */
  readonly cs_done = new cryptotstat();
  /** done → callback start */
  readonly cs_cb = new cryptotstat();
  /** callback duration */
  readonly cs_finis = new cryptotstat();
}
