/**
 * crypto(9) bookkeeping for edu drivers: what every driver of this card does the same way and what
 * a lab should not make a student retype — checking a session's cryptoini and a request's
 * descriptor, crypto(9)'s IV rules, finding where the bytes of a request are in physical memory
 * (bouncing them through a kernel block when they are not one contiguous piece), and tracing.
 *
 * None of it touches the card: the driver still does every register access, every bus_dmamap_sync
 * and the ring itself. The reference driver (driver.ts) and every lab in labs/ use these helpers.
 *
 * @example
 *   const chk = edu_check_request(crp);               // one descriptor, region inside the buffer
 *   const iv = edu_iv(crp, chk.crd!, sc.prng, mem);  // explicit, generated (and injected), or read
 *   const ld = edu_load_region(dma, tag, map, crp, chk.crd!);
 *   // ... descriptor with SRC = DST = ld.io.paddr, PREWRITE|PREREAD, TAIL ...
 *   // at completion: POSTREAD|POSTWRITE, unload, then edu_copyback(dma, crp, crd, io)
 */
import {
  AES_BLOCK_LEN, CRD_F_ENCRYPT, CRD_F_IV_EXPLICIT, CRD_F_IV_PRESENT, CRYPTO_AES_CBC, CRYPTO_NULL_CBC, EINVAL, ENOMEM,
} from '../../framework/constants.js';
import { crypto_bufcheck, crypto_buflen, crypto_copyback, crypto_copydata, crypto_region_view } from '../../framework/criov.js';
import type { cryptodesc, cryptoini, cryptop } from '../../framework/structs.js';
import { BUS_DMA_NOWAIT, type BusDma, type BusDmaMap, type BusDmaTag } from '../../sim/busdma.js';
import { M_NOWAIT, type MemBlock, type PhysMemory } from '../../sim/memory.js';
import type { Device } from '../../sim/newbus.js';
import type { Prng } from '../../sim/prng.js';
import type { TraceFieldValue } from '../../sim/trace.js';
import { AES_BLOCK, EDU_ALG_AES128_CBC, EDU_ALG_NULL, EDU_KEY_BYTES, EDU_MAX_LEN } from './regs.js';

/** What newsession learns from a cryptoini: the card's algorithm and (AES) a private copy of the key. */
export interface EduSessionParams {
  error: number;
  alg: number;
  key: Uint8Array | null;
}

/**
 * The card does one transform per session: CRYPTO_AES_CBC with a 128-bit key, or CRYPTO_NULL_CBC.
 * The key is copied (the cryptoini stays the consumer's). EINVAL for anything else.
 */
export function edu_session_params(cri: cryptoini | null): EduSessionParams {
  const bad = { error: EINVAL, alg: -1, key: null };
  if (!cri || cri.cri_next) return bad;
  if (cri.cri_alg === CRYPTO_NULL_CBC) return { error: 0, alg: EDU_ALG_NULL, key: null };
  if (cri.cri_alg !== CRYPTO_AES_CBC || cri.cri_klen !== 128 || !cri.cri_key || cri.cri_key.length < EDU_KEY_BYTES) return bad;
  return { error: 0, alg: EDU_ALG_AES128_CBC, key: cri.cri_key.slice(0, EDU_KEY_BYTES) };
}

/** The card's algorithm number for a crypto(9) one, or -1. */
export function edu_alg(crdAlg: number): number {
  return crdAlg === CRYPTO_AES_CBC ? EDU_ALG_AES128_CBC : crdAlg === CRYPTO_NULL_CBC ? EDU_ALG_NULL : -1;
}

/**
 * A request the card can do: a buffer of the kind crp_flags announce, exactly one descriptor, a
 * region [crd_skip, crd_skip + crd_len) inside the buffer, 1..EDU_MAX_LEN bytes (whole AES blocks
 * for AES). `error` is 0 or EINVAL.
 */
export function edu_check_request(crp: cryptop): { error: number; crd: cryptodesc | null } {
  const crd = crp.crp_desc;
  if (!crd || crd.crd_next || crypto_bufcheck(crp.crp_flags, crp.crp_buf) !== null) return { error: EINVAL, crd: null };
  const alg = edu_alg(crd.crd_alg);
  const len = crd.crd_len;
  const ok =
    alg >= 0 && Number.isSafeInteger(crd.crd_skip) && crd.crd_skip >= 0 && Number.isSafeInteger(len) && len > 0 && len <= EDU_MAX_LEN &&
    (alg !== EDU_ALG_AES128_CBC || len % AES_BLOCK === 0) && crd.crd_skip + len <= crypto_buflen(crp.crp_flags, crp.crp_buf!);
  return ok ? { error: 0, crd } : { error: EINVAL, crd: null };
}

/**
 * crypto(9)'s IV rules for AES-CBC (crypto.9 and cryptosoft): encrypt uses crd_iv if
 * CRD_F_IV_EXPLICIT, else fresh random bytes, and unless CRD_F_IV_PRESENT writes the IV into the
 * buffer at crd_inject; decrypt uses crd_iv if CRD_F_IV_EXPLICIT, else reads it at crd_inject.
 * Call it before the buffer is synced PREWRITE (it may write into it). NULL needs no IV (zeros).
 */
export function edu_iv(crp: cryptop, crd: cryptodesc, prng: Prng, mem?: PhysMemory): { error: number; iv: Uint8Array } {
  const iv = new Uint8Array(AES_BLOCK_LEN);
  if (crd.crd_alg !== CRYPTO_AES_CBC) return { error: 0, iv };
  const buf = crp.crp_buf!;
  const size = crypto_buflen(crp.crp_flags, buf);
  const injectOk = Number.isSafeInteger(crd.crd_inject) && crd.crd_inject >= 0 && crd.crd_inject + AES_BLOCK_LEN <= size;
  const explicit = (crd.crd_flags & CRD_F_IV_EXPLICIT) !== 0;
  if (explicit) {
    if (crd.crd_iv.length < AES_BLOCK_LEN) return { error: EINVAL, iv };
    iv.set(crd.crd_iv.subarray(0, AES_BLOCK_LEN));
  }
  if (crd.crd_flags & CRD_F_ENCRYPT) {
    if (!explicit) prng.fill(iv);
    if ((crd.crd_flags & CRD_F_IV_PRESENT) === 0) {
      if (!injectOk) return { error: EINVAL, iv };
      crypto_copyback(crp.crp_flags, buf, crd.crd_inject, AES_BLOCK_LEN, iv, mem);
    }
  } else if (!explicit) {
    if (!injectOk) return { error: EINVAL, iv };
    crypto_copydata(crp.crp_flags, buf, crd.crd_inject, AES_BLOCK_LEN, iv, mem);
  }
  return { error: 0, iv };
}

/** Where the card reads and writes a request's region. */
export interface EduIo {
  /** Bus address of the region's first byte (or of the bounce block). */
  paddr: number;
  len: number;
  /** A kernel block the region was copied into, when it was not one contiguous piece of memory. */
  bounce: MemBlock | null;
}

/**
 * Load the region [crd_skip, crd_skip + crd_len) of crp_buf into `map` (a one-segment tag) and
 * return its bus address. A region that is one contiguous piece of simulated memory (inside one
 * mbuf, one iovec, or a contiguous buffer in machine memory) is loaded where it is; otherwise it
 * is copied into a kernel block ("bounced") that is loaded instead, and edu_copyback puts the
 * result back. No sync is done here: that is the driver's job.
 */
export function edu_load_region(dma: BusDma, tag: BusDmaTag, map: BusDmaMap, crp: cryptop, crd: cryptodesc): { error: number; io: EduIo | null } {
  const mem = dma.mem;
  const len = crd.crd_len;
  const view = crypto_region_view(crp.crp_flags, crp.crp_buf!, crd.crd_skip, len, mem);
  if (view && view.mem === mem) {
    const r = dma.bus_dmamap_load_sg(tag, map, { paddr: view.paddr, len }, len, BUS_DMA_NOWAIT);
    if (r.error === 0 && r.nsegs === 1) return { error: 0, io: { paddr: r.segs[0]!.ds_addr, len, bounce: null } };
    if (r.error === 0) dma.bus_dmamap_unload(tag, map);
  }
  const block = mem.malloc(len, M_NOWAIT, 'edu_bounce');
  if (!block) return { error: ENOMEM, io: null };
  const tmp = new Uint8Array(len);
  crypto_copydata(crp.crp_flags, crp.crp_buf!, crd.crd_skip, len, tmp, mem);
  mem.cpuWrite(block.paddr, tmp);
  const r = dma.bus_dmamap_load_sg(tag, map, block, len, BUS_DMA_NOWAIT);
  if (r.error !== 0 || r.nsegs !== 1) {
    if (r.error === 0) dma.bus_dmamap_unload(tag, map);
    mem.free(block);
    return { error: r.error || EINVAL, io: null };
  }
  return { error: 0, io: { paddr: r.segs[0]!.ds_addr, len, bounce: block } };
}

/**
 * After the POSTREAD sync of a finished request: copy a bounced result back into crp_buf and free
 * the bounce block. `keepResult` false (a request handed back with EAGAIN) only frees it.
 */
export function edu_copyback(dma: BusDma, crp: cryptop, crd: cryptodesc, io: EduIo, keepResult = true): void {
  if (!io.bounce) return;
  if (keepResult) crypto_copyback(crp.crp_flags, crp.crp_buf!, crd.crd_skip, io.len, dma.mem.cpuRead(io.bounce.paddr, io.len), dma.mem);
  dma.mem.free(io.bounce);
  io.bounce = null;
}

/** A copy of the request's region as the consumer gave it (to put back before an EAGAIN). */
export function edu_save_region(crp: cryptop, crd: cryptodesc, mem?: PhysMemory): Uint8Array {
  const out = new Uint8Array(crd.crd_len);
  crypto_copydata(crp.crp_flags, crp.crp_buf!, crd.crd_skip, crd.crd_len, out, mem);
  return out;
}

/** Put a saved region back: the card may have written part of its result in place already. */
export function edu_restore_region(crp: cryptop, crd: cryptodesc, saved: Uint8Array, mem?: PhysMemory): void {
  crypto_copyback(crp.crp_flags, crp.crp_buf!, crd.crd_skip, saved.length, saved, mem);
}

/** A driver-layer trace event ("edu.post", "edu.complete") stamped with the caller's time. */
export function edu_trace(dev: Device, kind: string, req: number | undefined, fields?: Record<string, TraceFieldValue>): void {
  const tr = dev.tree.trace;
  if (!tr?.on) return;
  tr.record({ t: dev.tree.scheduler.localNow(), layer: 'driver', where: dev.nameunit, kind, ...(req ? { req } : {}), ...(fields ? { fields } : {}) });
}
