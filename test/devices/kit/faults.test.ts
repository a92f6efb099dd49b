import { describe, expect, it } from 'vitest';
import { Prng } from '../../../sim/prng.js';
import { DescriptorLayout } from '../../../devices/kit/descriptor.js';
import { DmaEngine, type DmaCompletion } from '../../../devices/kit/dma.js';
import { FaultInjector } from '../../../devices/kit/faults.js';
import { InterruptLine } from '../../../devices/kit/irq.js';
import { DescriptorRing, type FetchResult } from '../../../devices/kit/ring.js';
import { Stage } from '../../../devices/kit/stage.js';
import { bench } from './harness.js';

const DESC = new DescriptorLayout('d', 8, { valid: { offset: 0, mask: 0x80000000 }, jump: { offset: 0, mask: 0x40000000 }, len: { offset: 0, mask: 0xffff }, p: { offset: 4 } });

describe('fault injection: each kind is observable where a model meets it', () => {
  it('dma-error: a transfer touching the armed range fails, moves nothing, and is logged and traced', () => {
    const b = bench();
    const dma = new DmaEngine(b.env, { channel: 'src', maxTransferBytes: 64 });
    const buf = b.sys.mem.malloc(512)!;
    const bad = buf.paddr + 200;
    b.env.faults.arm({ kind: 'dma-error', op: 'read', range: { paddr: bad, len: 1 } });
    const out: DmaCompletion[] = [];
    b.sys.engine.schedule(0, () => dma.read({ paddr: buf.paddr, len: 512 }, 0, (c) => out.push(c)));
    b.sys.run();
    const chunkStart = Math.floor(bad / 64) * 64;
    expect(out).toMatchObject([{ ok: false, reason: 'injected', failedAt: chunkStart, moved: chunkStart - buf.paddr, data: null }]);
    expect(b.env.faults.fired).toMatchObject([{ kind: 'dma-error', target: 'src', address: chunkStart }]);
    expect(b.sys.trace.all.some((e) => e.kind === 'fault.dma-error')).toBe(true);
    // Fired once (count defaults to 1 at probability 1): the same read now succeeds.
    b.sys.engine.schedule(b.sys.now, () => dma.read({ paddr: buf.paddr, len: 512 }, b.sys.now, (c) => out.push(c)));
    b.sys.run();
    expect(out[1]!.ok).toBe(true);
  });

  it('stuck-engine: the stage stops finishing work until it is reset', () => {
    const b = bench();
    const out: number[] = [];
    const s = new Stage<number>(b.env, { name: 'pk', latencyPs: () => 1000, next: (n) => out.push(n) });
    b.env.faults.arm({ kind: 'stuck-engine', stage: 'pk', from: 1500 });
    b.sys.engine.schedule(0, () => [1, 2, 3].forEach((n) => s.submit(n)));
    b.sys.run();
    expect(out).toEqual([1]);
    expect(s.stuck).toBe(true);
    expect(s.inService + s.queued).toBe(2);
    expect(b.sys.trace.all.some((e) => e.kind === 'stage.stuck')).toBe(true);
    b.sys.engine.schedule(b.sys.now, () => {
      s.reset();
      s.submit(4);
    });
    b.sys.run();
    expect(out).toEqual([1, 4]);
  });

  it('drop-interrupt: one raise never reaches the host; the next raise does', () => {
    const b = bench();
    const irq = new InterruptLine(b.env);
    b.env.faults.arm({ kind: 'drop-interrupt' });
    b.sys.engine.schedule(0, () => irq.update(true));
    b.sys.run();
    expect(irq.asserted).toBe(false);
    expect(b.sys.intc.isAsserted(b.fn.irq)).toBe(false);
    expect(irq.stats).toEqual({ raises: 0, dropped: 1 });
    b.sys.engine.schedule(b.sys.now, () => irq.update(true));
    b.sys.runUntil(b.sys.now + 1);
    expect(irq.asserted).toBe(true);
    expect(b.sys.intc.isAsserted(b.fn.irq)).toBe(true);
    b.sys.engine.schedule(b.sys.now, () => irq.update(false));
    b.sys.runUntil(b.sys.now + 1);
    expect(b.sys.intc.isAsserted(b.fn.irq)).toBe(false);
  });

  it('corrupt-descriptor: the fetched copy is damaged, host memory is not', () => {
    const b = bench();
    const dma = new DmaEngine(b.env, { channel: 'desc' });
    const ring = new DescriptorRing(b.env, { name: 'res', layout: DESC, dma, owner: 'valid', entries: 4 });
    const blk = b.sys.mem.malloc(32)!;
    DESC.encode({ valid: 1, len: 36, p: 0x1000 }, b.sys.mem.bytes, blk.paddr);
    ring.setBase(blk.paddr);
    b.env.faults.arm({ kind: 'corrupt-descriptor', ring: 'res', byteOffset: 5, xorMask: 0x80 });
    let r: FetchResult<'valid' | 'jump' | 'len' | 'p'> | undefined;
    b.sys.engine.schedule(0, () => ring.fetch(0, (x) => (r = x)));
    b.sys.run();
    expect(r).toMatchObject({ kind: 'descriptor', fields: { p: 0x8000 ^ 0x1000, len: 36 } });
    expect(DESC.get(b.sys.mem.bytes, 'p', blk.paddr)).toBe(0x1000);
    expect(b.env.faults.fired).toMatchObject([{ kind: 'corrupt-descriptor', target: 'res', address: blk.paddr, detail: 'byte 5 ^= 0x80' }]);
  });
});

describe('fault triggers', () => {
  const probe = (f: FaultInjector, times: number[]) => times.map((t) => f.dropInterrupt('intr', t));

  it('a time window arms a fault from `from` to `until`, for `count` firings', () => {
    const f = new FaultInjector();
    f.arm({ kind: 'drop-interrupt', from: 100, until: 300, count: 2 });
    expect(probe(f, [50, 100, 200, 250, 400])).toEqual([false, true, true, false, false]);
  });

  it('filters by target, and disarm withdraws a fault', () => {
    const f = new FaultInjector();
    const a = f.arm({ kind: 'dma-error', channel: 'dst', op: 'write', count: 5 });
    expect(f.dmaError('src', 'write', 0, 4, 0)).toBe(false);
    expect(f.dmaError('dst', 'read', 0, 4, 0)).toBe(false);
    expect(f.dmaError('dst', 'write', 0, 4, 0)).toBe(true);
    a.disarm();
    expect(f.dmaError('dst', 'write', 0, 4, 0)).toBe(false);
    expect(a.fired).toBe(1);
  });

  it('probabilistic faults draw from the seeded stream: same seed, same firings; other seed, others', () => {
    const firings = (seed: number) => {
      const f = new FaultInjector({ prng: new Prng(seed).stream('hifn0.faults') });
      f.arm({ kind: 'drop-interrupt', probability: 0.3 });
      return probe(f, Array.from({ length: 64 }, (_, i) => i)).map((x) => (x ? 1 : 0)).join('');
    };
    expect(firings(7)).toBe(firings(7));
    expect(firings(7)).not.toBe(firings(8));
    const n = [...firings(7)].filter((c) => c === '1').length;
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(40);
  });

  it('draws nothing from the stream when no armed fault matches', () => {
    const stream = new Prng(3).stream('x');
    const f = new FaultInjector({ prng: stream });
    f.arm({ kind: 'dma-error', probability: 0.5, from: 1000 });
    probe(f, [1, 2, 3]);
    f.dmaError('any', 'read', 0, 4, 10);
    expect(stream.nextU32()).toBe(new Prng(3).stream('x').nextU32());
  });

  it('refuses a probability without a stream, and bad numbers', () => {
    expect(() => new FaultInjector().arm({ kind: 'drop-interrupt', probability: 0.5 })).toThrow(/prng/);
    expect(() => new FaultInjector().arm({ kind: 'drop-interrupt', probability: 2 })).toThrow(/probability/);
    expect(() => new FaultInjector().arm({ kind: 'drop-interrupt', from: -1 })).toThrow(/from/);
  });
});
