/**
 * The trace recorder: timestamped, typed events from every layer of a machine.
 *
 * Hot paths test `trace.on` before building an event, so a machine with tracing off allocates
 * nothing for it. Events are kept in order of recording; `hash()` gives a digest of the whole
 * trace, used to prove that the same seed and program give a byte-identical run.
 *
 * @example
 *   if (machine.trace.on) machine.trace.record({ t, where: 'hifn0', kind: 'dma.in', req: 7 });
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** Which layer emitted an event; exporters group tracks by it. */
export type TraceLayer = 'sim' | 'cpu' | 'bus' | 'dma' | 'intr' | 'device' | 'framework' | 'driver' | 'consumer' | 'lab';

export type TraceFieldValue = string | number | boolean | bigint | null;

export interface TraceEvent {
  /** Simulated time, picoseconds. */
  t: number;
  layer: TraceLayer;
  /** Where it happened: a thread ("crypto_proc"), a CPU ("cpu1"), a device ("hifn0"). */
  where: string;
  /** What happened, dotted ("dma.read", "thread.run", "crypto.dispatch"). */
  kind: string;
  /** Request id, when the event belongs to one request. */
  req?: number;
  /** Duration in ps for events that span time (a thread step, a DMA burst). */
  dur?: number;
  fields?: Record<string, TraceFieldValue>;
}

export class TraceRecorder {
  /** Check this before building an event. */
  on: boolean;
  /** Upper bound on kept events; older ones are dropped first and counted. */
  readonly limit: number;
  private events: TraceEvent[] = [];
  private droppedCount = 0;
  private listeners: ((e: TraceEvent) => void)[] = [];

  constructor(options: { enabled?: boolean; limit?: number } = {}) {
    this.on = options.enabled ?? false;
    this.limit = options.limit ?? 5_000_000;
  }

  record(e: TraceEvent): void {
    if (!this.on) return;
    if (this.events.length >= this.limit) {
      this.events.shift();
      this.droppedCount++;
    }
    this.events.push(e);
    for (const l of this.listeners) l(e);
  }

  /** Call `fn` for every event recorded from now on (a live log, a progress meter). */
  subscribe(fn: (e: TraceEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  get all(): readonly TraceEvent[] {
    return this.events;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.events = [];
    this.droppedCount = 0;
  }

  /** One line per event, stable field order: the compact text log. */
  toText(): string {
    return this.events.map(formatEvent).join('\n');
  }

  /** SHA-256 of the text log: equal hashes mean byte-identical traces. */
  hash(): string {
    return bytesToHex(sha256(new TextEncoder().encode(this.toText())));
  }
}

function formatValue(v: TraceFieldValue): string {
  return typeof v === 'bigint' ? `0x${v.toString(16)}` : String(v);
}

export function formatEvent(e: TraceEvent): string {
  let s = `${e.t} ${e.layer} ${e.where} ${e.kind}`;
  if (e.req !== undefined) s += ` req=${e.req}`;
  if (e.dur !== undefined) s += ` dur=${e.dur}`;
  if (e.fields) {
    for (const k of Object.keys(e.fields).sort()) s += ` ${k}=${formatValue(e.fields[k]!)}`;
  }
  return s;
}
