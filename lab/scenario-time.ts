/**
 * Simulated times as scenario authors write them: `'5ms'`, `'250us'`, `'1.5 s'`, or a number of
 * picoseconds (the engine's unit). Also the formatting the reports use.
 *
 * @example
 *   parseTime('5ms');   // 5_000_000_000
 *   formatTime(5e9);    // '5.000 ms'
 */
export type TimeUnit = 'ps' | 'ns' | 'us' | 'µs' | 'ms' | 's';
/** A simulated time: a number of picoseconds, or a number with a unit. */
export type Time = number | `${number}${TimeUnit}` | `${number} ${TimeUnit}`;

const PS_PER: Readonly<Record<TimeUnit, number>> = { ps: 1, ns: 1e3, us: 1e6, µs: 1e6, ms: 1e9, s: 1e12 };

/** Picoseconds of `t`; throws a RangeError naming the bad value. */
export function parseTime(t: Time | string, what = 'time'): number {
  if (typeof t === 'number') {
    if (!Number.isFinite(t) || t < 0) throw new RangeError(`${what}: ${t} is not a time (picoseconds >= 0)`);
    return Math.round(t);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ps|ns|us|µs|ms|s)\s*$/.exec(String(t));
  if (!m) throw new RangeError(`${what}: "${t}" is not a time (write e.g. 5ms, 250us, 1.5s, or a number of ps)`);
  return Math.round(Number(m[1]) * PS_PER[m[2] as TimeUnit]);
}

/** A duration for people: '12.345 ms', '87.6 µs', '1.200 s'. */
export function formatTime(ps: number): string {
  const a = Math.abs(ps);
  if (a === 0) return '0 ms';
  if (a >= 1e12) return `${(ps / 1e12).toFixed(3)} s`;
  if (a >= 1e9) return `${(ps / 1e9).toFixed(3)} ms`;
  if (a >= 1e6) return `${(ps / 1e6).toFixed(1)} µs`;
  if (a >= 1e3) return `${(ps / 1e3).toFixed(1)} ns`;
  return `${ps} ps`;
}
