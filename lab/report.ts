/**
 * The report of a scenario run, as data (`--json` prints it as it is) and built from the
 * workloads' ledgers and the phase recorder. Times in a report count from the start of the run
 * (after boot), in picoseconds; `bootPs` says where that is on the machine's (and the trace's)
 * clock. report-text.ts prints it for people; report-expect.ts checks a scenario's expectations
 * against it.
 */
import type { Violation } from '../sim/violations.js';
import { FRAMEWORK_COUNTERS, type FrameworkCounter, type PhaseRecord, type Snapshot } from './run-phases.js';
import type { LedgerRecord } from './workloads/ledger.js';
import type { Workload } from './workloads/workload.js';

export interface LatencyFigures {
  p50: number;
  p99: number;
  max: number;
}

export interface WorkloadFigures {
  /** Requests first submitted in the window. */
  requests: number;
  /** Requests completed correctly. */
  completions: number;
  /** Requests that failed, by errno name (and session errors by what failed). */
  errors: Record<string, number>;
  eagain: number;
  resubmits: number;
  /** Buffers put back as they were before a resubmission (the departing card may have written them). */
  restored: number;
  migrations: number;
  /** Completed "successfully" with the wrong bytes. */
  corrupt: number;
  duplicates: number;
  /** Open loop: arrivals dropped because too many requests were in flight. */
  dropped: number;
  opsPerSec: number;
  mbPerSec: number;
  /** Submission to final completion, µs (null when nothing completed). */
  latencyUs: LatencyFigures | null;
  /** Correct completions by the driver that served them. */
  drivers: Record<string, number>;
}

export interface RingFigures {
  mean: number;
  max: number;
  size: number;
}

export interface PhaseReport {
  name: string;
  fromPs: number;
  toPs: number;
  workloads: Record<string, WorkloadFigures>;
  /** CPU utilisation (fraction of one CPU) per thread, busiest first; idle threads left out. */
  cpu: { thread: string; utilisation: number }[];
  /** Ring occupancy per card, sampled (descriptors the driver has on the card). */
  rings: Record<string, Record<string, RingFigures>>;
  /** Framework counters over the phase (cryptostats, plus crypto_unblock calls). */
  counters: Record<FrameworkCounter, number>;
}

export interface ExpectationResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RunReport {
  scenario: string;
  description: string;
  seed: number;
  hostProfile: string;
  cpus: number;
  /** Machine time at which the run started (the boot cards had attached). */
  bootPs: number;
  /** How long the workloads ran. */
  durationPs: number;
  /** End of the drain, relative to the start. */
  endPs: number;
  /** Timeline events as they happened, and card arrivals and departures. */
  events: { tPs: number; what: string }[];
  phases: PhaseReport[];
  /** The whole run, drain included. */
  total: PhaseReport;
  /** Requests still in flight when the drain ended, per workload. */
  lost: Record<string, number>;
  violations: { kind: string; tPs: number; message: string }[];
  expectations: ExpectationResult[];
  ok: boolean;
  trace?: { events: number; sha256: string; file?: string };
  replay: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** A workload's figures over [from, to) of machine time. */
export function workloadFigures(records: readonly LedgerRecord[], from: number, to: number): WorkloadFigures {
  const f: WorkloadFigures = {
    requests: 0, completions: 0, errors: {}, eagain: 0, resubmits: 0, restored: 0, migrations: 0, corrupt: 0, duplicates: 0, dropped: 0,
    opsPerSec: 0, mbPerSec: 0, latencyUs: null, drivers: {},
  };
  const lat: number[] = [];
  let bytes = 0;
  for (const r of records) {
    if (r.t < from || r.t >= to) continue;
    switch (r.kind) {
      case 'request': f.requests++; break;
      case 'ok':
        f.completions++;
        lat.push(r.latency!);
        bytes += r.bytes ?? 0;
        f.drivers[r.what!] = (f.drivers[r.what!] ?? 0) + 1;
        break;
      case 'error': f.errors[r.what!] = (f.errors[r.what!] ?? 0) + 1; break;
      case 'eagain': f.eagain++; break;
      case 'resubmit': f.resubmits++; break;
      case 'restored': f.restored++; break;
      case 'migration': f.migrations++; break;
      case 'corrupt': f.corrupt++; break;
      case 'duplicate': f.duplicates++; break;
      case 'dropped': f.dropped++; break;
    }
  }
  const secs = (to - from) / 1e12;
  if (secs > 0) {
    f.opsPerSec = f.completions / secs;
    f.mbPerSec = bytes / 1e6 / secs;
  }
  if (lat.length > 0) {
    lat.sort((a, b) => a - b);
    f.latencyUs = { p50: percentile(lat, 0.5) / 1e6, p99: percentile(lat, 0.99) / 1e6, max: lat[lat.length - 1]! / 1e6 };
  }
  return f;
}

function cpuBetween(a: Snapshot, b: Snapshot): { thread: string; utilisation: number }[] {
  const span = Math.max(1, b.t - a.t);
  const out: { thread: string; utilisation: number }[] = [];
  for (const [thread, t1] of b.threads) {
    const u = (t1 - (a.threads.get(thread) ?? 0)) / span;
    if (u >= 0.0005) out.push({ thread, utilisation: u });
  }
  return out.sort((x, y) => y.utilisation - x.utilisation || (x.thread < y.thread ? -1 : 1));
}

function countersBetween(a: Snapshot, b: Snapshot): Record<FrameworkCounter, number> {
  const out = {} as Record<FrameworkCounter, number>;
  for (const k of FRAMEWORK_COUNTERS) out[k] = b.counters[k] - a.counters[k];
  return out;
}

/** One phase's report; `t0` is the run's start on the machine clock. */
export function phaseReport(p: PhaseRecord, workloads: readonly Workload[], t0: number): PhaseReport {
  const to = p.to ?? p.from;
  const rings: Record<string, Record<string, RingFigures>> = {};
  for (const [card, byRing] of p.rings) {
    rings[card] = {};
    for (const [ring, a] of byRing) rings[card]![ring] = { mean: a.samples ? a.sum / a.samples : 0, max: a.max, size: a.size };
  }
  return {
    name: p.name,
    fromPs: p.from.t - t0,
    toPs: to.t - t0,
    workloads: Object.fromEntries(workloads.map((w) => [w.name, workloadFigures(w.ledger.records, p.from.t, to.t)])),
    cpu: cpuBetween(p.from, to),
    rings,
    counters: countersBetween(p.from, to),
  };
}

/** The whole run as one phase, from its first snapshot to its last (drain included). */
export function totalReport(phases: readonly PhaseRecord[], workloads: readonly Workload[], t0: number): PhaseReport {
  const first = phases[0]!;
  const last = phases[phases.length - 1]!;
  const merged: PhaseRecord = { name: 'total', from: first.from, to: last.to ?? last.from, rings: new Map() };
  for (const p of phases) {
    for (const [card, byRing] of p.rings) {
      let m = merged.rings.get(card);
      if (!m) merged.rings.set(card, (m = new Map()));
      for (const [ring, a] of byRing) {
        const b = m.get(ring) ?? { size: a.size, sum: 0, samples: 0, max: 0 };
        b.sum += a.sum;
        b.samples += a.samples;
        b.max = Math.max(b.max, a.max);
        m.set(ring, b);
      }
    }
  }
  return phaseReport(merged, workloads, t0);
}

export function violationList(all: readonly Violation[], t0: number): RunReport['violations'] {
  return all.map((v) => ({ kind: v.kind, tPs: v.t - t0, message: v.message }));
}
