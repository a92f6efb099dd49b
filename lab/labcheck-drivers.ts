/**
 * The graded batteries of the driver labs (2-6), one function per lab: which scenarios run, with
 * which workload, and which checks the findings are graded by. Every scenario runs once per seed
 * with the card's completion jitter on and bus_dma in strict mode; a check fails if it fails for
 * any seed, and says which.
 */
import { EDU_KEY_SLOTS } from '../devices/edu/regs.js';
import { BusDma } from '../sim/busdma.js';
import { Device, Resource } from '../sim/newbus.js';
import { PhysMemory } from '../sim/memory.js';
import { Prng } from '../sim/prng.js';
import { Scheduler } from '../sim/cpu.js';
import { TraceRecorder } from '../sim/trace.js';
import { CryptoFramework } from '../framework/crypto.js';
import type { TraceEvent } from '../sim/trace.js';
import { checkFrom, type CheckResult } from './labcheck-explain.js';
import { makeSessions, mixedRequests, type EduLabDriverModule, type Rig, type SessionSpec, type WorkloadSpec } from './labcheck-rig.js';
import { ranOn, runScenario, type Findings, type ScenarioOptions, type ScenarioResult } from './labcheck-scenario.js';

export interface BatteryResult {
  checks: CheckResult[];
  /** The trace of the first run that failed a check. */
  failingTrace: readonly TraceEvent[] | null;
}

type Topic = keyof Findings;

/** Grade per-seed problem lists into one check. */
class Grader {
  readonly checks: CheckResult[] = [];
  failingTrace: readonly TraceEvent[] | null = null;

  check(name: string, runs: readonly ScenarioResult[], problems: (r: ScenarioResult) => string[], ok: string): void {
    const all: string[] = [];
    for (const r of runs) {
      const p = problems(r);
      if (p.length > 0 && !this.failingTrace) this.failingTrace = r.trace;
      for (const line of p) all.push(runs.length > 1 || r.seed !== 1 ? `seed ${r.seed}: ${line}` : line);
    }
    this.checks.push(checkFrom(name, all, ok));
  }

  topics(name: string, runs: readonly ScenarioResult[], topics: readonly Topic[], ok: string): void {
    this.check(name, runs, (r) => topics.flatMap((t) => r.findings[t]), ok);
  }

  result(): BatteryResult {
    return { checks: this.checks, failingTrace: this.failingTrace };
  }
}

function runAll(mod: EduLabDriverModule, seeds: readonly number[], o: Omit<ScenarioOptions, 'seed'>): ScenarioResult[] {
  return seeds.map((seed) => runScenario(mod, { ...o, seed }));
}

function mixed(n: number, aes: number, nulls: number, window: number, maxBlocks = 32, minBlocks = 1): (rig: Rig) => WorkloadSpec {
  return (rig) => {
    const rnd = rig.m.prng.stream('labcheck.workload');
    const sessions = makeSessions(aes, nulls, rnd);
    return { sessions, requests: mixedRequests(n, sessions, rnd, maxBlocks, minBlocks), window };
  };
}

/** Attach, results, exactly once, bus_dma, detach: the checks every driver lab shares. */
function common(g: Grader, runs: ScenarioResult[], resultsName: string): void {
  g.topics('attach: map the BAR, reset, set up the ring, register AES-CBC and NULL', runs, ['attach'], 'edu0 attached and registered with crypto(9)');
  g.topics(resultsName, runs, ['other', 'results'], 'every request came back with the right bytes');
  g.topics('each request completed exactly once', runs, ['once'], 'no request lost, none completed twice');
  g.topics('bus_dma discipline (strict mode)', runs, ['dma'], 'every DMA inside a loaded, synced map');
}

function detachCheck(g: Grader, runs: ScenarioResult[]): void {
  g.topics('detach releases everything', runs, ['detach'], 'detach returned 0 and left nothing behind');
}

/** Lab 2: a polling driver, one request at a time. */
export function lab2(mod: EduLabDriverModule, seeds: readonly number[]): BatteryResult {
  const g = new Grader();
  const runs = runAll(mod, seeds, { workload: mixed(24, 2, 1, 1) });
  common(g, runs, 'AES-CBC and NULL vectors (every IV rule, headers, mbuf chains)');
  detachCheck(g, runs);
  return g.result();
}

/** Lab 3: interrupts, acknowledgement and coalescing, eight requests in flight. */
export function lab3(mod: EduLabDriverModule, seeds: readonly number[]): BatteryResult {
  const g = new Grader();
  const runs = runAll(mod, seeds, { workload: mixed(64, 2, 1, 8, 16), ringEntries: 16, coalesce: 4 });
  common(g, runs, 'vectors with eight requests in flight');
  g.check('requests complete from the interrupt handler', runs, (r) => {
    const ids = new Set(ranOn(r.run, 'edu0').map((o) => o.reqid));
    const bad = r.trace.filter((e) => e.kind === 'crypto.done' && e.req !== undefined && ids.has(e.req) && !e.where.startsWith('irq'));
    return bad.slice(0, 1).map((e) => `request ${e.req} was completed by thread "${e.where}", not by the interrupt handler (process must return without waiting)`);
  }, 'crypto_done called from the ithread');
  g.topics('interrupts acknowledged (no storm)', runs, ['storm'], 'every interrupt acknowledged through EDU_IACK');
  g.check('coalescing: fewer interrupts than completions', runs, (r) => {
    if (r.findings.attach.length > 0) return ['edu0 did not attach'];
    const handled = r.trace.filter((e) => e.kind === 'intr.handler' && e.where === 'edu0').length;
    const done = r.before.completedOnCard;
    const out: string[] = [];
    if (r.before.coalesce !== 4) out.push(`EDU_CTRL.COALESCE is ${r.before.coalesce}, not the ${4} asked for (options.coalesce)`);
    if (done > 0 && handled > 0.6 * done) out.push(`${handled} interrupts for ${done} completions: with COALESCE = 4 expect well under one per completion`);
    if (handled === 0) out.push('the interrupt handler never ran (set EDU_CTRL.IRQ_EN)');
    return out;
  }, 'coalesced interrupts');
  detachCheck(g, runs);
  return g.result();
}

/** Lab 4: a ring of 8 flooded with 150 requests: ERESTART, crypto_unblock, wrap, reordering. */
export function lab4(mod: EduLabDriverModule, seeds: readonly number[]): BatteryResult {
  const g = new Grader();
  const runs = runAll(mod, seeds, { workload: mixed(150, 3, 1, 150, 8), ringEntries: 8, coalesce: 2 });
  common(g, runs, 'vectors through a full, wrapping ring');
  g.check('ring full: ERESTART, then crypto_unblock', runs, (r) => {
    if (r.findings.attach.length > 0) return ['edu0 did not attach'];
    const s = r.rig.m.crypto.cryptostats;
    const out: string[] = [];
    if (s.cs_blocks === 0) out.push('process never returned ERESTART although 150 requests were queued for a ring of 8 (honour options.ringEntries; never overwrite a busy slot)');
    const unblocks = r.trace.filter((e) => e.kind === 'crypto.unblock').length;
    if (s.cs_blocks > 0 && unblocks === 0) out.push(`the driver returned ERESTART ${s.cs_blocks} time(s) but never called crypto_unblock`);
    return out;
  }, 'blocked when full, unblocked when the ring drained');
  g.check('the ring wraps and completions come back in any order', runs, (r) => {
    if (r.findings.attach.length > 0) return ['edu0 did not attach'];
    return r.before.completedOnCard < 150 ? [`the card completed ${r.before.completedOnCard} of 150 descriptors`] : [];
  }, 'more than 18 trips round the ring');
  g.topics('interrupts acknowledged (no storm)', runs, ['storm'], 'every interrupt acknowledged');
  detachCheck(g, runs);
  return g.result();
}

/** Lab 5: the card is pulled (and, separately, ejected in order) with requests in flight. */
export function lab5(mod: EduLabDriverModule, seeds: readonly number[]): BatteryResult {
  const g = new Grader();
  // AES only, 256 bytes or more: a result is several bursts long, so the pull lands inside one.
  const base = { workload: mixed(90, 3, 0, 12, 64, 16), ringEntries: 16, coalesce: 2, detachAtEnd: false };
  const surprise = runAll(mod, seeds, { ...base, ejectAfter: { completed: 25, mode: 'surprise' } });
  const orderly = runAll(mod, seeds, { ...base, ejectAfter: { completed: 25, mode: 'orderly' } });
  const both = [...surprise, ...orderly];
  g.topics('attach: map the BAR, reset, set up the ring, register AES-CBC and NULL', both, ['attach'], 'edu0 attached');
  g.topics('surprise removal under load: every request right, after resubmission', surprise, ['other', 'results'], 'nothing lost, nothing corrupted');
  g.topics('orderly eject under load: every request right, after resubmission', orderly, ['other', 'results'], 'nothing lost, nothing corrupted');
  g.check('requests on the card are handed back with EAGAIN', both, (r) => {
    if (r.findings.attach.length > 0 || !r.run) return ['edu0 did not attach'];
    const handed = r.trace.filter((e) => e.kind === 'crypto.done' && e.fields?.['etype'] === 'EAGAIN' && e.where === 'cbb0').length;
    const later = r.run.outcomes.filter((o) => o.driver === 'cryptosoft0').length;
    const out: string[] = [];
    if (handed === 0) out.push(`no request was completed with EAGAIN by detach (${r.eject?.mode} eject): detach must complete every request still on the card`);
    if (later === 0) out.push('no request moved to another driver after the eject');
    return out;
  }, 'in-flight requests handed back, resubmitted, finished on cryptosoft0');
  g.topics('each request completed exactly once', both, ['once'], 'none lost, none completed twice');
  g.topics('no DMA into unloaded maps (wait for STATUS.IDLE)', both, ['dma'], 'bus_dma clean through the eject');
  detachCheck(g, both);
  return g.result();
}

/** Scan a driver's softc for a key (bytes in a typed array, or its four words in an array of numbers). */
export function findKey(root: unknown, key: Uint8Array): string | null {
  const seen = new Set<unknown>();
  const words = [0, 4, 8, 12].map((i) => (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0);
  const skip = (v: object) => v instanceof CryptoFramework || v instanceof Device || v instanceof Resource || v instanceof BusDma || v instanceof PhysMemory || v instanceof Prng || v instanceof Scheduler || v instanceof TraceRecorder;
  const walk = (v: unknown, path: string, depth: number): string | null => {
    if (v === null || typeof v !== 'object' || seen.has(v) || depth > 8 || skip(v)) return null;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      if (b.length > 1 << 20) return null;
      for (let i = 0; i + 16 <= b.length; i++) if (key.every((x, k) => b[i + k] === x)) return path;
      return null;
    }
    if (Array.isArray(v) && v.length >= 4 && typeof v[0] === 'number') {
      for (let i = 0; i + 4 <= v.length; i++) if (words.every((w, k) => v[i + k] >>> 0 === w)) return path;
    }
    const entries = v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x] as const) : Object.entries(v);
    for (const [k, x] of entries) {
      const hit = walk(x, `${path}.${k}`, depth + 1);
      if (hit) return hit;
    }
    return null;
  };
  return walk(root, 'sc', 0);
}

/** Lab 6: 12 AES sessions over 8 key slots, eviction, and wiping on freesession. */
export function lab6(mod: EduLabDriverModule, seeds: readonly number[]): BatteryResult {
  const g = new Grader();
  const freed: Map<number, Uint8Array[]> = new Map();
  const workload = (rig: Rig): WorkloadSpec => {
    const rnd = rig.m.prng.stream('labcheck.workload');
    const sessions: SessionSpec[] = makeSessions(12, 1, rnd);
    const keys: Uint8Array[] = [];
    freed.set(rig.m.prng.seed, keys);
    return { sessions, requests: mixedRequests(120, sessions, rnd, 8), window: 10, freeSessions: true, onFree: (_i, key) => { if (key.length === 16) keys.push(key); } };
  };
  const runs = runAll(mod, seeds, { workload, ringEntries: 16, coalesce: 2, detachAtEnd: false });
  g.topics('attach: map the BAR, reset, set up the ring, register AES-CBC and NULL', runs, ['attach'], 'edu0 attached');
  g.check(`more sessions than key slots (12 sessions, ${EDU_KEY_SLOTS} slots)`, runs, (r) =>
    r.findings.results.filter((l) => l.startsWith('crypto_newsession')), 'every newsession succeeded');
  g.check('right results while slots are evicted and reloaded', runs, (r) => r.findings.results.filter((l) => !l.startsWith('crypto_newsession')).concat(r.findings.other).map((l) =>
    / wrong bytes/.test(l) ? `${l} — was its key slot rewritten while a request still needed it?` : l), 'every request used its own session\'s key');
  g.check('freesession wipes the key on the card', runs, (r) => {
    if (r.findings.attach.length > 0) return ['edu0 did not attach'];
    const keys = freed.get(r.seed) ?? [];
    const out: string[] = [];
    for (let s = 0; s < EDU_KEY_SLOTS; s++) {
      const slot = r.rig.card.keySlot(s);
      const k = keys.findIndex((key) => key.length === 16 && key.every((b, i) => b === slot[i]));
      if (k >= 0) out.push(`key slot ${s} still holds the key of session ${k} after crypto_freesession (write zeros to its EDU_KEY registers)`);
    }
    return out;
  }, 'no freed key left in a key slot');
  g.check('freesession wipes the key in the driver', runs, (r) => {
    const sc = r.rig.dev?.softc;
    if (!sc) return ['edu0 did not attach'];
    const keys = freed.get(r.seed) ?? [];
    for (const [i, key] of keys.entries()) {
      const where = findKey(sc, key);
      if (where) return [`the key of freed session ${i} is still in the softc at ${where} (fill it with zeros in freesession)`];
    }
    return [];
  }, 'no freed key left in the softc');
  g.topics('each request completed exactly once', runs, ['once'], 'none lost, none completed twice');
  g.topics('bus_dma discipline (strict mode)', runs, ['dma'], 'every DMA inside a loaded, synced map');
  return g.result();
}
