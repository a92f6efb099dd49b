/**
 * One graded run of a driver lab: boot the rig, run a workload (optionally ejecting the card under
 * load), detach at the end, and sort everything that went wrong into the lab's check names. The
 * batteries (labcheck-drivers.ts) decide which scenarios each lab runs and which checks it grades.
 */
import type { TraceEvent } from '../sim/trace.js';
import type { EjectMode, SlotOperation } from '../sim/hotplug.js';
import { errnoName } from '../sim/errno.js';
import { CRYPTO_AES_CBC, CRYPTO_NULL_CBC } from '../framework/constants.js';
import { EDU_CTRL_ENABLE, EDU_RING_MAX, EDU_RING_MIN } from '../devices/edu/regs.js';
import { DMA_KINDS, ONCE_KINDS, explainViolation } from './labcheck-explain.js';
import {
  MS, bootRig, expectedRegion, fmtMs, guard, type EduLabDriverModule, type Outcome, type Rig, type RigOptions, type SessionSpec,
  type WorkloadRun, type WorkloadSpec, startWorkload,
} from './labcheck-rig.js';

/** Problems found in one run, by topic. */
export interface Findings {
  attach: string[];
  results: string[];
  once: string[];
  dma: string[];
  storm: string[];
  detach: string[];
  other: string[];
}

export interface ScenarioOptions extends RigOptions {
  workload: (rig: Rig) => WorkloadSpec;
  /** Eject the card under load once the card has completed this many descriptors. */
  ejectAfter?: { completed: number; mode: EjectMode };
  /** Orderly eject at the end, to grade detach (default true). */
  detachAtEnd?: boolean;
}

export interface ScenarioResult {
  seed: number;
  rig: Rig;
  run: WorkloadRun | null;
  findings: Findings;
  /** The mid-load eject and the final detach, when done. */
  eject: SlotOperation | null;
  detach: SlotOperation | null;
  /** Measured before the final detach. */
  before: { coalesce: number; completedOnCard: number };
  trace: readonly TraceEvent[];
}

function describe(o: Outcome, s: SessionSpec): string {
  if (s.alg !== CRYPTO_AES_CBC) return `NULL, ${o.spec.len} bytes`;
  const iv = o.spec.ivMode === 'explicit' ? 'explicit IV' : o.spec.ivMode === 'inject' ? 'IV chosen by the driver' : 'IV in the buffer';
  return `AES-CBC ${o.spec.encrypt ? 'encrypt' : 'decrypt'}, ${o.spec.len} bytes, ${iv}${o.spec.chain ? ', mbuf chain' : ''}`;
}

export function runScenario(mod: EduLabDriverModule, o: ScenarioOptions): ScenarioResult {
  const rig = bootRig(mod, o);
  const f: Findings = { attach: [], results: [], once: [], dma: [], storm: [], detach: [], other: [] };
  const res: ScenarioResult = { seed: o.seed, rig, run: null, findings: f, eject: null, detach: null, before: { coalesce: 0, completedOnCard: 0 }, trace: [] };
  const m = rig.m;
  if (rig.attachError || rig.crash) {
    f.attach.push(rig.attachError ?? rig.crash!);
    res.trace = m.trace.all;
    return res;
  }
  f.attach.push(...attachProblems(rig));
  const w = o.workload(rig);
  const run = startWorkload(rig, w, m.prng.stream('labcheck.data'));
  res.run = run;
  if (o.ejectAfter) {
    const { completed, mode } = o.ejectAfter;
    const stop = m.trace.subscribe((e) => {
      // Once enough is done, pull the card just after a full-size burst of a result went out:
      // in the middle of writing a request's result in place, the moment that tests a detach most.
      if (e.kind === 'dma.write' && e.fields?.['len'] === 128 && rig.card.stats.completed >= completed && !res.eject) {
        res.eject = m.cardbus.eject(0, mode);
        stop();
      }
    });
  }
  guard(rig, () => m.run());
  res.before = { coalesce: (rig.card.regs.get('EDU_CTRL') >>> 8) & 0xff, completedOnCard: rig.card.stats.completed };
  if (o.detachAtEnd !== false && !rig.crash && m.tree.find('edu0')?.state === 'attached') {
    res.detach = m.cardbus.eject(0, 'orderly');
    guard(rig, () => m.run());
  }
  if (rig.crash) f.other.push(rig.crash);
  if (rig.card.haltReason) f.results.push(`the card halted: ${rig.card.haltReason}`);
  run.newsessionErrors.forEach((e, i) => {
    if (e !== 0) f.results.push(`crypto_newsession for session ${i} (${w.sessions[i]!.alg === CRYPTO_AES_CBC ? 'AES-CBC' : 'NULL'}) failed with ${errnoName(e)}`);
  });
  for (const oc of run.outcomes) {
    const s = w.sessions[oc.spec.session]!;
    const what = `request ${oc.reqid} (${describe(oc, s)})`;
    if (oc.callbacks === 0) continue; // reported as lost by the framework
    if (oc.etype === null) {
      f.results.push(`${what} was handed back with EAGAIN ${oc.eagain} time(s) and never finished`);
      continue;
    }
    if (oc.etype !== 0) {
      f.results.push(`${what} failed with ${errnoName(oc.etype ?? 0)}`);
      continue;
    }
    const exp = expectedRegion(oc, s);
    const got = oc.output!.subarray(oc.spec.skip);
    if (!exp || exp.length !== got.length || exp.some((b, i) => b !== got[i])) {
      const first = exp ? exp.findIndex((b, i) => b !== got[i]) : 0;
      f.results.push(`${what} returned wrong bytes (first difference at byte ${first} of the region; it ran on ${oc.driver})`);
    }
  }
  if (!run.finished && !rig.crash) f.other.push('the consumer never saw all its requests come back');
  for (const v of m.violations.all) {
    const line = explainViolation(v);
    if (ONCE_KINDS.has(v.kind)) f.once.push(line);
    else if (DMA_KINDS.has(v.kind)) f.dma.push(line);
    else if (v.kind === 'interrupt-storm') f.storm.push(line);
    else if (v.kind === 'resource-leak') f.detach.push(line);
    else f.other.push(line);
  }
  for (const op of [res.eject, res.detach]) {
    if (!op) continue;
    if (!op.done) f.detach.push(`the ${op.mode} eject never finished (detach did not return)`);
    else if (op.mode === 'orderly' && op.error !== 0) f.detach.push(`detach returned ${errnoName(op.error ?? 0)} on an orderly eject at t=${fmtMs(op.completedAt)}`);
    else if (op.mode === 'surprise' && op.detachError) f.detach.push(`detach returned ${errnoName(op.detachError)} after the card was pulled`);
  }
  if (res.detach?.done && m.busdma.loadedMaps > 0) f.detach.push(`${m.busdma.loadedMaps} bus_dma map(s) still loaded after detach`);
  res.trace = m.trace.all;
  return res;
}

/** What a finished attach must have done, seen from the card and from crypto(9). */
function attachProblems(rig: Rig): string[] {
  const out: string[] = [];
  const regs = rig.card.regs;
  const ctrl = regs.get('EDU_CTRL');
  if (!(ctrl & EDU_CTRL_ENABLE)) out.push('after attach the card is not enabled (EDU_CTRL.ENABLE is 0)');
  const size = regs.get('EDU_RING_SIZE');
  if (size < EDU_RING_MIN || size > EDU_RING_MAX) out.push(`after attach EDU_RING_SIZE is ${size}: program the ring (base and size)`);
  else if (regs.get('EDU_RING_BASE') === 0) out.push('after attach EDU_RING_BASE is 0: program the ring\'s bus address');
  const cap = rig.m.crypto.drivers.slots.find((c) => c.cc_name === 'edu0' && c.cc_dev);
  if (!cap) out.push('edu0 has no crypto(9) driver id (crypto_get_driverid)');
  else {
    if (!cap.cc_alg[CRYPTO_AES_CBC]) out.push('CRYPTO_AES_CBC is not registered (crypto_register)');
    if (!cap.cc_alg[CRYPTO_NULL_CBC]) out.push('CRYPTO_NULL_CBC is not registered (crypto_register)');
  }
  return out;
}

/** Completed AES/NULL outcomes that ran on `driver`. */
export function ranOn(run: WorkloadRun | null, driver: string): Outcome[] {
  return (run?.outcomes ?? []).filter((o) => o.driver === driver);
}

export { MS };
