import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EFAULT } from '../../sim/errno.js';
import { PhysMemory } from '../../sim/memory.js';
import {
  UIO_NOCOPY,
  UIO_READ,
  UIO_SYSSPACE,
  UIO_USERSPACE,
  UIO_WRITE,
  cuio_apply,
  cuio_copyback,
  cuio_copydata,
  cuio_getptr,
  uio,
  uio_fromBytes,
  uiomove,
} from '../../sim/uio.js';

const newMem = (): PhysMemory => new PhysMemory({ size: 8 << 20 });
/** Property runs get their own memory, so that one failing run cannot spoil the next one's leak check. */
const smallMem = (): PhysMemory => new PhysMemory({ size: 1 << 20 });

function bytesOf(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

function fitSegments(sizes: number[], total: number): number[] {
  const out: number[] = [];
  let left = total;
  for (const s of sizes) {
    out.push(Math.min(s, left));
    left -= Math.min(s, left);
  }
  return out;
}

/** Random data with a random iovec layout, and a range inside it. */
const layoutArb = fc
  .record({
    data: fc.uint8Array({ maxLength: 6000 }),
    segments: fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 10 }),
    a: fc.double({ min: 0, max: 1, noNaN: true }),
    b: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ data, segments, a, b }) => {
    const off = Math.floor(a * data.length);
    const len = Math.floor(b * (data.length - off));
    return { data, segments: fitSegments(segments, data.length), off, len };
  });

const snapshot = (u: uio): string => JSON.stringify([u.uio_iov, u.uio_iovcnt, u.uio_offset, u.uio_resid]);

describe('uio_fromBytes', () => {
  it('makes one iovec per segment, empty ones included, and puts the rest in a last iovec', () => {
    const mem = newMem();
    const data = bytesOf(1000);
    const { uio: u, free } = uio_fromBytes(mem, data, [3, 0, 100]);
    expect(u.uio_iov.map((v) => v.iov_len)).toEqual([3, 0, 100, 897]);
    expect(u.uio_iovcnt).toBe(4);
    expect(u.uio_resid).toBe(1000);
    expect(u.uio_offset).toBe(0);
    expect(u.uio_segflg).toBe(UIO_SYSSPACE);
    expect(u.uio_rw).toBe(UIO_WRITE);
    const third = u.uio_iov[2]!;
    expect(mem.bytes.subarray(third.iov_base, third.iov_base + 100)).toEqual(data.subarray(3, 103));
    free();
    expect(mem.liveBlocks).toBe(0);
  });

  it('frees every block once and refuses a second free and any later use', () => {
    const mem = newMem();
    const before = mem.liveBlocks;
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(50), [10, 10]);
    expect(mem.liveBlocks).toBe(before + 3);
    free();
    expect(mem.liveBlocks).toBe(before);
    expect(() => free()).toThrow(/uio_fromBytes: free\(\) called twice/);
    expect(() => cuio_copydata(u, 0, 1, new Uint8Array(1))).toThrow(/cuio_copydata: use of a uio whose iovecs were freed/);
  });

  it('rejects segment sizes that are negative or longer than the data', () => {
    const mem = newMem();
    expect(() => uio_fromBytes(mem, bytesOf(10), [2, -1])).toThrow(/uio_fromBytes: segmentSizes\[1\] must be an integer >= 0, got -1/);
    expect(() => uio_fromBytes(mem, bytesOf(10), [8, 8])).toThrow(/segmentSizes add up to 16 bytes, more than the 10 given/);
    expect(mem.liveBlocks).toBe(0);
  });
});

describe('cuio_copydata and cuio_copyback', () => {
  it('copy any range of any layout exactly and leave the uio as it was (property)', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer(), ({ data, segments, off, len }, seed) => {
        const mem = smallMem();
        const { uio: u, free } = uio_fromBytes(mem, data, segments);
        const before = snapshot(u);
        const out = new Uint8Array(len + 2).fill(0xee);
        cuio_copydata(u, off, len, out, 2);
        expect(out.subarray(2)).toEqual(data.subarray(off, off + len));
        expect(Array.from(out.subarray(0, 2))).toEqual([0xee, 0xee]);
        const src = bytesOf(len, seed);
        cuio_copyback(u, off, len, src);
        const model = data.slice();
        model.set(src, off);
        const all = new Uint8Array(data.length);
        cuio_copydata(u, 0, data.length, all);
        expect(all).toEqual(model);
        expect(snapshot(u)).toBe(before);
        free();
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('read and write a cipher block that straddles a short iovec and an empty one', () => {
    const mem = newMem();
    const data = bytesOf(64);
    const { uio: u, free } = uio_fromBytes(mem, data, [7, 0, 5, 0]);
    const block = new Uint8Array(16);
    cuio_copydata(u, 4, 16, block);
    expect(block).toEqual(data.subarray(4, 20));
    cuio_copyback(u, 4, 16, new Uint8Array(16).fill(9));
    const all = new Uint8Array(64);
    cuio_copydata(u, 0, 64, all);
    expect(Array.from(all.subarray(3, 21))).toEqual([data[3], ...new Array(16).fill(9), data[20]]);
    free();
  });

  it('refuse to write past the end instead of extending, writing nothing', () => {
    const mem = newMem();
    const data = bytesOf(30);
    const { uio: u, free } = uio_fromBytes(mem, data, [10, 20]);
    expect(() => cuio_copyback(u, 25, 6, bytesOf(6, 5))).toThrow(
      new RangeError('cuio_copyback: off+len (31) past end of uio (30 bytes in 2 iovecs)'),
    );
    const all = new Uint8Array(30);
    cuio_copydata(u, 0, 30, all);
    expect(all).toEqual(data);
    free();
  });

  it('name the bad argument', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(30), [10, 20]);
    const buf = new Uint8Array(40);
    expect(() => cuio_copydata(u, -1, 1, buf)).toThrow(new RangeError('cuio_copydata: off must be an integer >= 0, got -1'));
    expect(() => cuio_copydata(u, 0, 0.5, buf)).toThrow(/cuio_copydata: len must be an integer >= 0, got 0.5/);
    expect(() => cuio_copydata(u, 29, 2, buf)).toThrow(/cuio_copydata: off\+len \(31\) past end of uio \(30 bytes in 2 iovecs\)/);
    expect(() => cuio_copydata(u, 0, 30, buf, 11)).toThrow(/cuio_copydata: dstOff\+len \(41\) past end of dst \(40 bytes\)/);
    expect(() => cuio_copyback(u, 0, 30, bytesOf(29))).toThrow(/cuio_copyback: srcOff\+len \(30\) past end of src \(29 bytes\)/);
    u.uio_iovcnt = 3;
    expect(() => cuio_copydata(u, 0, 1, buf)).toThrow(/cuio_copydata: uio_iovcnt \(3\) must be an integer from 0 to uio_iov.length \(2\)/);
    u.uio_iovcnt = 2;
    free();
  });

  it('only look at the first uio_iovcnt iovecs', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(30), [10, 20]);
    u.uio_iovcnt = 1;
    expect(() => cuio_copydata(u, 5, 10, new Uint8Array(10))).toThrow(/past end of uio \(10 bytes in 1 iovecs\)/);
    free();
  });

  it('report one CPU access per contiguous piece', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(30), [7, 0, 5, 18]);
    const seen: [string, number, number][] = [];
    const stop = mem.addCpuAccessHook((kind, paddr, len) => seen.push([kind, paddr, len]));
    cuio_copydata(u, 4, 16, new Uint8Array(16));
    cuio_copyback(u, 6, 2, new Uint8Array(2));
    stop();
    const [a, , c, d] = u.uio_iov;
    expect(seen).toEqual([
      ['read', a!.iov_base + 4, 3],
      ['read', c!.iov_base, 5],
      ['read', d!.iov_base, 8],
      ['write', a!.iov_base + 6, 1],
      ['write', c!.iov_base, 1],
    ]);
    free();
  });
});

describe('cuio_apply', () => {
  it('hands f each contiguous piece in order, stopping at the first non-zero result', () => {
    const mem = newMem();
    const data = bytesOf(300);
    const { uio: u, free } = uio_fromBytes(mem, data, [3, 0, 100]);
    const pieces: number[][] = [];
    expect(cuio_apply(u, 1, 250, (d) => (pieces.push(Array.from(d)), 0))).toBe(0);
    expect(pieces.map((p) => p.length)).toEqual([2, 100, 148]);
    expect(Uint8Array.from(pieces.flat())).toEqual(data.subarray(1, 251));
    let calls = 0;
    expect(cuio_apply(u, 0, 300, () => (++calls === 2 ? 5 : 0))).toBe(5);
    expect(calls).toBe(2);
    free();
  });
});

describe('cuio_getptr', () => {
  it('finds the iovec index and offset of a byte, stepping over empty iovecs', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(30), [3, 0, 7, 20]);
    expect(cuio_getptr(u, 0)).toEqual({ ind: 0, off: 0 });
    expect(cuio_getptr(u, 3)).toEqual({ ind: 2, off: 0 });
    expect(cuio_getptr(u, 12)).toEqual({ ind: 3, off: 2 });
    expect(cuio_getptr(u, 30)).toEqual({ ind: 3, off: 20 });
    expect(cuio_getptr(u, 31)).toBeNull();
    expect(() => cuio_getptr(u, -1)).toThrow(/cuio_getptr: loc must be an integer >= 0, got -1/);
    free();
  });

  it('finds nothing in a uio without iovecs', () => {
    const mem = newMem();
    const u = new uio({ uio_iov: [], uio_mem: mem });
    expect(cuio_getptr(u, 0)).toBeNull();
  });
});

describe('uiomove', () => {
  it('UIO_WRITE moves bytes out of the iovecs, advancing them, uio_offset and uio_resid', () => {
    const mem = newMem();
    const data = bytesOf(30);
    const { uio: u, free } = uio_fromBytes(mem, data, [0, 10, 0, 20]);
    const iovs = u.uio_iov;
    const [base1, base3] = [iovs[1]!.iov_base, iovs[3]!.iov_base];
    const out = new Uint8Array(12);
    expect(uiomove(out, 12, u)).toBe(0);
    expect(out).toEqual(data.subarray(0, 12));
    expect(u.uio_resid).toBe(18);
    expect(u.uio_offset).toBe(12);
    // Empty iovecs are stepped past, as the kernel advances uio_iov; the last one is part used.
    expect(u.uio_iovcnt).toBe(1);
    expect(u.uio_iov[0]).toBe(iovs[3]);
    expect(iovs[1]).toEqual({ iov_base: base1 + 10, iov_len: 0 });
    expect(iovs[3]).toEqual({ iov_base: base3 + 2, iov_len: 18 });
    const rest = new Uint8Array(50);
    expect(uiomove(rest, 50, u)).toBe(0);
    expect(rest.subarray(0, 18)).toEqual(data.subarray(12));
    expect(u.uio_resid).toBe(0);
    expect(u.uio_offset).toBe(30);
    free();
    expect(mem.liveBlocks).toBe(0);
  });

  it('UIO_READ moves bytes into the iovecs', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, new Uint8Array(20), [5, 15], { uio_rw: UIO_READ });
    const iovs = u.uio_iov.map((v) => ({ ...v }));
    const src = bytesOf(20, 4);
    expect(uiomove(src, 20, u)).toBe(0);
    const got = Uint8Array.from(iovs.flatMap((v) => Array.from(mem.bytes.subarray(v.iov_base, v.iov_base + v.iov_len))));
    expect(got).toEqual(src);
    free();
  });

  it('reassembles the data whatever the chunk sizes and layout (property)', () => {
    fc.assert(
      fc.property(layoutArb, fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 30 }), ({ data, segments }, chunks) => {
        const mem = smallMem();
        const { uio: u, free } = uio_fromBytes(mem, data, segments);
        const out = new Uint8Array(data.length);
        let at = 0;
        for (let i = 0; u.uio_resid > 0; i++) {
          const n = Math.min(chunks[i % chunks.length]! || 1, data.length - at);
          expect(uiomove(out.subarray(at, at + n), n, u)).toBe(0);
          at += n;
          expect(u.uio_offset).toBe(at);
          expect(u.uio_resid).toBe(data.length - at);
        }
        expect(out).toEqual(data);
        free();
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('UIO_NOCOPY advances the uio without touching memory', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(10), [], { uio_segflg: UIO_NOCOPY });
    const accesses: string[] = [];
    const stop = mem.addCpuAccessHook((k) => accesses.push(k));
    const out = new Uint8Array(4);
    expect(uiomove(out, 4, u)).toBe(0);
    stop();
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    expect(accesses).toEqual([]);
    expect(u.uio_resid).toBe(6);
    free();
  });

  it('reports CPU writes for UIO_READ and reads for UIO_WRITE', () => {
    const mem = newMem();
    const { uio: r, free: freeR } = uio_fromBytes(mem, new Uint8Array(8), [3], { uio_rw: UIO_READ });
    const { uio: w, free: freeW } = uio_fromBytes(mem, bytesOf(8), [3]);
    const seen: string[] = [];
    const stop = mem.addCpuAccessHook((k, _p, len) => seen.push(`${k}:${len}`));
    uiomove(new Uint8Array(8), 8, r);
    uiomove(new Uint8Array(8), 8, w);
    stop();
    expect(seen).toEqual(['write:3', 'write:5', 'read:3', 'read:5']);
    freeR();
    freeW();
  });

  it('returns EFAULT for a user iovec outside memory and throws for a kernel one', () => {
    const mem = newMem();
    const user = new uio({ uio_iov: [{ iov_base: mem.size - 2, iov_len: 4 }], uio_segflg: UIO_USERSPACE, uio_mem: mem });
    expect(uiomove(new Uint8Array(4), 4, user)).toBe(EFAULT);
    const kern = new uio({ uio_iov: [{ iov_base: mem.size - 2, iov_len: 4 }], uio_segflg: UIO_SYSSPACE, uio_mem: mem });
    expect(() => uiomove(new Uint8Array(4), 4, kern)).toThrow(/uiomove: iovec: \[0x[0-9a-f]+, \+4\) lies outside physical memory/);
  });

  it('refuses bad arguments and a uio_resid larger than its iovecs', () => {
    const mem = newMem();
    const { uio: u, free } = uio_fromBytes(mem, bytesOf(10), [4, 6]);
    expect(() => uiomove(new Uint8Array(4), -1, u)).toThrow(/uiomove: n must be an integer >= 0, got -1/);
    expect(() => uiomove(new Uint8Array(4), 5, u)).toThrow(/uiomove: cpOff\+len \(5\) past end of cp \(4 bytes\)/);
    u.uio_resid = 11;
    expect(() => uiomove(new Uint8Array(20), 20, u)).toThrow(/uiomove: uio_resid \(1\) is more than the iovecs hold/);
    free();
    expect(() => uiomove(new Uint8Array(1), 1, u)).toThrow(/uiomove: use of a uio whose iovecs were freed/);
  });
});
