/**
 * Export a machine's trace as Chrome trace event JSON, which the Perfetto UI (ui.perfetto.dev)
 * and chrome://tracing open. Layout:
 * - process "CPUs": one track (thread) per simulated kernel thread, with a slice per step;
 * - one process per device ("hifn0", "pci0", ...), with tracks per kind of activity (DMA, engine,
 *   rings, interrupts), slices for spans and instants for events;
 * - process "framework": instants for dispatch, queue, invoke, done, callback, migration, unblock;
 * - a flow per request from its first event (dispatch) to its last (callback), so clicking a
 *   request shows its path through every layer;
 * - instant events (global scope) for eject, attach and violations.
 * Timestamps are microseconds of simulated time (the format's unit), with picosecond precision.
 */
import type { TraceEvent } from '../sim/trace.js';

export interface ChromeTraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 's' | 'f' | 'M' | 'C';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  bp?: 'e';
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

const US_PER_PS = 1e-6;

/** Which process a layer's events go to, and which track within it. */
function placement(e: TraceEvent): { process: string; track: string } {
  switch (e.layer) {
    case 'cpu':
      return { process: 'CPUs', track: e.where };
    case 'framework':
    case 'consumer':
      return { process: e.layer === 'framework' ? 'framework' : 'consumers', track: e.where };
    case 'intr':
      return { process: 'interrupts', track: e.where };
    case 'dma':
    case 'bus':
    case 'device':
    case 'driver': {
      const track = e.kind.split('.')[0] ?? e.kind;
      return { process: e.where, track: `${e.layer}: ${track}` };
    }
    default:
      return { process: 'machine', track: e.where };
  }
}

function jsonable(fields: TraceEvent['fields']): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = typeof v === 'bigint' ? `0x${v.toString(16)}` : v;
  return out;
}

/** Convert trace events to the Chrome trace event format. */
export function toChromeTrace(events: readonly TraceEvent[]): { traceEvents: ChromeTraceEvent[]; displayTimeUnit: 'ns' } {
  const pids = new Map<string, number>();
  const tids = new Map<string, number>();
  const out: ChromeTraceEvent[] = [];
  const pidOf = (name: string): number => {
    let p = pids.get(name);
    if (p === undefined) {
      p = pids.size + 1;
      pids.set(name, p);
      out.push({ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: p, tid: 0, args: { name } });
    }
    return p;
  };
  const tidOf = (pid: number, track: string): number => {
    const key = `${pid}\u0000${track}`;
    let t = tids.get(key);
    if (t === undefined) {
      t = tids.size + 1;
      tids.set(key, t);
      out.push({ name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid, tid: t, args: { name: track } });
    }
    return t;
  };
  // First and last event of each request, for its flow arrow.
  const firstOf = new Map<number, ChromeTraceEvent>();
  const lastOf = new Map<number, ChromeTraceEvent>();

  for (const e of events) {
    const { process, track } = placement(e);
    const pid = pidOf(process);
    const tid = tidOf(pid, track);
    const ts = e.t * US_PER_PS;
    const args = jsonable(e.fields) ?? {};
    if (e.req !== undefined) args['req'] = e.req;
    const globalInstant = /^(violation\.|hotplug\.|crypto\.migrate|console)/.test(e.kind);
    const ev: ChromeTraceEvent =
      e.dur !== undefined
        ? { name: e.kind, cat: e.layer, ph: 'X', ts, dur: e.dur * US_PER_PS, pid, tid, args }
        : { name: e.kind === 'console' ? String(e.fields?.['text'] ?? 'console') : e.kind, cat: e.layer, ph: 'i', ts, pid, tid, s: globalInstant ? 'g' : 't', args };
    out.push(ev);
    if (e.req !== undefined) {
      if (!firstOf.has(e.req)) firstOf.set(e.req, ev);
      lastOf.set(e.req, ev);
    }
  }
  for (const [req, first] of firstOf) {
    const last = lastOf.get(req)!;
    if (last === first) continue;
    out.push({ name: `request ${req}`, cat: 'request', ph: 's', id: req, ts: first.ts, pid: first.pid, tid: first.tid });
    out.push({ name: `request ${req}`, cat: 'request', ph: 'f', bp: 'e', id: req, ts: last.ts, pid: last.pid, tid: last.tid });
  }
  return { traceEvents: out, displayTimeUnit: 'ns' };
}

export interface TraceSummary {
  events: number;
  spanPs: number;
  requests: number;
  byLayer: Record<string, number>;
  byKind: Record<string, number>;
  violations: number;
  /** Dispatch-to-callback latency of requests that have both, ps. */
  latency: { count: number; p50: number; p99: number; max: number };
}

/** Key figures of a trace (for `ocfsim trace summarize`). */
export function summarizeTrace(events: readonly TraceEvent[]): TraceSummary {
  const byLayer: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const dispatchAt = new Map<number, number>();
  const latencies: number[] = [];
  let violations = 0;
  const reqs = new Set<number>();
  for (const e of events) {
    byLayer[e.layer] = (byLayer[e.layer] ?? 0) + 1;
    byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
    if (e.kind.startsWith('violation.')) violations++;
    if (e.req !== undefined) {
      reqs.add(e.req);
      if (e.kind === 'crypto.dispatch' && !dispatchAt.has(e.req)) dispatchAt.set(e.req, e.t);
      if (e.kind === 'crypto.callback' && e.fields?.['etype'] === 'OK' && dispatchAt.has(e.req)) latencies.push(e.t - dispatchAt.get(e.req)!);
    }
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  const first = events[0]?.t ?? 0;
  const last = events.reduce((m, e) => Math.max(m, e.t + (e.dur ?? 0)), first);
  return {
    events: events.length,
    spanPs: last - first,
    requests: reqs.size,
    byLayer,
    byKind,
    violations,
    latency: { count: latencies.length, p50: pct(0.5), p99: pct(0.99), max: latencies[latencies.length - 1] ?? 0 },
  };
}

/** Rebuild trace events from an exported Chrome trace (for `ocfsim trace summarize file.json`). */
export function fromChromeTrace(json: { traceEvents?: ChromeTraceEvent[] }): TraceEvent[] {
  if (!json || !Array.isArray(json.traceEvents)) throw new Error('not a Chrome trace: no traceEvents array');
  const out: TraceEvent[] = [];
  for (const c of json.traceEvents) {
    if (c.ph !== 'X' && c.ph !== 'i') continue;
    const args = { ...(c.args ?? {}) } as Record<string, string | number | boolean | null>;
    const req = typeof args['req'] === 'number' ? (args['req'] as number) : undefined;
    delete args['req'];
    out.push({
      t: Math.round(c.ts / US_PER_PS),
      layer: c.cat as TraceEvent['layer'],
      where: String(c.tid),
      kind: c.name,
      ...(req !== undefined ? { req } : {}),
      ...(c.dur !== undefined ? { dur: Math.round(c.dur / US_PER_PS) } : {}),
      fields: args,
    });
  }
  return out.sort((a, b) => a.t - b.t);
}
