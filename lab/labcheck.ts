/**
 * The lab grader (`ocfsim lab check <N> <file>`): runs lab N's graded battery against a student's
 * module (docs/labs/), several seeds each, and returns a scored report — every check passed or
 * failed with a one-line explanation in the words of the lab text. Full marks only when every
 * check passes; the Perfetto trace of the first failing run comes with the report.
 *
 * @example
 *   const report = runLabCheck(3, await import('./labs/03-interrupts/driver.ts'), { seeds: [1, 2] });
 *   console.log(formatLabReport(report));
 */
import { writeFileSync } from 'node:fs';
import type { TraceEvent } from '../sim/trace.js';
import { toChromeTrace } from './perfetto.js';
import type { CheckResult } from './labcheck-explain.js';
import { lab2, lab3, lab4, lab5, lab6, type BatteryResult } from './labcheck-drivers.js';
import { lab1, type Lab1Module } from './labcheck-lab1.js';
import type { EduLabDriverModule } from './labcheck-rig.js';

export type { CheckResult } from './labcheck-explain.js';

export const LAB_TITLES: Readonly<Record<number, string>> = {
  1: 'Follow one request',
  2: 'A polling driver',
  3: 'Interrupts',
  4: 'The ring and back-pressure',
  5: 'Surprise removal',
  6: 'Sessions and keys',
};

export interface LabCheckOptions {
  /** Seeds to run every scenario with (default [1, 2]). */
  seeds?: readonly number[];
  /** Write the Perfetto (Chrome trace event JSON) trace of the first failing run here. */
  tracePath?: string;
}

export interface LabReport {
  lab: number;
  title: string;
  seeds: readonly number[];
  checks: CheckResult[];
  passed: number;
  total: number;
  fullMarks: boolean;
  /** The trace of the first failing run (null with full marks). */
  failingTrace: readonly TraceEvent[] | null;
  /** Where it was written, if asked. */
  traceWritten: string | null;
}

function asDriverModule(mod: unknown): EduLabDriverModule | string {
  const m = mod as Partial<EduLabDriverModule> | null;
  if (!m || typeof m.eduDriver !== 'function') return 'the module does not export `eduDriver(options)` (see the starter in labs/)';
  return m as EduLabDriverModule;
}

/** Grade lab `lab` (1-6) against a loaded module. */
export function runLabCheck(lab: number, mod: unknown, o: LabCheckOptions = {}): LabReport {
  const title = LAB_TITLES[lab];
  if (!title) throw new RangeError(`there is no lab ${lab} (labs 1-6: ${Object.entries(LAB_TITLES).map(([n, t]) => `${n} ${t}`).join(', ')})`);
  const seeds = o.seeds ?? [1, 2];
  let result: BatteryResult;
  if (lab === 1) {
    result = lab1(mod as Lab1Module, seeds);
  } else {
    const d = asDriverModule(mod);
    if (typeof d === 'string') result = { checks: [{ name: 'the module exports eduDriver', passed: false, detail: d }], failingTrace: null };
    else result = [lab2, lab3, lab4, lab5, lab6][lab - 2]!(d, seeds);
  }
  const passed = result.checks.filter((c) => c.passed).length;
  const report: LabReport = {
    lab, title, seeds, checks: result.checks, passed, total: result.checks.length, fullMarks: passed === result.checks.length,
    failingTrace: passed === result.checks.length ? null : result.failingTrace, traceWritten: null,
  };
  if (o.tracePath && report.failingTrace) {
    writeFileSync(o.tracePath, JSON.stringify(toChromeTrace(report.failingTrace)));
    report.traceWritten = o.tracePath;
  }
  return report;
}

/** The report as text: one line per check, then the score. */
export function formatLabReport(r: LabReport): string {
  const lines = [`lab ${r.lab}: ${r.title} (seeds ${r.seeds.join(', ')})`];
  for (const c of r.checks) lines.push(`  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  lines.push(`score: ${r.passed}/${r.total}${r.fullMarks ? ' — full marks' : ''}`);
  if (r.traceWritten) lines.push(`trace of the failing run written to ${r.traceWritten} (open it in ui.perfetto.dev)`);
  else if (!r.fullMarks && r.failingTrace) lines.push('add --trace out.json to write the trace of the failing run');
  return lines.join('\n');
}
