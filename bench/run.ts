/**
 * `npm run bench`: every benchmark of the project, one line each, with its target where an issue
 * set one. Targets are reported, never asserted in unit tests.
 */
import { format, type BenchResult } from './harness.js';
import { engineBench } from './engine.bench.js';
import { buffersBench } from './buffers.bench.js';
import { frameworkBench } from './framework.bench.js';
import { hifnBench } from './hifn.bench.js';
import { cryptosoftBench } from './cryptosoft.bench.js';
import { keyingBench } from './keying.bench.js';

// Suites may be generators: each line prints as soon as it is measured.
const suites: [string, () => Iterable<BenchResult>][] = [
  ['engine', engineBench],
  ['buffers', buffersBench],
  ['framework', frameworkBench],
  ['cryptosoft', cryptosoftBench],
  ['keying', keyingBench],
  ['hifn', hifnBench],
];

const only = process.argv.slice(2);
const unknown = only.filter((n) => !suites.some(([name]) => name === n));
if (unknown.length > 0) {
  console.error(`bench: unknown suite ${unknown.join(', ')}; suites are ${suites.map(([name]) => name).join(', ')}`);
  process.exit(2);
}
console.log(`ocfsim benchmarks — node ${process.version}, ${process.arch}`);
try {
  for (const [name, suite] of suites) {
    if (only.length > 0 && !only.includes(name)) continue;
    for (const r of suite()) console.log(format(r));
  }
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
}
