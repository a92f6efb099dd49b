/**
 * mbuf(9): FreeBSD 10's network buffers, with their bytes in simulated physical memory so that a
 * card can DMA to and from them.
 *
 * Follows sys/sys/mbuf.h (release/10.4.0, r282786) and sys/kern/uipc_mbuf.c (r308376). An mbuf is
 * an MSIZE block from PhysMemory.malloc (tag "mbuf", MBUF_MEM_NAME), a cluster an MCLBYTES block
 * ("mbuf_cluster"). Header fields live in this object, but the data area keeps the kernel's amd64
 * offsets (m_dat at 32, m_pktdat at 88), so addresses and leading/trailing space are as on amd64.
 *
 * Every CPU access these helpers make to mbuf data is reported with PhysMemory.noteCpu, one call
 * per contiguous piece, so that bus_dma's strict mode can check it. `mtod` only hands out a view:
 * whoever touches those bytes reports the access.
 *
 * Deliberate differences from FreeBSD (where it would panic under INVARIANTS, or corrupt memory):
 * - bad offsets and lengths, reading past the end of a chain, using a freed mbuf and freeing one
 *   twice throw, naming the function and the argument;
 * - m_copyback throws ENOBUFS when it cannot extend the chain (FreeBSD stops silently, leaving the
 *   tail unwritten), and raises m_pkthdr.len to the end of the chain it grew for a zero-length write
 *   past the end (FreeBSD leaves m_pkthdr.len short);
 * - M_PREPEND / m_prepend throw when plen does not fit in one mbuf (FreeBSD overruns it);
 * - clusters carry no reference count, since nothing here shares them (no m_copym), so M_WRITABLE
 *   looks at M_RDONLY alone;
 * - no protocol domains attach, so max_protohdr is 0 and m_pullup copies exactly `len` bytes.
 *
 * @example
 *   const m = m_fromBytes(mem, data, { segments: [3, 0, 100] }); // a block straddles 3 mbufs
 *   const out = new Uint8Array(16);
 *   m_copydata(m, 1, 16, out);
 *   m_freem(m);
 */
import { KernelError, ENOBUFS } from './errno.js';
import { MemBlock, PhysMemory, M_NOWAIT, M_WAITOK } from './memory.js';

/** sys/sys/param.h: MSIZE 256, MCLBYTES 1 << MCLSHIFT (11). */
export const MSIZE = 256;
export const MCLBYTES = 2048;
/** sizeof(struct m_hdr) = offsetof(struct mbuf, m_dat), and sizeof(struct pkthdr), on LP64 (mbuf.h: "LP64: 32", "LP64: 56"). */
export const MHSIZE = 32;
const PKTHDR_SIZE = 56;
/** offsetof(struct mbuf, m_pktdat). */
export const MPKTHSIZE = MHSIZE + PKTHDR_SIZE;
/** mbuf.h: MLEN = MSIZE - sizeof(struct m_hdr) = 224, MHLEN = MLEN - sizeof(struct pkthdr) = 168, MINCLSIZE = MHLEN + 1. */
export const MLEN = MSIZE - MHSIZE;
export const MHLEN = MLEN - PKTHDR_SIZE;
export const MINCLSIZE = MHLEN + 1;

/** mbuf types, m_flags and ext_type (mbuf.h). */
export const MT_NOTMBUF = 0;
export const MT_DATA = 1;
export const MT_HEADER = MT_DATA;
export const M_EXT = 0x00000001;
export const M_PKTHDR = 0x00000002;
export const M_EOR = 0x00000004;
export const M_RDONLY = 0x00000008;
/** M_COPYFLAGS: what m_move_pkthdr carries over (M_PKTHDR..M_FLOWID, M_PROTO1..12). */
export const M_COPYFLAGS = 0x00fff1fe;
export const EXT_CLUSTER = 1;

/** m_pullup copies up to max_protohdr bytes beyond `len`; protocols raise it as they attach, and none does here. */
const max_protohdr = 0;

/** struct m_ext, the part the simulator models; ext_buf is a physical address. */
export interface MbufExt {
  ext_buf: number;
  ext_size: number;
  ext_type: number;
}

export class mbuf {
  m_next: mbuf | null = null;
  m_nextpkt: mbuf | null = null;
  /** Physical address (in m_mem) of the first data byte. */
  m_data: number;
  m_len = 0;
  m_flags: number;
  m_type: number;
  /** Valid when M_PKTHDR is set. */
  m_pkthdr: { len: number } = { len: 0 };
  /** Valid when M_EXT is set. */
  m_ext: MbufExt | null = null;
  readonly m_mem: PhysMemory;
  /** @internal The mbuf's own MSIZE block. */
  readonly storage: MemBlock;
  /** @internal The cluster's block while M_EXT is set. */
  cluster: MemBlock | null = null;
  /** Set by m_free; every helper refuses a freed mbuf. */
  freed = false;

  /** @internal Use m_get, m_gethdr or m_getcl. */
  constructor(mem: PhysMemory, storage: MemBlock, type: number, flags: number) {
    this.m_mem = mem;
    this.storage = storage;
    this.m_type = type;
    this.m_flags = flags;
    this.m_data = storage.paddr + (flags & M_PKTHDR ? MPKTHSIZE : MHSIZE);
  }

  /** Physical address of m_dat, the data area of an mbuf without packet header. */
  get m_dat(): number {
    return this.storage.paddr + MHSIZE;
  }
  /** Physical address of m_pktdat, the data area after the packet header. */
  get m_pktdat(): number {
    return this.storage.paddr + MPKTHSIZE;
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function checkCount(fn: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${fn}: ${name} must be an integer >= 0, got ${v}`);
}

function checkHow(fn: string, how: number): void {
  if (how !== M_NOWAIT && how !== M_WAITOK) throw new RangeError(`${fn}: how must be M_NOWAIT or M_WAITOK, got ${how}`);
}

function checkBuffer(fn: string, name: string, buf: Uint8Array, bufOff: number, len: number): void {
  if (!(buf instanceof Uint8Array)) throw new TypeError(`${fn}: ${name} must be a Uint8Array`);
  checkCount(fn, `${name}Off`, bufOff);
  if (bufOff + len > buf.length) throw new RangeError(`${fn}: ${name}Off+len (${bufOff + len}) past end of ${name} (${buf.length} bytes)`);
}

/** First and end address of the buffer m_data may point into (the bounds m_sanity() checks). */
function bufBounds(m: mbuf, fn: string): [number, number] {
  if (!(m.m_flags & M_EXT)) return [m.m_flags & M_PKTHDR ? m.m_pktdat : m.m_dat, m.storage.paddr + MSIZE];
  if (!m.m_ext) throw new Error(`${fn}: mbuf at ${hex(m.storage.paddr)} has M_EXT set but no m_ext`);
  return [m.m_ext.ext_buf, m.m_ext.ext_buf + m.m_ext.ext_size];
}

/** Refuse anything but a live mbuf whose data lies inside its own buffer. */
function checkMbuf(m: unknown, fn: string): asserts m is mbuf {
  if (!(m instanceof mbuf)) throw new TypeError(`${fn}: expected an mbuf, got ${m === null ? 'null' : typeof m}`);
  if (m.freed) throw new Error(`${fn}: use of a freed mbuf (its storage was at ${hex(m.storage.paddr)})`);
  const [lo, hi] = bufBounds(m, fn);
  if (!Number.isSafeInteger(m.m_len) || m.m_len < 0 || !Number.isSafeInteger(m.m_data) || m.m_data < lo || m.m_data + m.m_len > hi) {
    const what = `m_data ${hex(m.m_data)} + m_len ${m.m_len} lies outside its buffer [${hex(lo)}, ${hex(hi)})`;
    throw new RangeError(`${fn}: mbuf at ${hex(m.storage.paddr)} is inconsistent: ${what}`);
  }
}

/** The CPU's view of [m_data+off, +len), reported to the memory's watchers. */
function piece(m: mbuf, off: number, len: number, kind: 'read' | 'write'): Uint8Array {
  const p = m.m_data + off;
  m.m_mem.noteCpu(kind, p, len);
  return m.m_mem.bytes.subarray(p, p + len);
}

function chainLength(m: mbuf | null, fn: string): number {
  let len = 0;
  for (let n = m; n !== null; n = n.m_next) {
    checkMbuf(n, fn);
    len += n.m_len;
  }
  return len;
}

type Visit = (m: mbuf, moff: number, count: number, done: number) => boolean | void;

/**
 * Check off, len, the caller's buffer and the chain, then visit [off, off+len) one mbuf at a time
 * (the loops of m_copydata and m_apply); `visit` returns true to stop. Empty mbufs are stepped over.
 */
function walk(fn: string, m: mbuf, off: number, len: number, buf: [string, Uint8Array, number] | null, visit: Visit): void {
  checkCount(fn, 'off', off);
  checkCount(fn, 'len', len);
  if (buf) checkBuffer(fn, buf[0], buf[1], buf[2], len);
  checkMbuf(m, fn);
  const total = chainLength(m, fn);
  if (off + len > total) throw new RangeError(`${fn}: off+len (${off + len}) past end of chain (${total} bytes)`);
  let done = 0;
  for (let cur: mbuf | null = m; len > 0 && cur !== null; cur = cur.m_next) {
    if (off >= cur.m_len) {
      off -= cur.m_len;
      continue;
    }
    const count = Math.min(cur.m_len - off, len);
    if (visit(cur, off, count, done) === true) return;
    len -= count;
    done += count;
    off = 0;
  }
}

function checkAlloc(fn: string, mem: PhysMemory, how: number, type: number): void {
  if (!(mem instanceof PhysMemory)) throw new TypeError(`${fn}: mem must be a PhysMemory`);
  checkHow(fn, how);
  // mh_type is an 8-bit field; MT_NOTMBUF is "used internally only" (mbuf.h).
  if (!Number.isInteger(type) || type < 1 || type > 255) throw new RangeError(`${fn}: type must be an integer from 1 to 255, got ${type}`);
}

function mbufAlloc(mem: PhysMemory, how: number, type: number, flags: number): mbuf | null {
  const block = mem.malloc(MSIZE, how, 'mbuf');
  return block ? new mbuf(mem, block, type, flags) : null;
}

/** m_get(9): an mbuf without packet header. Null only for M_NOWAIT. */
export function m_get(mem: PhysMemory, how: number, type: number): mbuf | null {
  checkAlloc('m_get', mem, how, type);
  return mbufAlloc(mem, how, type, 0);
}

/** m_gethdr(9): an mbuf with packet header (m_pkthdr.len = 0). Null only for M_NOWAIT. */
export function m_gethdr(mem: PhysMemory, how: number, type: number): mbuf | null {
  checkAlloc('m_gethdr', mem, how, type);
  return mbufAlloc(mem, how, type, M_PKTHDR);
}

/**
 * m_getcl(9): an mbuf with a cluster attached; `flags` may hold M_PKTHDR and M_EOR. Null only for M_NOWAIT.
 * @example const m = m_getcl(mem, M_WAITOK, MT_DATA, M_PKTHDR)!;
 */
export function m_getcl(mem: PhysMemory, how: number, type: number, flags: number): mbuf | null {
  checkAlloc('m_getcl', mem, how, type);
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffff || flags & M_EXT) {
    throw new RangeError(`m_getcl: flags must be 24-bit mbuf flags without M_EXT, got ${flags}`);
  }
  const m = mbufAlloc(mem, how, type, flags);
  const cl = m && mem.malloc(MCLBYTES, how, 'mbuf_cluster');
  if (!m || !cl) {
    if (m) m_free(m);
    return null;
  }
  m.cluster = cl;
  m.m_ext = { ext_buf: cl.paddr, ext_size: MCLBYTES, ext_type: EXT_CLUSTER };
  m.m_data = cl.paddr;
  m.m_flags |= M_EXT;
  return m;
}

/** m_free(9): free one mbuf and its cluster; returns m_next. */
export function m_free(m: mbuf): mbuf | null {
  if (!(m instanceof mbuf)) throw new TypeError(`m_free: expected an mbuf, got ${m === null ? 'null' : typeof m}`);
  if (m.freed) throw new Error(`m_free: double free of mbuf (its storage was at ${hex(m.storage.paddr)})`);
  const n = m.m_next;
  if (m.cluster) m.m_mem.free(m.cluster);
  m.m_mem.free(m.storage);
  m.cluster = null;
  m.m_next = null;
  m.freed = true;
  return n;
}

/** m_freem(9): free a whole chain. */
export function m_freem(m: mbuf | null): void {
  while (m !== null) m = m_free(m);
}

/** M_WRITABLE: no reference counts are modelled, so only M_RDONLY makes an mbuf read-only. */
export function M_WRITABLE(m: mbuf): boolean {
  checkMbuf(m, 'M_WRITABLE');
  return (m.m_flags & M_RDONLY) === 0;
}

/** M_LEADINGSPACE: bytes free before m_data. */
export function M_LEADINGSPACE(m: mbuf): number {
  checkMbuf(m, 'M_LEADINGSPACE');
  if (m.m_flags & M_EXT) return M_WRITABLE(m) ? m.m_data - m.m_ext!.ext_buf : 0;
  return m.m_data - (m.m_flags & M_PKTHDR ? m.m_pktdat : m.m_dat);
}

/** M_TRAILINGSPACE: bytes free after m_data + m_len. */
export function M_TRAILINGSPACE(m: mbuf): number {
  checkMbuf(m, 'M_TRAILINGSPACE');
  if (m.m_flags & M_EXT) return M_WRITABLE(m) ? m.m_ext!.ext_buf + m.m_ext!.ext_size - (m.m_data + m.m_len) : 0;
  return m.storage.paddr + MSIZE - (m.m_data + m.m_len);
}

/** mtod: a view of the m_len data bytes. The caller reports its accesses (m.m_mem.noteCpu), or uses m_copydata / m_copyback. */
export function mtod(m: mbuf): Uint8Array {
  checkMbuf(m, 'mtod');
  return m.m_mem.bytes.subarray(m.m_data, m.m_data + m.m_len);
}

/** m_length(9): bytes of data in the chain. */
export function m_length(m: mbuf | null): number {
  return chainLength(m, 'm_length');
}

/** m_fixhdr(9): set m_pkthdr.len to the chain's length and return it. */
export function m_fixhdr(m0: mbuf): number {
  checkMbuf(m0, 'm_fixhdr');
  if (!(m0.m_flags & M_PKTHDR)) throw new Error('m_fixhdr: m0 has no packet header (M_PKTHDR is clear)');
  return (m0.m_pkthdr.len = chainLength(m0, 'm_fixhdr'));
}

/** m_copydata(9): copy len bytes from offset off of the chain into dst. */
export function m_copydata(m: mbuf, off: number, len: number, dst: Uint8Array, dstOff = 0): void {
  walk('m_copydata', m, off, len, ['dst', dst, dstOff], (n, moff, count, done) => dst.set(piece(n, moff, count, 'read'), dstOff + done));
}

/** m_apply(9): call f on each contiguous piece of [off, off+len); returns f's first non-zero result, else 0. */
export function m_apply(m: mbuf, off: number, len: number, f: (data: Uint8Array) => number): number {
  if (typeof f !== 'function') throw new TypeError('m_apply: f must be a function');
  let rval = 0;
  walk('m_apply', m, off, len, null, (n, moff, count) => (rval = f(piece(n, moff, count, 'read'))) !== 0);
  return rval;
}

/**
 * m_copyback(9): copy len bytes of src into the chain at offset off, extending it with zero-filled
 * mbufs (m_get(M_NOWAIT), as uipc_mbuf.c does, no clusters) as needed and raising m_pkthdr.len.
 */
export function m_copyback(m0: mbuf, off: number, len: number, src: Uint8Array, srcOff = 0): void {
  const fn = 'm_copyback';
  checkCount(fn, 'off', off);
  checkCount(fn, 'len', len);
  checkBuffer(fn, 'src', src, srcOff, len);
  checkMbuf(m0, fn);
  let m: mbuf = m0;
  let totlen = 0;
  let cp = srcOff;
  const out = (): void => {
    if (m0.m_flags & M_PKTHDR && m0.m_pkthdr.len < totlen) m0.m_pkthdr.len = totlen;
  };
  const extend = (): mbuf => {
    const n = m_get(m.m_mem, M_NOWAIT, m.m_type);
    if (n) return (m.m_next = n);
    out();
    throw new KernelError(ENOBUFS, `${fn}: m_get(M_NOWAIT) failed extending the chain; ${totlen} bytes are valid, ${len} were not written`);
  };
  while (off > m.m_len) {
    off -= m.m_len;
    totlen += m.m_len;
    if (m.m_next === null) {
      const n = extend();
      piece(n, 0, MLEN, 'write').fill(0);
      n.m_len = Math.min(MLEN, len + off);
    }
    checkMbuf((m = m.m_next!), fn);
  }
  // uipc_mbuf.c counts `off` into totlen only while copying, so a zero-length write past the end
  // would grow the chain but not m_pkthdr.len.
  if (len === 0) totlen += off;
  while (len > 0) {
    if (m.m_next === null && len > m.m_len - off) m.m_len += Math.min(len - (m.m_len - off), M_TRAILINGSPACE(m));
    const mlen = Math.min(m.m_len - off, len);
    piece(m, off, mlen, 'write').set(src.subarray(cp, cp + mlen));
    cp += mlen;
    len -= mlen;
    totlen += mlen + off;
    off = 0;
    if (len === 0) break;
    if (m.m_next === null) extend().m_len = Math.min(MLEN, len);
    checkMbuf((m = m.m_next!), fn);
  }
  out();
}

/** m_getptr(9): the mbuf and offset holding byte `loc`; loc equal to the chain length points just past the last byte. */
export function m_getptr(m: mbuf, loc: number): { m: mbuf; off: number } | null {
  checkCount('m_getptr', 'loc', loc);
  for (let cur: mbuf = m; ; cur = cur.m_next) {
    checkMbuf(cur, 'm_getptr');
    if (cur.m_len > loc) return { m: cur, off: loc };
    loc -= cur.m_len;
    if (cur.m_next === null) return loc === 0 ? { m: cur, off: cur.m_len } : null;
  }
}

/** m_move_pkthdr(9): move the packet header of `from` to the empty mbuf `to`. */
export function m_move_pkthdr(to: mbuf, from: mbuf): void {
  checkMbuf(to, 'm_move_pkthdr');
  checkMbuf(from, 'm_move_pkthdr');
  if (!(from.m_flags & M_PKTHDR)) throw new Error('m_move_pkthdr: from has no packet header (M_PKTHDR is clear)');
  to.m_flags = (from.m_flags & M_COPYFLAGS) | (to.m_flags & M_EXT);
  if (!(to.m_flags & M_EXT)) to.m_data = to.m_pktdat;
  to.m_pkthdr = { ...from.m_pkthdr };
  from.m_flags &= ~M_PKTHDR;
}

/** m_prepend(9): put a new mbuf of `len` bytes (contents undefined) in front, moving the packet header to it; null (chain freed) on failure. */
export function m_prepend(m: mbuf, len: number, how: number): mbuf | null {
  checkMbuf(m, 'm_prepend');
  checkCount('m_prepend', 'len', len);
  checkHow('m_prepend', how);
  const hdr = (m.m_flags & M_PKTHDR) !== 0;
  const max = hdr ? MHLEN : MLEN;
  if (len > max) throw new RangeError(`m_prepend: len (${len}) does not fit in one mbuf (${hdr ? 'MHLEN' : 'MLEN'} = ${max})`);
  const mn = hdr ? m_gethdr(m.m_mem, how, m.m_type) : m_get(m.m_mem, how, m.m_type);
  if (!mn) {
    m_freem(m);
    return null;
  }
  if (hdr) m_move_pkthdr(mn, m);
  mn.m_next = m;
  mn.m_data += (max - len) & ~7; // MH_ALIGN / M_ALIGN: the bytes go at the end, long-aligned
  mn.m_len = len;
  return mn;
}

/** M_PREPEND: room for plen bytes before the data, in place if there is leading space; the new head, or null (chain freed). */
export function M_PREPEND(m: mbuf, plen: number, how: number): mbuf | null {
  checkMbuf(m, 'M_PREPEND');
  checkCount('M_PREPEND', 'plen', plen);
  checkHow('M_PREPEND', how);
  let mm: mbuf | null = m;
  if (M_LEADINGSPACE(m) >= plen) {
    m.m_data -= plen;
    m.m_len += plen;
  } else {
    mm = m_prepend(m, plen, how);
  }
  if (mm && mm.m_flags & M_PKTHDR) mm.m_pkthdr.len += plen;
  return mm;
}

/** m_adj(9): trim req_len bytes from the head (positive) or -req_len from the tail (negative), keeping m_pkthdr.len. */
export function m_adj(mp: mbuf | null, req_len: number): void {
  if (!Number.isSafeInteger(req_len)) throw new RangeError(`m_adj: req_len must be an integer, got ${req_len}`);
  if (mp === null) return;
  const total = chainLength(mp, 'm_adj');
  if (req_len >= 0) {
    let len = req_len;
    for (let m: mbuf | null = mp; m !== null && len > 0; m = m.m_next) {
      const cut = Math.min(m.m_len, len);
      m.m_len -= cut;
      if (m.m_len) m.m_data += cut;
      len -= cut;
    }
    if (mp.m_flags & M_PKTHDR) mp.m_pkthdr.len -= req_len - len;
    return;
  }
  let last: mbuf = mp;
  while (last.m_next !== null) last = last.m_next;
  if (last.m_len >= -req_len) {
    last.m_len += req_len;
    if (mp.m_flags & M_PKTHDR) mp.m_pkthdr.len += req_len;
    return;
  }
  // The cut reaches past the last mbuf: keep `count` bytes, freeing the mbufs after them.
  let count = Math.max(0, total + req_len);
  if (mp.m_flags & M_PKTHDR) mp.m_pkthdr.len = count;
  for (let m: mbuf | null = mp; m !== null; m = m.m_next) {
    if (m.m_len >= count) {
      m.m_len = count;
      m_freem(m.m_next);
      m.m_next = null;
      break;
    }
    count -= m.m_len;
  }
}

/** m_cat(9): append chain n to chain m, copying n's data into m's trailing space where it fits. m_pkthdr is not updated. */
export function m_cat(m: mbuf, n: mbuf | null): void {
  let last: mbuf = m;
  for (let c: mbuf | null = m; c !== null; c = c.m_next) {
    checkMbuf(c, 'm_cat');
    if (c === n) throw new Error('m_cat: n is already part of chain m');
    last = c;
  }
  while (n !== null) {
    checkMbuf(n, 'm_cat');
    if (!M_WRITABLE(last) || M_TRAILINGSPACE(last) < n.m_len) {
      last.m_next = n;
      return;
    }
    piece(last, last.m_len, n.m_len, 'write').set(piece(n, 0, n.m_len, 'read'));
    last.m_len += n.m_len;
    n = m_free(n);
  }
}

/** m_pullup(9): make the first len (<= MHLEN) bytes contiguous in the first mbuf; the new head, or null (chain freed). */
export function m_pullup(n: mbuf, len: number): mbuf | null {
  const fn = 'm_pullup';
  checkMbuf(n, fn);
  checkCount(fn, 'len', len);
  let m: mbuf;
  let rest: mbuf | null = n;
  if (!(n.m_flags & M_EXT) && n.m_data + len < n.storage.paddr + MSIZE && n.m_next !== null) {
    if (n.m_len >= len) return n;
    [m, rest] = [n, n.m_next];
    len -= m.m_len;
  } else {
    const got = len > MHLEN ? null : m_get(n.m_mem, M_NOWAIT, n.m_type);
    if (!got) {
      m_freem(n);
      return null;
    }
    m = got;
    if (n.m_flags & M_PKTHDR) m_move_pkthdr(m, n);
  }
  let space = m.storage.paddr + MSIZE - (m.m_data + m.m_len);
  do {
    checkMbuf(rest, fn);
    const count = Math.min(Math.max(len, max_protohdr), space, rest.m_len);
    piece(m, m.m_len, count, 'write').set(piece(rest, 0, count, 'read'));
    len -= count;
    m.m_len += count;
    rest.m_len -= count;
    space -= count;
    if (rest.m_len) rest.m_data += count;
    else rest = m_free(rest);
  } while (len > 0 && rest !== null);
  if (len > 0) {
    m_free(m);
    m_freem(rest);
    return null;
  }
  m.m_next = rest;
  return m;
}

export interface MbufLayout {
  /**
   * Bytes in each mbuf, in order; 0 makes an empty mbuf. A segment that does not fit in a plain
   * mbuf (MLEN, or MHLEN for the first one with packet header) gets a cluster; above MCLBYTES is an
   * error. Bytes left after the listed segments go in MCLBYTES pieces laid out the same way.
   */
  segments?: readonly number[];
  /** Give the first mbuf a packet header with m_pkthdr.len set. Default true. */
  pkthdr?: boolean;
  type?: number;
}

/**
 * Build a chain holding `bytes` (copied in by the CPU) with a chosen segment layout, allocating with M_WAITOK.
 * @example const m = m_fromBytes(mem, data, { segments: [7, 0, 9] }); // a 16-byte block straddles 3 mbufs
 */
export function m_fromBytes(mem: PhysMemory, bytes: Uint8Array, options: MbufLayout = {}): mbuf {
  const fn = 'm_fromBytes';
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fn}: bytes must be a Uint8Array`);
  const type = options.type ?? MT_DATA;
  checkAlloc(fn, mem, M_WAITOK, type);
  const sizes = [...(options.segments ?? [])];
  sizes.forEach((s, i) => {
    checkCount(fn, `segments[${i}]`, s);
    if (s > MCLBYTES) throw new RangeError(`${fn}: segments[${i}] is ${s} bytes, more than one mbuf holds (MCLBYTES = ${MCLBYTES})`);
  });
  let left = bytes.length - sizes.reduce((a, b) => a + b, 0);
  if (left < 0) throw new RangeError(`${fn}: segments add up to ${bytes.length - left} bytes, more than the ${bytes.length} given`);
  for (; left > 0 || sizes.length === 0; left -= sizes[sizes.length - 1]!) sizes.push(Math.min(left, MCLBYTES));
  const hdr = options.pkthdr ?? true;
  const chain = sizes.map((s, i) => {
    const flags = i === 0 && hdr ? M_PKTHDR : 0;
    const m = s > (flags ? MHLEN : MLEN) ? m_getcl(mem, M_WAITOK, type, flags)! : mbufAlloc(mem, M_WAITOK, type, flags)!;
    m.m_len = s;
    return m;
  });
  let at = 0;
  chain.forEach((m, i) => {
    m.m_next = chain[i + 1] ?? null;
    piece(m, 0, m.m_len, 'write').set(bytes.subarray(at, (at += m.m_len)));
  });
  const head = chain[0]!;
  if (hdr) head.m_pkthdr.len = bytes.length;
  return head;
}

/** The chain's data as a new array (m_copydata of everything). */
export function m_toBytes(m: mbuf): Uint8Array {
  const out = new Uint8Array(chainLength(m, 'm_toBytes'));
  m_copydata(m, 0, out.length, out);
  return out;
}
