import { describe, expect, it } from 'vitest';
import { DmaEngine } from '../../../devices/kit/dma.js';
import { Stage, chain } from '../../../devices/kit/stage.js';
import { clockOf, defineTiming, describeTiming } from '../../../devices/kit/timing.js';
import { bench } from './harness.js';

const T = defineTiming({
  coreHz: { value: 100_000_000, unit: 'Hz', source: 'test part' },
  setupCycles: { value: 16, unit: 'cycles', source: 'test part' },
  bytesPerCycle: { value: 4, unit: 'bytes/cycle', source: 'test part' },
});
const CORE = clockOf('test-core', T.coreHz);
const computePs = (len: number): number => CORE.cyclesToPs(T.setupCycles.value + Math.ceil(len / T.bytesPerCycle.value));

interface Req {
  id: number;
  src: number;
  dst: number;
  len: number;
  data?: Uint8Array;
  spans: Record<string, [number, number]>;
}

function pipeline() {
  const b = bench();
  const dma = new DmaEngine(b.env, { channel: 'data' });
  const dmaIn = new Stage<Req>(b.env, {
    name: 'dmaIn',
    reqOf: (r) => r.id,
    serve: (r, start, finish) => dma.read({ paddr: r.src, len: r.len }, start, (c) => {
      r.data = c.data!;
      r.spans.dmaIn = [start, c.t];
      finish(c.t);
    }),
  });
  const compute = new Stage<Req>(b.env, { name: 'compute', reqOf: (r) => r.id, latencyPs: (r, start) => {
    r.spans.compute = [start, start + computePs(r.len)];
    return computePs(r.len);
  } });
  const dmaOut = new Stage<Req>(b.env, {
    name: 'dmaOut',
    reqOf: (r) => r.id,
    serve: (r, start, finish) => dma.write({ paddr: r.dst, len: r.len }, r.data!, start, (c) => {
      r.spans.dmaOut = [start, c.t];
      finish(c.t);
    }),
  });
  chain(dmaIn, compute, dmaOut);
  const done: Req[] = [];
  dmaOut.next = (r) => done.push(r);
  const req = (id: number, len: number): Req => {
    const s = b.sys.mem.malloc(len)!;
    const d = b.sys.mem.malloc(len)!;
    return { id, src: s.paddr, dst: d.paddr, len, spans: {} };
  };
  return { ...b, dma, dmaIn, compute, dmaOut, done, req };
}

describe('Stage: a timed pipeline', () => {
  it('overlaps the second request\'s DMA-in with the first one\'s compute, at the times the formulas give', () => {
    const p = pipeline();
    const r1 = p.req(1, 1024);
    const r2 = p.req(2, 1024);
    p.sys.engine.schedule(0, () => {
      p.dmaIn.submit(r1);
      p.dmaIn.submit(r2);
    });
    p.sys.run();
    const D = (paddr: number, len: number): number => p.fn.port.dmaDurationPs(paddr, len);
    const C = computePs(1024);
    const din1 = D(r1.src, 1024);
    const din2 = D(r2.src, 1024);
    expect(r1.spans.dmaIn).toEqual([0, din1]);
    expect(r1.spans.compute).toEqual([din1, din1 + C]);
    expect(r2.spans.dmaIn).toEqual([din1, din1 + din2]);
    // The overlap: request 2 is on the bus while request 1 is in the engine.
    expect(r2.spans.dmaIn![0]).toBeLessThan(r1.spans.compute![1]);
    // Request 1's DMA-out shares the bus with request 2's DMA-in: it is granted when that ends.
    expect(r1.spans.dmaOut).toEqual([din1 + C, din1 + din2 + D(r1.dst, 1024)]);
    expect(r2.spans.compute).toEqual([din1 + din2, din1 + din2 + C]);
    const end = din1 + din2 + D(r1.dst, 1024);
    expect(r2.spans.dmaOut).toEqual([end, end + D(r2.dst, 1024)]);
    // Pipelined total is shorter than running the two requests one after the other.
    const serial = din1 + C + D(r1.dst, 1024) + din2 + C + D(r2.dst, 1024);
    expect(r2.spans.dmaOut![1]).toBeLessThan(serial);
    expect(p.done.map((r) => r.id)).toEqual([1, 2]);
  });

  it('keeps statistics per stage: items, busy time, waiting time, queue high-water mark', () => {
    const p = pipeline();
    const reqs = [1, 2, 3, 4].map((i) => p.req(i, 256));
    p.sys.engine.schedule(0, () => reqs.forEach((r) => p.dmaIn.submit(r)));
    p.sys.run();
    const s = p.dmaIn.stats;
    expect(s.items).toBe(4);
    expect(s.maxQueue).toBe(3); // one in service, three waiting
    expect(s.busyPs).toBe(reqs.reduce((x, r) => x + (r.spans.dmaIn![1] - r.spans.dmaIn![0]), 0));
    expect(s.waitPs).toBe(reqs.reduce((x, r) => x + r.spans.dmaIn![0], 0));
    expect(p.compute.stats.busyPs).toBe(4 * computePs(256));
    expect(p.dmaIn.utilisation()).toBeGreaterThan(0);
    expect(p.dmaIn.utilisation()).toBeLessThanOrEqual(1);
    expect(p.dmaOut.idle).toBe(true);
    const ev = p.sys.trace.all.filter((e) => e.kind === 'stage.compute');
    expect(ev.map((e) => e.req)).toEqual([1, 2, 3, 4]);
    expect(ev.every((e) => e.dur === computePs(256))).toBe(true);
  });

  it('serves items in parallel on several servers, in FIFO order', () => {
    const { env, sys } = bench();
    const ends: [number, number][] = [];
    const s = new Stage<number>(env, { name: 'engines', servers: 2, latencyPs: (n) => n * 1000, next: (n, t) => ends.push([n, t]) });
    sys.engine.schedule(0, () => [5, 3, 4].forEach((n) => s.submit(n)));
    sys.run();
    expect(ends).toEqual([[3, 3000], [5, 5000], [4, 7000]]);
  });

  it('accepts a future arrival time and starts the item then', () => {
    const { env, sys } = bench();
    const ends: number[] = [];
    const s = new Stage<number>(env, { name: 's', latencyPs: () => 10, next: (_, t) => ends.push(t) });
    sys.engine.schedule(0, () => s.submit(1, 500));
    sys.run();
    expect(ends).toEqual([510]);
  });

  it('reset drops queued and in-service items; their later finishes are ignored', () => {
    const { env, sys } = bench();
    const out: number[] = [];
    const s = new Stage<number>(env, { name: 's', latencyPs: () => 100, next: (n) => out.push(n) });
    sys.engine.schedule(0, () => [1, 2, 3].forEach((n) => s.submit(n)));
    sys.engine.schedule(150, () => expect(s.reset()).toBe(2));
    sys.engine.schedule(160, () => s.submit(9));
    sys.run();
    expect(out).toEqual([1, 9]);
  });

  it('refuses a bad declaration and a double finish', () => {
    const { env, sys } = bench();
    expect(() => new Stage(env, { name: 'x' })).toThrow(/exactly one/);
    expect(() => new Stage(env, { name: 'x', latencyPs: () => 1, servers: 0 })).toThrow(/servers/);
    const s = new Stage<number>(env, { name: 'x', serve: (_n, start, finish) => {
      finish(start);
      finish(start);
    } });
    sys.engine.schedule(0, () => expect(() => s.submit(1)).toThrow(/twice/));
    sys.run();
  });
});

describe('timing tables', () => {
  it('need a unit and a source for every constant, and print as a table', () => {
    expect(() => defineTiming({ x: { value: 1, unit: 'cycles', source: '' } })).toThrow(/source/);
    expect(() => defineTiming({ x: { value: -1, unit: 'cycles', source: 'a' } })).toThrow(/>= 0/);
    expect(describeTiming(T)).toContain('| setupCycles | 16 | cycles | test part |');
    expect(Object.isFrozen(T.coreHz)).toBe(true);
  });
});
