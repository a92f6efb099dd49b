/**
 * Phase bookkeeping for a scenario run: at each phase boundary a snapshot of every thread's CPU
 * time and of the framework's counters; between boundaries, samples of every card's ring
 * occupancy. The report subtracts snapshots to get per-phase CPU utilisation and counters.
 *
 * Observation only: the samplers are engine events that read state and change nothing, and the
 * crypto_unblock counter wraps the framework's method without altering what it does.
 */
import type { Machine } from './machine.js';

export const FRAMEWORK_COUNTERS = ['cs_ops', 'cs_errs', 'cs_kops', 'cs_kerrs', 'cs_intrs', 'cs_rets', 'cs_blocks', 'cs_kblocks', 'unblocks'] as const;
export type FrameworkCounter = (typeof FRAMEWORK_COUNTERS)[number];

export interface Snapshot {
  t: number;
  threads: Map<string, number>;
  counters: Record<FrameworkCounter, number>;
}

export interface RingAccum {
  size: number;
  sum: number;
  samples: number;
  max: number;
}

export interface PhaseRecord {
  name: string;
  from: Snapshot;
  to: Snapshot | null;
  /** card -> ring -> accumulated samples */
  rings: Map<string, Map<string, RingAccum>>;
}

export class PhaseRecorder {
  readonly phases: PhaseRecord[] = [];
  private unblocks = 0;

  constructor(private readonly m: Machine) {
    const crypto = m.crypto;
    const unblock = crypto.crypto_unblock.bind(crypto);
    crypto.crypto_unblock = (id: number, what: number): number => {
      this.unblocks++;
      return unblock(id, what);
    };
  }

  snapshot(t = this.m.now): Snapshot {
    const threads = new Map<string, number>();
    for (const td of this.m.scheduler.allThreads) {
      // A step is charged in full when it runs; the part of a running step that lies after `t`
      // belongs to the next phase.
      const ahead = td.state === 'running' ? Math.max(0, td.localTime - t) : 0;
      threads.set(td.name, (threads.get(td.name) ?? 0) + td.cpuTime - ahead);
    }
    const s = this.m.crypto.cryptostats;
    return {
      t,
      threads,
      counters: {
        cs_ops: s.cs_ops, cs_errs: s.cs_errs, cs_kops: s.cs_kops, cs_kerrs: s.cs_kerrs, cs_intrs: s.cs_intrs,
        cs_rets: s.cs_rets, cs_blocks: s.cs_blocks, cs_kblocks: s.cs_kblocks, unblocks: this.unblocks,
      },
    };
  }

  /** Close the current phase (if any) and open `name` now. */
  mark(name: string): void {
    const snap = this.snapshot();
    const cur = this.current;
    if (cur) {
      if (cur.from.t === snap.t) {
        // A phase that lasted no time at all is replaced rather than reported empty.
        this.phases.pop();
      } else cur.to = snap;
    }
    this.phases.push({ name, from: snap, to: null, rings: new Map() });
  }

  /** Close the last phase. */
  finish(): void {
    const cur = this.current;
    if (cur) cur.to = this.snapshot();
  }

  get current(): PhaseRecord | undefined {
    const p = this.phases[this.phases.length - 1];
    return p && !p.to ? p : undefined;
  }

  /** Take one ring-occupancy sample of every attached card into the current phase. */
  sampleRings(): void {
    const cur = this.current;
    if (!cur) return;
    for (const [card, rings] of Object.entries(this.m.cards.rings())) {
      let byRing = cur.rings.get(card);
      if (!byRing) cur.rings.set(card, (byRing = new Map()));
      for (const [ring, use] of Object.entries(rings)) {
        let a = byRing.get(ring);
        if (!a) byRing.set(ring, (a = { size: use.size, sum: 0, samples: 0, max: 0 }));
        a.sum += use.used;
        a.samples++;
        if (use.used > a.max) a.max = use.used;
      }
    }
  }
}
