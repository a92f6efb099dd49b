/**
 * A small benchmark harness: runs a body repeatedly until a minimum host time has passed and
 * reports the median rate of several rounds. Host time is read here only; nothing inside the
 * simulation ever reads it.
 */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

/** Median of `rounds` runs of `body`, each returning how many operations it did. */
export function rate(body: () => number, options: { rounds?: number; minMs?: number } = {}): number {
  const rounds = options.rounds ?? 5;
  const minMs = options.minMs ?? 200;
  body(); // warm up the JIT
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) rates.push(rateFor(body, minMs));
  return median(rates);
}

/** One run: call `body` until `minMs` have passed; operations per second. */
export function rateFor(body: () => number, minMs: number): number {
  let ops = 0;
  const t0 = performance.now();
  let t1 = t0;
  while (t1 - t0 < minMs) {
    ops += body();
    t1 = performance.now();
  }
  return ops / ((t1 - t0) / 1000);
}

/** The middle value (the upper middle for an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function format(r: BenchResult): string {
  const v = r.unit === 'MB/s' ? `${r.value.toFixed(1)} ` : r.value >= 1e6 ? `${(r.value / 1e6).toFixed(2)} M` : r.value >= 1e3 ? `${(r.value / 1e3).toFixed(1)} k` : r.value.toFixed(1) + ' ';
  const target = r.target !== undefined ? `  (target >= ${r.target >= 1e6 ? r.target / 1e6 + ' M' : r.target} ${r.unit}: ${r.value >= r.target ? 'met' : 'MISSED'})` : '';
  return `${r.name.padEnd(52)} ${v}${r.unit}${target}`;
}
