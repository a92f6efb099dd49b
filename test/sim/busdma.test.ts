import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUS_DMA_NOWAIT,
  BUS_DMA_ZERO,
  BUS_DMASYNC_POSTREAD,
  BUS_DMASYNC_POSTWRITE,
  BUS_DMASYNC_PREREAD,
  BUS_DMASYNC_PREWRITE,
  BUS_SPACE_MAXADDR,
  BUS_SPACE_MAXADDR_32BIT,
  BusDma,
  BusDmaMap,
  BusDmaTag,
  bus_dma_segment_t,
} from '../../sim/busdma.js';
import { RangeSet } from '../../sim/busdma-strict.js';
import { EBUSY, EFBIG, EINVAL } from '../../sim/errno.js';
import { M_PKTHDR, MT_DATA, m_copydata, m_freem, m_fromBytes, m_get, m_gethdr, mbuf } from '../../sim/mbuf.js';
import { M_WAITOK, M_ZERO, MemBlock, PAGE_SIZE, PhysMemory } from '../../sim/memory.js';
import { TraceRecorder } from '../../sim/trace.js';
import { uio_fromBytes } from '../../sim/uio.js';
import { ViolationLog } from '../../sim/violations.js';

const MAXADDR = BUS_SPACE_MAXADDR;
const DEV = 'toy0';

function machine(options: { size?: number; strict?: boolean; trace?: TraceRecorder } = {}) {
  const mem = new PhysMemory({ size: options.size ?? 4 << 20 });
  const violations = new ViolationLog();
  const clock = { t: 0 };
  const busdma = new BusDma({ mem, violations, now: () => clock.t, strict: options.strict ?? true, ...(options.trace ? { trace: options.trace } : {}) });
  return { mem, violations, busdma, clock };
}

type Machine = ReturnType<typeof machine>;

/** A tag with no constraints beyond the ones given. */
function tag(
  busdma: BusDma,
  c: { alignment?: number; boundary?: number; lowaddr?: number; maxsize?: number; nsegments?: number; maxsegsz?: number } = {},
): BusDmaTag {
  return busdma.bus_dma_tag_create(
    null,
    c.alignment ?? 1,
    c.boundary ?? 0,
    c.lowaddr ?? MAXADDR,
    MAXADDR,
    c.maxsize ?? 1 << 20,
    c.nsegments ?? 64,
    c.maxsegsz ?? 1 << 20,
    0,
    DEV,
  );
}

function filled(mem: PhysMemory, n: number, seed = 1): MemBlock {
  const b = mem.malloc(n, M_WAITOK)!;
  for (let i = 0; i < n; i++) b.bytes[i] = (i * 7 + seed) & 0xff;
  return b;
}

const plain = (segs: bus_dma_segment_t[]) => segs.map((s) => ({ ds_addr: s.ds_addr, ds_len: s.ds_len }));

/** What a card does: tell bus_dma, then move the bytes. */
function deviceRead(m: Machine, seg: bus_dma_segment_t, dev = DEV): Uint8Array {
  m.busdma.deviceAccess(dev, 'read', seg.ds_addr, seg.ds_len, m.clock.t);
  return m.mem.bytes.slice(seg.ds_addr, seg.ds_addr + seg.ds_len);
}

function deviceWrite(m: Machine, paddr: number, data: Uint8Array, dev = DEV): void {
  m.busdma.deviceAccess(dev, 'write', paddr, data.length, m.clock.t);
  m.mem.bytes.set(data, paddr);
}

/** Build a chain by hand whose mbufs point where we say (as m_ext clusters may). */
function chainAt(mem: PhysMemory, pieces: [number, number][]): mbuf {
  const head = m_gethdr(mem, M_WAITOK, MT_DATA)!;
  let tail = head;
  pieces.forEach(([paddr, len], i) => {
    const m = i === 0 ? head : m_get(mem, M_WAITOK, MT_DATA)!;
    m.m_data = paddr;
    m.m_len = len;
    if (i > 0) {
      tail.m_next = m;
      tail = m;
    }
  });
  head.m_pkthdr.len = pieces.reduce((a, [, l]) => a + l, 0);
  return head;
}

describe('bus_dma tags', () => {
  it('refuses bad constraints, naming the argument', () => {
    const { busdma } = machine();
    const mk = (a: number, b: number, n: number, s: number, size = 4096) =>
      busdma.bus_dma_tag_create(null, a, b, MAXADDR, MAXADDR, size, n, s, 0, DEV);
    expect(() => mk(3, 0, 1, 4096)).toThrow(/alignment must be a power of two, got 3/);
    expect(() => mk(0, 0, 1, 4096)).toThrow(/alignment/);
    expect(() => mk(1, 3000, 1, 1024)).toThrow(/boundary must be 0 or a power of two/);
    expect(() => mk(1, 1024, 1, 4096)).toThrow(/boundary \(0x400\) is smaller than maxsegsz \(0x1000\)/);
    expect(() => mk(1, 0, 0, 4096)).toThrow(/nsegments must be an integer >= 1, got 0/);
    expect(() => mk(1, 0, 1, 0)).toThrow(/maxsegsz/);
    expect(() => mk(1, 0, 1, 4096, -1)).toThrow(/maxsize/);
    expect(() => mk(8192, 4096, 1, 4096)).toThrow(/alignment .* larger than boundary/);
    expect(() => busdma.bus_dma_tag_create(null, 1, 0, MAXADDR, MAXADDR, 1, 1, 1, 0, '')).toThrow(/owner/);
  });

  it('rounds lowaddr to the end of its page and lets a child inherit the stricter constraints', () => {
    const { busdma } = machine();
    const parent = busdma.bus_dma_tag_create(null, 4, 0x10000, 0x123456, MAXADDR, 0x8000, 8, 0x4000, 0, 'pci0');
    expect(parent.lowaddr).toBe(0x123fff);
    const child = busdma.bus_dma_tag_create(parent, 1, 0, BUS_SPACE_MAXADDR_32BIT, MAXADDR, 0x10000, 16, 0x10000, 0, DEV);
    expect(child.alignment).toBe(4);
    expect(child.boundary).toBe(0x10000);
    expect(child.lowaddr).toBe(0x123fff);
    expect(child.maxsize).toBe(0x8000);
    expect(child.nsegments).toBe(8);
    expect(child.maxsegsz).toBe(0x4000);
    const looser = busdma.bus_dma_tag_create(parent, 16, 0x1000, MAXADDR, MAXADDR, 0x100, 2, 0x100, 0, DEV);
    expect([looser.alignment, looser.boundary, looser.maxsegsz, looser.nsegments]).toEqual([16, 0x1000, 0x100, 2]);
  });

  it('will not destroy a tag that has maps, and refuses a destroyed tag', () => {
    const m = machine();
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    expect(m.busdma.bus_dma_tag_destroy(t)).toBe(EBUSY);
    expect(m.violations.count('busdma-busy')).toBe(1);
    expect(m.busdma.bus_dmamap_destroy(t, map)).toBe(0);
    expect(m.busdma.bus_dma_tag_destroy(t)).toBe(0);
    expect(() => m.busdma.bus_dmamap_create(t, 0)).toThrow(/was destroyed/);
    expect(() => m.busdma.bus_dma_tag_destroy(t)).toThrow(/was destroyed/);
    expect(m.busdma.stats.tags).toBe(0);
  });
});

describe('bus_dmamap_load segments', () => {
  it('maps a contiguous buffer to one segment at its physical address', () => {
    const m = machine();
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const b = filled(m.mem, 300);
    let got: { segs: bus_dma_segment_t[]; nseg: number; error: number; arg: string } | null = null;
    const rc = m.busdma.bus_dmamap_load(t, map, b, 300, (arg, segs, nseg, error) => (got = { segs: plain(segs), nseg, error, arg }), 'cookie', BUS_DMA_NOWAIT);
    expect(rc).toBe(0);
    expect(got).toEqual({ segs: [{ ds_addr: b.paddr, ds_len: 300 }], nseg: 1, error: 0, arg: 'cookie' });
    expect(map.loaded).toBe(true);
    expect(m.busdma.stats.loads).toBe(1);
  });

  it('splits at maxsegsz', () => {
    const m = machine();
    const t = tag(m.busdma, { maxsegsz: 1000 });
    const map = m.busdma.bus_dmamap_create(t, 0);
    const b = m.mem.contigmalloc(2500, M_WAITOK, 0, MAXADDR, PAGE_SIZE, 0)!;
    const r = m.busdma.bus_dmamap_load_sg(t, map, b, 2500, 0);
    expect(r.error).toBe(0);
    expect(plain(r.segs)).toEqual([
      { ds_addr: b.paddr, ds_len: 1000 },
      { ds_addr: b.paddr + 1000, ds_len: 1000 },
      { ds_addr: b.paddr + 2000, ds_len: 500 },
    ]);
  });

  it('splits where a segment would cross a boundary', () => {
    const m = machine();
    const t = tag(m.busdma, { boundary: 0x1000, maxsegsz: 0x1000 });
    const map = m.busdma.bus_dmamap_create(t, 0);
    const page = m.mem.contigmalloc(3 * PAGE_SIZE, M_WAITOK, 0, MAXADDR, PAGE_SIZE, 0)!;
    const r = m.busdma.bus_dmamap_load_sg(t, map, { paddr: page.paddr + 0xf00, len: 0x300 }, 0x300, 0);
    expect(plain(r.segs)).toEqual([
      { ds_addr: page.paddr + 0xf00, ds_len: 0x100 },
      { ds_addr: page.paddr + 0x1000, ds_len: 0x200 },
    ]);
    for (const s of r.segs) expect(Math.floor(s.ds_addr / 0x1000)).toBe(Math.floor((s.ds_addr + s.ds_len - 1) / 0x1000));
  });

  it('fails with EFBIG through the callback when the segments run out, and leaves the map reusable', () => {
    const m = machine();
    const t = tag(m.busdma, { maxsegsz: 100, nsegments: 2 });
    const map = m.busdma.bus_dmamap_create(t, 0);
    const b = filled(m.mem, 250);
    const seen: number[][] = [];
    const rc = m.busdma.bus_dmamap_load(t, map, b, 250, (_a, segs, nseg, error) => seen.push([segs.length, nseg, error]), null, 0);
    expect(rc).toBe(EFBIG);
    expect(seen).toEqual([[0, 0, EFBIG]]);
    expect(map.loaded).toBe(false);
    expect(m.busdma.stats.loadFailures).toBe(1);
    expect(m.busdma.bus_dmamap_load_sg(t, map, b, 200, 0).nsegs).toBe(2);
  });

  it('returns EINVAL for a buffer larger than maxsize', () => {
    const m = machine();
    const t = tag(m.busdma, { maxsize: 128 });
    const map = m.busdma.bus_dmamap_create(t, 0);
    const b = filled(m.mem, 200);
    let err = -1;
    expect(m.busdma.bus_dmamap_load(t, map, b, 200, (_a, _s, _n, e) => (err = e), null, 0)).toBe(EINVAL);
    expect(err).toBe(EINVAL);
    expect(map.loaded).toBe(false);
  });

  it('rejects bad lengths and buffers with messages naming them', () => {
    const m = machine();
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const b = filled(m.mem, 64);
    const cb = () => {};
    expect(() => m.busdma.bus_dmamap_load(t, map, b, -1, cb, null, 0)).toThrow(/buflen must be an integer >= 0, got -1/);
    expect(() => m.busdma.bus_dmamap_load(t, map, b, 1.5, cb, null, 0)).toThrow(/buflen/);
    expect(() => m.busdma.bus_dmamap_load(t, map, b, 65, cb, null, 0)).toThrow(/buflen \(65\) is larger than buf \(64 bytes/);
    expect(() => m.busdma.bus_dmamap_load(t, map, { paddr: m.mem.size - 10, len: 20 }, 20, cb, null, 0)).toThrow(/outside physical memory/);
    const stranger = new PhysMemory({ size: 1 << 20 }).malloc(64, M_WAITOK)!;
    expect(() => m.busdma.bus_dmamap_load(t, map, stranger, 64, cb, null, 0)).toThrow(/another machine's memory/);
    m.mem.free(b);
    expect(() => m.busdma.bus_dmamap_load(t, map, b, 64, cb, null, 0)).toThrow(/was freed/);
    expect(map.loaded).toBe(false);
  });

  it('refuses to load a loaded map, to sync an unloaded one, and to use a destroyed one', () => {
    const m = machine();
    const t = tag(m.busdma);
    const other = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const b = filled(m.mem, 64);
    m.busdma.bus_dmamap_load_sg(t, map, b, 64, 0);
    expect(() => m.busdma.bus_dmamap_load_sg(t, map, b, 64, 0)).toThrow(/map already loaded/);
    expect(() => m.busdma.bus_dmamap_sync(other, map, BUS_DMASYNC_PREWRITE)).toThrow(/created with another tag/);
    expect(() => m.busdma.bus_dmamap_sync(t, map, 16)).toThrow(/op must be/);
    expect(m.busdma.bus_dmamap_destroy(t, map)).toBe(EBUSY);
    m.busdma.bus_dmamap_unload(t, map);
    m.busdma.bus_dmamap_unload(t, map); // tolerated, as FreeBSD does
    expect(() => m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE)).toThrow(/is not loaded/);
    expect(m.busdma.bus_dmamap_destroy(t, map)).toBe(0);
    expect(() => m.busdma.bus_dmamap_destroy(t, map)).toThrow(/was destroyed/);
    expect(() => m.busdma.bus_dmamap_load_sg(t, map, b, 64, 0)).toThrow(/was destroyed/);
    expect(() => m.busdma.bus_dmamap_unload(t, map)).toThrow(/was destroyed/);
  });
});

describe('bus_dmamap_load_mbuf and bus_dmamap_load_uio', () => {
  it('coalesces physically adjacent mbufs into one segment, within maxsegsz', () => {
    const m = machine();
    const area = m.mem.contigmalloc(2 * PAGE_SIZE, M_WAITOK, 0, MAXADDR, PAGE_SIZE, 0)!;
    const chain = chainAt(m.mem, [
      [area.paddr, 100],
      [area.paddr + 100, 50],
      [area.paddr + 150, 0],
      [area.paddr + 150, 200],
      [area.paddr + 1000, 10],
    ]);
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    let got: unknown;
    const rc = m.busdma.bus_dmamap_load_mbuf(t, map, chain, (_a, segs, nseg, mapsize, error) => (got = { segs: plain(segs), nseg, mapsize, error }), null, 0);
    expect(rc).toBe(0);
    expect(got).toEqual({
      segs: [
        { ds_addr: area.paddr, ds_len: 350 },
        { ds_addr: area.paddr + 1000, ds_len: 10 },
      ],
      nseg: 2,
      mapsize: 360,
      error: 0,
    });
    const small = tag(m.busdma, { maxsegsz: 120 });
    const map2 = m.busdma.bus_dmamap_create(small, 0);
    // _bus_dmamap_addseg coalesces a whole piece or none of it, so pieces are not repacked.
    expect(plain(m.busdma.bus_dmamap_load_mbuf_sg(small, map2, chain, 0).segs)).toEqual([
      { ds_addr: area.paddr, ds_len: 100 },
      { ds_addr: area.paddr + 100, ds_len: 50 },
      { ds_addr: area.paddr + 150, ds_len: 120 },
      { ds_addr: area.paddr + 270, ds_len: 80 },
      { ds_addr: area.paddr + 1000, ds_len: 10 },
    ]);
  });

  it('loads a chain with empty mbufs, one segment per non-empty mbuf', () => {
    const m = machine();
    const data = Uint8Array.from({ length: 120 }, (_, i) => i);
    const chain = m_fromBytes(m.mem, data, { segments: [3, 0, 100, 0] });
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const r = m.busdma.bus_dmamap_load_mbuf_sg(t, map, chain, 0);
    const pieces: bus_dma_segment_t[] = [];
    for (let x: mbuf | null = chain; x; x = x.m_next) if (x.m_len > 0) pieces.push({ ds_addr: x.m_data, ds_len: x.m_len });
    expect(r.error).toBe(0);
    expect(plain(r.segs)).toEqual(pieces);
    expect(r.mapsize).toBe(120);
    const bytes = r.segs.flatMap((s) => Array.from(m.mem.bytes.subarray(s.ds_addr, s.ds_addr + s.ds_len)));
    expect(bytes).toEqual(Array.from(data));
  });

  it('insists on a packet header and a consistent m_pkthdr.len', () => {
    const m = machine();
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const chain = m_fromBytes(m.mem, new Uint8Array(40), { segments: [20, 20] });
    chain.m_pkthdr.len = 41;
    expect(() => m.busdma.bus_dmamap_load_mbuf_sg(t, map, chain, 0)).toThrow(/m_pkthdr.len \(41\) differs from the chain's m_len total \(40\)/);
    chain.m_flags &= ~M_PKTHDR;
    expect(() => m.busdma.bus_dmamap_load_mbuf_sg(t, map, chain, 0)).toThrow(/M_PKTHDR/);
    expect(map.loaded).toBe(false);
  });

  it('loads uio_resid bytes of a uio, skipping empty iovecs', () => {
    const m = machine();
    const data = Uint8Array.from({ length: 30 }, (_, i) => 100 + i);
    const { uio, free } = uio_fromBytes(m.mem, data, [5, 0, 11]);
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    let got: { nseg: number; mapsize: number } | null = null;
    m.busdma.bus_dmamap_load_uio(t, map, uio, (_a, _s, nseg, mapsize) => (got = { nseg, mapsize }), null, 0);
    expect(got).toEqual({ nseg: 3, mapsize: 30 });
    expect(plain(map.segs)).toEqual([
      { ds_addr: uio.uio_iov[0]!.iov_base, ds_len: 5 },
      { ds_addr: uio.uio_iov[2]!.iov_base, ds_len: 11 },
      { ds_addr: uio.uio_iov[3]!.iov_base, ds_len: 14 },
    ]);
    m.busdma.bus_dmamap_unload(t, map);
    uio.uio_resid = 12;
    const r = m.busdma.bus_dmamap_load_uio_sg(t, map, uio, 0);
    expect(plain(r.segs)).toEqual([
      { ds_addr: uio.uio_iov[0]!.iov_base, ds_len: 5 },
      { ds_addr: uio.uio_iov[2]!.iov_base, ds_len: 7 },
    ]);
    m.busdma.bus_dmamap_unload(t, map);
    uio.uio_resid = 31;
    expect(() => m.busdma.bus_dmamap_load_uio_sg(t, map, uio, 0)).toThrow(/uio_resid \(31\) is larger than the 4 iovecs hold/);
    free();
  });
});

describe('bounce pages', () => {
  it('bounces a buffer above lowaddr into pages below it, copying at PREWRITE and back at POSTREAD', () => {
    const m = machine({ size: 4 << 20 });
    const lowaddr = (1 << 20) - 1;
    const t = tag(m.busdma, { lowaddr });
    const high = m.mem.contigmalloc(6000, M_WAITOK, 2 << 20, (4 << 20) - 1, PAGE_SIZE, 0)!;
    const client = high.paddr + 100;
    for (let i = 0; i < 5000; i++) m.mem.bytes[client + i] = (i * 13) & 0xff;
    const map = m.busdma.bus_dmamap_create(t, 0);
    const r = m.busdma.bus_dmamap_load_sg(t, map, { paddr: client, len: 5000 }, 5000, 0);
    expect(r.error).toBe(0);
    // One bounce page per client page touched: 3996 bytes, then 1004.
    expect(r.segs.map((s) => s.ds_len)).toEqual([PAGE_SIZE - 100, 5000 - (PAGE_SIZE - 100)]);
    for (const s of r.segs) expect(s.ds_addr + s.ds_len - 1).toBeLessThanOrEqual(lowaddr);
    expect(m.busdma.stats.bounces).toBe(2);
    expect(m.busdma.stats.bouncedLoads).toBe(1);

    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
    const seen = r.segs.flatMap((s) => Array.from(deviceRead(m, s)));
    expect(seen).toEqual(Array.from(m.mem.bytes.subarray(client, client + 5000)));
    // The card writes its result through the segments; the client sees it only after POSTREAD.
    let k = 0;
    for (const s of r.segs) deviceWrite(m, s.ds_addr, Uint8Array.from({ length: s.ds_len }, () => (k++ * 3 + 1) & 0xff));
    expect(m.mem.bytes[client]).toBe(0);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
    for (let i = 0; i < 5000; i++) if (m.mem.bytes[client + i] !== ((i * 3 + 1) & 0xff)) throw new Error(`byte ${i} not copied back`);
    expect(m.busdma.stats.bounceCopyBytes).toBe(10000);
    m.busdma.bus_dmamap_unload(t, map);
    m.violations.assertNone();
  });

  it('bounces a misaligned buffer to an aligned page, and reuses bounce pages', () => {
    const m = machine();
    const t = tag(m.busdma, { alignment: 16 });
    const b = filled(m.mem, 256, 9);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const r = m.busdma.bus_dmamap_load_sg(t, map, { paddr: b.paddr + 3, len: 200 }, 200, 0);
    expect(r.error).toBe(0);
    expect(r.nsegs).toBe(1);
    expect(r.segs[0]!.ds_addr % 16).toBe(0);
    expect(r.segs[0]!.ds_addr).not.toBe(b.paddr + 3);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    expect(Array.from(deviceRead(m, r.segs[0]!))).toEqual(Array.from(b.bytes.subarray(3, 203)));
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_POSTWRITE);
    m.busdma.bus_dmamap_unload(t, map);
    // An aligned buffer is not bounced.
    expect(m.busdma.bus_dmamap_load_sg(t, map, b, 256, 0).segs[0]!.ds_addr).toBe(b.paddr);
    m.busdma.bus_dmamap_unload(t, map);
    m.busdma.bus_dmamap_load_sg(t, map, { paddr: b.paddr + 1, len: 10 }, 10, 0);
    expect(m.busdma.stats.bouncePages).toBe(1);
    m.busdma.bus_dmamap_unload(t, map);
    expect(m.busdma.drainBouncePages()).toBe(1);
    m.violations.assertNone();
  });

  it('bounces an mbuf chain piece by piece and keeps the chain data intact through sync', () => {
    const m = machine();
    const t = tag(m.busdma, { alignment: 8 });
    const data = Uint8Array.from({ length: 500 }, (_, i) => (i * 5) & 0xff);
    const chain = m_fromBytes(m.mem, data, { segments: [3, 200, 297] });
    const map = m.busdma.bus_dmamap_create(t, 0);
    const r = m.busdma.bus_dmamap_load_mbuf_sg(t, map, chain, 0);
    expect(r.error).toBe(0);
    for (const s of r.segs) expect(s.ds_addr % 8).toBe(0);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    expect(r.segs.flatMap((s) => Array.from(deviceRead(m, s)))).toEqual(Array.from(data));
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_POSTWRITE);
    m.busdma.bus_dmamap_unload(t, map);
    m_freem(chain);
    m.violations.assertNone();
  });
});

describe('bus_dmamem_alloc', () => {
  it('returns zeroed memory that satisfies the tag, and an unloaded map for it', () => {
    const m = machine();
    const t = m.busdma.bus_dma_tag_create(null, 0x2000, 0x4000, (2 << 20) - 1, MAXADDR, 0x3000, 1, 0x3000, 0, DEV);
    filled(m.mem, 3 * PAGE_SIZE); // dirty some memory first
    const r = m.busdma.bus_dmamem_alloc(t, BUS_DMA_NOWAIT | BUS_DMA_ZERO);
    if (r.error !== 0) throw new Error('bus_dmamem_alloc failed');
    const { vaddr, map } = r;
    expect(vaddr.paddr % 0x2000).toBe(0);
    expect(vaddr.end).toBeLessThanOrEqual(2 << 20);
    expect(Math.floor(vaddr.paddr / 0x4000)).toBe(Math.floor((vaddr.end - 1) / 0x4000));
    expect(vaddr.bytes.every((x) => x === 0)).toBe(true);
    expect(map.loaded).toBe(false);
    const seg = m.busdma.bus_dmamap_load_sg(t, map, vaddr, vaddr.size, 0);
    expect(plain(seg.segs)).toEqual([{ ds_addr: vaddr.paddr, ds_len: 0x3000 }]);
    expect(() => m.busdma.bus_dmamem_free(t, vaddr, map)).toThrow(/still loaded/);
    expect(() => m.busdma.bus_dmamap_destroy(t, map)).toThrow(/bus_dmamem_free/);
    m.busdma.bus_dmamap_unload(t, map);
    m.busdma.bus_dmamem_free(t, vaddr, map);
    expect(vaddr.freed).toBe(true);
    expect(m.busdma.bus_dma_tag_destroy(t)).toBe(0);
  });

  it('fails with ENOMEM when the tag cannot be satisfied', () => {
    const m = machine({ size: 1 << 20 });
    const t = tag(m.busdma, { maxsize: 2 << 20 });
    expect(m.busdma.bus_dmamem_alloc(t, BUS_DMA_NOWAIT).error).toBe(12);
  });
});

describe('strict mode', () => {
  function loaded(m: Machine, n = 64, seed = 1) {
    const t = tag(m.busdma);
    const b = filled(m.mem, n, seed);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const seg = m.busdma.bus_dmamap_load_sg(t, map, b, n, 0).segs[0]!;
    return { t, b, map, seg };
  }

  it('accepts the full correct sequence: load, PREWRITE, read, PREREAD, write, POSTREAD, CPU read, POSTWRITE, unload', () => {
    const m = machine();
    const { t, b, map, seg } = loaded(m);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    deviceRead(m, seg);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREREAD);
    deviceWrite(m, seg.ds_addr + 8, new Uint8Array(16).fill(0xaa));
    deviceRead(m, { ds_addr: seg.ds_addr, ds_len: 32 }); // its own output is fine to read back
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_POSTREAD);
    m.mem.noteCpu('read', b.paddr, 64);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_POSTWRITE);
    m.busdma.bus_dmamap_unload(t, map);
    m.violations.assertNone();
    expect(m.busdma.stats.violations).toBe(0);
    expect(m.busdma.loadedMaps).toBe(0);
  });

  it('names a device access outside every loaded map, and after unload', () => {
    const m = machine();
    const { t, map, seg } = loaded(m);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREREAD);
    m.clock.t = 1234;
    deviceWrite(m, seg.ds_addr + 60, new Uint8Array(8));
    expect(m.violations.all).toHaveLength(1);
    expect(m.violations.all[0]).toMatchObject({ kind: 'dma-outside-map', device: DEV, address: seg.ds_addr + 64, operation: 'write', t: 1234 });
    // Another device has no business in this map either.
    m.busdma.deviceAccess('other0', 'read', seg.ds_addr, 4, 0);
    expect(m.violations.all[1]).toMatchObject({ kind: 'dma-outside-map', device: 'other0' });
    expect(m.violations.all[1]!.message).toMatch(/no map is loaded for other0/);
    m.busdma.bus_dmamap_unload(t, map);
    m.busdma.deviceAccess(DEV, 'write', seg.ds_addr, 4, 0);
    expect(m.violations.count('dma-outside-map')).toBe(3);
  });

  it('names a device read of a map never synced PREWRITE', () => {
    const m = machine();
    const { seg } = loaded(m);
    deviceRead(m, seg);
    expect(m.violations.all).toHaveLength(1);
    expect(m.violations.all[0]).toMatchObject({ kind: 'dma-read-before-prewrite', device: DEV, address: seg.ds_addr, operation: 'read' });
    expect(m.violations.all[0]!.message).toMatch(/never synced BUS_DMASYNC_PREWRITE/);
  });

  it('names a device read of bytes the CPU changed after PREWRITE, but not of untouched bytes', () => {
    const m = machine();
    const { t, b, map, seg } = loaded(m);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    b.bytes[40] = b.bytes[40]! ^ 0xff;
    deviceRead(m, { ds_addr: seg.ds_addr, ds_len: 40 });
    m.violations.assertNone();
    deviceRead(m, seg);
    expect(m.violations.all).toHaveLength(1);
    expect(m.violations.all[0]).toMatchObject({ kind: 'dma-read-stale', address: b.paddr + 40 });
    m.violations.clear();
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    deviceRead(m, seg);
    m.violations.assertNone();
  });

  it('catches a stale read through a bounce page, where the device really would see old data', () => {
    const m = machine();
    const t = tag(m.busdma, { alignment: 16 });
    const b = filled(m.mem, 64);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const seg = m.busdma.bus_dmamap_load_sg(t, map, { paddr: b.paddr + 1, len: 32 }, 32, 0).segs[0]!;
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    b.bytes[5] = b.bytes[5]! ^ 1;
    deviceRead(m, seg);
    expect(m.violations.all[0]).toMatchObject({ kind: 'dma-read-stale', address: seg.ds_addr + 4 });
    expect(m.violations.all[0]!.message).toMatch(/bounce page for client byte/);
  });

  it('names a CPU read of device-written bytes before POSTREAD, through mbuf helpers too', () => {
    const m = machine();
    const data = new Uint8Array(64).fill(1);
    const chain = m_fromBytes(m.mem, data);
    const t = tag(m.busdma);
    const map = m.busdma.bus_dmamap_create(t, 0);
    const seg = m.busdma.bus_dmamap_load_mbuf_sg(t, map, chain, 0).segs[0]!;
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREREAD);
    deviceWrite(m, seg.ds_addr + 16, new Uint8Array(16).fill(7));
    const out = new Uint8Array(8);
    m_copydata(chain, 0, 8, out); // bytes the device did not write
    m.violations.assertNone();
    m.clock.t = 99;
    m_copydata(chain, 10, 8, out);
    expect(m.violations.all).toHaveLength(1);
    expect(m.violations.all[0]).toMatchObject({ kind: 'cpu-read-before-postread', device: DEV, address: seg.ds_addr + 16, operation: 'cpu-read', t: 99 });
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_POSTREAD);
    m_copydata(chain, 0, 64, new Uint8Array(64));
    expect(m.violations.all).toHaveLength(1);
  });

  it('still catches the CPU reading a result whose map was unloaded without POSTREAD, until the bytes are overwritten', () => {
    const m = machine();
    const { t, b, map, seg } = loaded(m);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREREAD);
    deviceWrite(m, seg.ds_addr, new Uint8Array(8).fill(3));
    m.busdma.bus_dmamap_unload(t, map);
    m.mem.noteCpu('read', b.paddr + 4, 1);
    expect(m.violations.all).toHaveLength(1);
    expect(m.violations.all[0]!.message).toMatch(/unloaded without a BUS_DMASYNC_POSTREAD/);
    m.mem.noteCpu('write', b.paddr, 8);
    m.mem.noteCpu('read', b.paddr, 8);
    expect(m.violations.all).toHaveLength(1);
  });

  it('lets a device read a buffer loaded twice when either map allows it', () => {
    const m = machine();
    const t = tag(m.busdma);
    const b = filled(m.mem, 64);
    const src = m.busdma.bus_dmamap_create(t, 0);
    const dst = m.busdma.bus_dmamap_create(t, 0);
    const seg = m.busdma.bus_dmamap_load_sg(t, src, b, 64, 0).segs[0]!;
    m.busdma.bus_dmamap_load_sg(t, dst, b, 64, 0);
    m.busdma.bus_dmamap_sync(t, src, BUS_DMASYNC_PREWRITE);
    m.busdma.bus_dmamap_sync(t, dst, BUS_DMASYNC_PREREAD);
    deviceRead(m, seg);
    m.violations.assertNone();
  });

  it('reports destroying a loaded map as busy, and records nothing at all when strict mode is off', () => {
    const m = machine();
    const { t, map } = loaded(m);
    expect(m.busdma.bus_dmamap_destroy(t, map)).toBe(EBUSY);
    expect(m.violations.all[0]).toMatchObject({ kind: 'busdma-busy', device: DEV });

    const off = machine({ strict: false });
    const x = loaded(off);
    deviceRead(off, x.seg);
    off.busdma.deviceAccess(DEV, 'write', 8, 8, 0);
    off.mem.noteCpu('read', x.b.paddr, 64);
    expect(off.busdma.bus_dmamap_destroy(x.t, x.map)).toBe(EBUSY);
    expect(off.violations.all).toHaveLength(0);
    expect(x.map.sync).toBeNull();
  });

  it('finds the covering segment among many loaded maps exactly as a linear scan would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ off: fc.integer({ min: 0, max: 4000 }), len: fc.integer({ min: 1, max: 300 }), unload: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.record({ off: fc.integer({ min: 0, max: 4400 }), len: fc.integer({ min: 1, max: 64 }) }), { minLength: 1, maxLength: 30 }),
        (loads, accesses) => {
          const m = machine({ size: 1 << 20 });
          const t = tag(m.busdma);
          const base = m.mem.contigmalloc(2 * PAGE_SIZE, M_WAITOK | M_ZERO, 0, MAXADDR, PAGE_SIZE, 0)!.paddr;
          const live: [number, number][] = [];
          for (const l of loads) {
            const map = m.busdma.bus_dmamap_create(t, 0);
            m.busdma.bus_dmamap_load_sg(t, map, { paddr: base + l.off, len: l.len }, l.len, 0);
            m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREREAD);
            if (l.unload) m.busdma.bus_dmamap_unload(t, map);
            else live.push([base + l.off, base + l.off + l.len]);
          }
          for (const a of accesses) {
            const s = base + a.off;
            let outside = -1;
            for (let x = s; x < s + a.len && outside < 0; x++) if (!live.some(([ls, le]) => ls <= x && x < le)) outside = x;
            m.violations.clear();
            m.busdma.deviceAccess(DEV, 'write', s, a.len, 0);
            const v = m.violations.all;
            if (outside < 0) expect(v).toHaveLength(0);
            else expect(v.map((e) => [e.kind, e.address])).toEqual([['dma-outside-map', outside]]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('RangeSet', () => {
  it('agrees with a byte map under any sequence of adds and subtracts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 20 })), { maxLength: 40 }),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 0, max: 20 }),
        (ops, qs, ql) => {
          const set = new RangeSet();
          const ref = new Uint8Array(100);
          for (const [add, s, l] of ops) {
            if (add) set.add(s, s + l);
            else set.subtract(s, s + l);
            ref.fill(add ? 1 : 0, s, s + l);
          }
          let firstIn = -1;
          let firstOut = -1;
          for (let x = qs; x < qs + ql; x++) {
            if (firstIn < 0 && ref[x]) firstIn = x;
            if (firstOut < 0 && !ref[x]) firstOut = x;
          }
          expect(set.firstIn(qs, qs + ql)).toBe(firstIn);
          expect(set.firstOutside(qs, qs + ql)).toBe(firstOut);
          expect(set.empty).toBe(ref.every((x) => x === 0));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('tracing', () => {
  it('records loads, syncs and unloads when the trace is on', () => {
    const trace = new TraceRecorder({ enabled: true });
    const m = machine({ trace });
    const t = tag(m.busdma);
    const map: BusDmaMap = m.busdma.bus_dmamap_create(t, 0);
    m.busdma.bus_dmamap_load_sg(t, map, filled(m.mem, 16), 16, 0);
    m.busdma.bus_dmamap_sync(t, map, BUS_DMASYNC_PREWRITE);
    m.busdma.bus_dmamap_unload(t, map);
    expect(trace.all.map((e) => e.kind)).toEqual(['busdma.load', 'busdma.sync', 'busdma.unload']);
    expect(trace.all[0]).toMatchObject({ where: DEV, layer: 'dma', fields: { map: map.id, nsegs: 1, size: 16, bounced: 0 } });
  });
});
