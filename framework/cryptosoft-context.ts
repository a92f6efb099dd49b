/**
 * What every part of cryptosoft's request path shares: the backend that computes the bytes, the
 * cost table and the thread to charge, the machine's PRNG (arc4rand), and the gather / scatter of
 * a descriptor's region through crypto_copydata / crypto_copyback.
 *
 * Difference: swcr_encdec worked in place, block by block, bouncing a block that
 * straddled two segments. ocfsim gathers `[crd_skip, crd_skip + crd_len)` into one contiguous
 * scratch array, transforms it there and scatters it back; this is simple and obviously correct for
 * blocks straddling mbufs, zero-length segments and `crd_skip` past the first segments, lets the
 * backends run on one contiguous array, and gives the same bytes. When the region already is
 * contiguous (a contiguous buffer, or a region inside one mbuf or iovec) it is transformed in place
 * instead — only a host-speed shortcut: the copies are charged either way (see swcosts.ts,
 * "copies", which stand in for FreeBSD's per-block walk), so the simulated timeline is the same.
 */
import { CRYPTO_ALGORITHM_MAX, CRYPTO_F_IMBUF, CRYPTO_F_IOV, EINVAL } from './constants.js';
import { crypto_buflen, crypto_copyback, crypto_copydata, crypto_region_view } from './criov.js';
import type { crypto_buf } from './structs.js';
import type { CryptoBackend } from './xform/backend.js';
import { cpbFor, swcrAlgCycles, type SoftwareCryptoCosts } from './swcosts.js';
import type { PhysMemory } from '../sim/memory.js';
import type { Prng } from '../sim/prng.js';

const EMPTY = new Uint8Array(0);
/** Key sizes (bytes) algCycles keeps a table for; the largest key of any algorithm is 64 (XTS-256). */
const MAX_TABLED_KEY = 64;

/**
 * The request's buffer, its kind flags and length, as swcr_process looks at them once. A
 * contiguous buffer also carries where it lies in machine memory, so the per-descriptor reads and
 * writes below neither re-dispatch on the buffer kind nor ask each time whether it is machine
 * memory (the contiguous case is the one every fast algorithm runs through). The context keeps
 * one and resets it per request ({@link SwcrContext.buffer}): requests never nest inside swcr_process, and an allocation on this
 * path costs far more than its own few nanoseconds (see {@link SwcrContext.readRegion}).
 */
export class SwcrBuffer {
  flags = 0;
  buf: crypto_buf = EMPTY;
  /** Bytes in the buffer when processing started. */
  len = 0;
  /** The buffer itself when it is contiguous (neither CRYPTO_F_IMBUF nor CRYPTO_F_IOV), else null. */
  contig: Uint8Array | null = null;
  /**
   * The machine memory a contiguous buffer is a view of, when a hook watches CPU accesses there
   * (they are reported to it), else null. Hooks are not added while a request is processed.
   */
  contigMem: PhysMemory | null = null;
  /** Physical address of a contiguous buffer's first byte, when `contigMem` is set. */
  contigPaddr = 0;

  /** Take on a request's buffer. */
  reset(flags: number, buf: crypto_buf, mem: PhysMemory | undefined): this {
    const contig = (flags & (CRYPTO_F_IMBUF | CRYPTO_F_IOV)) === 0 && buf instanceof Uint8Array ? buf : null;
    // Asking a typed array for its ArrayBuffer is the dearest step here: only when someone watches.
    const inMem = contig !== null && mem !== undefined && mem.cpuWatched && contig.buffer === mem.buffer;
    this.flags = flags;
    this.buf = buf;
    this.len = crypto_buflen(flags, buf);
    this.contig = contig;
    this.contigMem = inMem ? mem : null;
    this.contigPaddr = inMem ? contig.byteOffset - mem.bytes.byteOffset : 0;
    return this;
  }
}

/**
 * A descriptor's region as a transform sees it: contiguous bytes, in place or a scratch copy.
 * The context owns one and hands it out from every gather (see {@link SwcrContext.gather}).
 */
export class SwcrRegion {
  off = 0;
  data: Uint8Array = EMPTY;
  /** `data` is a view of the buffer itself: nothing to copy back. */
  inPlace = false;
  /** For a view: the machine memory it lies in (accesses are reported to it), else null. */
  mem: PhysMemory | null = null;
  /** For a view in machine memory: the physical address of its first byte. */
  paddr = 0;

  set(off: number, data: Uint8Array, inPlace: boolean, mem: PhysMemory | null, paddr: number): this {
    this.off = off;
    this.data = data;
    this.inPlace = inPlace;
    this.mem = mem;
    this.paddr = paddr;
    return this;
  }
}

export class SwcrContext {
  /** Cycles charged during the current request (for the trace). */
  cycles = 0;

  constructor(
    readonly backend: CryptoBackend,
    readonly costs: SoftwareCryptoCosts,
    /** Charge host CPU cycles to the running simulated thread (none when called from an event). */
    private readonly chargeThread: (cycles: number) => void,
    /** arc4rand(9)'s stand-in: the machine PRNG's "cryptosoft.iv" stream. */
    private readonly ivPrng: Prng,
    readonly mem: PhysMemory | undefined,
  ) {}

  /**
   * swcrAlgCycles(costs, alg, len, keyBytes), from flat tables built once: the cost entries differ
   * in shape (one rate, or a rate per key size), which made every lookup polymorphic on a
   * simulation that mixes algorithms. Same arithmetic, so the same cycles to the last bit.
   */
  algCycles(alg: number, len: number, keyBytes: number): number {
    if (!(alg >= 0 && alg <= CRYPTO_ALGORITHM_MAX && keyBytes >= 0 && keyBytes <= MAX_TABLED_KEY)) return swcrAlgCycles(this.costs, alg, len, keyBytes);
    const i = alg * (MAX_TABLED_KEY + 1) + keyBytes;
    let cpb = this.cyclesPerByte[i]!;
    // Filled on first use: cpbFor sorts the listed key sizes on a miss, too dear for every machine's start.
    if (Number.isNaN(cpb)) {
      const c = this.costs.alg[alg];
      cpb = this.cyclesPerByte[i] = c === undefined ? 0 : cpbFor(c, keyBytes);
      this.setupCycles[alg] = c === undefined ? 0 : c.setup;
    }
    return this.setupCycles[alg]! + len * cpb;
  }

  private readonly setupCycles = new Float64Array(CRYPTO_ALGORITHM_MAX + 1);
  /** Cycles per byte by algorithm and key size (NaN: not looked up yet). */
  private readonly cyclesPerByte = new Float64Array((CRYPTO_ALGORITHM_MAX + 1) * (MAX_TABLED_KEY + 1)).fill(NaN);

  charge(cycles: number): void {
    if (cycles <= 0) return;
    this.cycles += cycles;
    this.chargeThread(cycles);
  }

  /** Where generated IVs are built (a request uses one at a time; see explicitIv for why not fresh arrays). */
  private readonly ivScratch = new Uint8Array(new ArrayBuffer(32));
  /** The last crd_iv seen and its view (see explicitIv). */
  private ivSource: Uint8Array | null = null;
  private ivView: Uint8Array = EMPTY;
  /** What gather hands out. */
  private readonly region = new SwcrRegion();
  /** What locate found (a view, where it lies). */
  private readonly found: { bytes: Uint8Array; mem: PhysMemory | null; paddr: number } = { bytes: EMPTY, mem: null, paddr: 0 };
  /** The request being processed (see buffer). */
  private readonly requestBuffer = new SwcrBuffer();
  /** The last view of a contiguous buffer (see contigView). */
  private viewSource: Uint8Array | null = null;
  private viewOff = 0;
  private viewBytes: Uint8Array = EMPTY;

  /**
   * arc4rand(iv, len): fresh IV bytes from the machine's PRNG, never from the host. The result is
   * valid until the next call.
   */
  randomIv(len: number): Uint8Array {
    const iv = this.ivScratch.subarray(0, len);
    this.ivPrng.fill(iv);
    this.charge(this.costs.ivPerCall + iv.length * this.costs.ivPerByte);
    return iv;
  }

  /** The request's buffer as the transforms see it (the context's one SwcrBuffer, reset). */
  buffer(flags: number, buf: crypto_buf): SwcrBuffer {
    return this.requestBuffer.reset(flags, buf, this.mem);
  }

  /**
   * The bytes of [off, off + len) when they are contiguous in the buffer — a contiguous buffer, or
   * a region inside one mbuf or iovec — as a view, with the CPU read reported; else null.
   */
  view(b: SwcrBuffer, off: number, len: number): Uint8Array | null {
    return this.locate(b, off, len) ? this.found.bytes : null;
  }

  /**
   * Where view and gather find a region: true when it is contiguous in the buffer, with its view,
   * memory and address left in `found` (the CPU read is reported); false when it is not. For an
   * mbuf chain or a uio this is crypto_region_view; a contiguous buffer needs no lookup.
   */
  private locate(b: SwcrBuffer, off: number, len: number): boolean {
    const c = b.contig;
    const f = this.found;
    if (c !== null) {
      if (!isCount(off) || !isCount(len) || off + len > c.length) return false;
      f.bytes = this.contigView(c, off, len);
      f.mem = b.contigMem;
      f.paddr = b.contigPaddr + off;
    } else {
      const v = crypto_region_view(b.flags, b.buf, off, len, this.mem);
      if (v === null) return false;
      f.bytes = v.bytes;
      f.mem = v.mem;
      f.paddr = v.paddr;
    }
    f.mem?.noteCpu('read', f.paddr, len);
    return true;
  }

  /**
   * `c.subarray(off, off + len)`, or the same view as last time when the buffer and region are the
   * same (a typed array's offset and length never change, so the old view is that view). Requests
   * are commonly reused over one buffer (ring slots, /dev/crypto's kernel buffer, benchmarks),
   * and a view is an allocation, whose collection costs more than building it (see readRegion).
   */
  private contigView(c: Uint8Array, off: number, len: number): Uint8Array {
    if (c !== this.viewSource || off !== this.viewOff || len !== this.viewBytes.length) {
      this.viewSource = c;
      this.viewOff = off;
      this.viewBytes = c.subarray(off, off + len);
    }
    return this.viewBytes;
  }

  /**
   * A region that is only read (GCM's AAD), charged as a gather: a view of the buffer where the
   * region is contiguous there and `copy` is false, else a copy. It leaves gather's region alone
   * and builds no object of its own: next to a backend call that allocates (node:crypto's cipher
   * objects), objects allocated per request are dear to collect. Measured on a 16 KiB GMAC
   * request (~7 µs of OpenSSL): three small objects and a view more per call cost ~300 ns.
   */
  readRegion(b: SwcrBuffer, off: number, len: number, copy: boolean): Uint8Array {
    this.chargeCopy(len);
    if (len === 0) return EMPTY;
    const v = this.view(b, off, len);
    if (v !== null) return copy ? v.slice() : v;
    const data = new Uint8Array(len);
    crypto_copydata(b.flags, b.buf, off, len, data, this.mem);
    return data;
  }

  /** What a gather or a commit of `len` bytes costs, charged (for a region never looked at). */
  chargeCopy(len: number): void {
    this.charge(this.costs.copyPerCall + len * this.costs.copyPerByte);
  }

  /**
   * The region [off, off + len) as contiguous bytes: a view of the buffer when the region is
   * contiguous there, else a scratch copy (crypto_copydata). Transform `data` in place, then
   * {@link commit} it. The region object is the context's own, valid until the next gather: a
   * request works on one region at a time (GCM's AAD is read with readRegion), and an object per
   * request is what readRegion explains.
   */
  gather(b: SwcrBuffer, off: number, len: number): SwcrRegion {
    this.chargeCopy(len);
    // GMAC's payload: nothing to look at (and no view to build on every request).
    if (len === 0) return this.region.set(off, EMPTY, false, null, 0);
    if (this.locate(b, off, len)) return this.region.set(off, this.found.bytes, true, this.found.mem, this.found.paddr);
    const data = new Uint8Array(len);
    crypto_copydata(b.flags, b.buf, off, len, data, this.mem);
    return this.region.set(off, data, false, null, 0);
  }

  /** Put a transformed region back (crypto_copyback of the scratch copy; a view is already there). */
  commit(b: SwcrBuffer, r: SwcrRegion): void {
    this.chargeCopy(r.data.length);
    if (r.inPlace) r.mem?.noteCpu('write', r.paddr, r.data.length);
    else if (r.data.length > 0) crypto_copyback(b.flags, b.buf, r.off, r.data.length, r.data, this.mem);
  }

  /** Write new bytes (DEFLATE's output) at `off` (crypto_copyback; an mbuf chain grows if it must). */
  scatter(b: SwcrBuffer, off: number, data: Uint8Array): void {
    if (data.length > 0) crypto_copyback(b.flags, b.buf, off, data.length, data, this.mem);
    this.charge(this.costs.copyPerCall + data.length * this.costs.copyPerByte);
  }

  /** Read `len` bytes at `off` without charging the copy rate (an IV, a tag: a few bytes). */
  read(b: SwcrBuffer, off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    crypto_copydata(b.flags, b.buf, off, len, out, this.mem);
    return out;
  }

  /** Write a few bytes (an IV, a digest) at `off` with crypto_copyback. */
  write(b: SwcrBuffer, off: number, data: Uint8Array): void {
    const c = b.contig;
    if (c !== null && isCount(off) && off + data.length <= c.length) {
      b.contigMem?.noteCpu('write', b.contigPaddr + off, data.length);
      c.set(data, off);
      return;
    }
    crypto_copyback(b.flags, b.buf, off, data.length, data, this.mem);
  }

  /**
   * The first `n` bytes of a request's `crd_iv`, or null when it is shorter. A view, not a copy:
   * nothing writes it during the request, and a fresh small array per request costs node:crypto
   * ~1 µs to move off the V8 heap. The last view is kept, as requests are usually reused with
   * their crd_iv array refilled, and building a view costs about as much as the rest of a GMAC
   * request's bookkeeping. (A typed array's offset and length never change, so a view of the
   * same array is the same view.)
   */
  explicitIv(crdIv: Uint8Array, n: number): Uint8Array | null {
    if (crdIv.length < n) return null;
    if (crdIv.length === n) return crdIv;
    if (crdIv !== this.ivSource || this.ivView.length !== n) {
      this.ivSource = crdIv;
      this.ivView = crdIv.subarray(0, n);
    }
    return this.ivView;
  }

}

/** Is `v` a usable offset or length (an integer >= 0)? */
function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/** 0 when [off, off + len) lies inside the buffer, else EINVAL (FreeBSD: "crd_skip beyond the end"). */
export function checkRegion(b: SwcrBuffer, off: number, len: number): number {
  return isCount(off) && isCount(len) && off + len <= b.len ? 0 : EINVAL;
}

/**
 * 0 when `len` bytes may be written at `off`: inside the buffer, or, for an mbuf chain, starting
 * inside it or at its end and running past it (crypto_copyback extends the chain, m_copyback).
 * Difference: a uio or contiguous buffer never grows, where FreeBSD would have written past its
 * end, and a write starting beyond the end of a chain is refused (FreeBSD's m_copyback zero-filled
 * the gap, allocating mbufs for any offset a request named); both are EINVAL here.
 */
export function checkInject(b: SwcrBuffer, off: number, len: number): number {
  if (!isCount(off) || !isCount(len)) return EINVAL;
  if (b.flags & CRYPTO_F_IMBUF) return off <= b.len ? 0 : EINVAL;
  return off + len <= b.len ? 0 : EINVAL;
}
