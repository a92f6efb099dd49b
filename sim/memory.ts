/**
 * Physical memory: one ArrayBuffer per machine, a page allocator, kernel malloc(9) with UMA-like
 * size zones, and contigmalloc(9) with address range, alignment and boundary.
 *
 * Every allocation is a `MemBlock` with a physical address (what a card DMAs to) and a Uint8Array
 * view (what the CPU touches). Physical address 0 is never handed out, so 0 can mean "none" in a
 * descriptor. Freed memory is poisoned with 0xdeadc0de, as FreeBSD's INVARIANTS kernels do, so a
 * use after free reads garbage loudly instead of plausible stale data.
 *
 * Deliberate difference: kernel malloc above a page is physically contiguous here (FreeBSD's
 * kmem_malloc is only virtually contiguous); bus_dma still splits loads at page boundaries when a
 * tag's constraints say so.
 *
 * @example
 *   const mem = new PhysMemory({ size: 16 << 20, prng });
 *   const b = mem.malloc(512, M_WAITOK | M_ZERO, 'softc');
 *   b.bytes[0] = 1; mem.free(b);
 */
import { Prng } from './prng.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/** malloc(9) flags, FreeBSD values. */
export const M_NOWAIT = 0x0001;
export const M_WAITOK = 0x0002;
export const M_ZERO = 0x0100;

/** The byte pattern a freed block is filled with (FreeBSD's 0xdeadc0de, little-endian). */
export const POISON = Uint8Array.of(0xde, 0xc0, 0xad, 0xde);

export class MemoryError extends Error {
  override name = 'MemoryError';
}

export class MemBlock {
  freed = false;
  constructor(
    /** Physical address of the first byte. */
    readonly paddr: number,
    /** Bytes requested. */
    readonly size: number,
    /** The CPU's view of the block. */
    readonly bytes: Uint8Array,
    /** malloc type / purpose, shown in errors ("M_DEVBUF", "mbuf"). */
    readonly tag: string,
    /** @internal Which allocator owns it: a zone index, or -1 for the page allocator. */
    readonly zone: number,
    /** @internal Bytes actually reserved (zone chunk or whole pages). */
    readonly reserved: number,
  ) {}

  get end(): number {
    return this.paddr + this.size;
  }
}

export interface MemoryOptions {
  /** Bytes of physical memory; rounded up to whole pages. Default 64 MiB. */
  size?: number;
  /** For M_NOWAIT failure injection. */
  prng?: Prng;
}

/** Zone chunk sizes for small kernel malloc, as UMA's malloc buckets: a chunk never straddles a page. */
const ZONE_SIZES = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

interface Zone {
  size: number;
  free: number[];
}

/** Free extents of whole pages, sorted by start page. */
class PageExtents {
  private starts: number[] = [];
  private ends: number[] = [];

  constructor(first: number, end: number) {
    if (end > first) {
      this.starts.push(first);
      this.ends.push(end);
    }
  }

  /** Lowest run of `n` pages within [lowPage, highPage) meeting alignment and boundary (in pages). */
  take(n: number, lowPage: number, highPage: number, alignPages: number, boundaryPages: number): number {
    for (let i = 0; i < this.starts.length; i++) {
      let s = Math.max(this.starts[i]!, lowPage);
      const e = Math.min(this.ends[i]!, highPage);
      for (;;) {
        s = Math.ceil(s / alignPages) * alignPages;
        if (boundaryPages > 0 && Math.floor(s / boundaryPages) !== Math.floor((s + n - 1) / boundaryPages)) {
          s = Math.ceil((s + 1) / boundaryPages) * boundaryPages;
          continue;
        }
        break;
      }
      if (s + n <= e) {
        this.remove(i, s, s + n);
        return s;
      }
    }
    return -1;
  }

  put(start: number, end: number): void {
    // Binary search the insertion point, then coalesce with neighbours.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const prevEnd = lo > 0 ? this.ends[lo - 1]! : -1;
    const nextStart = lo < this.starts.length ? this.starts[lo]! : -1;
    if (prevEnd > start || (nextStart >= 0 && nextStart < end)) {
      throw new MemoryError(`page allocator: pages ${start}..${end} are already free`);
    }
    if (prevEnd === start && nextStart === end) {
      this.ends[lo - 1] = this.ends[lo]!;
      this.starts.splice(lo, 1);
      this.ends.splice(lo, 1);
    } else if (prevEnd === start) {
      this.ends[lo - 1] = end;
    } else if (nextStart === end) {
      this.starts[lo] = start;
    } else {
      this.starts.splice(lo, 0, start);
      this.ends.splice(lo, 0, end);
    }
  }

  get freePages(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  private remove(i: number, s: number, e: number): void {
    const S = this.starts[i]!;
    const E = this.ends[i]!;
    if (S === s && E === e) {
      this.starts.splice(i, 1);
      this.ends.splice(i, 1);
    } else if (S === s) {
      this.starts[i] = e;
    } else if (E === e) {
      this.ends[i] = s;
    } else {
      this.ends[i] = s;
      this.starts.splice(i + 1, 0, e);
      this.ends.splice(i + 1, 0, E);
    }
  }
}

export interface CpuAccessHook {
  (kind: 'read' | 'write', paddr: number, len: number): void;
}

export class PhysMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  /** The whole of physical memory, for DMA engines and bulk access. */
  readonly bytes: Uint8Array;
  private readonly pages: PageExtents;
  private readonly zones: Zone[];
  private readonly live = new Map<number, MemBlock>();
  private readonly nowaitPrng: Prng | undefined;
  private nowaitFailRate = 0;
  private nowaitFailCount = 0;
  private cpuHooks: CpuAccessHook[] = [];
  /** Statistics. */
  allocations = 0;
  frees = 0;
  nowaitFailures = 0;

  constructor(options: MemoryOptions = {}) {
    const size = options.size ?? 64 << 20;
    if (!Number.isSafeInteger(size) || size < 2 * PAGE_SIZE || size > 2 ** 32) {
      throw new RangeError(`PhysMemory: size must be an integer from ${2 * PAGE_SIZE} to 4 GiB, got ${size}`);
    }
    this.size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    this.buffer = new ArrayBuffer(this.size);
    this.bytes = new Uint8Array(this.buffer);
    // Page 0 is reserved so that physical address 0 never names a real buffer.
    this.pages = new PageExtents(1, this.size / PAGE_SIZE);
    this.zones = ZONE_SIZES.map((s) => ({ size: s, free: [] }));
    this.nowaitPrng = options.prng?.stream('malloc.nowait');
  }

  /**
   * Make M_NOWAIT allocations fail: with probability `rate` each, and/or the next `count` ones.
   * Draws from the machine PRNG's "malloc.nowait" stream, so runs stay reproducible.
   */
  injectNowaitFailures(options: { rate?: number; count?: number }): void {
    const rate = options.rate ?? 0;
    const count = options.count ?? 0;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`injectNowaitFailures: rate must be in [0, 1], got ${rate}`);
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`injectNowaitFailures: count must be an integer >= 0, got ${count}`);
    if (rate > 0 && !this.nowaitPrng) throw new Error('injectNowaitFailures: a rate needs a PhysMemory built with a prng');
    this.nowaitFailRate = rate;
    this.nowaitFailCount = count;
  }

  /** malloc(9). Returns null only for M_NOWAIT (out of memory or an injected failure). */
  malloc(size: number, flags: number = M_WAITOK, tag = 'M_DEVBUF'): MemBlock | null {
    checkSize('malloc', size);
    checkFlags('malloc', flags);
    if (this.nowaitFails(flags)) return null;
    let block: MemBlock | null;
    const zi = ZONE_SIZES.findIndex((s) => s >= size);
    if (zi >= 0) block = this.zoneAlloc(zi, size, tag);
    else block = this.pageAlloc(size, 0, this.size, PAGE_SIZE, 0, tag);
    return this.finish('malloc', block, size, flags);
  }

  /** contigmalloc(9): physically contiguous, within [low, high], aligned, not crossing `boundary`. */
  contigmalloc(
    size: number,
    flags: number,
    low: number,
    high: number,
    alignment: number,
    boundary: number,
    tag = 'M_DEVBUF',
  ): MemBlock | null {
    checkSize('contigmalloc', size);
    checkFlags('contigmalloc', flags);
    if (!Number.isSafeInteger(low) || low < 0) throw new RangeError(`contigmalloc: low must be an integer >= 0, got ${low}`);
    if (!Number.isSafeInteger(high) || high < low) throw new RangeError(`contigmalloc: high must be an integer >= low, got ${high}`);
    if (!isPow2(alignment)) throw new RangeError(`contigmalloc: alignment must be a power of two, got ${alignment}`);
    if (boundary !== 0 && (!isPow2(boundary) || boundary < size)) {
      throw new RangeError(`contigmalloc: boundary must be 0 or a power of two >= size (${size}), got ${boundary}`);
    }
    if (this.nowaitFails(flags)) return null;
    const block = this.pageAlloc(size, low, Math.min(high + 1, this.size), Math.max(alignment, PAGE_SIZE), boundary, tag);
    return this.finish('contigmalloc', block, size, flags);
  }

  /** free(9) / contigfree(9). Freeing twice, or something not allocated here, is an error. */
  free(block: MemBlock): void {
    if (!(block instanceof MemBlock)) throw new MemoryError('free: argument is not a block from this memory');
    if (block.freed) {
      throw new MemoryError(`free: double free of ${block.tag} block at 0x${block.paddr.toString(16)} (${block.size} bytes)`);
    }
    if (this.live.get(block.paddr) !== block) {
      throw new MemoryError(`free: block at 0x${block.paddr.toString(16)} does not belong to this memory`);
    }
    this.live.delete(block.paddr);
    block.freed = true;
    this.frees++;
    poison(this.bytes, block.paddr, block.reserved);
    if (block.zone >= 0) {
      this.zones[block.zone]!.free.push(block.paddr);
    } else {
      const first = block.paddr / PAGE_SIZE;
      this.pages.put(first, first + block.reserved / PAGE_SIZE);
    }
  }

  /** The live block containing `paddr`, if any (for diagnostics). */
  blockAt(paddr: number): MemBlock | undefined {
    const exact = this.live.get(paddr);
    if (exact) return exact;
    for (const b of this.live.values()) if (paddr >= b.paddr && paddr < b.end) return b;
    return undefined;
  }

  /** Live allocations (for leak checks at the end of a test). */
  get liveBlocks(): number {
    return this.live.size;
  }

  get freeBytes(): number {
    return this.pages.freePages * PAGE_SIZE;
  }

  /** A view of physical memory [paddr, paddr+len), checked against the memory size. */
  view(paddr: number, len: number): Uint8Array {
    this.checkRange('view', paddr, len);
    return this.bytes.subarray(paddr, paddr + len);
  }

  /** Check that [paddr, paddr+len) lies inside physical memory. */
  checkRange(what: string, paddr: number, len: number): void {
    if (!Number.isSafeInteger(paddr) || paddr < 0) throw new RangeError(`${what}: physical address must be an integer >= 0, got ${paddr}`);
    if (!Number.isSafeInteger(len) || len < 0) throw new RangeError(`${what}: length must be an integer >= 0, got ${len}`);
    if (paddr + len > this.size) {
      throw new RangeError(`${what}: [0x${paddr.toString(16)}, +${len}) lies outside physical memory (${this.size} bytes)`);
    }
  }

  /**
   * Watch CPU accesses made through the kernel's buffer helpers (mbuf, uio, crypto_copydata).
   * bus_dma's strict mode uses this to catch the CPU reading DMA'd bytes before POSTREAD.
   */
  addCpuAccessHook(hook: CpuAccessHook): () => void {
    this.cpuHooks.push(hook);
    return () => {
      this.cpuHooks = this.cpuHooks.filter((h) => h !== hook);
    };
  }

  /** Whether any hook watches CPU accesses (if not, callers may skip working out addresses to report). */
  get cpuWatched(): boolean {
    return this.cpuHooks.length > 0;
  }

  /** Tell the watchers that the CPU reads or writes [paddr, paddr+len). Cheap when nobody watches. */
  noteCpu(kind: 'read' | 'write', paddr: number, len: number): void {
    if (this.cpuHooks.length === 0 || len === 0) return;
    for (const h of this.cpuHooks) h(kind, paddr, len);
  }

  /** A CPU read of [paddr, paddr+len) through the kernel's accessors: noted for bus_dma's checks, returns a copy. */
  cpuRead(paddr: number, len: number): Uint8Array {
    this.checkRange('cpuRead', paddr, len);
    this.noteCpu('read', paddr, len);
    return this.bytes.slice(paddr, paddr + len);
  }

  /** A CPU write of `data` at `paddr`, noted for bus_dma's checks. */
  cpuWrite(paddr: number, data: Uint8Array): void {
    this.checkRange('cpuWrite', paddr, data.length);
    this.noteCpu('write', paddr, data.length);
    this.bytes.set(data, paddr);
  }

  private nowaitFails(flags: number): boolean {
    if ((flags & M_NOWAIT) === 0) return false;
    if (this.nowaitFailCount > 0) {
      this.nowaitFailCount--;
      this.nowaitFailures++;
      return true;
    }
    if (this.nowaitFailRate > 0 && this.nowaitPrng!.chance(this.nowaitFailRate)) {
      this.nowaitFailures++;
      return true;
    }
    return false;
  }

  private finish(what: string, block: MemBlock | null, size: number, flags: number): MemBlock | null {
    if (!block) {
      if (flags & M_NOWAIT) {
        this.nowaitFailures++;
        return null;
      }
      throw new MemoryError(`${what}(${size}, M_WAITOK): out of physical memory (${this.freeBytes} bytes free in pages)`);
    }
    this.live.set(block.paddr, block);
    this.allocations++;
    if (flags & M_ZERO) block.bytes.fill(0);
    return block;
  }

  private zoneAlloc(zi: number, size: number, tag: string): MemBlock | null {
    const zone = this.zones[zi]!;
    if (zone.free.length === 0) {
      const page = this.pages.take(1, 1, this.size / PAGE_SIZE, 1, 0);
      if (page < 0) return null;
      // Push in reverse so that chunks are handed out in ascending address order.
      for (let off = PAGE_SIZE - zone.size; off >= 0; off -= zone.size) zone.free.push(page * PAGE_SIZE + off);
    }
    const paddr = zone.free.pop()!;
    return new MemBlock(paddr, size, this.bytes.subarray(paddr, paddr + size), tag, zi, zone.size);
  }

  private pageAlloc(size: number, low: number, high: number, align: number, boundary: number, tag: string): MemBlock | null {
    const n = Math.max(1, Math.ceil(size / PAGE_SIZE));
    const lowPage = Math.max(1, Math.ceil(low / PAGE_SIZE));
    const highPage = Math.floor(high / PAGE_SIZE);
    const boundaryPages = boundary >= PAGE_SIZE ? boundary / PAGE_SIZE : 0;
    const page = this.pages.take(n, lowPage, highPage, align / PAGE_SIZE, boundaryPages);
    if (page < 0) return null;
    const paddr = page * PAGE_SIZE;
    return new MemBlock(paddr, size, this.bytes.subarray(paddr, paddr + size), tag, -1, n * PAGE_SIZE);
  }
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function checkSize(what: string, size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`${what}: size must be a positive integer, got ${size}`);
}

function checkFlags(what: string, flags: number): void {
  const wait = flags & (M_NOWAIT | M_WAITOK);
  if (wait !== M_NOWAIT && wait !== M_WAITOK) {
    throw new RangeError(`${what}: flags must contain exactly one of M_NOWAIT and M_WAITOK, got 0x${flags.toString(16)}`);
  }
}

function poison(bytes: Uint8Array, start: number, len: number): void {
  for (let i = 0; i < len; i++) bytes[start + i] = POISON[(start + i) & 3]!;
}
