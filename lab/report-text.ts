/**
 * A run report for people: the timeline as it happened, one block per phase (a table of the
 * workloads, CPU per thread, ring occupancy per card, framework counters), the expectations with
 * their numbers, violations, the trace hash and the replay line.
 */
import type { PhaseReport, RunReport, WorkloadFigures } from './report.js';
import { formatTime } from './scenario-time.js';

function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd());
}

const num = (v: number, digits = 0): string => (v === 0 ? '0' : v.toFixed(digits));
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

function errors(f: WorkloadFigures): string {
  const e = Object.entries(f.errors);
  return e.length === 0 ? '-' : e.map(([k, n]) => `${k}:${n}`).join(' ');
}

function drivers(f: WorkloadFigures): string {
  const total = f.completions;
  if (total === 0) return '-';
  return Object.entries(f.drivers)
    .sort((a, b) => b[1] - a[1])
    .map(([d, n]) => `${d} ${pct(n / total)}`)
    .join(', ');
}

function phaseLines(p: PhaseReport, title: string): string[] {
  const out = [`${title}  [${formatTime(p.fromPs)} – ${formatTime(p.toPs)}]`];
  const header = ['workload', 'requests', 'done', 'errors', 'EAGAIN', 'resubmit', 'migrated', 'corrupt', 'dropped', 'ops/s', 'MB/s', 'p50 µs', 'p99 µs', 'served by'];
  const rows = Object.entries(p.workloads).map(([name, f]) => [
    name, String(f.requests), String(f.completions), errors(f), String(f.eagain), String(f.resubmits), String(f.migrations), String(f.corrupt),
    String(f.dropped), num(f.opsPerSec), num(f.mbPerSec, 1), f.latencyUs ? num(f.latencyUs.p50, 1) : '-', f.latencyUs ? num(f.latencyUs.p99, 1) : '-', drivers(f),
  ]);
  out.push(...table([header, ...rows]));
  for (const [name, f] of Object.entries(p.workloads)) {
    if (f.restored > 0) out.push(`  ${name}: ${f.restored} buffer(s) restored before resubmission (the departing card may have written into them)`);
  }
  const cpu = p.cpu.slice(0, 10).map((c) => `${c.thread} ${pct(c.utilisation)}`);
  out.push(`  cpu (of one CPU): ${cpu.length ? cpu.join(', ') : 'idle'}`);
  for (const [card, rings] of Object.entries(p.rings)) {
    out.push(`  rings ${card}: ${Object.entries(rings).map(([r, f]) => `${r} ${f.mean.toFixed(1)}/${f.size} (max ${f.max})`).join(', ')}`);
  }
  const c = p.counters;
  out.push(`  framework: ${c.cs_ops} dispatches, ${c.cs_errs} completed with an error (EAGAIN included), ${c.cs_kops} key ops, ${c.cs_blocks} blocked (ERESTART), ${c.cs_kblocks} key blocked, ${c.unblocks} crypto_unblock`);
  return out;
}

/** The report as text, one string per line. */
export function formatReport(r: RunReport): string[] {
  const out: string[] = [];
  out.push(`ocfsim run ${r.scenario} — seed ${r.seed}`);
  if (r.description) out.push(`  ${r.description}`);
  out.push(`machine: ${r.cpus} CPUs (${r.hostProfile}); the run starts ${formatTime(r.bootPs)} after power-on, when the boot cards have attached; times below count from there`);
  out.push(`ran ${formatTime(r.durationPs)}, then drained until ${formatTime(r.endPs)}`);
  out.push('');
  out.push('timeline');
  for (const e of r.events) out.push(`  ${formatTime(e.tPs).padStart(11)}  ${e.what}`);
  for (const p of r.phases) {
    out.push('');
    out.push(...phaseLines(p, `phase ${p.name}`));
  }
  out.push('');
  out.push(...phaseLines(r.total, 'whole run (drain included)'));
  const lost = Object.entries(r.lost).filter(([, n]) => n > 0);
  if (lost.length > 0) out.push(`  still in flight after the drain: ${lost.map(([w, n]) => `${w} ${n}`).join(', ')}`);
  out.push('');
  if (r.expectations.length > 0) {
    out.push('expectations');
    for (const e of r.expectations) out.push(`  ${e.ok ? 'ok  ' : 'FAIL'}  ${e.name}: ${e.detail}`);
    out.push('');
  }
  if (r.violations.length === 0) out.push('violations: none');
  else {
    out.push(`violations: ${r.violations.length}`);
    for (const v of r.violations.slice(0, 20)) out.push(`  [${v.kind}] at ${formatTime(v.tPs)}: ${v.message}`);
    if (r.violations.length > 20) out.push(`  ... and ${r.violations.length - 20} more`);
  }
  if (r.trace) out.push(`trace: ${r.trace.events} events, sha256 ${r.trace.sha256}${r.trace.file ? `, written to ${r.trace.file}` : ''}`);
  const failed = r.expectations.filter((e) => !e.ok);
  out.push(failed.length === 0 ? 'result: all expectations hold' : `result: ${failed.length} expectation(s) FAILED: ${failed.map((e) => e.name).join('; ')}`);
  out.push(`replay: ${r.replay}`);
  return out;
}
