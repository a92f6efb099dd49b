/**
 * What a workload counts: every request it submits, how each one ended, and the moments in between
 * that matter for hot-plug (EAGAIN, resubmission, a session that moved to another driver). Each
 * record carries its simulated time, so a report can cut the run into phases afterwards.
 *
 * A request is tracked from its first submission to its final completion: a resubmission after
 * EAGAIN is the same request. A second final completion of one request is counted as a duplicate;
 * a request never completed by the end of the run is lost.
 *
 * @example
 *   const r = ledger.begin(t, 1500);
 *   ...                       // in the callback:
 *   ledger.ok(r, now, 'hifn0');  // or ledger.fail(r, now, 'EINVAL') / ledger.corrupt(r, now, 'hifn0')
 */

/** One tracked request. */
export interface Tracked {
  readonly id: number;
  /** First submission, ps. */
  readonly t0: number;
  readonly bytes: number;
  done: boolean;
}

export type LedgerKind = 'request' | 'ok' | 'error' | 'eagain' | 'resubmit' | 'restored' | 'migration' | 'corrupt' | 'duplicate' | 'dropped';

/** One timestamped record; `what` is the driver (ok, corrupt), errno name (error) or detail. */
export interface LedgerRecord {
  t: number;
  kind: LedgerKind;
  latency?: number;
  bytes?: number;
  what?: string;
}

export class Ledger {
  readonly records: LedgerRecord[] = [];
  private nextId = 1;
  private inflight = new Set<Tracked>();

  constructor(readonly workload: string) {}

  /** A new request, submitted at `t`, over `bytes` bytes of payload. */
  begin(t: number, bytes: number): Tracked {
    const r: Tracked = { id: this.nextId++, t0: t, bytes, done: false };
    this.inflight.add(r);
    this.records.push({ t, kind: 'request', bytes });
    return r;
  }

  /** Completed correctly on `driver`. Returns false (and counts a duplicate) if it was already done. */
  ok(r: Tracked, t: number, driver: string): boolean {
    if (!this.finish(r, t)) return false;
    this.records.push({ t, kind: 'ok', latency: t - r.t0, bytes: r.bytes, what: driver });
    return true;
  }

  /** Completed with an error (errno name). */
  fail(r: Tracked, t: number, errno: string): boolean {
    if (!this.finish(r, t)) return false;
    this.records.push({ t, kind: 'error', latency: t - r.t0, what: errno });
    return true;
  }

  /** Completed "successfully" with wrong bytes: silent corruption. */
  corrupt(r: Tracked, t: number, driver: string): boolean {
    if (!this.finish(r, t)) return false;
    this.records.push({ t, kind: 'corrupt', latency: t - r.t0, what: driver });
    return true;
  }

  /** `n` arrivals the workload could not submit (too many in flight, or its thread stalled). */
  dropped(t: number, n = 1): void {
    for (let i = 0; i < n; i++) this.records.push({ t, kind: 'dropped' });
  }

  /** An error outside any request (a session that could not be created): `what` names it. */
  error(t: number, what: string): void {
    this.records.push({ t, kind: 'error', what });
  }

  /** The request came back with EAGAIN. */
  eagain(t: number): void {
    this.records.push({ t, kind: 'eagain' });
  }

  /** ... and was submitted again. */
  resubmit(t: number): void {
    this.records.push({ t, kind: 'resubmit' });
  }

  /** Before a resubmission, the buffer was put back as it was (its driver may have written into it). */
  restored(t: number): void {
    this.records.push({ t, kind: 'restored' });
  }

  /** A session of this workload moved to another driver (the consumer copied the new crp_sid). */
  migration(t: number, detail: string): void {
    this.records.push({ t, kind: 'migration', what: detail });
  }

  /** Requests submitted and not completed. */
  get outstanding(): number {
    return this.inflight.size;
  }

  /** The ids of requests never completed (for a lost-request report). */
  get pending(): readonly Tracked[] {
    return [...this.inflight];
  }

  count(kind: LedgerKind): number {
    let n = 0;
    for (const r of this.records) if (r.kind === kind) n++;
    return n;
  }

  private finish(r: Tracked, t: number): boolean {
    if (r.done) {
      this.records.push({ t, kind: 'duplicate' });
      return false;
    }
    r.done = true;
    this.inflight.delete(r);
    return true;
  }
}
