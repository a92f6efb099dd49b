/**
 * `ocfsim trace summarize FILE [--json]` and `ocfsim trace svg FILE [-o OUT]`: read back a Chrome
 * trace written by `ocfsim run --trace` and print its key figures, or draw its timeline.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { TraceEvent } from '../sim/trace.js';
import { summarizeTrace, type ChromeTraceEvent } from './perfetto.js';
import type { CliIo } from './run-cli.js';
import { formatTime } from './scenario-time.js';
import { timelineSvg } from './timeline-svg.js';

export const TRACE_USAGE = `usage: ocfsim trace summarize FILE [--json]
       ocfsim trace svg FILE [-o OUT.svg]

summarize   key figures of a trace written by \`ocfsim run --trace FILE\`: events, time span,
            requests and their dispatch-to-callback latency, hot-plug events, migrations,
            ERESTART blocks and unblocks, EAGAIN completions, violations
svg         the run's timeline as SVG (to OUT, or to stdout)
options:
  --json      (summarize) print the figures as JSON
  -o FILE     (svg) where to write the SVG
  -h, --help  this text
`;

/** Processes whose tracks are named after threads (the rest are named after devices). */
const THREAD_PROCESSES = new Set(['CPUs', 'framework', 'consumers', 'interrupts', 'machine']);

/** Trace events from Chrome trace JSON, with thread and device names restored from its metadata. */
export function traceFromChromeJson(json: unknown): TraceEvent[] {
  const list = (json as { traceEvents?: ChromeTraceEvent[] } | null)?.traceEvents;
  if (!Array.isArray(list)) throw new Error('not a Chrome trace: no traceEvents array');
  const procs = new Map<number, string>();
  const tracks = new Map<string, string>();
  for (const c of list) {
    if (c.ph !== 'M') continue;
    const name = String(c.args?.['name'] ?? '');
    if (c.name === 'process_name') procs.set(c.pid, name);
    else if (c.name === 'thread_name') tracks.set(`${c.pid}:${c.tid}`, name);
  }
  const out: TraceEvent[] = [];
  for (const c of list) {
    if (c.ph !== 'X' && c.ph !== 'i') continue;
    const args = { ...(c.args ?? {}) } as Record<string, string | number | boolean | null>;
    const req = typeof args['req'] === 'number' ? (args['req'] as number) : undefined;
    delete args['req'];
    const proc = procs.get(c.pid) ?? String(c.pid);
    const where = THREAD_PROCESSES.has(proc) ? (tracks.get(`${c.pid}:${c.tid}`) ?? String(c.tid)) : proc;
    out.push({
      t: Math.round(c.ts * 1e6),
      layer: c.cat as TraceEvent['layer'],
      where,
      kind: c.name,
      ...(req !== undefined ? { req } : {}),
      ...(c.dur !== undefined ? { dur: Math.round(c.dur * 1e6) } : {}),
      fields: args,
    });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** The figures `trace summarize` prints. */
export function traceFigures(events: readonly TraceEvent[]) {
  const s = summarizeTrace(events);
  const k = (name: string): number => s.byKind[name] ?? 0;
  let eagain = 0;
  const byDriver: Record<string, number> = {};
  for (const e of events) {
    if (e.kind === 'crypto.callback' && e.fields?.['etype'] === 'EAGAIN') eagain++;
    if (e.kind === 'crypto.invoke') {
      const d = String(e.fields?.['dev'] ?? '?');
      byDriver[d] = (byDriver[d] ?? 0) + 1;
    }
  }
  const scenario = events.filter((e) => e.kind === 'scenario.event').map((e) => ({ t: e.t, what: String(e.fields?.['what'] ?? '') }));
  return {
    ...s,
    hotplug: { pulled: k('hotplug.pulled'), orderly: k('hotplug.eject'), removed: k('hotplug.removed'), inserted: k('hotplug.insert') },
    framework: { dispatches: k('crypto.dispatch'), callbacks: k('crypto.callback'), eagain, migrations: k('crypto.migrate'), blocked: k('crypto.blocked'), unblocks: k('crypto.unblock'), keyOps: k('crypto.kdispatch') },
    invokesByDriver: byDriver,
    scenario,
  };
}

function summarize(file: string, json: boolean, io: CliIo): number {
  const events = traceFromChromeJson(JSON.parse(readFileSync(file, 'utf8')));
  const f = traceFigures(events);
  if (json) {
    io.out(JSON.stringify(f, null, 2));
    return 0;
  }
  const us = (ps: number): string => `${(ps / 1e6).toFixed(1)} µs`;
  io.out(`trace ${file}: ${f.events} events over ${formatTime(f.spanPs)}`);
  io.out(`requests: ${f.requests}; dispatch to callback (completed OK): ${f.latency.count} requests, p50 ${us(f.latency.p50)}, p99 ${us(f.latency.p99)}, max ${us(f.latency.max)}`);
  io.out(`framework: ${f.framework.dispatches} dispatches, ${f.framework.callbacks} callbacks (${f.framework.eagain} EAGAIN), ${f.framework.migrations} session migrations, ${f.framework.blocked} ERESTART blocks, ${f.framework.unblocks} crypto_unblock, ${f.framework.keyOps} key operations`);
  io.out(`requests handed to drivers: ${Object.entries(f.invokesByDriver).map(([d, n]) => `${d} ${n}`).join(', ') || 'none'}`);
  io.out(`hot-plug: ${f.hotplug.inserted} inserted, ${f.hotplug.pulled} pulled (surprise), ${f.hotplug.orderly} ejected (orderly), ${f.hotplug.removed} removed`);
  io.out(`violations: ${f.violations}`);
  io.out(`events by layer: ${Object.entries(f.byLayer).sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} ${n}`).join(', ')}`);
  if (f.scenario.length > 0) {
    io.out('scenario timeline (machine time):');
    for (const e of f.scenario) io.out(`  ${formatTime(e.t).padStart(11)}  ${e.what}`);
  }
  return 0;
}

/** The `trace` command. */
export function traceCommand(args: readonly string[], io: CliIo): number {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '-h' || sub === '--help' || rest.includes('-h') || rest.includes('--help')) {
    (sub === undefined ? io.err : io.out)(TRACE_USAGE.trimEnd());
    return sub === undefined ? 2 : 0;
  }
  let file: string | undefined;
  let json = false;
  let outFile: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--json' && sub === 'summarize') json = true;
    else if (a === '-o' && sub === 'svg' && rest[i + 1] !== undefined) outFile = rest[++i];
    else if (a.startsWith('-')) {
      io.err(`ocfsim trace ${sub}: unknown option ${a}\n${TRACE_USAGE.trimEnd()}`);
      return 2;
    } else if (file === undefined) file = a;
    else {
      io.err(`ocfsim trace ${sub}: one file at a time`);
      return 2;
    }
  }
  if (sub !== 'summarize' && sub !== 'svg') {
    io.err(`ocfsim trace: unknown subcommand "${sub}"\n${TRACE_USAGE.trimEnd()}`);
    return 2;
  }
  if (file === undefined) {
    io.err(`ocfsim trace ${sub}: which trace file?`);
    return 2;
  }
  try {
    if (sub === 'summarize') return summarize(file, json, io);
    const svg = timelineSvg(traceFromChromeJson(JSON.parse(readFileSync(file, 'utf8'))), { title: file });
    if (outFile) writeFileSync(outFile, svg);
    else io.out(svg.trimEnd());
    return 0;
  } catch (e) {
    io.err(`ocfsim trace ${sub}: ${(e as Error).message}`);
    return 1;
  }
}
