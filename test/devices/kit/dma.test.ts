import { describe, expect, it } from 'vitest';
import { DmaEngine, type DmaCompletion, type DmaSegment } from '../../../devices/kit/dma.js';
import { PCIM_CMD_BUSMASTEREN, PCIR_COMMAND } from '../../../sim/pci.js';
import { bench, type Bench } from './harness.js';

function setup(o: { maxTransferBytes?: number; strict?: boolean } = {}) {
  const b = bench({ strict: o.strict ?? false });
  const dma = new DmaEngine(b.env, { channel: 'data', ...(o.maxTransferBytes !== undefined ? { maxTransferBytes: o.maxTransferBytes } : {}) });
  return { ...b, dma };
}

/** Buffers in physical memory filled with a pattern. */
function buffers(b: Bench, lens: number[]): DmaSegment[] {
  return lens.map((len, k) => {
    const blk = b.sys.mem.malloc(len)!;
    for (let i = 0; i < len; i++) blk.bytes[i] = (k * 31 + i) & 0xff;
    return { paddr: blk.paddr, len };
  });
}

/** Run `fn` as a device event at time `at`, then the machine to the end. */
function at(b: Bench, t: number, fn: () => void): void {
  b.sys.engine.schedule(t, fn);
  b.sys.run();
}

describe('DmaEngine', () => {
  it('reads a scatter list into one buffer; its time is the sum of the bus transfers, back to back', () => {
    const b = setup();
    const segs = buffers(b, [100, 1500, 7]);
    let c: DmaCompletion | undefined;
    const start = 990_000; // a PCI clock edge (33 × 30 ns)
    at(b, start, () => b.dma.read(segs, start, (x) => (c = x)));
    const port = b.fn.port;
    const expected = segs.reduce((t, s) => t + port.dmaDurationPs(s.paddr, s.len), start);
    expect(c).toMatchObject({ ok: true, t: expected, moved: 1607 });
    const want = new Uint8Array(segs.flatMap((s) => [...b.sys.mem.bytes.subarray(s.paddr, s.paddr + s.len)]));
    expect(c!.data).toEqual(want);
    expect(b.dma.stats).toMatchObject({ operations: 1, transfers: 3, bytesRead: 1607 });
    expect(b.dma.busTimePs(segs)).toBe(expected - start);
  });

  it('writes a scatter list across its segments', () => {
    const b = setup();
    const segs = buffers(b, [10, 20, 30]);
    const data = Uint8Array.from({ length: 60 }, (_, i) => 200 - i);
    let ok = false;
    at(b, 0, () => b.dma.write(segs, data, 0, (c) => (ok = c.ok)));
    expect(ok).toBe(true);
    let off = 0;
    for (const s of segs) {
      expect(b.sys.mem.bytes.subarray(s.paddr, s.paddr + s.len)).toEqual(data.subarray(off, off + s.len));
      off += s.len;
    }
    expect(b.sys.bus.dmaStats().devices[0]!.bytesWritten).toBe(60);
  });

  it('splits transfers at maxTransferBytes boundaries, so the bus is re-arbitrated between them', () => {
    const b = setup({ maxTransferBytes: 128 });
    const [seg] = buffers(b, [1000]);
    const s = seg!;
    let c: DmaCompletion | undefined;
    at(b, 0, () => b.dma.read(s, 0, (x) => (c = x)));
    const chunks: [number, number][] = [];
    for (let a = s.paddr; a < s.paddr + s.len; ) {
      const n = Math.min(s.paddr + s.len, (Math.floor(a / 128) + 1) * 128) - a;
      chunks.push([a, n]);
      a += n;
    }
    expect(b.dma.stats.transfers).toBe(chunks.length);
    expect(c!.t).toBe(chunks.reduce((t, [a, n]) => t + b.fn.port.dmaDurationPs(a, n), 0));
  });

  it('shares the bus: two engines started together finish later than either alone', () => {
    const b = setup();
    const other = new DmaEngine(b.env, { channel: 'other' });
    const [x, y] = buffers(b, [4096, 4096]);
    const done: number[] = [];
    at(b, 0, () => {
      b.dma.read(x!, 0, (c) => done.push(c.t));
      other.read(y!, 0, (c) => done.push(c.t));
    });
    const alone = b.fn.port.dmaDurationPs(x!.paddr, 4096);
    expect(done[0]).toBe(alone);
    expect(done[1]).toBe(alone + b.fn.port.dmaDurationPs(y!.paddr, 4096));
  });

  it('completes a zero-length operation asynchronously at its start time', () => {
    const b = setup();
    const seen: number[] = [];
    at(b, 5000, () => {
      b.dma.read([], 9000, (c) => seen.push(c.t));
      seen.push(-1);
    });
    expect(seen).toEqual([-1, 9000]);
  });

  it('a bus abort (bus mastering off) fails the operation with the address, and the bus names it', () => {
    const b = setup();
    b.fn.config.write(PCIR_COMMAND, b.fn.config.command & ~PCIM_CMD_BUSMASTEREN, 2);
    const segs = buffers(b, [64]);
    let c: DmaCompletion | undefined;
    at(b, 0, () => b.dma.read(segs, 0, (x) => (c = x)));
    expect(c).toMatchObject({ ok: false, reason: 'bus-abort', failedAt: segs[0]!.paddr, moved: 0, data: null });
    expect(b.sys.violations.count('dma-without-busmaster')).toBe(1);
    expect(b.dma.stats.failed).toBe(1);
  });

  it('when the card is pulled, operations in flight stop and their callbacks never run', () => {
    const b = setup({ maxTransferBytes: 64 });
    const [s] = buffers(b, [4096]);
    const target = b.sys.mem.malloc(4096)!;
    target.bytes.fill(0);
    let called = 0;
    b.sys.engine.schedule(0, () => b.dma.write({ paddr: target.paddr, len: 4096 }, new Uint8Array(4096).fill(0xee), 0, () => called++));
    b.sys.engine.schedule(0, () => b.dma.read(s!, 0, () => called++));
    b.sys.runUntil(5_000_000);
    b.sys.bus.surpriseRemove(b.fn);
    b.sys.run();
    expect(called).toBe(0);
    expect(b.dma.stats.aborted).toBe(2);
    expect(b.dma.inFlight).toBe(0);
    expect(b.dma.busTransfers).toBe(0);
    const written = target.bytes.filter((x) => x === 0xee).length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(4096);
    // Nothing new is accepted from a card that is gone.
    b.dma.read(s!, b.sys.now, () => called++);
    b.sys.run();
    expect(called).toBe(0);
  });

  it('abortAll drops operations; the transfer already requested still runs on the bus and is counted until done', () => {
    const b = setup({ maxTransferBytes: 256 });
    const [s] = buffers(b, [2048]);
    let called = 0;
    at(b, 0, () => {
      b.dma.read(s!, 0, () => called++);
      expect(b.dma.busTransfers).toBe(1);
      expect(b.dma.abortAll()).toBe(1);
      expect(b.dma.busTransfers).toBe(1);
    });
    expect(called).toBe(0);
    expect(b.dma.busTransfers).toBe(0);
    expect(b.sys.bus.dmaStats().devices[0]!.bytesRead).toBe(256 - (s!.paddr % 256));
  });

  it('goes only through the port: bus_dma strict mode names a write outside every map', () => {
    const b = setup({ strict: true });
    const segs = buffers(b, [32]);
    at(b, 0, () => b.dma.write(segs, new Uint8Array(32), 0, () => undefined));
    expect(b.sys.violations.all.map((v) => v.kind)).toEqual(['dma-outside-map']);
  });

  it('checks its arguments', () => {
    const b = setup();
    expect(() => new DmaEngine(b.env, { channel: 'x', maxTransferBytes: 100 })).toThrow(/power of two/);
    expect(() => b.dma.write({ paddr: 4096, len: 4 }, new Uint8Array(5), 0, () => undefined)).toThrow(/5 were given/);
    expect(() => b.dma.read({ paddr: -1, len: 4 }, 0, () => undefined)).toThrow(/paddr/);
  });
});
