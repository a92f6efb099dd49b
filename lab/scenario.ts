/**
 * Scenario scripts: a machine, the workloads that load it, a timeline of what happens to it, how
 * long it runs, and what must hold at the end. A scenario file is a TypeScript module whose
 * default export is `defineScenario({...})`; `ocfsim run <name>` runs it (docs/scenarios.md).
 *
 * Times in the timeline count from the start of the run, which is when the cards placed at boot
 * have attached (boot itself is not part of the scenario). A timeline event happens at a time
 * (`at: '5ms'`) or when a card comes or goes (`at: 'hifn0 attached'`, `at: 'hifn0 detached'`,
 * the first time it happens after the run started).
 *
 * @example
 *   export default defineScenario({
 *     description: 'hifn0 pulled under ESP load',
 *     machine: { cpus: 2, slots: 2, cards: [{ slot: 0, card: 'hifn7956' }] },
 *     workloads: [{ kind: 'ipsec', name: 'esp', rate: 40_000 }],
 *     timeline: [{ at: '5ms', eject: 'hifn0', mode: 'surprise' }],
 *     duration: '20ms',
 *     expect: ['no-lost', 'eagain-resubmitted', { migrations: { workload: 'esp', equals: 1 } }],
 *   });
 */
import type { FaultSpec } from '../devices/kit/faults.js';
import type { EjectMode } from '../sim/hotplug.js';
import type { CardPlacement } from './cards.js';
import type { Machine } from './machine.js';
import { parseTime, type Time } from './scenario-time.js';
import { WORKLOAD_KINDS, type WorkloadSpec } from './workloads/index.js';
import type { RunReport } from './report.js';

export type { Time } from './scenario-time.js';

export interface MachineSpec {
  cpus?: number;
  /** 'amd64-2015' (default) or 'p4-2003' (lab/machine.ts). */
  hostProfile?: string;
  /** CardBus slots (default 2). */
  slots?: number;
  cards?: readonly CardPlacement[];
  sysctl?: Readonly<Record<string, number>>;
  memoryBytes?: number;
  /** The bridge's card-detect debounce (default 1 ms). */
  hotplugDelay?: Time;
}

/** When a timeline event happens: a time, or a card coming or going. */
export type When = Time | `${string} attached` | `${string} detached`;

type At = { at: When };
/** What can happen on the timeline. */
export type TimelineEvent =
  | (At & { phase: string })
  | (At & { insert: string; slot: number })
  | (At & { eject: string | number; mode?: EjectMode })
  | (At & { sysctl: Readonly<Record<string, number>> })
  | (At & { fault: FaultSpec; card: string; for?: Time })
  | (At & { start: string })
  | (At & { stop: string })
  | (At & { rekey: string })
  | (At & { steer: string; rate?: number; outstanding?: number })
  | (At & { note: string; run?: (m: Machine) => void });

/** A bound on a number: at least, at most, or exactly. */
export interface Bound {
  atLeast?: number;
  atMost?: number;
  equals?: number;
}

/** Where to measure: a phase (default: the whole run) and a workload (default: all of them). */
export interface Scope {
  phase?: string;
  workload?: string;
}

export type Expectation =
  /** Every request submitted completed (nothing left in flight, no lost-request violation). */
  | 'no-lost'
  /** No request completed twice. */
  | 'no-duplicates'
  /** No request completed "successfully" with wrong bytes. */
  | 'no-corruption'
  /** Every EAGAIN was resubmitted. */
  | 'eagain-resubmitted'
  /** No violation of any kind (DMA discipline, double completion, lost request, interrupt storm). */
  | 'no-violations'
  /** No request failed (errors by errno); `EAGAIN` resubmitted is not a failure. */
  | 'no-errors'
  /** Completions per second (or MB/s with `unit: 'MB/s'`). */
  | { throughput: Scope & Bound & { unit?: 'ops/s' | 'MB/s' } }
  /** Sessions that moved to another driver. */
  | { migrations: Scope & Bound }
  /** Share (0..1) of completions a driver ("hifn", "hifn0", "cryptosoft") served. */
  | { servedBy: Scope & Bound & { driver: string } }
  /** Latency percentile in µs. */
  | { latency: Scope & Bound & { percentile: 50 | 99 } }
  /** CPU utilisation (0..1 of one CPU) of a thread, or of all threads whose name starts with it. */
  | { cpu: Bound & { phase?: string; thread: string } }
  /** A framework counter over a phase: cs_blocks, cs_kblocks, unblocks, ... (see report.ts). */
  | { counter: Bound & { phase?: string; name: string } }
  /** Anything else: return null when it holds, or a message saying what is wrong. */
  | { check: string; fn: (r: RunReport) => string | null };

export interface ScenarioSpec {
  /** The scenario's name (default: its file name). */
  name?: string;
  /** One or two sentences: what the scenario shows. */
  description: string;
  machine: MachineSpec;
  workloads: readonly WorkloadSpec[];
  timeline?: readonly TimelineEvent[];
  /** How long the workloads run (after that, requests in flight drain). */
  duration: Time;
  /** How long in-flight requests may take to drain after the end (default 20 ms). */
  drain?: Time;
  expect?: readonly Expectation[];
  /** Sample ring occupancy this often (default: duration / 400, at least 2 µs). */
  sampleEvery?: Time;
}

/** A checked scenario. */
export interface Scenario extends ScenarioSpec {
  readonly durationPs: number;
  readonly drainPs: number;
}

/** Is `w` a card event ("hifn0 attached") rather than a time? */
export function isCardEvent(w: When): w is `${string} attached` | `${string} detached` {
  return typeof w === 'string' && /\s(attached|detached)$/.test(w);
}

/** Validate a scenario and fill in its defaults; throws a RangeError naming what is wrong. */
export function defineScenario(spec: ScenarioSpec): Scenario {
  const durationPs = parseTime(spec.duration, 'duration');
  if (durationPs <= 0) throw new RangeError('duration must be > 0');
  const names = new Set<string>();
  for (const w of spec.workloads) {
    if (!WORKLOAD_KINDS.includes(w.kind)) throw new RangeError(`workload ${w.name}: unknown kind "${w.kind}"`);
    if (!w.name || names.has(w.name)) throw new RangeError(`workload names must be unique and non-empty ("${w.name}")`);
    names.add(w.name);
  }
  for (const ev of spec.timeline ?? []) {
    if (!isCardEvent(ev.at)) parseTime(ev.at as Time, 'timeline at');
    for (const key of ['start', 'stop', 'rekey', 'steer'] as const) {
      const target = (ev as Record<string, unknown>)[key];
      if (typeof target === 'string' && !names.has(target)) throw new RangeError(`timeline: ${key} names no workload "${target}" (known: ${[...names].join(', ')})`);
    }
  }
  return Object.freeze({ ...spec, durationPs, drainPs: parseTime(spec.drain ?? '20ms', 'drain') });
}
