/**
 * Checks a scenario's expectations against its report. Each result names the expectation as a
 * person would say it ("throughput of esp in phase software >= 20000 ops/s") and gives the
 * numbers found, so a failing run explains itself.
 */
import type { Bound, Expectation, Scope } from './scenario.js';
import type { ExpectationResult, PhaseReport, RunReport, WorkloadFigures } from './report.js';

function boundText(b: Bound): string {
  const parts: string[] = [];
  if (b.equals !== undefined) parts.push(`== ${b.equals}`);
  if (b.atLeast !== undefined) parts.push(`>= ${b.atLeast}`);
  if (b.atMost !== undefined) parts.push(`<= ${b.atMost}`);
  return parts.join(' and ') || '(no bound)';
}

function within(v: number, b: Bound): boolean {
  const eps = 1e-9 * Math.max(1, Math.abs(v));
  if (b.equals !== undefined && Math.abs(v - b.equals) > eps) return false;
  if (b.atLeast !== undefined && v < b.atLeast - eps) return false;
  if (b.atMost !== undefined && v > b.atMost + eps) return false;
  return true;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4);
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

class Missing extends Error {}

function phaseOf(r: RunReport, name: string | undefined): PhaseReport {
  if (name === undefined) return r.total;
  const p = r.phases.find((x) => x.name === name);
  if (!p) throw new Missing(`no phase "${name}" in this run (phases: ${r.phases.map((x) => x.name).join(', ')})`);
  return p;
}

function figures(p: PhaseReport, workload: string | undefined): WorkloadFigures[] {
  if (workload === undefined) return Object.values(p.workloads);
  const f = p.workloads[workload];
  if (!f) throw new Error(`no workload "${workload}" (workloads: ${Object.keys(p.workloads).join(', ')})`);
  return [f];
}

function scopeText(s: Scope): string {
  return `${s.workload ?? 'all workloads'}${s.phase !== undefined ? ` in phase ${s.phase}` : ''}`;
}

function bounded(name: string, v: number, b: Bound, unit = ''): ExpectationResult {
  const u = unit ? ` ${unit}` : '';
  const ok = within(v, b);
  return { name: `${name} ${boundText(b)}${u}`, ok, detail: `${ok ? '' : 'got '}${fmt(v)}${u}` };
}

function one(e: Expectation, r: RunReport): ExpectationResult {
  const t = r.total;
  const all = Object.values(t.workloads);
  if (e === 'no-lost') {
    const lost = Object.entries(r.lost).filter(([, n]) => n > 0);
    const v = r.violations.filter((x) => x.kind === 'lost-request').length;
    const n = sum(lost.map(([, x]) => x));
    return { name: 'no lost requests', ok: n === 0 && v === 0, detail: n + v === 0 ? 'every request completed' : `${n} request(s) never completed (${lost.map(([w, x]) => `${w}: ${x}`).join(', ') || 'none in workloads'}), ${v} lost-request violation(s)` };
  }
  if (e === 'no-duplicates') {
    const n = sum(all.map((f) => f.duplicates));
    const v = r.violations.filter((x) => x.kind === 'double-completion').length;
    return { name: 'no duplicated completions', ok: n + v === 0, detail: `${n} duplicate callback(s), ${v} double-completion violation(s)` };
  }
  if (e === 'no-corruption') {
    const n = sum(all.map((f) => f.corrupt));
    return { name: 'no silent corruption', ok: n === 0, detail: `${n} request(s) completed with wrong bytes` };
  }
  if (e === 'eagain-resubmitted') {
    const a = sum(all.map((f) => f.eagain));
    const s = sum(all.map((f) => f.resubmits));
    return { name: 'every EAGAIN resubmitted', ok: a === s, detail: `${a} EAGAIN, ${s} resubmitted` };
  }
  if (e === 'no-violations') {
    const v = r.violations;
    return { name: 'no violations', ok: v.length === 0, detail: v.length === 0 ? 'none' : `${v.length}: ${v.slice(0, 3).map((x) => `[${x.kind}] ${x.message}`).join('; ')}${v.length > 3 ? '; ...' : ''}` };
  }
  if (e === 'no-errors') {
    const errs: Record<string, number> = {};
    for (const f of all) for (const [k, n] of Object.entries(f.errors)) errs[k] = (errs[k] ?? 0) + n;
    const list = Object.entries(errs);
    return { name: 'no failed requests', ok: list.length === 0, detail: list.length === 0 ? 'none' : list.map(([k, n]) => `${k}: ${n}`).join(', ') };
  }
  if ('throughput' in e) {
    const x = e.throughput;
    const fs = figures(phaseOf(r, x.phase), x.workload);
    const mb = x.unit === 'MB/s';
    return bounded(`throughput of ${scopeText(x)}`, sum(fs.map((f) => (mb ? f.mbPerSec : f.opsPerSec))), x, mb ? 'MB/s' : 'ops/s');
  }
  if ('migrations' in e) {
    const x = e.migrations;
    return bounded(`migrations of ${scopeText(x)}`, sum(figures(phaseOf(r, x.phase), x.workload).map((f) => f.migrations)), x);
  }
  if ('servedBy' in e) {
    const x = e.servedBy;
    const fs = figures(phaseOf(r, x.phase), x.workload);
    const done = sum(fs.map((f) => f.completions));
    const by = sum(fs.flatMap((f) => Object.entries(f.drivers).filter(([d]) => d.startsWith(x.driver)).map(([, n]) => n)));
    const res = bounded(`share of ${scopeText(x)} served by ${x.driver}`, done === 0 ? 0 : by / done, x);
    return { ...res, detail: `${res.detail} (${by} of ${done} completions)` };
  }
  if ('latency' in e) {
    const x = e.latency;
    const fs = figures(phaseOf(r, x.phase), x.workload);
    if (fs.length !== 1) throw new Error('a latency expectation needs a workload');
    const l = fs[0]!.latencyUs;
    if (!l) return { name: `p${x.percentile} latency of ${scopeText(x)} ${boundText(x)} µs`, ok: false, detail: 'nothing completed' };
    return bounded(`p${x.percentile} latency of ${scopeText(x)}`, x.percentile === 50 ? l.p50 : l.p99, x, 'µs');
  }
  if ('cpu' in e) {
    const x = e.cpu;
    const p = phaseOf(r, x.phase);
    const u = sum(p.cpu.filter((c) => c.thread === x.thread || c.thread.startsWith(x.thread)).map((c) => c.utilisation));
    return bounded(`CPU of thread ${x.thread}${x.phase !== undefined ? ` in phase ${x.phase}` : ''}`, u, x, 'of one CPU');
  }
  if ('counter' in e) {
    const x = e.counter;
    const p = phaseOf(r, x.phase);
    const v = (p.counters as Record<string, number>)[x.name];
    if (v === undefined) throw new Error(`no counter "${x.name}" (counters: ${Object.keys(p.counters).join(', ')})`);
    return bounded(`${x.name}${x.phase !== undefined ? ` in phase ${x.phase}` : ''}`, v, x);
  }
  const msg = e.fn(r);
  return { name: e.check, ok: msg === null, detail: msg ?? 'holds' };
}

/** Check every expectation. `truncated`: the run stopped early (--until), so missing phases are skipped. */
export function checkExpectations(list: readonly Expectation[], r: RunReport, truncated: boolean): ExpectationResult[] {
  return list.map((e) => {
    try {
      return one(e, r);
    } catch (err) {
      const name = typeof e === 'string' ? e : 'check' in e ? e.check : JSON.stringify(e);
      if (err instanceof Missing && truncated) return { name, ok: true, detail: `skipped: ${err.message} (the run was cut short by --until)` };
      return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  });
}
