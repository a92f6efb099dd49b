/**
 * Lab 1, "Follow one request": the student's module dispatches one AES-CBC request to the edu card
 * (driven by the reference driver) and then reads, from the machine's trace, the time at which the
 * request reached every stage. The grader answers the same question itself and compares.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { Machine } from './machine.js';
import { EduCard } from '../devices/edu/model.js';
import { eduDriver } from '../devices/edu/driver.js';
import type { TraceEvent } from '../sim/trace.js';
import { errnoName } from '../sim/errno.js';
import { checkFrom, explainViolation, type CheckResult } from './labcheck-explain.js';
import { MS, errText, fmtMs } from './labcheck-rig.js';
import type { BatteryResult } from './labcheck-drivers.js';

/** The stages of one request, in the order it meets them. */
export const LAB1_STAGES = ['dispatch', 'invoke', 'posted', 'fetched', 'dmaIn', 'engine', 'dmaOut', 'writeBack', 'interrupt', 'completed', 'done', 'callback'] as const;
export type Lab1Stage = (typeof LAB1_STAGES)[number];
export type Lab1StageTimes = Record<Lab1Stage, number>;

export interface Lab1Vector {
  key: Uint8Array;
  iv: Uint8Array;
  plaintext: Uint8Array;
}

export interface Lab1Result {
  reqid: number;
  etype: number;
  ciphertext: Uint8Array;
}

/** What labs/01-follow-one-request/follow.ts exports. */
export interface Lab1Module {
  /** Create an AES-128-CBC session on the card and dispatch one request; call `done` from its callback. */
  dispatchOne(m: Machine, v: Lab1Vector, done: (r: Lab1Result) => void): void;
  /** When request `req` reached each stage, in ps, read from `events` (the trace of `device`). */
  stageTimes(events: readonly TraceEvent[], req: number, device: string): Lab1StageTimes;
}

/** Where each stage is in the trace: the event kind, for the messages (and docs/labs/01). */
export const LAB1_WHERE: Readonly<Record<Lab1Stage, string>> = {
  dispatch: 'crypto.dispatch', invoke: 'crypto.invoke', posted: 'edu.post (driver)', fetched: 'desc.fetched (device)',
  dmaIn: 'start of stage.dmaIn', engine: 'start of stage.engine', dmaOut: 'start of stage.dmaOut', writeBack: 'start of stage.writeBack',
  interrupt: 'first intr.handler of the device after the write-back ends', completed: 'edu.complete (driver)', done: 'crypto.done', callback: 'crypto.callback',
};

/** The grader's own answer. */
export function referenceStageTimes(events: readonly TraceEvent[], req: number, device: string): Lab1StageTimes {
  const first = (kind: string) => events.find((e) => e.kind === kind && e.req === req);
  const at = (kind: string) => first(kind)?.t ?? -1;
  const wb = first('stage.writeBack');
  const wbEnd = wb ? wb.t + (wb.dur ?? 0) : Infinity;
  return {
    dispatch: at('crypto.dispatch'), invoke: at('crypto.invoke'), posted: at('edu.post'), fetched: at('desc.fetched'),
    dmaIn: at('stage.dmaIn'), engine: at('stage.engine'), dmaOut: at('stage.dmaOut'), writeBack: at('stage.writeBack'),
    interrupt: events.find((e) => e.kind === 'intr.handler' && e.where === device && e.t >= wbEnd)?.t ?? -1,
    completed: at('edu.complete'), done: at('crypto.done'), callback: at('crypto.callback'),
  };
}

interface Lab1Run {
  seed: number;
  problems: { dispatch: string[]; cipher: string[]; stages: string[] };
  trace: readonly TraceEvent[];
}

function runOnce(mod: Lab1Module, seed: number): Lab1Run {
  const m = new Machine({ seed, trace: true });
  const out: Lab1Run = { seed, problems: { dispatch: [], cipher: [], stages: [] }, trace: [] };
  const p = out.problems;
  m.bus.addDriver(eduDriver({ crypto: m.crypto, prng: m.prng.stream('edu0.iv') }));
  m.cardbus.insert(0, new EduCard({ trace: m.trace, prng: m.prng.stream('edu0.jitter') }));
  m.runUntil(3 * MS);
  const rnd = m.prng.stream('labcheck.lab1');
  const v: Lab1Vector = { key: rnd.bytes(16), iv: rnd.bytes(16), plaintext: rnd.bytes(16 * rnd.int(8, 64)) };
  const results: Lab1Result[] = [];
  try {
    mod.dispatchOne(m, { key: v.key.slice(), iv: v.iv.slice(), plaintext: v.plaintext.slice() }, (r) => results.push(r));
    m.run();
  } catch (e) {
    p.dispatch.push(errText(e));
  }
  out.trace = m.trace.all;
  for (const viol of m.violations.all) p.dispatch.push(explainViolation(viol));
  const dispatched = new Set(m.trace.all.filter((e) => e.kind === 'crypto.dispatch').map((e) => e.req));
  if (results.length === 0) p.dispatch.push('done() was never called: dispatch one request and call done from its callback');
  else if (results.length > 1) p.dispatch.push(`done() was called ${results.length} times for one request`);
  if (dispatched.size > 1) p.dispatch.push(`${dispatched.size} requests were dispatched; the lab asks for one`);
  const r = results[0];
  if (!r) {
    p.cipher.push('no request came back, so there is no ciphertext to check');
    p.stages.push('no request came back, so there is no request to follow');
    return out;
  }
  const invoked = m.trace.all.find((e) => e.kind === 'crypto.invoke' && e.req === r.reqid);
  if (!invoked) p.dispatch.push(`request ${r.reqid} was never handed to a driver (is reqid crp.crp_reqid?)`);
  else if (invoked.fields?.['dev'] !== 'edu0') p.dispatch.push(`request ${r.reqid} ran on ${String(invoked.fields?.['dev'])}, not on edu0 (ask for CRYPTOCAP_F_HARDWARE)`);
  if (r.etype !== 0) p.cipher.push(`request ${r.reqid} failed with ${errnoName(r.etype)}`);
  else {
    const exp = cbc(v.key, v.iv, { disablePadding: true }).encrypt(v.plaintext);
    if (r.ciphertext.length !== exp.length || exp.some((b, i) => b !== r.ciphertext[i])) {
      p.cipher.push(`request ${r.reqid} returned wrong bytes (${r.ciphertext.length} bytes; expected AES-128-CBC of the ${v.plaintext.length}-byte plaintext with the explicit IV)`);
    }
  }
  const want = referenceStageTimes(m.trace.all, r.reqid, 'edu0');
  let got: Lab1StageTimes;
  try {
    got = mod.stageTimes(m.trace.all, r.reqid, 'edu0');
  } catch (e) {
    p.stages.push(`stageTimes threw: ${errText(e)}`);
    return out;
  }
  for (const s of LAB1_STAGES) {
    const g = got?.[s];
    if (g !== want[s]) p.stages.push(`stage ${s}: you said ${typeof g === 'number' ? `t=${fmtMs(g)}` : String(g)}, the trace says t=${fmtMs(want[s])} (${LAB1_WHERE[s]} of request ${r.reqid})`);
  }
  return out;
}

export function lab1(mod: Lab1Module, seeds: readonly number[]): BatteryResult {
  if (typeof mod.dispatchOne !== 'function' || typeof mod.stageTimes !== 'function') {
    const c: CheckResult = { name: 'the module exports dispatchOne and stageTimes', passed: false, detail: 'lab 1 expects `export function dispatchOne(...)` and `export function stageTimes(...)`' };
    return { checks: [c], failingTrace: null };
  }
  const runs = seeds.map((s) => runOnce(mod, s));
  const failing = runs.find((r) => r.problems.dispatch.length + r.problems.cipher.length + r.problems.stages.length > 0);
  const lines = (k: keyof Lab1Run['problems']) => runs.flatMap((r) => r.problems[k].map((l) => (runs.length > 1 ? `seed ${r.seed}: ${l}` : l)));
  return {
    checks: [
      checkFrom('dispatch one AES-CBC request to edu0 and see it come back', lines('dispatch'), 'one request, on edu0, called back once'),
      checkFrom('the ciphertext is AES-128-CBC of the plaintext', lines('cipher'), 'bit-exact'),
      checkFrom('every stage\'s time read from the trace', lines('stages'), `all ${LAB1_STAGES.length} stages match the trace`),
    ],
    failingTrace: failing?.trace ?? null,
  };
}
