/**
 * A card's timing table: every constant its latency formulas use, each with its unit and where it
 * comes from — a datasheet, a driver comment, a paper, or "calibrated to" a named figure
 * (DESIGN.md, "Time model"). One table per part; the formulas live next to the stages that use them.
 *
 * @example
 *   const T = defineTiming({
 *     coreHz: { value: 266_000_000, unit: 'Hz', source: 'hw.md §2.9: the driver targets 266 MHz' },
 *     desCyclesPerBlock: { value: 16, unit: 'cycles', source: 'calibrated to Keromytis et al. 2003 (>800 Mbit/s 3DES)' },
 *   });
 *   const core = clockOf('hifn-core', T.coreHz);
 *   const ps = core.cyclesToPs(T.desCyclesPerBlock.value * blocks);
 */
import { ClockDomain } from '../../sim/clock.js';

export interface TimingEntry {
  value: number;
  /** 'cycles', 'ps', 'Hz', 'bytes', 'cycles/byte', ... */
  unit: string;
  /** Where the number comes from. Never empty. */
  source: string;
}

export type TimingTable<K extends string> = Readonly<Record<K, Readonly<TimingEntry>>>;

/** Check a timing table (finite non-negative values, a unit and a source on each entry) and freeze it. */
export function defineTiming<K extends string>(table: Record<K, TimingEntry>): TimingTable<K> {
  for (const [k, e] of Object.entries(table) as [string, TimingEntry][]) {
    if (!Number.isFinite(e.value) || e.value < 0) throw new RangeError(`timing ${k}: value must be a finite number >= 0, got ${e.value}`);
    if (!e.unit) throw new RangeError(`timing ${k}: needs a unit`);
    if (!e.source || !e.source.trim()) throw new RangeError(`timing ${k}: needs a source (a datasheet, a driver comment, a paper, or "calibrated to ...")`);
    Object.freeze(e);
  }
  return Object.freeze(table);
}

/** A clock domain from a frequency entry (unit Hz; an integer, or give the exact fraction yourself). */
export function clockOf(name: string, hz: Readonly<TimingEntry>): ClockDomain {
  if (hz.unit !== 'Hz') throw new RangeError(`clockOf ${name}: entry unit must be Hz, got ${hz.unit}`);
  return new ClockDomain(name, hz.value);
}

/** The table as a Markdown table (for a card's man page). */
export function describeTiming(table: TimingTable<string>): string {
  const rows = Object.entries(table).map(([k, e]) => `| ${k} | ${e.value} | ${e.unit} | ${e.source} |`);
  return ['| constant | value | unit | source |', '|---|---|---|---|', ...rows].join('\n');
}
