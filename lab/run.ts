/**
 * Runs a scenario: builds the machine, boots its cards, starts the workloads, plays the timeline,
 * runs for the scenario's duration, lets requests in flight drain, and returns the report with
 * every expectation checked.
 *
 * The simulation is driven one engine event at a time so that a /dev/crypto workload, whose
 * ioctls are Promises, gets the host's attention the moment a call returns (its next call then
 * starts at that simulated time). Nothing here reads the host clock; the progress callback may.
 *
 * @example
 *   const { report } = await runScenario(scenario, { seed: 7, trace: true });
 *   if (!report.ok) console.log(formatReport(report));
 */
import { createBackend } from '../framework/xform/backend.js';
import { Machine } from './machine.js';
import { PhaseRecorder } from './run-phases.js';
import { checkExpectations } from './report-expect.js';
import { phaseReport, totalReport, violationList, type RunReport } from './report.js';
import { isCardEvent, type Scenario, type TimelineEvent } from './scenario.js';
import { formatTime, parseTime, type Time } from './scenario-time.js';
import { createWorkload, type Workload } from './workloads/index.js';

export interface RunOptions {
  seed?: number;
  /** Run the workloads until this time from the start instead of the scenario's duration (ps). */
  untilPs?: number;
  /** Record a trace (for --trace and the trace hash). */
  trace?: boolean;
  /** How the scenario was named on the command line, for the replay line. */
  ref?: string;
  /** Called every few thousand events with how far the run is. */
  onProgress?: (p: { nowPs: number; endPs: number; draining: boolean }) => void;
}

export interface RunResult {
  report: RunReport;
  machine: Machine;
  workloads: readonly Workload[];
}

/** Simulated time the boot cards may take to attach before the run gives up. */
const BOOT_LIMIT_PS = 5e12;
/** Name of the bookkeeping phase after the duration, while requests drain (not reported as a phase). */
const DRAIN = '(drain)';

export async function runScenario(s: Scenario, o: RunOptions = {}): Promise<RunResult> {
  const seed = o.seed ?? 1;
  const ms = s.machine;
  const m = new Machine({
    seed,
    cpus: ms.cpus ?? 2,
    slots: ms.slots ?? 2,
    trace: o.trace ?? false,
    ...(ms.hostProfile !== undefined ? { hostProfile: ms.hostProfile } : {}),
    ...(ms.cards !== undefined ? { cards: ms.cards } : {}),
    ...(ms.sysctl !== undefined ? { sysctl: { ...ms.sysctl } } : {}),
    ...(ms.memoryBytes !== undefined ? { memoryBytes: ms.memoryBytes } : {}),
    ...(ms.hotplugDelay !== undefined ? { hotplugDelayPs: parseTime(ms.hotplugDelay, 'hotplugDelay') } : {}),
  });
  const recorder = new PhaseRecorder(m);
  boot(m);
  const t0 = m.now;
  const events: RunReport['events'] = [];
  const problems: string[] = [];
  // Timeline events are engine events: they happen at the engine's time, even when they run
  // while a thread synchronises ahead of it.
  const log = (what: string, t = m.now): void => {
    events.push({ tPs: t - t0, what });
    if (m.trace.on) m.trace.record({ t, layer: 'lab', where: 'scenario', kind: 'scenario.event', fields: { what } });
  };

  const backend = createBackend();
  const workloads = s.workloads.map((spec) => createWorkload(spec, { machine: m, prng: m.prng.stream(`workload.${spec.name}`), backend }));
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const timeline = s.timeline ?? [];
  recorder.mark(timeline.some((e) => 'phase' in e) ? 'start' : 'run');

  const apply = (ev: TimelineEvent): void => applyEvent(m, ev, byName, recorder, log, problems);
  const waiting = new Map<string, TimelineEvent[]>();
  m.cards.onChange((what, t) => {
    log(what, t);
    const due = waiting.get(what);
    if (!due) return;
    waiting.delete(what);
    for (const ev of due) m.engine.schedule(Math.max(m.now, t), () => apply(ev));
  });
  for (const ev of timeline) {
    if (isCardEvent(ev.at)) waiting.set(ev.at, [...(waiting.get(ev.at) ?? []), ev]);
    else m.engine.schedule(t0 + parseTime(ev.at as Time), () => apply(ev));
  }
  log('run starts');
  for (const w of workloads) if (s.workloads.find((x) => x.name === w.name)!.start !== false) w.start();

  const runPs = o.untilPs ?? s.durationPs;
  const end = t0 + runPs;
  const every = s.sampleEvery !== undefined ? Math.max(1, parseTime(s.sampleEvery)) : Math.max(2e6, Math.floor(s.durationPs / 400));
  const sample = (): void => {
    recorder.sampleRings();
    if (m.now + every < end) m.engine.schedule(m.now + every, sample);
  };
  m.engine.schedule(t0, sample);

  const host = workloads.filter((w) => w.wantsHost);
  const progress = o.onProgress;
  await advance(m, end, host, progress ? (draining) => progress({ nowPs: m.now - t0, endPs: runPs, draining }) : undefined, false);

  recorder.mark(DRAIN);
  log('workloads stop; requests in flight drain');
  for (const w of workloads) w.stop();
  const drainEnd = end + s.drainPs;
  const outstanding = (): number => workloads.reduce((a, w) => a + w.ledger.outstanding, 0);
  while (outstanding() > 0 && m.now < drainEnd) {
    await advance(m, Math.min(drainEnd, m.now + 100e6), host, progress ? (d) => progress({ nowPs: m.now - t0, endPs: runPs, draining: d }) : undefined, true);
  }
  recorder.finish();
  const lost = Object.fromEntries(workloads.map((w) => [w.name, w.ledger.outstanding]));
  if (outstanding() > 0) m.crypto.reportLostRequests();
  for (const w of workloads) w.close();

  const phases = recorder.phases.filter((p) => p.name !== DRAIN).map((p) => phaseReport(p, workloads, t0));
  const ref = o.ref ?? s.name ?? 'scenario';
  const report: RunReport = {
    scenario: s.name ?? ref,
    description: s.description,
    seed,
    hostProfile: m.hostProfile.name,
    cpus: m.scheduler.cpuCount,
    bootPs: t0,
    durationPs: runPs,
    endPs: m.now - t0,
    events: events.sort((a, b) => a.tPs - b.tPs),
    phases,
    total: totalReport(recorder.phases, workloads, t0),
    lost,
    violations: violationList(m.violations.all, t0),
    expectations: [],
    ok: true,
    ...(m.trace.on ? { trace: { events: m.trace.all.length, sha256: m.trace.hash() } } : {}),
    replay: `ocfsim run ${ref} --seed ${seed}${o.untilPs !== undefined ? ` --until ${formatTime(o.untilPs).replace(' ', '')}` : ''}`,
  };
  report.expectations = checkExpectations(s.expect ?? [], report, o.untilPs !== undefined && o.untilPs < s.durationPs);
  if (problems.length > 0) report.expectations.unshift({ name: 'the timeline ran as written', ok: false, detail: problems.join('; ') });
  report.ok = report.expectations.every((e) => e.ok);
  return { report, machine: m, workloads };
}

/** Run the engine until the boot cards have attached. */
function boot(m: Machine): void {
  const ops = m.cards.boot;
  while (ops.some((op) => !op.done)) {
    if (!m.engine.step() || m.now > BOOT_LIMIT_PS) break;
  }
  const bad = ops.filter((op) => !op.done || op.error !== 0);
  if (bad.length > 0) {
    throw new Error(`boot: ${bad.length} card(s) did not attach:\n${m.console.map((l) => `  ${l.text}`).join('\n')}`);
  }
}

/** Run every event up to `target`, yielding to the host whenever a workload needs it. */
async function advance(m: Machine, target: number, host: readonly Workload[], progress: ((draining: boolean) => void) | undefined, draining: boolean): Promise<void> {
  const engine = m.engine;
  let n = 0;
  while (engine.peekTime() <= target) {
    engine.step();
    if (host.length > 0 && host.some((w) => w.wantsHost!())) await new Promise<void>((r) => setImmediate(r));
    if (progress && (++n & 4095) === 0) progress(draining);
  }
  engine.runUntil(target);
  progress?.(draining);
}

function applyEvent(
  m: Machine,
  ev: TimelineEvent,
  byName: Map<string, Workload>,
  recorder: PhaseRecorder,
  log: (what: string) => void,
  problems: string[],
): void {
  const w = (name: string): Workload => byName.get(name)!;
  if ('phase' in ev) {
    recorder.mark(ev.phase);
    log(`phase ${ev.phase}`);
  } else if ('insert' in ev) {
    const op = m.insert(ev.slot, ev.insert);
    const prev = op.onDone;
    op.onDone = (r) => {
      prev?.(r);
      if (r.error !== 0) problems.push(`insert of ${ev.insert} into slot ${ev.slot} failed (errno ${r.error})`);
    };
    log(`insert ${ev.insert} into slot ${ev.slot}`);
  } else if ('eject' in ev) {
    const mode = ev.mode ?? 'surprise';
    const op = m.eject(ev.eject, mode);
    const prev = op.onDone;
    op.onDone = (r) => {
      prev?.(r);
      if (r.error !== 0) problems.push(`${mode} eject of ${ev.eject} failed (errno ${r.error})`);
    };
    log(`eject ${ev.eject} (${mode})`);
  } else if ('sysctl' in ev) {
    for (const [k, v] of Object.entries(ev.sysctl)) m.sysctl(k, v);
    log(`sysctl ${Object.entries(ev.sysctl).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  } else if ('fault' in ev) {
    const inj = m.cards.faults(ev.card);
    if (!inj) {
      problems.push(`fault ${ev.fault.kind}: no attached card ${ev.card} with a fault injector`);
      return;
    }
    const from = m.now;
    inj.arm({ ...ev.fault, from, ...(ev.for !== undefined ? { until: from + parseTime(ev.for) } : {}) });
    log(`fault ${ev.fault.kind} armed on ${ev.card}`);
  } else if ('start' in ev) {
    w(ev.start).start();
    log(`start ${ev.start}`);
  } else if ('stop' in ev) {
    w(ev.stop).stop();
    log(`stop ${ev.stop}`);
  } else if ('rekey' in ev) {
    w(ev.rekey).rekey();
    log(`rekey ${ev.rekey}: new sessions`);
  } else if ('steer' in ev) {
    w(ev.steer).steer({ ...(ev.rate !== undefined ? { rate: ev.rate } : {}), ...(ev.outstanding !== undefined ? { outstanding: ev.outstanding } : {}) });
    log(`steer ${ev.steer}${ev.rate !== undefined ? ` rate ${ev.rate}/s` : ''}${ev.outstanding !== undefined ? ` outstanding ${ev.outstanding}` : ''}`);
  } else {
    ev.run?.(m);
    log(ev.note);
  }
}
