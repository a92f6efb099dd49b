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
import { CRYPTO_F_IMBUF, EINVAL } from './constants.js';
import { crypto_copyback, crypto_copydata, crypto_region_view, type CryptoRegionView } from './criov.js';
import type { crypto_buf } from './structs.js';
import type { CryptoBackend } from './xform/backend.js';
import type { SoftwareCryptoCosts } from './swcosts.js';
import type { PhysMemory } from '../sim/memory.js';
import type { Prng } from '../sim/prng.js';

/** The request's buffer, its kind flags and length, as swcr_process looks at them once. */
export interface SwcrBuffer {
  readonly flags: number;
  readonly buf: crypto_buf;
  /** Bytes in the buffer when processing started. */
  readonly len: number;
}

/** A descriptor's region as a transform sees it: contiguous bytes, in place or a scratch copy. */
export interface SwcrRegion {
  readonly off: number;
  readonly data: Uint8Array;
  /** Set when `data` is a view of the buffer itself (nothing to copy back). */
  readonly view: CryptoRegionView | null;
}

const EMPTY = new Uint8Array(0);

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

  charge(cycles: number): void {
    if (cycles <= 0) return;
    this.cycles += cycles;
    this.chargeThread(cycles);
  }

  /** Where generated IVs are built (a request uses one at a time; see explicitIv for why not fresh arrays). */
  private readonly ivScratch = new Uint8Array(new ArrayBuffer(32));

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

  /**
   * The region [off, off + len) as contiguous bytes: a view of the buffer when the region is
   * contiguous there, else a scratch copy (crypto_copydata). Transform `data` in place, then
   * {@link commit} it.
   */
  gather(b: SwcrBuffer, off: number, len: number): SwcrRegion {
    this.charge(this.costs.copyPerCall + len * this.costs.copyPerByte);
    // GMAC's payload: nothing to look at (and no view to build on every request).
    if (len === 0) return { off, data: EMPTY, view: null };
    const view = crypto_region_view(b.flags, b.buf, off, len, this.mem);
    if (view !== null) {
      view.mem?.noteCpu('read', view.paddr, len);
      return { off, data: view.bytes, view };
    }
    const data = new Uint8Array(len);
    if (len > 0) crypto_copydata(b.flags, b.buf, off, len, data, this.mem);
    return { off, data, view: null };
  }

  /** Put a transformed region back (crypto_copyback of the scratch copy; a view is already there). */
  commit(b: SwcrBuffer, r: SwcrRegion): void {
    this.charge(this.costs.copyPerCall + r.data.length * this.costs.copyPerByte);
    if (r.view !== null) r.view.mem?.noteCpu('write', r.view.paddr, r.data.length);
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
    crypto_copyback(b.flags, b.buf, off, data.length, data, this.mem);
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

/**
 * The first `n` bytes of a request's `crd_iv`, or null when it is shorter. A view, not a copy:
 * nothing writes it during the request, and a fresh small array per request costs node:crypto
 * ~1 µs to move off the V8 heap.
 */
export function explicitIv(crdIv: Uint8Array, n: number): Uint8Array | null {
  return crdIv.length >= n ? crdIv.subarray(0, n) : null;
}
