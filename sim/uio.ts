/**
 * struct uio (uio(9)) and opencrypto's iovec helpers (sys/opencrypto/criov.c), with iovecs that
 * name physical memory so that a card can DMA to and from them.
 *
 * uiomove follows sys/kern/subr_uio.c (uiomove_faultflag, FreeBSD 10); cuio_copydata,
 * cuio_copyback, cuio_apply and cuio_getptr follow criov.c and, unlike uiomove, leave the uio as
 * it is. Every CPU access to iovec memory is reported with PhysMemory.noteCpu, one call per
 * contiguous piece, so that bus_dma's strict mode can check it.
 *
 * Deliberate differences from FreeBSD:
 * - user space is not modelled apart: a UIO_USERSPACE iovec names physical memory too, as if its
 *   pages were wired; uiomove returns EFAULT where copyin/copyout would fault (an iovec outside
 *   physical memory) and throws for a UIO_SYSSPACE iovec, where the kernel would panic;
 * - bad offsets and lengths, and reaching past the iovecs, throw (criov.c only KASSERTs, and
 *   uiomove walks off the iovec array when uio_resid claims more than the iovecs hold);
 * - cuio_getptr returns the iovec index, as in FreeBSD 11; FreeBSD 10's version, which returns a
 *   pointer, reads one iovec past the array when `loc` is at or beyond the end.
 *
 * @example
 *   const { uio, free } = uio_fromBytes(mem, data, [5, 0, 11]);
 *   const out = new Uint8Array(16);
 *   cuio_copydata(uio, 0, 16, out);
 *   free();
 */
import { EFAULT } from './errno.js';
import { PhysMemory, M_WAITOK, MemBlock } from './memory.js';

export interface iovec {
  /** Physical address in uio_mem. */
  iov_base: number;
  iov_len: number;
}

export enum uio_seg {
  UIO_USERSPACE = 0,
  UIO_SYSSPACE = 1,
  UIO_NOCOPY = 2,
}

export enum uio_rw {
  UIO_READ = 0,
  UIO_WRITE = 1,
}

export const UIO_USERSPACE = uio_seg.UIO_USERSPACE;
export const UIO_SYSSPACE = uio_seg.UIO_SYSSPACE;
export const UIO_NOCOPY = uio_seg.UIO_NOCOPY;
export const UIO_READ = uio_rw.UIO_READ;
export const UIO_WRITE = uio_rw.UIO_WRITE;

export interface UioInit {
  uio_iov: iovec[];
  /** Default: uio_iov.length. */
  uio_iovcnt?: number;
  /** Default 0. */
  uio_offset?: number;
  /** Default: the sum of the first uio_iovcnt iov_len. */
  uio_resid?: number;
  /** Default UIO_SYSSPACE. */
  uio_segflg?: uio_seg;
  /** Default UIO_WRITE (data flows out of the iovecs, as cryptodev(4) sets it). */
  uio_rw?: uio_rw;
  uio_mem: PhysMemory;
}

export class uio {
  /** The iovecs not yet consumed; uiomove advances past emptied ones, as the kernel's pointer does. */
  uio_iov: iovec[];
  uio_iovcnt: number;
  uio_offset: number;
  uio_resid: number;
  uio_segflg: uio_seg;
  uio_rw: uio_rw;
  uio_mem: PhysMemory;
  /** @internal Set when uio_fromBytes' free() has released the iovecs' memory. */
  freed = false;

  constructor(init: UioInit) {
    this.uio_iov = init.uio_iov;
    this.uio_iovcnt = init.uio_iovcnt ?? init.uio_iov.length;
    this.uio_offset = init.uio_offset ?? 0;
    this.uio_resid = init.uio_resid ?? init.uio_iov.slice(0, this.uio_iovcnt).reduce((a, v) => a + v.iov_len, 0);
    this.uio_segflg = init.uio_segflg ?? uio_seg.UIO_SYSSPACE;
    this.uio_rw = init.uio_rw ?? uio_rw.UIO_WRITE;
    this.uio_mem = init.uio_mem;
  }
}

function checkCount(fn: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${fn}: ${name} must be an integer >= 0, got ${v}`);
}

function checkBuffer(fn: string, name: string, buf: Uint8Array, bufOff: number, len: number): void {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
  checkCount(fn, `${name}Off`, bufOff);
  if (bufOff + len > buf.length) {
    throw new RangeError(`${fn}: ${name}Off+len (${bufOff + len}) past end of ${name} (${buf.length} bytes)`);
  }
}

/** Refuse a uio that is freed or whose first uio_iovcnt iovecs are malformed; returns their total length. */
function checkUio(u: uio, fn: string): number {
  if (!(u instanceof uio)) throw new TypeError(`${fn}: expected a uio, got ${u === null ? 'null' : typeof u}`);
  if (u.freed) throw new Error(`${fn}: use of a uio whose iovecs were freed`);
  if (!(u.uio_mem instanceof PhysMemory)) throw new TypeError(`${fn}: uio_mem must be a PhysMemory`);
  if (!Number.isSafeInteger(u.uio_iovcnt) || u.uio_iovcnt < 0 || u.uio_iovcnt > u.uio_iov.length) {
    throw new RangeError(`${fn}: uio_iovcnt (${u.uio_iovcnt}) must be an integer from 0 to uio_iov.length (${u.uio_iov.length})`);
  }
  let total = 0;
  for (let i = 0; i < u.uio_iovcnt; i++) {
    const iov = u.uio_iov[i]!;
    checkCount(fn, `uio_iov[${i}].iov_len`, iov.iov_len);
    total += iov.iov_len;
  }
  return total;
}

/** The CPU's view of [iov_base+off, +len), checked against physical memory and reported to its watchers. */
function piece(u: uio, iov: iovec, off: number, len: number, kind: 'read' | 'write', fn: string): Uint8Array {
  const p = iov.iov_base + off;
  u.uio_mem.checkRange(`${fn}: iovec`, p, len);
  u.uio_mem.noteCpu(kind, p, len);
  return u.uio_mem.bytes.subarray(p, p + len);
}

/**
 * Visit [off, off+len) of the uio's iovecs, one contiguous piece at a time (criov.c's CUIO_SKIP
 * and copy loop); `visit` returns true to stop.
 */
function cuioWalk(
  u: uio,
  off: number,
  len: number,
  fn: string,
  visit: (iov: iovec, ioff: number, count: number, done: number) => boolean,
): void {
  checkCount(fn, 'off', off);
  checkCount(fn, 'len', len);
  const total = checkUio(u, fn);
  if (off + len > total) {
    throw new RangeError(`${fn}: off+len (${off + len}) past end of uio (${total} bytes in ${u.uio_iovcnt} iovecs)`);
  }
  let done = 0;
  for (let i = 0; i < u.uio_iovcnt && len > 0; i++) {
    const iov = u.uio_iov[i]!;
    if (off >= iov.iov_len) {
      off -= iov.iov_len;
      continue;
    }
    const count = Math.min(iov.iov_len - off, len);
    if (visit(iov, off, count, done)) return;
    len -= count;
    done += count;
    off = 0;
  }
}

/** cuio_copydata: copy len bytes at offset off of the iovecs into dst. */
export function cuio_copydata(u: uio, off: number, len: number, dst: Uint8Array, dstOff = 0): void {
  checkCount('cuio_copydata', 'off', off);
  checkCount('cuio_copydata', 'len', len);
  checkBuffer('cuio_copydata', 'dst', dst, dstOff, len);
  cuioWalk(u, off, len, 'cuio_copydata', (iov, ioff, count, done) => {
    dst.set(piece(u, iov, ioff, count, 'read', 'cuio_copydata'), dstOff + done);
    return false;
  });
}

/** cuio_copyback: copy len bytes of src into the iovecs at offset off. It never extends the uio. */
export function cuio_copyback(u: uio, off: number, len: number, src: Uint8Array, srcOff = 0): void {
  checkCount('cuio_copyback', 'off', off);
  checkCount('cuio_copyback', 'len', len);
  checkBuffer('cuio_copyback', 'src', src, srcOff, len);
  cuioWalk(u, off, len, 'cuio_copyback', (iov, ioff, count, done) => {
    piece(u, iov, ioff, count, 'write', 'cuio_copyback').set(src.subarray(srcOff + done, srcOff + done + count));
    return false;
  });
}

/** cuio_apply: call f on each contiguous piece of [off, off+len); returns f's first non-zero result, else 0. */
export function cuio_apply(u: uio, off: number, len: number, f: (data: Uint8Array) => number): number {
  if (typeof f !== 'function') throw new TypeError('cuio_apply: f must be a function');
  let rval = 0;
  cuioWalk(u, off, len, 'cuio_apply', (iov, ioff, count) => {
    rval = f(piece(u, iov, ioff, count, 'read', 'cuio_apply'));
    return rval !== 0;
  });
  return rval;
}

/**
 * cuio_getptr: the iovec index and offset holding byte `loc`; `loc` equal to the total length
 * points just past the last byte of the last iovec. Null (FreeBSD 11's -1) beyond that.
 */
export function cuio_getptr(u: uio, loc: number): { ind: number; off: number } | null {
  checkCount('cuio_getptr', 'loc', loc);
  checkUio(u, 'cuio_getptr');
  let ind = 0;
  for (; ind < u.uio_iovcnt; ind++) {
    const len = u.uio_iov[ind]!.iov_len;
    if (len > loc) return { ind, off: loc };
    loc -= len;
  }
  if (ind > 0 && loc === 0) return { ind: ind - 1, off: u.uio_iov[ind - 1]!.iov_len };
  return null;
}

/**
 * uiomove(9): move up to n bytes between cp and the uio (UIO_READ: cp to the iovecs; UIO_WRITE:
 * the iovecs to cp), advancing iov_base, iov_len, uio_offset and uio_resid, and stepping uio_iov
 * past emptied iovecs. Returns 0, or EFAULT for a UIO_USERSPACE iovec outside memory.
 */
export function uiomove(cp: Uint8Array, n: number, u: uio): number {
  const fn = 'uiomove';
  checkCount(fn, 'n', n);
  checkBuffer(fn, 'cp', cp, 0, n);
  checkUio(u, fn);
  if (u.uio_rw !== uio_rw.UIO_READ && u.uio_rw !== uio_rw.UIO_WRITE) throw new RangeError(`${fn}: bad uio_rw ${u.uio_rw}`);
  if (!(u.uio_segflg in uio_seg)) throw new RangeError(`${fn}: bad uio_segflg ${u.uio_segflg}`);
  checkCount(fn, 'uio_resid', u.uio_resid);
  let at = 0;
  while (n > 0 && u.uio_resid > 0) {
    if (u.uio_iovcnt === 0) {
      throw new RangeError(`${fn}: uio_resid (${u.uio_resid}) is more than the iovecs hold`);
    }
    const iov = u.uio_iov[0]!;
    let cnt = iov.iov_len;
    if (cnt === 0) {
      u.uio_iov = u.uio_iov.slice(1);
      u.uio_iovcnt--;
      continue;
    }
    cnt = Math.min(cnt, n);
    if (u.uio_segflg !== uio_seg.UIO_NOCOPY) {
      const p = iov.iov_base;
      if (u.uio_segflg === uio_seg.UIO_USERSPACE && !(Number.isSafeInteger(p) && p >= 0 && p + cnt <= u.uio_mem.size)) return EFAULT;
      if (u.uio_rw === uio_rw.UIO_READ) piece(u, iov, 0, cnt, 'write', fn).set(cp.subarray(at, at + cnt));
      else cp.set(piece(u, iov, 0, cnt, 'read', fn), at);
    }
    iov.iov_base += cnt;
    iov.iov_len -= cnt;
    u.uio_resid -= cnt;
    u.uio_offset += cnt;
    at += cnt;
    n -= cnt;
  }
  return 0;
}

/**
 * Build a UIO_SYSSPACE uio holding `bytes` (copied in by the CPU), one malloc block per iovec.
 * `segmentSizes` gives each iovec's length (0 makes an empty iovec with iov_base 0); bytes left
 * after them go in one more iovec. `free()` releases the blocks and retires the uio.
 * @example const { uio, free } = uio_fromBytes(mem, data, [7, 0, 9]);
 */
export function uio_fromBytes(
  mem: PhysMemory,
  bytes: Uint8Array,
  segmentSizes: readonly number[] = [],
  options: { uio_rw?: uio_rw; uio_segflg?: uio_seg } = {},
): { uio: uio; free(): void } {
  const fn = 'uio_fromBytes';
  if (!(mem instanceof PhysMemory)) throw new TypeError(`${fn}: mem must be a PhysMemory`);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn}: bytes must be a Uint8Array`);
  const sizes = [...segmentSizes];
  sizes.forEach((s, i) => checkCount(fn, `segmentSizes[${i}]`, s));
  const listed = sizes.reduce((a, b) => a + b, 0);
  if (listed > bytes.length) throw new RangeError(`${fn}: segmentSizes add up to ${listed} bytes, more than the ${bytes.length} given`);
  if (listed < bytes.length) sizes.push(bytes.length - listed);
  const blocks: MemBlock[] = [];
  const iovs: iovec[] = [];
  let at = 0;
  for (const s of sizes) {
    if (s === 0) {
      iovs.push({ iov_base: 0, iov_len: 0 });
      continue;
    }
    const b = mem.malloc(s, M_WAITOK, 'iovec')!;
    blocks.push(b);
    mem.noteCpu('write', b.paddr, s);
    b.bytes.set(bytes.subarray(at, at + s));
    at += s;
    iovs.push({ iov_base: b.paddr, iov_len: s });
  }
  const u = new uio({ uio_iov: iovs, uio_mem: mem, ...options });
  return {
    uio: u,
    free(): void {
      if (u.freed) throw new Error(`${fn}: free() called twice`);
      for (const b of blocks) mem.free(b);
      u.freed = true;
    },
  };
}
