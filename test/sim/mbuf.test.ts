import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENOBUFS, KernelError } from '../../sim/errno.js';
import {
  M_EXT,
  M_LEADINGSPACE,
  M_PKTHDR,
  M_PREPEND,
  M_RDONLY,
  M_TRAILINGSPACE,
  MCLBYTES,
  MHLEN,
  MINCLSIZE,
  MLEN,
  MSIZE,
  MT_DATA,
  MT_HEADER,
  m_adj,
  m_apply,
  m_cat,
  m_copyback,
  m_copydata,
  m_fixhdr,
  m_free,
  m_freem,
  m_fromBytes,
  m_get,
  m_getcl,
  m_gethdr,
  m_getptr,
  m_length,
  m_pullup,
  m_toBytes,
  mbuf,
  mtod,
} from '../../sim/mbuf.js';
import { M_NOWAIT, M_WAITOK, PAGE_SIZE, PhysMemory } from '../../sim/memory.js';

const newMem = (): PhysMemory => new PhysMemory({ size: 8 << 20 });
/** Property runs get their own memory, so that one failing run cannot spoil the next one's leak check. */
const smallMem = (): PhysMemory => new PhysMemory({ size: 1 << 20 });

function bytesOf(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

function chain(m: mbuf | null): mbuf[] {
  const out: mbuf[] = [];
  for (; m; m = m.m_next) out.push(m);
  return out;
}

const lens = (m: mbuf | null): number[] => chain(m).map((n) => n.m_len);

/** Cut a list of segment sizes down so that they add up to at most `total`. */
function fitSegments(sizes: number[], total: number): number[] {
  const out: number[] = [];
  let left = total;
  for (const s of sizes) {
    out.push(Math.min(s, left));
    left -= Math.min(s, left);
  }
  return out;
}

/** Random data with a random segment layout, and a range inside it. */
const layoutArb = fc
  .record({
    data: fc.uint8Array({ maxLength: 5000 }),
    segments: fc.array(fc.integer({ min: 0, max: MCLBYTES }), { maxLength: 12 }),
    pkthdr: fc.boolean(),
    a: fc.double({ min: 0, max: 1, noNaN: true }),
    b: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ data, segments, pkthdr, a, b }) => {
    const off = Math.floor(a * data.length);
    const len = Math.floor(b * (data.length - off));
    return { data, segments: fitSegments(segments, data.length), pkthdr, off, len };
  });

describe('mbuf sizes', () => {
  it('uses FreeBSD 10 amd64 sizes: MLEN 224, MHLEN 168, MINCLSIZE 169', () => {
    expect([MSIZE, MCLBYTES, MLEN, MHLEN, MINCLSIZE]).toEqual([256, 2048, 224, 168, 169]);
    expect(MT_HEADER).toBe(MT_DATA);
  });
});

describe('mbuf allocation', () => {
  it('places an mbuf’s data after its header inside its own 256-byte block, and a cluster’s at the cluster start', () => {
    const mem = newMem();
    const m = m_get(mem, M_WAITOK, MT_DATA)!;
    const h = m_gethdr(mem, M_WAITOK, MT_DATA)!;
    const c = m_getcl(mem, M_WAITOK, MT_DATA, M_PKTHDR)!;
    expect(mem.blockAt(m.m_data)!.tag).toBe('mbuf');
    expect(m.m_data - mem.blockAt(m.m_data)!.paddr).toBe(MSIZE - MLEN);
    expect(h.m_data - mem.blockAt(h.m_data)!.paddr).toBe(MSIZE - MHLEN);
    expect(mem.blockAt(c.m_data)).toMatchObject({ tag: 'mbuf_cluster', paddr: c.m_data, size: MCLBYTES });
    expect(c.m_flags).toBe(M_EXT | M_PKTHDR);
    expect([M_TRAILINGSPACE(m), M_TRAILINGSPACE(h), M_TRAILINGSPACE(c)]).toEqual([MLEN, MHLEN, MCLBYTES]);
    expect([M_LEADINGSPACE(m), M_LEADINGSPACE(h), M_LEADINGSPACE(c)]).toEqual([0, 0, 0]);
    expect(h.m_pkthdr.len).toBe(0);
    [m, h, c].forEach((x) => m_freem(x));
    expect(mem.liveBlocks).toBe(0);
  });

  it('never lets an mbuf or a cluster straddle a page', () => {
    const mem = newMem();
    const all = Array.from({ length: 40 }, (_, i) => (i % 2 ? m_getcl(mem, M_WAITOK, MT_DATA, 0)! : m_get(mem, M_WAITOK, MT_DATA)!));
    for (const m of all) {
      const end = m.m_data + M_TRAILINGSPACE(m) - 1;
      expect(Math.floor(m.m_data / PAGE_SIZE)).toBe(Math.floor(end / PAGE_SIZE));
    }
    all.forEach((m) => m_free(m));
  });

  it('returns null from m_getcl when the cluster cannot be had with M_NOWAIT, and keeps no mbuf', () => {
    const mem = new PhysMemory({ size: 64 * PAGE_SIZE });
    m_free(m_get(mem, M_WAITOK, MT_DATA)!); // leave a free 256-byte chunk in its zone
    const hogs = [];
    for (let b = mem.malloc(PAGE_SIZE, M_NOWAIT); b; b = mem.malloc(PAGE_SIZE, M_NOWAIT)) hogs.push(b);
    const live = mem.liveBlocks;
    expect(m_getcl(mem, M_NOWAIT, MT_DATA, M_PKTHDR)).toBeNull();
    expect(mem.liveBlocks).toBe(live);
    hogs.forEach((b) => mem.free(b));
  });

  it('returns null from m_get for an injected M_NOWAIT failure', () => {
    const mem = newMem();
    mem.injectNowaitFailures({ count: 1 });
    expect(m_get(mem, M_NOWAIT, MT_DATA)).toBeNull();
    expect(m_get(mem, M_NOWAIT, MT_DATA)).not.toBeNull();
  });

  it('rejects a bad how, type or flags', () => {
    const mem = newMem();
    expect(() => m_get(mem, 0, MT_DATA)).toThrow(/m_get: how must be M_NOWAIT or M_WAITOK/);
    expect(() => m_gethdr(mem, M_WAITOK, 0)).toThrow(/m_gethdr: type must be/);
    expect(() => m_getcl(mem, M_WAITOK, MT_DATA, M_EXT)).toThrow(/m_getcl: flags/);
  });
});

describe('mbuf freeing', () => {
  it('frees every mbuf and cluster of a chain, bringing liveBlocks back', () => {
    const mem = newMem();
    const before = mem.liveBlocks;
    const m = m_fromBytes(mem, bytesOf(6000), { segments: [3, 0, 100, 2048, 1] });
    expect(mem.liveBlocks).toBeGreaterThan(before + 5);
    m_freem(m);
    expect(mem.liveBlocks).toBe(before);
  });

  it('m_free returns the next mbuf and refuses a second free', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10), { segments: [4, 6] });
    const second = m.m_next;
    expect(m_free(m)).toBe(second);
    expect(() => m_free(m)).toThrow(/m_free: double free of mbuf/);
    expect(() => m_freem(second)).not.toThrow();
    expect(mem.liveBlocks).toBe(0);
  });

  it('refuses every use of a freed mbuf', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10));
    m_freem(m);
    const out = new Uint8Array(10);
    expect(() => m_copydata(m, 0, 1, out)).toThrow(/m_copydata: use of a freed mbuf/);
    expect(() => m_copyback(m, 0, 1, out)).toThrow(/m_copyback: use of a freed mbuf/);
    expect(() => mtod(m)).toThrow(/mtod: use of a freed mbuf/);
    expect(() => m_length(m)).toThrow(/use of a freed mbuf/);
  });

  it('refuses a chain that reaches a freed mbuf', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10), { segments: [4, 6] });
    const tail = m.m_next!;
    m_free(tail);
    m.m_next = tail; // a stale pointer, as a buggy driver would keep
    expect(() => m_copydata(m, 0, 10, new Uint8Array(10))).toThrow(/use of a freed mbuf/);
    m.m_next = null;
    m_freem(m);
  });
});

describe('m_fromBytes', () => {
  it('lays out the chosen segments, including empty mbufs, then the rest in clusters', () => {
    const mem = newMem();
    const data = bytesOf(5000);
    const m = m_fromBytes(mem, data, { segments: [3, 0, 100, 2048, 300] });
    expect(lens(m)).toEqual([3, 0, 100, 2048, 300, 2048, 501]);
    expect(chain(m).map((n) => (n.m_flags & M_EXT ? 'cl' : 'm'))).toEqual(['m', 'm', 'm', 'cl', 'cl', 'cl', 'cl']);
    expect(m.m_flags & M_PKTHDR).toBe(M_PKTHDR);
    expect(m.m_pkthdr.len).toBe(5000);
    expect(m_toBytes(m)).toEqual(data);
    m_freem(m);
  });

  it('gives the first mbuf a cluster once its segment exceeds MHLEN', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(MHLEN + 1 + MLEN), { segments: [MHLEN + 1, MLEN] });
    expect(chain(m).map((n) => n.m_flags & M_EXT)).toEqual([M_EXT, 0]);
    m_freem(m);
  });

  it('builds one empty packet header mbuf from no bytes', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, new Uint8Array(0));
    expect(lens(m)).toEqual([0]);
    expect(m.m_pkthdr.len).toBe(0);
    m_freem(m);
  });

  it('rejects segments that are negative, larger than a cluster, or longer than the data, without leaking', () => {
    const mem = newMem();
    expect(() => m_fromBytes(mem, bytesOf(10), { segments: [-1] })).toThrow(/m_fromBytes: segments\[0\] must be an integer >= 0, got -1/);
    expect(() => m_fromBytes(mem, bytesOf(3000), { segments: [1, 2049] })).toThrow(/segments\[1\] is 2049 bytes/);
    expect(() => m_fromBytes(mem, bytesOf(10), { segments: [5, 6] })).toThrow(/segments add up to 11 bytes, more than the 10 given/);
    expect(mem.liveBlocks).toBe(0);
  });
});

describe('m_copydata', () => {
  it('copies any range of any layout, exactly (property)', () => {
    fc.assert(
      fc.property(layoutArb, ({ data, segments, pkthdr, off, len }) => {
        const mem = smallMem();
        const m = m_fromBytes(mem, data, { segments, pkthdr });
        const out = new Uint8Array(len + 3).fill(0xee);
        m_copydata(m, off, len, out, 3);
        expect(out.subarray(3)).toEqual(data.subarray(off, off + len));
        expect(Array.from(out.subarray(0, 3))).toEqual([0xee, 0xee, 0xee]);
        m_freem(m);
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a cipher block that straddles a short mbuf, an empty one and a cluster', () => {
    const mem = newMem();
    const data = bytesOf(400);
    const m = m_fromBytes(mem, data, { segments: [7, 0, 5, 0, 300] });
    const block = new Uint8Array(16);
    m_copydata(m, 4, 16, block);
    expect(block).toEqual(data.subarray(4, 20));
    m_copydata(m, 12, 16, block); // starts exactly at the third non-empty byte run
    expect(block).toEqual(data.subarray(12, 28));
    m_freem(m);
  });

  it('names the argument when off or len is bad, and says how long the chain is when reading past it', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(100), { segments: [10, 90] });
    const out = new Uint8Array(200);
    expect(() => m_copydata(m, -1, 1, out)).toThrow(new RangeError('m_copydata: off must be an integer >= 0, got -1'));
    expect(() => m_copydata(m, 0, 1.5, out)).toThrow(/m_copydata: len must be an integer >= 0, got 1.5/);
    expect(() => m_copydata(m, 95, 10, out)).toThrow(new RangeError('m_copydata: off+len (105) past end of chain (100 bytes)'));
    expect(() => m_copydata(m, 101, 0, out)).toThrow(/off\+len \(101\) past end of chain \(100 bytes\)/);
    expect(() => m_copydata(m, 0, 100, out, 150)).toThrow(/m_copydata: dstOff\+len \(250\) past end of dst \(200 bytes\)/);
    expect(() => m_copydata(m, 100, 0, out)).not.toThrow();
    m_freem(m);
  });

  it('refuses an mbuf whose m_len runs past its buffer', () => {
    const mem = newMem();
    const m = m_get(mem, M_WAITOK, MT_DATA)!;
    m.m_len = MLEN + 1;
    expect(() => m_copydata(m, 0, 1, new Uint8Array(1))).toThrow(/m_copydata: mbuf at 0x[0-9a-f]+ is inconsistent/);
    m_free(m);
  });

  it('reports one CPU read per contiguous piece to the memory’s watchers', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(300), { segments: [7, 0, 5, 288] });
    const seen: [string, number, number][] = [];
    const stop = mem.addCpuAccessHook((kind, paddr, len) => seen.push([kind, paddr, len]));
    m_copydata(m, 4, 16, new Uint8Array(16));
    stop();
    const [a, , c, d] = chain(m);
    expect(seen).toEqual([
      ['read', a!.m_data + 4, 3],
      ['read', c!.m_data, 5],
      ['read', d!.m_data, 8],
    ]);
    m_freem(m);
  });
});

describe('m_copyback', () => {
  it('writes any range inside the chain without changing its shape (property)', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer(), ({ data, segments, pkthdr, off, len }, seed) => {
        const mem = smallMem();
        const m = m_fromBytes(mem, data, { segments, pkthdr });
        const shape = lens(m);
        const src = bytesOf(len, seed);
        m_copyback(m, off, len, src);
        const model = data.slice();
        model.set(src, off);
        expect(m_toBytes(m)).toEqual(model);
        expect(lens(m)).toEqual(shape);
        m_freem(m);
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('extends the chain past its end, zero-filling any gap, and raises m_pkthdr.len (property)', () => {
    const arb = fc.record({
      data: fc.uint8Array({ maxLength: 3000 }),
      segments: fc.array(fc.integer({ min: 0, max: MCLBYTES }), { maxLength: 6 }),
      gap: fc.integer({ min: -100, max: 1000 }),
      len: fc.integer({ min: 0, max: 3000 }),
    });
    fc.assert(
      fc.property(arb, ({ data, segments, gap, len }) => {
        const mem = smallMem();
        // Recycle poisoned mbufs, so that a missing zero-fill shows.
        m_freem(m_fromBytes(mem, new Uint8Array(8 * MLEN), { segments: new Array(8).fill(MLEN), pkthdr: false }));
        const m = m_fromBytes(mem, data, { segments: fitSegments(segments, data.length) });
        const off = Math.max(0, data.length + gap);
        const src = bytesOf(len, 3);
        m_copyback(m, off, len, src);
        const model = new Uint8Array(Math.max(data.length, off + len));
        model.set(data);
        model.set(src, off);
        expect(m_toBytes(m)).toEqual(model);
        expect(m.m_pkthdr.len).toBe(model.length);
        m_freem(m);
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('zero-fills the gap even when the new mbufs reuse freed, poisoned memory', () => {
    const mem = newMem();
    m_freem(m_fromBytes(mem, new Uint8Array(4 * MLEN).fill(0xaa), { segments: [MHLEN, MLEN, MLEN, MLEN] }));
    const m = m_fromBytes(mem, bytesOf(10));
    m_copyback(m, 600, 1, Uint8Array.of(7));
    const model = new Uint8Array(601);
    model.set(bytesOf(10));
    model[600] = 7;
    expect(m_toBytes(m)).toEqual(model);
    m_freem(m);
  });

  it('grows the chain and m_pkthdr.len alike for a zero-length write past the end', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10));
    m_copyback(m, 50, 0, new Uint8Array(0));
    expect(m_length(m)).toBe(50);
    expect(m.m_pkthdr.len).toBe(50);
    m_freem(m);
  });

  it('fills the last mbuf’s trailing space before adding plain mbufs of MLEN bytes', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10));
    m_copyback(m, 10, MHLEN - 10 + MLEN + 5, bytesOf(MHLEN - 10 + MLEN + 5));
    expect(lens(m)).toEqual([MHLEN, MLEN, 5]);
    expect(chain(m).some((n) => n.m_flags & M_EXT)).toBe(false);
    m_freem(m);
  });

  it('throws ENOBUFS when it cannot extend the chain, keeping m_pkthdr.len to what was written', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10));
    mem.injectNowaitFailures({ count: 1 });
    let err: unknown;
    try {
      m_copyback(m, 0, 500, bytesOf(500));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).errno).toBe(ENOBUFS);
    expect((err as KernelError).message).toMatch(/m_copyback: m_get\(M_NOWAIT\) failed/);
    expect(m_length(m)).toBe(MHLEN);
    expect(m.m_pkthdr.len).toBe(MHLEN);
    m_freem(m);
    expect(mem.liveBlocks).toBe(0);
  });

  it('rejects bad arguments and a source too short', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10));
    expect(() => m_copyback(m, -2, 1, bytesOf(1))).toThrow(/m_copyback: off must be an integer >= 0, got -2/);
    expect(() => m_copyback(m, 0, -1, bytesOf(1))).toThrow(/m_copyback: len must be an integer >= 0, got -1/);
    expect(() => m_copyback(m, 0, 5, bytesOf(4))).toThrow(/m_copyback: srcOff\+len \(5\) past end of src \(4 bytes\)/);
    m_freem(m);
  });

  it('reports CPU writes, including the zero-fill of new mbufs', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(10), { pkthdr: false, segments: [10] });
    const seen: string[] = [];
    const stop = mem.addCpuAccessHook((kind, _p, len) => seen.push(`${kind}:${len}`));
    m_copyback(m, 300, 4, bytesOf(4));
    stop();
    // The first mbuf's m_len stays 10; zeroed mbufs cover [10, 234) and [234, 304), the last takes the 4 bytes.
    expect(seen).toEqual([`write:${MLEN}`, `write:${MLEN}`, 'write:4']);
    expect(lens(m)).toEqual([10, MLEN, 300 - 10 - MLEN + 4]);
    m_freem(m);
  });
});

describe('m_apply', () => {
  it('hands f each contiguous piece of the range in order', () => {
    const mem = newMem();
    const data = bytesOf(500);
    const m = m_fromBytes(mem, data, { segments: [3, 0, 100] });
    const pieces: Uint8Array[] = [];
    expect(m_apply(m, 1, 450, (d) => (pieces.push(d.slice()), 0))).toBe(0);
    expect(pieces.map((p) => p.length)).toEqual([2, 100, 348]);
    expect(Uint8Array.from(pieces.flatMap((p) => Array.from(p)))).toEqual(data.subarray(1, 451));
    m_freem(m);
  });

  it('stops at and returns the first non-zero result', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(500), { segments: [3, 100] });
    let calls = 0;
    expect(m_apply(m, 0, 500, () => (++calls === 2 ? 22 : 0))).toBe(22);
    expect(calls).toBe(2);
    expect(() => m_apply(m, 400, 101, () => 0)).toThrow('m_apply: off+len (501) past end of chain (500 bytes)');
    m_freem(m);
  });
});

describe('m_getptr', () => {
  it('finds the mbuf and offset of a byte, stepping over empty mbufs, and points past the end at the chain length', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(30), { segments: [3, 0, 7, 20] });
    const [a, , c, d] = chain(m);
    expect(m_getptr(m, 0)).toEqual({ m: a, off: 0 });
    expect(m_getptr(m, 3)).toEqual({ m: c, off: 0 });
    expect(m_getptr(m, 12)).toEqual({ m: d, off: 2 });
    expect(m_getptr(m, 30)).toEqual({ m: d, off: 20 });
    expect(m_getptr(m, 31)).toBeNull();
    expect(() => m_getptr(m, -1)).toThrow(/m_getptr: loc must be an integer >= 0, got -1/);
    m_freem(m);
  });
});

describe('m_adj', () => {
  it('trims the head across mbufs and keeps m_pkthdr.len', () => {
    const mem = newMem();
    const data = bytesOf(300);
    const m = m_fromBytes(mem, data, { segments: [3, 0, 100] });
    m_adj(m, 50);
    expect(lens(m)).toEqual([0, 0, 53, 197]);
    expect(m.m_pkthdr.len).toBe(250);
    expect(m_toBytes(m)).toEqual(data.subarray(50));
    m_freem(m);
  });

  it('trims the tail, freeing the mbufs no longer needed', () => {
    const mem = newMem();
    const data = bytesOf(300);
    const m = m_fromBytes(mem, data, { segments: [3, 0, 100, 97, 100] });
    const live = mem.liveBlocks;
    m_adj(m, -150);
    expect(lens(m)).toEqual([3, 0, 100, 47]);
    expect(m.m_pkthdr.len).toBe(150);
    expect(mem.liveBlocks).toBe(live - 1);
    expect(m_toBytes(m)).toEqual(data.subarray(0, 150));
    m_adj(m, -1000);
    expect(m_length(m)).toBe(0);
    expect(m.m_pkthdr.len).toBe(0);
    m_freem(m);
    expect(mem.liveBlocks).toBe(0);
  });

  it('keeps an emptied last mbuf when the tail trim fits in it, as uipc_mbuf.c does', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(8), { segments: [5, 3] });
    m_adj(m, -3);
    expect(lens(m)).toEqual([5, 0]);
    expect(m.m_pkthdr.len).toBe(5);
    m_freem(m);
  });

  it('keeps m_pkthdr.len equal to the chain length over random trims (property)', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: -6000, max: 6000 }), ({ data, segments }, req) => {
        const mem = smallMem();
        const m = m_fromBytes(mem, data, { segments });
        m_adj(m, req);
        const model = req >= 0 ? data.subarray(Math.min(req, data.length)) : data.subarray(0, Math.max(0, data.length + req));
        expect(m_toBytes(m)).toEqual(model);
        expect(m.m_pkthdr.len).toBe(model.length);
        m_freem(m);
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('m_pullup', () => {
  it('makes the first len bytes contiguous in the first mbuf, moving the packet header', () => {
    const mem = newMem();
    const data = bytesOf(400);
    const m = m_fromBytes(mem, data, { segments: [3, 0, 5, 392] });
    const head = m_pullup(m, 40)!;
    expect(head.m_len).toBeGreaterThanOrEqual(40);
    expect(head.m_flags & M_PKTHDR).toBe(M_PKTHDR);
    expect(head.m_pkthdr.len).toBe(400);
    expect(mtod(head).subarray(0, 40)).toEqual(data.subarray(0, 40));
    expect(m_toBytes(head)).toEqual(data);
    m_freem(head);
    expect(mem.liveBlocks).toBe(0);
  });

  it('returns the chain untouched when the first mbuf already holds len bytes and has room', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(100), { segments: [50, 50] });
    expect(m_pullup(m, 50)).toBe(m);
    m_freem(m);
  });

  it('frees the chain and returns null when len exceeds MHLEN or the chain', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(600), { segments: [100, 500] });
    expect(m_pullup(m, MHLEN + 1)).toBeNull();
    expect(mem.liveBlocks).toBe(0);
    const short = m_fromBytes(mem, bytesOf(30), { segments: [10, 20] });
    expect(m_pullup(short, 31)).toBeNull();
    expect(mem.liveBlocks).toBe(0);
  });

  it('keeps the data of any layout (property)', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: 0, max: MHLEN }), ({ data, segments }, want) => {
        const mem = smallMem();
        const m = m_fromBytes(mem, data, { segments });
        const head = m_pullup(m, want);
        if (want > data.length) {
          expect(head).toBeNull();
        } else {
          expect(head!.m_len).toBeGreaterThanOrEqual(want);
          expect(m_toBytes(head!)).toEqual(data);
          expect(head!.m_pkthdr.len).toBe(data.length);
          m_freem(head);
        }
        expect(mem.liveBlocks).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('M_PREPEND', () => {
  it('uses leading space in place when there is some', () => {
    const mem = newMem();
    const data = bytesOf(40);
    const m = m_fromBytes(mem, data);
    m_adj(m, 8);
    const head = M_PREPEND(m, 8, M_NOWAIT)!;
    expect(head).toBe(m);
    expect(head.m_pkthdr.len).toBe(40);
    expect(m_toBytes(head).subarray(8)).toEqual(data.subarray(8));
    m_freem(head);
  });

  it('prepends a new mbuf carrying the packet header when there is no room', () => {
    const mem = newMem();
    const data = bytesOf(40);
    const m = m_fromBytes(mem, data);
    const head = M_PREPEND(m, 16, M_WAITOK)!;
    expect(head).not.toBe(m);
    expect(head.m_next).toBe(m);
    expect(head.m_len).toBe(16);
    expect(head.m_flags & M_PKTHDR).toBe(M_PKTHDR);
    expect(m.m_flags & M_PKTHDR).toBe(0);
    expect(head.m_pkthdr.len).toBe(56);
    expect(M_TRAILINGSPACE(head)).toBeLessThan(8); // MH_ALIGN put the bytes at the end
    expect(m_toBytes(head).subarray(16)).toEqual(data);
    m_freem(head);
    expect(mem.liveBlocks).toBe(0);
  });

  it('frees the chain and returns null when the new mbuf cannot be allocated', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(40));
    mem.injectNowaitFailures({ count: 1 });
    expect(M_PREPEND(m, 16, M_NOWAIT)).toBeNull();
    expect(mem.liveBlocks).toBe(0);
  });

  it('refuses a prepend larger than one mbuf holds instead of overrunning it', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(40));
    expect(() => M_PREPEND(m, MHLEN + 1, M_WAITOK)).toThrow(/m_prepend: len \(169\) does not fit in one mbuf \(MHLEN = 168\)/);
    m_freem(m);
  });
});

describe('m_cat, m_length and m_fixhdr', () => {
  it('copies a short chain into trailing space and links a long one', () => {
    const mem = newMem();
    const a = m_fromBytes(mem, bytesOf(10, 1), { pkthdr: false, segments: [10] });
    const b = m_fromBytes(mem, bytesOf(20, 2), { pkthdr: false, segments: [20] });
    const c = m_fromBytes(mem, bytesOf(500, 3), { pkthdr: false, segments: [500] });
    m_cat(a, b);
    expect(lens(a)).toEqual([30]);
    m_cat(a, c);
    expect(lens(a)).toEqual([30, 500]);
    expect(m_toBytes(a)).toEqual(Uint8Array.from([...bytesOf(10, 1), ...bytesOf(20, 2), ...bytesOf(500, 3)]));
    expect(m_length(a)).toBe(530);
    expect(() => m_cat(a, c)).toThrow(/m_cat: n is already part of chain m/);
    m_freem(a);
    expect(mem.liveBlocks).toBe(0);
  });

  it('links rather than writes into a read-only mbuf', () => {
    const mem = newMem();
    const a = m_fromBytes(mem, bytesOf(10), { pkthdr: false, segments: [10] });
    a.m_flags |= M_RDONLY;
    const b = m_fromBytes(mem, bytesOf(5), { pkthdr: false, segments: [5] });
    m_cat(a, b);
    expect(a.m_next).toBe(b);
    m_freem(a);
  });

  it('m_fixhdr sets m_pkthdr.len from the chain and refuses an mbuf without packet header', () => {
    const mem = newMem();
    const m = m_fromBytes(mem, bytesOf(100), { segments: [40, 60] });
    m.m_next!.m_len = 10;
    expect(m_fixhdr(m)).toBe(50);
    expect(m.m_pkthdr.len).toBe(50);
    expect(() => m_fixhdr(m.m_next!)).toThrow(/m_fixhdr: m0 has no packet header/);
    m_freem(m);
  });
});
