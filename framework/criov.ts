/**
 * crypto(9)'s buffer helpers (sys/opencrypto/criov.c, FreeBSD 10/11; reference/ocf.md §6):
 * `crypto_copydata`, `crypto_copyback` and `crypto_apply` over the three kinds of request buffer
 * a driver can be handed, chosen by `crp_flags` as in the kernel:
 *
 * - CRYPTO_F_IMBUF: an mbuf chain (m_copydata / m_copyback — which extends the chain — / m_apply);
 * - CRYPTO_F_IOV: a struct uio (cuio_copydata / cuio_copyback — never extends — / cuio_apply);
 * - neither: a contiguous buffer (a Uint8Array here).
 *
 * The mbuf and uio helpers report every CPU access to physical memory themselves (bus_dma's strict
 * mode watches them). A contiguous Uint8Array may also be a view of the machine's physical memory
 * (`buf.buffer === mem.buffer`, e.g. a malloc'd block's `bytes`); pass that memory as the optional
 * last argument and the access is reported too. A plain host array (not in simulated memory) is
 * simply copied.
 *
 * ocfsim additions: `crypto_bufkind`, `crypto_bufcheck` (does crp_buf match crp_flags?),
 * `crypto_buflen` (bytes in the buffer) and `crypto_region_view` (a region that is contiguous in
 * memory, for transforming in place, as FreeBSD did through m_getptr / cuio_getptr).
 *
 * Difference: a range outside the buffer, or a buffer whose type does not match the flags, throws a
 * RangeError / TypeError naming the function (criov.c bcopy'd past a contiguous buffer, and the
 * iovec walkers only KASSERTed). Callers that take ranges from a request (cryptosoft) check them
 * first with {@link crypto_buflen} and answer EINVAL.
 *
 * @example
 *   const hdr = new Uint8Array(8);
 *   crypto_copydata(crp.crp_flags, crp.crp_buf!, crd.crd_skip, 8, hdr);
 *   crypto_copyback(crp.crp_flags, crp.crp_buf!, crd.crd_inject, mac.length, mac);
 */
import { CRYPTO_F_IMBUF, CRYPTO_F_IOV } from './constants.js';
import type { crypto_buf } from './structs.js';
import { m_apply, m_copyback, m_copydata, m_getptr, m_length, mbuf } from '../sim/mbuf.js';
import { cuio_apply, cuio_copyback, cuio_copydata, cuio_getptr, uio } from '../sim/uio.js';
import type { PhysMemory } from '../sim/memory.js';

/** The buffer kinds of `crp_flags`, as criov.c tests them (IMBUF first, then IOV). */
export type CryptoBufKind = 'mbuf' | 'uio' | 'contig';

/** Which kind of buffer `flags` says `crp_buf` is. */
export function crypto_bufkind(flags: number): CryptoBufKind {
  if (flags & CRYPTO_F_IMBUF) return 'mbuf';
  if (flags & CRYPTO_F_IOV) return 'uio';
  return 'contig';
}

/**
 * Null when `buf` is of the kind `flags` announce, otherwise a message saying what is wrong (for a
 * driver that prefers an errno to an exception).
 *
 * @example if (crypto_bufcheck(crp.crp_flags, crp.crp_buf) !== null) return EINVAL;
 */
export function crypto_bufcheck(flags: number, buf: crypto_buf | null): string | null {
  const kind = crypto_bufkind(flags);
  if (buf === null) return 'crp_buf is NULL';
  if (kind === 'mbuf') return buf instanceof mbuf ? (buf.freed ? 'crp_buf is a freed mbuf' : null) : 'CRYPTO_F_IMBUF is set but crp_buf is not an mbuf chain';
  if (kind === 'uio') return buf instanceof uio ? (buf.freed ? 'crp_buf is a uio whose iovecs were freed' : null) : 'CRYPTO_F_IOV is set but crp_buf is not a uio';
  return buf instanceof Uint8Array ? null : 'crp_buf is not a contiguous buffer (neither CRYPTO_F_IMBUF nor CRYPTO_F_IOV is set)';
}

/**
 * ocfsim: the number of bytes a request buffer holds (m_length of a chain, the sum of the first
 * uio_iovcnt iovecs, the array's length). FreeBSD has no such helper: drivers trusted crp_ilen.
 *
 * @example if (crd.crd_skip + crd.crd_len > crypto_buflen(flags, buf)) return EINVAL;
 */
export function crypto_buflen(flags: number, buf: crypto_buf): number {
  switch (crypto_bufkind(flags)) {
    case 'mbuf':
      return m_length(asMbuf('crypto_buflen', buf));
    case 'uio': {
      const u = asUio('crypto_buflen', buf);
      let n = 0;
      for (let i = 0; i < u.uio_iovcnt; i++) n += u.uio_iov[i]?.iov_len ?? 0;
      return n;
    }
    default:
      return asContig('crypto_buflen', buf).length;
  }
}

/**
 * crypto_copydata(9): copy `size` bytes at offset `off` of the request buffer into `dst`.
 *
 * @example crypto_copydata(CRYPTO_F_IMBUF, chain, 14, 16, iv);
 */
export function crypto_copydata(flags: number, buf: crypto_buf, off: number, size: number, dst: Uint8Array, mem?: PhysMemory): void {
  switch (crypto_bufkind(flags)) {
    case 'mbuf':
      m_copydata(asMbuf('crypto_copydata', buf), off, size, dst);
      return;
    case 'uio':
      cuio_copydata(asUio('crypto_copydata', buf), off, size, dst);
      return;
    default: {
      const b = asContig('crypto_copydata', buf);
      checkRange('crypto_copydata', b, off, size);
      if (size > dst.length) throw new RangeError(`crypto_copydata: size (${size}) past end of dst (${dst.length} bytes)`);
      note(mem, b, off, size, 'read');
      dst.set(b.subarray(off, off + size));
    }
  }
}

/**
 * crypto_copyback(9): copy `size` bytes of `src` into the request buffer at offset `off`. An mbuf
 * chain is extended as m_copyback does; a uio or contiguous buffer never grows.
 *
 * @example crypto_copyback(crp.crp_flags, crp.crp_buf!, crd.crd_inject, 12, mac);
 */
export function crypto_copyback(flags: number, buf: crypto_buf, off: number, size: number, src: Uint8Array, mem?: PhysMemory): void {
  if (size > src.length) throw new RangeError(`crypto_copyback: size (${size}) past end of src (${src.length} bytes)`);
  switch (crypto_bufkind(flags)) {
    case 'mbuf':
      m_copyback(asMbuf('crypto_copyback', buf), off, size, src);
      return;
    case 'uio':
      cuio_copyback(asUio('crypto_copyback', buf), off, size, src);
      return;
    default: {
      const b = asContig('crypto_copyback', buf);
      checkRange('crypto_copyback', b, off, size);
      note(mem, b, off, size, 'write');
      // A view of a small on-heap array makes V8 move it off the heap (~1 µs): skip it when whole.
      b.set(size === src.length ? src : src.subarray(0, size), off);
    }
  }
}

/**
 * crypto_apply(9): call `f` on each contiguous piece of [off, off+len) of the request buffer, in
 * order; stops at and returns `f`'s first non-zero result, else 0. FreeBSD passes an opaque
 * argument next to the function; a closure serves here.
 *
 * @example crypto_apply(flags, buf, skip, len, (piece) => { digest.update(piece); return 0; });
 */
export function crypto_apply(flags: number, buf: crypto_buf, off: number, len: number, f: (data: Uint8Array) => number, mem?: PhysMemory): number {
  switch (crypto_bufkind(flags)) {
    case 'mbuf':
      return m_apply(asMbuf('crypto_apply', buf), off, len, f);
    case 'uio':
      return cuio_apply(asUio('crypto_apply', buf), off, len, f);
    default: {
      const b = asContig('crypto_apply', buf);
      checkRange('crypto_apply', b, off, len);
      note(mem, b, off, len, 'read');
      return f(b.subarray(off, off + len));
    }
  }
}

/** Where a region of a request buffer lies when it is contiguous: its bytes and, if in machine memory, its address. */
export interface CryptoRegionView {
  /** A view of the region itself (writes go straight into the buffer). */
  readonly bytes: Uint8Array;
  /** The memory the view lies in, for reporting CPU accesses (null: a host array). */
  readonly mem: PhysMemory | null;
  /** Physical address of the first byte (meaningful when `mem` is set). */
  readonly paddr: number;
}

/**
 * ocfsim: a view of [off, off + len) when those bytes are contiguous — a contiguous buffer, or a
 * region inside one mbuf or one iovec (the m_getptr / cuio_getptr lookups FreeBSD's cryptosoft
 * used to work in place) — else null. It reports no access: the caller reports what it does with
 * `mem.noteCpu`. A region outside the buffer is null too.
 *
 * @example const v = crypto_region_view(flags, buf, skip, len); if (v) transformInPlace(v.bytes);
 */
export function crypto_region_view(flags: number, buf: crypto_buf, off: number, len: number, mem?: PhysMemory): CryptoRegionView | null {
  if (!Number.isSafeInteger(off) || off < 0 || !Number.isSafeInteger(len) || len < 0) return null;
  switch (crypto_bufkind(flags)) {
    case 'mbuf': {
      const at = m_getptr(asMbuf('crypto_region_view', buf), off);
      if (at === null || at.off + len > at.m.m_len) return null;
      const p = at.m.m_data + at.off;
      return { bytes: at.m.m_mem.bytes.subarray(p, p + len), mem: at.m.m_mem, paddr: p };
    }
    case 'uio': {
      const u = asUio('crypto_region_view', buf);
      const at = cuio_getptr(u, off);
      const iov = at === null ? undefined : u.uio_iov[at.ind];
      if (at === null || iov === undefined || at.off + len > iov.iov_len) return null;
      const p = iov.iov_base + at.off;
      if (p + len > u.uio_mem.size) return null;
      return { bytes: u.uio_mem.bytes.subarray(p, p + len), mem: u.uio_mem, paddr: p };
    }
    default: {
      const b = asContig('crypto_region_view', buf);
      if (off + len > b.length) return null;
      const inMem = mem !== undefined && b.buffer === mem.buffer;
      return { bytes: b.subarray(off, off + len), mem: inMem ? mem : null, paddr: inMem ? b.byteOffset - mem.bytes.byteOffset + off : 0 };
    }
  }
}

function asMbuf(fn: string, buf: crypto_buf): mbuf {
  if (!(buf instanceof mbuf)) throw new TypeError(`${fn}: CRYPTO_F_IMBUF is set but the buffer is not an mbuf chain`);
  return buf;
}

function asUio(fn: string, buf: crypto_buf): uio {
  if (!(buf instanceof uio)) throw new TypeError(`${fn}: CRYPTO_F_IOV is set but the buffer is not a uio`);
  return buf;
}

function asContig(fn: string, buf: crypto_buf): Uint8Array {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${fn}: the buffer is not contiguous but neither CRYPTO_F_IMBUF nor CRYPTO_F_IOV is set`);
  return buf;
}

function checkRange(fn: string, b: Uint8Array, off: number, len: number): void {
  if (!Number.isSafeInteger(off) || off < 0) throw new RangeError(`${fn}: off must be an integer >= 0, got ${off}`);
  if (!Number.isSafeInteger(len) || len < 0) throw new RangeError(`${fn}: len must be an integer >= 0, got ${len}`);
  if (off + len > b.length) throw new RangeError(`${fn}: off+len (${off + len}) past end of the contiguous buffer (${b.length} bytes)`);
}

/** Report a CPU access when the contiguous buffer is a view of simulated physical memory. */
function note(mem: PhysMemory | undefined, b: Uint8Array, off: number, len: number, kind: 'read' | 'write'): void {
  if (mem === undefined || b.buffer !== mem.buffer) return;
  mem.noteCpu(kind, b.byteOffset - mem.bytes.byteOffset + off, len);
}
