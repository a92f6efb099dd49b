/**
 * bus_dma(9): DMA tags, maps, loads with bounce pages, and syncs, after FreeBSD 10.4's x86
 * implementation (sys/x86/x86/busdma_machdep.c r259511, sys/x86/x86/busdma_bounce.c r318977,
 * sys/kern/subr_bus_dma.c), with strict checks of the sync discipline (busdma-strict.ts).
 *
 * A load turns a buffer into segments `{ ds_addr, ds_len }` that obey the tag: at most maxsegsz
 * bytes, never crossing a `boundary`, starting on `alignment`, at most `nsegments` of them (else
 * EFBIG), physically adjacent pieces coalesced. A piece whose address a device cannot use (inside
 * the exclusion window (lowaddr, highaddr], or misaligned) is bounced: it is given a bounce page
 * below lowaddr, at most one page of client data per bounce page, and bus_dmamap_sync copies the
 * data there at PREWRITE and back at POSTREAD, as bounce_bus_dmamap_sync does.
 *
 * Deliberate differences from FreeBSD 10.4:
 * - Loads are never deferred (no EINPROGRESS, no busdma_swi): the simulator runs a load to the end
 *   or fails it, so a load that runs out of bounce pages fails with ENOMEM even without
 *   BUS_DMA_NOWAIT. Bounce pages are allocated on demand (not when the map is created), from
 *   memory below lowaddr, and kept in per-constraint zones for reuse.
 * - Every load returns the error its callback got. FreeBSD's bus_dmamap_load returns 0 after
 *   handing EFBIG to the callback; returning it too lets a driver that checks only the return
 *   value see the failure. A load larger than the tag's maxsize fails with EINVAL (FreeBSD 10
 *   does not check; earlier ones returned EINVAL for mbufs).
 * - A failed load leaves the map unloaded with its bounce pages released (FreeBSD keeps them
 *   until unload, so bus_dmamap_destroy after a failed load could return EBUSY).
 * - A child tag takes the stricter of its own and its parent's value for every constraint
 *   (FreeBSD merges only the address window and boundary, and checks ancestors' alignment through
 *   run_filter). A tag whose own boundary is below its maxsegsz is refused (FreeBSD lowers maxsegsz).
 * - Misuse the kernel would let slide or panic on throws, naming the call and the argument:
 *   negative or fractional lengths, a buffer shorter than buflen or outside memory, loading a
 *   loaded map, syncing an unloaded one, using a destroyed map or tag, a map of another tag.
 *   bus_dmamap_unload of an unloaded map is tolerated, as in FreeBSD.
 * - bus_dmamap_destroy of a loaded map and bus_dma_tag_destroy of a tag with maps return EBUSY as
 *   in FreeBSD and, in strict mode, are also reported as violations ("busdma-busy").
 * - BUS_SPACE_MAXADDR is Number.MAX_SAFE_INTEGER: amd64's 2^64-1 is not exact in a double, and any
 *   limit above physical memory behaves the same.
 * - The bounce copies at sync time are not reported to PhysMemory.noteCpu: they are bus_dma's own.
 *
 * @example
 *   const busdma = new BusDma({ mem, violations, now: () => engine.now });
 *   const tag = busdma.bus_dma_tag_create(null, 1, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR,
 *     0x3ffff, 64, 0xffff, 0, 'hifn0');
 *   const map = busdma.bus_dmamap_create(tag, 0);
 *   busdma.bus_dmamap_load_mbuf(tag, map, m, (arg, segs, nsegs, mapsize, error) => { ... }, null, BUS_DMA_NOWAIT);
 *   busdma.bus_dmamap_sync(tag, map, BUS_DMASYNC_PREWRITE);
 */
import type { DeviceDmaChecker } from './dma-check.js';
import { EBUSY, EFBIG, EINVAL, ENOMEM } from './errno.js';
import { M_PKTHDR, type mbuf } from './mbuf.js';
import { MemBlock, MemoryError, M_NOWAIT, M_WAITOK, M_ZERO, PAGE_SIZE, PhysMemory } from './memory.js';
import type { TraceRecorder } from './trace.js';
import type { uio } from './uio.js';
import type { Violation, ViolationLog } from './violations.js';
import { MapSyncState, StrictChecker } from './busdma-strict.js';

/** Flags (sys/sys/bus_dma.h). */
export const BUS_DMA_WAITOK = 0x00;
export const BUS_DMA_NOWAIT = 0x01;
export const BUS_DMA_ALLOCNOW = 0x02;
export const BUS_DMA_COHERENT = 0x04;
export const BUS_DMA_ZERO = 0x08;
export const BUS_DMA_NOCACHE = 0x200;
export const BUS_DMA_KEEP_PG_OFFSET = 0x400;

/** bus_dmamap_sync operations (sys/sys/bus_dma.h). */
export const BUS_DMASYNC_PREREAD = 1;
export const BUS_DMASYNC_POSTREAD = 2;
export const BUS_DMASYNC_PREWRITE = 4;
export const BUS_DMASYNC_POSTWRITE = 8;

/** Address and size limits (machine/bus.h). */
export const BUS_SPACE_MAXADDR = Number.MAX_SAFE_INTEGER;
export const BUS_SPACE_MAXADDR_32BIT = 0xffffffff;
export const BUS_SPACE_MAXADDR_24BIT = 0xffffff;
export const BUS_SPACE_MAXSIZE = Number.MAX_SAFE_INTEGER;
export const BUS_SPACE_MAXSIZE_32BIT = 0xffffffff;
export const BUS_SPACE_MAXSIZE_24BIT = 0xffffff;
/** As nsegments: no limit (C's ~0). */
export const BUS_SPACE_UNRESTRICTED = Number.MAX_SAFE_INTEGER;

/** busdma_bounce.c: MAX_BPAGES on amd64, per bounce zone here. */
const MAX_BPAGES = 8192;

export interface bus_dma_segment_t {
  /** Bus (physical) address a device uses. */
  ds_addr: number;
  ds_len: number;
}

export type bus_dmamap_callback_t<A> = (arg: A, segs: bus_dma_segment_t[], nseg: number, error: number) => void;
export type bus_dmamap_callback2_t<A> = (arg: A, segs: bus_dma_segment_t[], nseg: number, mapsize: number, error: number) => void;

/** What a synchronous load returns. `segs` is empty when `error` is not 0. */
export interface BusDmaLoadResult {
  error: number;
  segs: bus_dma_segment_t[];
  nsegs: number;
  mapsize: number;
}

export type BusDmamemResult = { error: 0; vaddr: MemBlock; map: BusDmaMap } | { error: typeof ENOMEM; vaddr: null; map: null };

export interface BusDmaStats {
  /** Live tags and maps. */
  tags: number;
  maps: number;
  loads: number;
  loadFailures: number;
  unloads: number;
  syncs: number;
  /** Bounce pages handed to loads, and loads that needed at least one. */
  bounces: number;
  bouncedLoads: number;
  /** Bytes copied to or from bounce pages by bus_dmamap_sync. */
  bounceCopyBytes: number;
  /** Bounce pages allocated in all zones (FreeBSD's hw.busdma.total_bpages). */
  bouncePages: number;
  /** Violations this BusDma reported. */
  violations: number;
}

export interface BusDmaOptions {
  mem: PhysMemory;
  violations: ViolationLog;
  trace?: TraceRecorder;
  /** The caller's simulated time, ps; stamps violations and trace events. */
  now: () => number;
  /** Check the sync discipline (busdma-strict.ts). Default true. */
  strict?: boolean;
}

interface BounceZone {
  lowaddr: number;
  alignment: number;
  free: MemBlock[];
  total: number;
}

interface BouncePage {
  page: MemBlock;
  busaddr: number;
  client: number;
  count: number;
}

export class BusDmaTag {
  /** @internal */ couldBounce: boolean;
  /** @internal */ zone: BounceZone | null = null;
  /** @internal */ mapCount = 0;
  /** @internal */ destroyed = false;

  /** @internal Use BusDma.bus_dma_tag_create. */
  constructor(
    /** @internal */ readonly dma: BusDma,
    readonly parent: BusDmaTag | null,
    readonly alignment: number,
    readonly boundary: number,
    /** Page-rounded as FreeBSD does: trunc_page(lowaddr) + PAGE_SIZE - 1. */
    readonly lowaddr: number,
    readonly highaddr: number,
    readonly maxsize: number,
    readonly nsegments: number,
    readonly maxsegsz: number,
    readonly flags: number,
    /** The device whose maps these are ("hifn0"), named in violation reports. */
    readonly owner: string,
  ) {
    this.couldBounce = alignment > 1 || (lowaddr < highaddr && lowaddr < dma.mem.size - 1);
  }
}

export class BusDmaMap {
  /** The current load's segments; do not modify. Empty while unloaded. */
  segs: bus_dma_segment_t[] = [];
  /** Bytes of the current load (the callback2 `mapsize`). */
  mapsize = 0;
  loaded = false;
  destroyed = false;
  /** @internal Client (CPU-side) address of each segment's first byte. */
  segClient: number[] = [];
  /** @internal */ bpages: BouncePage[] = [];
  /** @internal The block when the map came from bus_dmamem_alloc. */
  dmamem: MemBlock | null = null;
  /** @internal Strict-mode bookkeeping. */
  sync: MapSyncState | null = null;

  /** @internal Use BusDma.bus_dmamap_create. */
  constructor(
    readonly id: number,
    readonly tag: BusDmaTag,
  ) {}

  /** "map7 (hifn0)", for messages. */
  get name(): string {
    return `map${this.id} (${this.tag.owner})`;
  }
}

export type bus_dma_tag_t = BusDmaTag;
export type bus_dmamap_t = BusDmaMap;

/** A buffer given by physical address. */
export interface PhysRange {
  paddr: number;
  len: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
// Frozen: handed to callbacks on failure and held by unloaded maps, so nobody may fill it.
const EMPTY = Object.freeze([]) as unknown as bus_dma_segment_t[];

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
}

export class BusDma implements DeviceDmaChecker {
  readonly mem: PhysMemory;
  readonly strict: boolean;
  readonly stats: BusDmaStats = {
    tags: 0,
    maps: 0,
    loads: 0,
    loadFailures: 0,
    unloads: 0,
    syncs: 0,
    bounces: 0,
    bouncedLoads: 0,
    bounceCopyBytes: 0,
    bouncePages: 0,
    violations: 0,
  };
  private readonly violations: ViolationLog;
  private readonly trace: TraceRecorder | undefined;
  private readonly now: () => number;
  private readonly checker: StrictChecker | null;
  private readonly removeHook: (() => void) | null;
  private readonly zones: BounceZone[] = [];
  private nextMapId = 1;
  private loadedCount = 0;

  constructor(options: BusDmaOptions) {
    this.mem = options.mem;
    this.violations = options.violations;
    this.trace = options.trace;
    this.now = options.now;
    this.strict = options.strict ?? true;
    if (this.strict) {
      this.checker = new StrictChecker(this.mem, (v) => this.report(v), this.now);
      this.removeHook = this.mem.addCpuAccessHook(this.checker.cpuAccess);
    } else {
      this.checker = null;
      this.removeHook = null;
    }
  }

  /** Maps currently loaded (a leak check for the end of a test). */
  get loadedMaps(): number {
    return this.loadedCount;
  }

  /** Stop watching CPU accesses. */
  dispose(): void {
    this.removeHook?.();
  }

  /** Free the bounce pages no map is using; returns how many. */
  drainBouncePages(): number {
    let n = 0;
    for (const z of this.zones) {
      for (const b of z.free) this.mem.free(b);
      n += z.free.length;
      z.total -= z.free.length;
      z.free.length = 0;
    }
    this.stats.bouncePages -= n;
    return n;
  }

  bus_dma_tag_create(
    parent: BusDmaTag | null,
    alignment: number,
    boundary: number,
    lowaddr: number,
    highaddr: number,
    maxsize: number,
    nsegments: number,
    maxsegsz: number,
    flags: number,
    owner: string,
  ): BusDmaTag {
    const fn = 'bus_dma_tag_create';
    if (parent !== null) this.checkTag(fn, parent, 'parent');
    if (!isPow2(alignment)) throw new RangeError(`${fn}: alignment must be a power of two, got ${alignment}`);
    if (boundary !== 0 && !isPow2(boundary)) throw new RangeError(`${fn}: boundary must be 0 or a power of two, got ${boundary}`);
    checkInt(fn, 'lowaddr', lowaddr, 0);
    checkInt(fn, 'highaddr', highaddr, 0);
    checkInt(fn, 'maxsize', maxsize, 1);
    checkInt(fn, 'nsegments', nsegments, 1);
    checkInt(fn, 'maxsegsz', maxsegsz, 1);
    checkInt(fn, 'flags', flags, 0);
    if (boundary !== 0 && boundary < maxsegsz) {
      throw new RangeError(`${fn}: boundary (${hex(boundary)}) is smaller than maxsegsz (${hex(maxsegsz)}); no segment could reach maxsegsz`);
    }
    if (boundary !== 0 && alignment > boundary) {
      throw new RangeError(`${fn}: alignment (${hex(alignment)}) is larger than boundary (${hex(boundary)})`);
    }
    if (typeof owner !== 'string' || owner === '') throw new RangeError(`${fn}: owner must name the device, got ${String(owner)}`);
    const roundLow = (a: number): number => Math.floor(a / PAGE_SIZE) * PAGE_SIZE + (PAGE_SIZE - 1);
    let low = roundLow(lowaddr);
    let high = roundLow(highaddr);
    if (parent) {
      low = Math.min(low, parent.lowaddr);
      high = Math.max(high, parent.highaddr);
      if (boundary === 0) boundary = parent.boundary;
      else if (parent.boundary !== 0) boundary = Math.min(boundary, parent.boundary);
      alignment = Math.max(alignment, parent.alignment);
      maxsize = Math.min(maxsize, parent.maxsize);
      nsegments = Math.min(nsegments, parent.nsegments);
      maxsegsz = Math.min(maxsegsz, parent.maxsegsz);
      // An inherited boundary may sit below our maxsegsz; lower it as common_bus_dma_tag_create does.
      if (boundary !== 0 && maxsegsz > boundary) maxsegsz = boundary;
    }
    this.stats.tags++;
    return new BusDmaTag(this, parent, alignment, boundary, low, high, maxsize, nsegments, maxsegsz, flags, owner);
  }

  /** EBUSY while the tag has maps. Children keep working after their parent is destroyed, as FreeBSD's reference counts allow. */
  bus_dma_tag_destroy(tag: BusDmaTag): number {
    this.checkTag('bus_dma_tag_destroy', tag, 'tag');
    if (tag.mapCount > 0) {
      this.misuse(tag, `bus_dma_tag_destroy: tag of ${tag.owner} still has ${tag.mapCount} map(s); EBUSY`);
      return EBUSY;
    }
    tag.destroyed = true;
    this.stats.tags--;
    return 0;
  }

  bus_dmamap_create(tag: BusDmaTag, flags: number): BusDmaMap {
    this.checkTag('bus_dmamap_create', tag, 'tag');
    checkInt('bus_dmamap_create', 'flags', flags, 0);
    return this.newMap(tag);
  }

  /** EBUSY while loaded. Destroying a map twice throws. */
  bus_dmamap_destroy(tag: BusDmaTag, map: BusDmaMap): number {
    const fn = 'bus_dmamap_destroy';
    this.checkMap(fn, tag, map);
    if (map.dmamem) throw new Error(`${fn}: ${map.name} came from bus_dmamem_alloc; release it with bus_dmamem_free`);
    if (map.loaded) {
      this.misuse(tag, `${fn}: ${map.name} is still loaded; EBUSY (call bus_dmamap_unload first)`);
      return EBUSY;
    }
    this.retireMap(map);
    return 0;
  }

  /**
   * Memory that satisfies the tag (maxsize bytes, aligned, within lowaddr, not crossing boundary),
   * and an unloaded map for it. Load the map to learn the bus address, as drivers do.
   */
  bus_dmamem_alloc(tag: BusDmaTag, flags: number): BusDmamemResult {
    const fn = 'bus_dmamem_alloc';
    this.checkTag(fn, tag, 'tag');
    checkInt(fn, 'flags', flags, 0);
    const fail = { error: ENOMEM, vaddr: null, map: null } as const;
    const mflags = (flags & BUS_DMA_NOWAIT ? M_NOWAIT : M_WAITOK) | (flags & BUS_DMA_ZERO ? M_ZERO : 0);
    const size = tag.maxsize;
    if (size > this.mem.size || (tag.boundary !== 0 && tag.boundary < size)) return fail;
    let block: MemBlock | null = null;
    try {
      // Small requests come from malloc, as bounce_bus_dmamem_alloc does, when its chunk fits the tag.
      if (size <= PAGE_SIZE && tag.alignment <= size && tag.lowaddr >= this.mem.size - 1) {
        block = this.mem.malloc(size, mflags, 'busdma');
        if (!block) return fail;
        if (block.paddr % tag.alignment !== 0 || this.crossesBoundary(tag, block.paddr, size)) {
          this.mem.free(block);
          block = null;
        }
      }
      block ??= this.mem.contigmalloc(size, mflags, 0, tag.lowaddr, tag.alignment, tag.boundary, 'busdma');
    } catch (e) {
      if (e instanceof MemoryError) return fail;
      throw e;
    }
    if (!block) return fail;
    const map = this.newMap(tag);
    map.dmamem = block;
    return { error: 0, vaddr: block, map };
  }

  bus_dmamem_free(tag: BusDmaTag, vaddr: MemBlock, map: BusDmaMap): void {
    const fn = 'bus_dmamem_free';
    this.checkMap(fn, tag, map);
    if (map.dmamem === null || map.dmamem !== vaddr) throw new Error(`${fn}: ${map.name} was not returned by bus_dmamem_alloc with this block`);
    if (map.loaded) throw new Error(`${fn}: ${map.name} is still loaded; a device could DMA into freed memory (call bus_dmamap_unload first)`);
    this.mem.free(vaddr);
    map.dmamem = null;
    this.retireMap(map);
  }

  /** Load a contiguous buffer: a MemBlock or a physical range. `buflen` may be less than the buffer. */
  bus_dmamap_load<A>(
    tag: BusDmaTag,
    map: BusDmaMap,
    buf: MemBlock | PhysRange,
    buflen: number,
    callback: bus_dmamap_callback_t<A>,
    arg: A,
    flags: number,
  ): number {
    const error = this.loadBuf('bus_dmamap_load', tag, map, buf, buflen, flags);
    if (error) callback(arg, EMPTY, 0, error);
    else callback(arg, map.segs, map.segs.length, 0);
    return error;
  }

  /** bus_dmamap_load without a callback (not in FreeBSD). */
  bus_dmamap_load_sg(tag: BusDmaTag, map: BusDmaMap, buf: MemBlock | PhysRange, buflen: number, flags: number): BusDmaLoadResult {
    return this.result(map, this.loadBuf('bus_dmamap_load_sg', tag, map, buf, buflen, flags));
  }

  /** Load an mbuf chain (needs M_PKTHDR; empty mbufs are skipped); callback2 gets m_pkthdr.len. */
  bus_dmamap_load_mbuf<A>(tag: BusDmaTag, map: BusDmaMap, m0: mbuf, callback: bus_dmamap_callback2_t<A>, arg: A, flags: number): number {
    const error = this.loadMbuf('bus_dmamap_load_mbuf', tag, map, m0, flags);
    if (error) callback(arg, EMPTY, 0, 0, error);
    else callback(arg, map.segs, map.segs.length, map.mapsize, 0);
    return error;
  }

  bus_dmamap_load_mbuf_sg(tag: BusDmaTag, map: BusDmaMap, m0: mbuf, flags: number): BusDmaLoadResult {
    return this.result(map, this.loadMbuf('bus_dmamap_load_mbuf_sg', tag, map, m0, flags));
  }

  /** Load uio_resid bytes of a uio's iovecs; callback2 gets uio_resid. */
  bus_dmamap_load_uio<A>(tag: BusDmaTag, map: BusDmaMap, u: uio, callback: bus_dmamap_callback2_t<A>, arg: A, flags: number): number {
    const error = this.loadUio('bus_dmamap_load_uio', tag, map, u, flags);
    if (error) callback(arg, EMPTY, 0, 0, error);
    else callback(arg, map.segs, map.segs.length, map.mapsize, 0);
    return error;
  }

  /** bus_dmamap_load_uio without a callback (not in FreeBSD). */
  bus_dmamap_load_uio_sg(tag: BusDmaTag, map: BusDmaMap, u: uio, flags: number): BusDmaLoadResult {
    return this.result(map, this.loadUio('bus_dmamap_load_uio_sg', tag, map, u, flags));
  }

  /** Release the mapping and its bounce pages. An unloaded map is tolerated, as in FreeBSD. */
  bus_dmamap_unload(tag: BusDmaTag, map: BusDmaMap): void {
    this.checkMap('bus_dmamap_unload', tag, map);
    if (!map.loaded) return;
    this.checker?.unloaded(map);
    this.releaseBounce(tag, map);
    map.loaded = false;
    map.segs = EMPTY;
    map.segClient = [];
    map.mapsize = 0;
    this.loadedCount--;
    this.stats.unloads++;
    if (this.trace?.on) this.trace.record({ t: this.now(), layer: 'dma', where: tag.owner, kind: 'busdma.unload', fields: { map: map.id } });
  }

  /** PREWRITE copies the client data to the bounce pages, POSTREAD copies it back; PREREAD and POSTWRITE only order. */
  bus_dmamap_sync(tag: BusDmaTag, map: BusDmaMap, op: number): void {
    const fn = 'bus_dmamap_sync';
    this.checkMap(fn, tag, map);
    if (!Number.isInteger(op) || op <= 0 || (op & ~0xf) !== 0) {
      throw new RangeError(`${fn}: op must be an OR of BUS_DMASYNC_PREREAD/POSTREAD/PREWRITE/POSTWRITE, got ${op}`);
    }
    if (!map.loaded) throw new Error(`${fn}: ${map.name} is not loaded`);
    this.stats.syncs++;
    const prewrite = (op & BUS_DMASYNC_PREWRITE) !== 0;
    const postread = (op & BUS_DMASYNC_POSTREAD) !== 0;
    if (map.bpages.length > 0 && (prewrite || postread)) {
      const bytes = this.mem.bytes;
      for (const bp of map.bpages) {
        if (prewrite) bytes.copyWithin(bp.busaddr, bp.client, bp.client + bp.count);
        if (postread) bytes.copyWithin(bp.client, bp.busaddr, bp.busaddr + bp.count);
        this.stats.bounceCopyBytes += (prewrite ? bp.count : 0) + (postread ? bp.count : 0);
      }
    }
    this.checker?.synced(map, prewrite, postread);
    if (this.trace?.on) this.trace.record({ t: this.now(), layer: 'dma', where: tag.owner, kind: 'busdma.sync', fields: { map: map.id, op } });
  }

  /** DeviceDmaChecker: the PCI host bridge calls this for every bus-master access. */
  deviceAccess(device: string, kind: 'read' | 'write', paddr: number, len: number, t: number): void {
    this.checker?.deviceAccess(device, kind, paddr, len, t);
  }

  // --- loading ---

  /**
   * buflen need not be a multiple of the tag's alignment: alignment constrains where segments
   * start, as in FreeBSD, and drivers such as ubsec load odd-sized structures with page-aligned tags.
   */
  private loadBuf(fn: string, tag: BusDmaTag, map: BusDmaMap, buf: MemBlock | PhysRange, buflen: number, flags: number): number {
    this.beginLoad(fn, tag, map, flags);
    checkInt(fn, 'buflen', buflen, 0);
    let paddr: number;
    if (buf instanceof MemBlock) {
      if (buf.bytes.buffer !== this.mem.buffer) throw new Error(`${fn}: buf lives in another machine's memory`);
      if (buf.freed) throw new Error(`${fn}: buf (${buf.tag} block at ${hex(buf.paddr)}) was freed`);
      if (buflen > buf.size) throw new RangeError(`${fn}: buflen (${buflen}) is larger than buf (${buf.size} bytes at ${hex(buf.paddr)})`);
      paddr = buf.paddr;
    } else {
      if (buf === null || typeof buf !== 'object') throw new TypeError(`${fn}: buf must be a MemBlock or { paddr, len }`);
      checkInt(fn, 'buf.len', buf.len, 0);
      if (buflen > buf.len) throw new RangeError(`${fn}: buflen (${buflen}) is larger than buf.len (${buf.len})`);
      this.mem.checkRange(fn, buf.paddr, buflen);
      paddr = buf.paddr;
    }
    const error = buflen > tag.maxsize ? EINVAL : this.loadPhys(tag, map, paddr, buflen);
    return this.endLoad(tag, map, error, buflen);
  }

  private loadMbuf(fn: string, tag: BusDmaTag, map: BusDmaMap, m0: mbuf, flags: number): number {
    this.beginLoad(fn, tag, map, flags);
    if (m0 === null || typeof m0 !== 'object') throw new TypeError(`${fn}: m is not an mbuf`);
    if ((m0.m_flags & M_PKTHDR) === 0) throw new Error(`${fn}: the first mbuf has no packet header (M_PKTHDR), as M_ASSERTPKTHDR requires`);
    let total = 0;
    let i = 0;
    for (let m: mbuf | null = m0; m; m = m.m_next, i++) {
      if (m.m_mem !== this.mem) throw new Error(`${fn}: mbuf #${i} lives in another machine's memory`);
      if (m.freed) throw new Error(`${fn}: mbuf #${i} of the chain was freed`);
      checkInt(fn, `m_len of mbuf #${i}`, m.m_len, 0);
      if (m.m_len > 0) this.mem.checkRange(`${fn}: mbuf #${i}`, m.m_data, m.m_len);
      total += m.m_len;
      if (i > 1 << 20) throw new Error(`${fn}: the chain does not end (a loop in m_next?)`);
    }
    if (total !== m0.m_pkthdr.len) throw new Error(`${fn}: m_pkthdr.len (${m0.m_pkthdr.len}) differs from the chain's m_len total (${total})`);
    let error = total > tag.maxsize ? EINVAL : 0;
    for (let m: mbuf | null = m0; m && error === 0; m = m.m_next) {
      if (m.m_len > 0) error = this.loadPhys(tag, map, m.m_data, m.m_len);
    }
    return this.endLoad(tag, map, error, total);
  }

  private loadUio(fn: string, tag: BusDmaTag, map: BusDmaMap, u: uio, flags: number): number {
    this.beginLoad(fn, tag, map, flags);
    if (u === null || typeof u !== 'object') throw new TypeError(`${fn}: uio is not a uio`);
    if (u.uio_mem !== this.mem) throw new Error(`${fn}: the uio lives in another machine's memory`);
    if (u.freed) throw new Error(`${fn}: the uio's iovecs were freed`);
    if (!Number.isSafeInteger(u.uio_iovcnt) || u.uio_iovcnt < 0 || u.uio_iovcnt > u.uio_iov.length) {
      throw new RangeError(`${fn}: uio_iovcnt (${u.uio_iovcnt}) must be an integer from 0 to uio_iov.length (${u.uio_iov.length})`);
    }
    checkInt(fn, 'uio_resid', u.uio_resid, 0);
    let resid = u.uio_resid;
    for (let i = 0; i < u.uio_iovcnt && resid > 0; i++) {
      const iov = u.uio_iov[i]!;
      checkInt(fn, `uio_iov[${i}].iov_len`, iov.iov_len, 0);
      const n = Math.min(resid, iov.iov_len);
      if (n > 0) this.mem.checkRange(`${fn}: uio_iov[${i}]`, iov.iov_base, n);
      resid -= n;
    }
    if (resid > 0) throw new RangeError(`${fn}: uio_resid (${u.uio_resid}) is larger than the ${u.uio_iovcnt} iovecs hold`);
    let error = u.uio_resid > tag.maxsize ? EINVAL : 0;
    resid = u.uio_resid;
    for (let i = 0; i < u.uio_iovcnt && resid > 0 && error === 0; i++) {
      const iov = u.uio_iov[i]!;
      const n = Math.min(resid, iov.iov_len);
      if (n > 0) error = this.loadPhys(tag, map, iov.iov_base, n);
      resid -= n;
    }
    return this.endLoad(tag, map, error, u.uio_resid);
  }

  private beginLoad(fn: string, tag: BusDmaTag, map: BusDmaMap, flags: number): void {
    this.checkMap(fn, tag, map);
    if (map.loaded) throw new Error(`${fn}: map already loaded (${map.name}); call bus_dmamap_unload first`);
    checkInt(fn, 'flags', flags, 0);
    map.segs = [];
    map.segClient = [];
  }

  private endLoad(tag: BusDmaTag, map: BusDmaMap, error: number, size: number): number {
    if (error !== 0) {
      this.releaseBounce(tag, map);
      map.segs = EMPTY;
      map.segClient = [];
      this.stats.loadFailures++;
      return error;
    }
    map.loaded = true;
    map.mapsize = size;
    this.loadedCount++;
    this.stats.loads++;
    if (map.bpages.length > 0) {
      this.stats.bouncedLoads++;
      this.stats.bounces += map.bpages.length;
    }
    this.checker?.loaded(map);
    if (this.trace?.on) {
      this.trace.record({
        t: this.now(),
        layer: 'dma',
        where: tag.owner,
        kind: 'busdma.load',
        fields: { map: map.id, nsegs: map.segs.length, size, bounced: map.bpages.length },
      });
    }
    return 0;
  }

  /**
   * Add [client, client+len) to the map's segments: bounce_bus_dmamap_load_phys and
   * _bus_dmamap_addseg. Physical memory is contiguous here, so pieces are not cut at pages except
   * where a bounce page takes one, or where the piece would run into the exclusion window.
   */
  private loadPhys(tag: BusDmaTag, map: BusDmaMap, client: number, len: number): number {
    const segs = map.segs;
    const segClient = map.segClient;
    const { maxsegsz, boundary, nsegments, lowaddr, highaddr } = tag;
    while (len > 0) {
      let sgsize = len < maxsegsz ? len : maxsegsz;
      let busaddr = client;
      let bpage: BouncePage | null = null;
      if (tag.couldBounce) {
        if ((client > lowaddr && client <= highaddr) || client % tag.alignment !== 0) {
          const offset = client % PAGE_SIZE;
          if (sgsize > PAGE_SIZE - offset) sgsize = PAGE_SIZE - offset;
          const page = this.takeBouncePage(tag);
          if (!page) return ENOMEM;
          busaddr = page.paddr + (tag.flags & BUS_DMA_KEEP_PG_OFFSET ? offset : 0);
          bpage = { page, busaddr, client, count: 0 };
        } else if (client <= lowaddr && lowaddr < highaddr && sgsize > lowaddr + 1 - client) {
          sgsize = lowaddr + 1 - client;
        }
      }
      // Clamp before taking the bounce page's count, unlike FreeBSD, which records the unclamped size.
      if (boundary !== 0 && sgsize > boundary - (busaddr % boundary)) sgsize = boundary - (busaddr % boundary);
      const n = segs.length;
      const last = n > 0 ? segs[n - 1]! : null;
      if (
        last !== null &&
        busaddr === last.ds_addr + last.ds_len &&
        client === segClient[n - 1]! + last.ds_len &&
        last.ds_len + sgsize <= maxsegsz &&
        (boundary === 0 || Math.floor(last.ds_addr / boundary) === Math.floor(busaddr / boundary))
      ) {
        last.ds_len += sgsize;
      } else {
        if (n >= nsegments) {
          if (bpage) this.zoneOf(tag).free.push(bpage.page);
          return EFBIG;
        }
        segs.push({ ds_addr: busaddr, ds_len: sgsize });
        segClient.push(client);
      }
      if (bpage) {
        bpage.count = sgsize;
        map.bpages.push(bpage);
      }
      client += sgsize;
      len -= sgsize;
    }
    return 0;
  }

  // --- bounce pages ---

  /** alloc_bounce_zone: share a zone with any tag whose constraints it already meets. */
  private zoneOf(tag: BusDmaTag): BounceZone {
    if (tag.zone) return tag.zone;
    let zone = this.zones.find((z) => tag.alignment <= z.alignment && tag.lowaddr >= z.lowaddr);
    if (!zone) {
      zone = { lowaddr: tag.lowaddr, alignment: Math.max(tag.alignment, PAGE_SIZE), free: [], total: 0 };
      this.zones.push(zone);
    }
    return (tag.zone = zone);
  }

  private takeBouncePage(tag: BusDmaTag): MemBlock | null {
    const zone = this.zoneOf(tag);
    const free = zone.free.pop();
    if (free) return free;
    if (zone.total >= MAX_BPAGES) return null;
    // M_WAITOK: FreeBSD fills its pool when maps are created, so injected M_NOWAIT failures must not hit loads.
    let page: MemBlock | null;
    try {
      page = this.mem.contigmalloc(PAGE_SIZE, M_WAITOK, 0, zone.lowaddr, zone.alignment, 0, 'bounce');
    } catch (e) {
      if (e instanceof MemoryError) return null;
      throw e;
    }
    if (page) {
      zone.total++;
      this.stats.bouncePages++;
    }
    return page;
  }

  private releaseBounce(tag: BusDmaTag, map: BusDmaMap): void {
    if (map.bpages.length === 0) return;
    const free = this.zoneOf(tag).free;
    for (const bp of map.bpages) free.push(bp.page);
    map.bpages = [];
  }

  // --- helpers ---

  private crossesBoundary(tag: BusDmaTag, paddr: number, len: number): boolean {
    return tag.boundary !== 0 && Math.floor(paddr / tag.boundary) !== Math.floor((paddr + len - 1) / tag.boundary);
  }

  private result(map: BusDmaMap, error: number): BusDmaLoadResult {
    return error ? { error, segs: EMPTY, nsegs: 0, mapsize: 0 } : { error, segs: map.segs, nsegs: map.segs.length, mapsize: map.mapsize };
  }

  private newMap(tag: BusDmaTag): BusDmaMap {
    tag.mapCount++;
    this.stats.maps++;
    return new BusDmaMap(this.nextMapId++, tag);
  }

  private retireMap(map: BusDmaMap): void {
    map.destroyed = true;
    map.sync = null;
    map.tag.mapCount--;
    this.stats.maps--;
  }

  private checkTag(fn: string, tag: BusDmaTag, name: string): void {
    if (!(tag instanceof BusDmaTag)) throw new TypeError(`${fn}: ${name} is not a bus_dma tag`);
    if (tag.dma !== this) throw new Error(`${fn}: ${name} (${tag.owner}) belongs to another machine's bus_dma`);
    if (tag.destroyed) throw new Error(`${fn}: ${name} (${tag.owner}) was destroyed`);
  }

  private checkMap(fn: string, tag: BusDmaTag, map: BusDmaMap): void {
    if (!(map instanceof BusDmaMap)) throw new TypeError(`${fn}: map is not a bus_dma map`);
    if (map.destroyed) throw new Error(`${fn}: ${map.name} was destroyed`);
    if (map.tag !== tag) throw new Error(`${fn}: ${map.name} was created with another tag`);
    if (!(tag instanceof BusDmaTag) || tag.dma !== this) throw new Error(`${fn}: tag belongs to another machine's bus_dma`);
  }

  private misuse(tag: BusDmaTag, message: string): void {
    if (this.strict) this.report({ kind: 'busdma-busy', t: this.now(), device: tag.owner, message });
  }

  private report(v: Violation): void {
    this.stats.violations++;
    this.violations.report(v);
  }
}

/**
 * bus_get_dma_tag(9): the bus_dma of the machine `dev` lives on. In FreeBSD it returns the parent
 * tag; here tags are created on the returned object with a null parent.
 */
export function bus_get_dma_tag(dev: { tree: { busdma: BusDma | null }; nameunit: string }): BusDma {
  const dma = dev.tree.busdma;
  if (!dma) throw new Error(`bus_get_dma_tag: ${dev.nameunit}'s machine has no bus_dma`);
  return dma;
}
