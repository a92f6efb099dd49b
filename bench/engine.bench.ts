/** Event engine throughput in the "hold" model: pop one event, schedule one, with K pending. */
import { EventEngine } from '../sim/engine.js';
import { rate, type BenchResult } from './harness.js';

export function engineBench(): BenchResult[] {
  const out: BenchResult[] = [];
  for (const pending of [1_000, 100_000]) {
    const engine = new EventEngine(pending * 2);
    let x = 12345;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return 1 + (x % 1_000_000);
    };
    const handler = () => {
      engine.scheduleIn(next(), handler);
    };
    for (let i = 0; i < pending; i++) engine.schedule(next(), handler);
    const BATCH = 100_000;
    const r = rate(() => {
      for (let i = 0; i < BATCH; i++) engine.step();
      return BATCH;
    });
    out.push({ name: `engine events/s with ${pending.toLocaleString('en-US')} pending`, value: r, unit: 'events/s', ...(pending === 100_000 ? { target: 3_000_000 } : {}) });
  }
  return out;
}
