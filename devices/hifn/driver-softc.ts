/**
 * The hifn driver's per-device state (struct hifn_softc, hifn7751var.h), the layout of its DMA
 * area (struct hifn_dma), the driver's options and planted bugs, and the few primitives every
 * part of the driver shares: register access through bus_space and CPU access to the DMA area.
 *
 * The DMA area is one bus_dmamem block, one bus_dma map: the four rings (each with its jump slot),
 * 24 command buffers, 24 result buffers, 24 slop words and the two RAM-test words. Every CPU access
 * to it goes through `dmaRead32`/`dmaWrite32`/`dmaBytes`, which report the access to physical
 * memory's watchers as the kernel's buffer helpers do, so bus_dma's strict mode checks the
 * driver's syncs on its rings as well as on the data.
 *
 * This file, like every driver file, knows the card only through regs.ts/command.ts (the
 * datasheet), bus_space, bus_dma and its interrupt.
 */
import type { CryptoFramework } from '../../framework/crypto.js';
import type { cryptkop, cryptodesc, cryptop } from '../../framework/structs.js';
import type { BusDma, BusDmaMap, BusDmaTag, bus_dma_segment_t } from '../../sim/busdma.js';
import type { MemBlock } from '../../sim/memory.js';
import type { mbuf } from '../../sim/mbuf.js';
import type { KThread } from '../../sim/cpu.js';
import type { Device, IntrCookie, Resource } from '../../sim/newbus.js';
import { bus_space_read_4, bus_space_write_4 } from '../../sim/pci.js';
import type { Prng } from '../../sim/prng.js';
import { HIFN_MAX_COMMAND, HIFN_MAX_RESULT } from './command.js';
import { HIFN_DESC_SIZE, HIFN_D_CMD_RSIZE, HIFN_D_DST_RSIZE, HIFN_D_RES_RSIZE, HIFN_D_SRC_RSIZE } from './regs.js';

// sc_flags (hifn7751var.h)
export const HIFN_HAS_RNG = 0x1;
export const HIFN_HAS_PUBLIC = 0x2;
export const HIFN_HAS_AES = 0x4;
export const HIFN_IS_7811 = 0x8;
export const HIFN_IS_7956 = 0x10;

/** struct hifn_dma, byte offsets. */
export const DMA_CMDR = 0;
export const DMA_SRCR = DMA_CMDR + (HIFN_D_CMD_RSIZE + 1) * HIFN_DESC_SIZE;
export const DMA_DSTR = DMA_SRCR + (HIFN_D_SRC_RSIZE + 1) * HIFN_DESC_SIZE;
export const DMA_RESR = DMA_DSTR + (HIFN_D_DST_RSIZE + 1) * HIFN_DESC_SIZE;
export const DMA_COMMAND_BUFS = DMA_RESR + (HIFN_D_RES_RSIZE + 1) * HIFN_DESC_SIZE;
export const DMA_RESULT_BUFS = DMA_COMMAND_BUFS + HIFN_D_CMD_RSIZE * HIFN_MAX_COMMAND;
export const DMA_SLOP = DMA_RESULT_BUFS + HIFN_D_CMD_RSIZE * HIFN_MAX_RESULT;
export const DMA_TEST = DMA_SLOP + HIFN_D_CMD_RSIZE * 4;
export const HIFN_DMA_SIZE = DMA_TEST + 16;

/** hifn7751var.h: HIFN_SID / HIFN_SESSION. */
export const HIFN_SID = (unit: number, ses: number): number => ((unit << 28) | (ses & 0x7ff)) >>> 0;
export const HIFN_SESSION = (sid: number | bigint): number => Number(BigInt(sid) & 0x7ffn);
export const HIFN_MAX_SESSIONS = 0x800;

/**
 * Deliberately broken variants of the driver, for the sandbox's planted-bug tests. Each mirrors a
 * mistake real drivers make; the simulator must name it.
 */
export interface HifnBugs {
  /** Never sync the source buffer BUS_DMASYNC_PREWRITE before handing it to the chip. */
  skipPrewrite?: boolean;
  /** Publish a source descriptor (VALID), kick the ring and flush, then fill in its address. */
  validBeforeFill?: boolean;
  /** The interrupt handler reads DMA_CSR but never writes the status bits back. */
  noInterruptAck?: boolean;
  /** Unload the source map right after posting, while the chip still reads from it. */
  unloadWhileBusy?: boolean;
}

export interface HifnDriverOptions {
  /** The machine's crypto(9) framework. */
  crypto: CryptoFramework;
  /** Seeded randomness for session IVs (read_random); default a fixed stream. */
  prng?: Prng;
  /** hw.hifn.maxbatch: results posted with MASKDONEIRQ under CRYPTO_HINT_MORE (default 1, as FreeBSD). */
  maxbatch?: number;
  /**
   * FreeBSD asks the chip for a 96-bit HMAC whatever the session's mlen and copies out 16/20
   * bytes, the last of them junk (hw.md §2.7, fault 9a). Default false: truncate only when the
   * session asks for at most 12 bytes.
   */
  freebsdHmacTruncation?: boolean;
  /** Unlock even if the chip is already unlocked (the double-unlock lockup, hw.md §2.8). */
  forceUnlock?: boolean;
  bugs?: HifnBugs;
}

/** struct hifn_stats. */
export interface HifnStats {
  hst_ibytes: number;
  hst_obytes: number;
  hst_ipackets: number;
  hst_opackets: number;
  hst_invalid: number;
  hst_nomem: number;
  hst_abort: number;
  hst_noirq: number;
  hst_totbatch: number;
  hst_maxbatch: number;
  hst_unaligned: number;
  hst_nomem_map: number;
  hst_nomem_load: number;
  hst_nomem_mbuf: number;
  hst_nomem_mcl: number;
  hst_nomem_cr: number;
  hst_nomem_sd: number;
  /** ocfsim: interrupts taken, and contiguous buffers bounced through a kernel block. */
  interrupts: number;
  contigBounced: number;
}

export function newStats(): HifnStats {
  return {
    hst_ibytes: 0, hst_obytes: 0, hst_ipackets: 0, hst_opackets: 0, hst_invalid: 0, hst_nomem: 0, hst_abort: 0, hst_noirq: 0,
    hst_totbatch: 0, hst_maxbatch: 0, hst_unaligned: 0, hst_nomem_map: 0, hst_nomem_load: 0, hst_nomem_mbuf: 0, hst_nomem_mcl: 0,
    hst_nomem_cr: 0, hst_nomem_sd: 0, interrupts: 0, contigBounced: 0,
  };
}

/** struct hifn_session: FreeBSD keeps no keys here, they travel in every command. */
export interface HifnSession {
  hs_used: boolean;
  hs_mlen: number;
  hs_iv: Uint8Array;
}

/** One operand (source or destination) of a command: its map and segments. */
export interface HifnOperand {
  map: BusDmaMap | null;
  mapsize: number;
  nsegs: number;
  segs: bus_dma_segment_t[];
}

/** struct hifn_command: one request on the card. */
export interface HifnCommandState {
  session_num: number;
  base_masks: number;
  cry_masks: number;
  mac_masks: number;
  iv: Uint8Array;
  ck: Uint8Array | null;
  mac: Uint8Array;
  sloplen: number;
  slopidx: number;
  /** The session's MAC length when the request was posted. */
  mlen: number;
  src: HifnOperand;
  dst: HifnOperand;
  src_m: mbuf | null;
  dst_m: mbuf | null;
  /** ocfsim: a contiguous buffer bounced through a kernel block (the user's array is copied back). */
  contigBounce: MemBlock | null;
  crp: cryptop;
  enccrd: cryptodesc | null;
  maccrd: cryptodesc | null;
}

export interface HifnSoftc {
  dev: Device<HifnSoftc>;
  opts: HifnDriverOptions;
  bugs: HifnBugs;
  crypto: CryptoFramework;
  bar0: Resource | null;
  bar1: Resource | null;
  irq: Resource | null;
  intrhand: IntrCookie | null;
  sc_flags: number;
  sc_pllconfig: number;
  sc_dmaier: number;
  sc_drammodel: number;
  sc_ramsize: number;
  sc_maxses: number;
  busdma: BusDma | null;
  /** Tag for data maps (FreeBSD's sc_dmat) and for the DMA area (one contiguous segment). */
  sc_dmat: BusDmaTag | null;
  areaTag: BusDmaTag | null;
  sc_dmamap: BusDmaMap | null;
  area: MemBlock | null;
  sc_dma_physaddr: number;
  sc_hifn_commands: (HifnCommandState | null)[];
  sc_cmdi: number; sc_srci: number; sc_dsti: number; sc_resi: number;
  sc_cmdu: number; sc_srcu: number; sc_dstu: number; sc_resu: number;
  sc_cmdk: number; sc_srck: number; sc_dstk: number; sc_resk: number;
  sc_cid: number;
  sc_sessions: HifnSession[];
  sc_c_busy: boolean; sc_s_busy: boolean; sc_d_busy: boolean; sc_r_busy: boolean;
  sc_active: number;
  sc_needwakeup: number;
  sc_curbatch: number;
  maxbatch: number;
  /** The hifn_tick callout runs in this kernel thread while the rings are busy. */
  tickThread: KThread | null;
  tickWanted: boolean;
  /** Local time of the tick's last ring-disable write: HIFN_LOCK orders a later doorbell after it. */
  lastDisableT: number;
  /** The public-key operation on the chip, and whether kprocess had to refuse one. */
  pkBusy: cryptkop | null;
  pkDone: (() => void) | null;
  detaching: boolean;
  stats: HifnStats;
  prng: Prng | null;
}

// ---- registers: READ_REG_0 / WRITE_REG_0 / READ_REG_1 / WRITE_REG_1 -----------------------------

export function READ_REG_0(sc: HifnSoftc, reg: number): number {
  return bus_space_read_4(sc.bar0!, reg);
}
export function WRITE_REG_0(sc: HifnSoftc, reg: number, val: number): void {
  bus_space_write_4(sc.bar0!, reg, val >>> 0);
}
export function READ_REG_1(sc: HifnSoftc, reg: number): number {
  return bus_space_read_4(sc.bar1!, reg);
}
export function WRITE_REG_1(sc: HifnSoftc, reg: number, val: number): void {
  bus_space_write_4(sc.bar1!, reg, val >>> 0);
}

// ---- the DMA area, as the CPU touches it --------------------------------------------------------

/** A little-endian 32-bit CPU load from the DMA area (reported to memory's watchers). */
export function dmaRead32(sc: HifnSoftc, off: number): number {
  const a = sc.area!;
  sc.busdma!.mem.noteCpu('read', a.paddr + off, 4);
  const b = a.bytes;
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** A little-endian 32-bit CPU store to the DMA area. */
export function dmaWrite32(sc: HifnSoftc, off: number, v: number): void {
  const a = sc.area!;
  sc.busdma!.mem.noteCpu('write', a.paddr + off, 4);
  const b = a.bytes;
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** The CPU's view of [off, off+len) of the DMA area; the caller says whether it reads or writes. */
export function dmaBytes(sc: HifnSoftc, off: number, len: number, kind: 'read' | 'write'): Uint8Array {
  const a = sc.area!;
  sc.busdma!.mem.noteCpu(kind, a.paddr + off, len);
  return a.bytes.subarray(off, off + len);
}

/** HIFN_*R_SYNC: FreeBSD syncs the whole DMA area for any ring or buffer. */
export function areaSync(sc: HifnSoftc, ops: number): void {
  sc.busdma!.bus_dmamap_sync(sc.areaTag!, sc.sc_dmamap!, ops);
}

/** Byte offset of descriptor `i` of the ring at `ring` (DMA_CMDR, ...). */
export const descOff = (ring: number, i: number): number => ring + i * HIFN_DESC_SIZE;
export const cmdBufOff = (i: number): number => DMA_COMMAND_BUFS + i * HIFN_MAX_COMMAND;
export const resBufOff = (i: number): number => DMA_RESULT_BUFS + i * HIFN_MAX_RESULT;
export const slopOff = (i: number): number => DMA_SLOP + i * 4;

/** Charge the running thread `cycles` host CPU cycles (driver work); free outside a thread. */
export function charge(sc: HifnSoftc, cycles: number): void {
  sc.dev.tree.scheduler.current?.chargeCycles(cycles);
}

/**
 * Host cycles of the driver's own work, charged to whoever runs it. No published figures exist for
 * hifn(4); all are estimates from the code paths on a 2015 x86 core (lock pair, a few hundred
 * loads and stores per request, memcpy at about 1 byte per cycle for short copies).
 */
export const HIFN_DRIVER_CYCLES = {
  /** hifn_process + hifn_crypto bookkeeping: request decode, lock, ring indices (estimate). */
  process: 700,
  /** bus_dmamap_create + load of one operand, plus per segment (estimate). */
  mapLoad: 250,
  mapSegment: 40,
  /** Writing one descriptor and its ring sync (estimate). */
  descriptor: 40,
  /** hifn_write_command: fixed part, plus copying the keys and IV at ~1 cycle/byte (estimate). */
  command: 150,
  /** hifn_intr entry: CSR read handled by bus_space, ring walk set-up (estimate). */
  intr: 250,
  /** hifn_callback per request: syncs, unload, MAC/IV/slop copies, crypto_done call (estimate). */
  callback: 450,
  /** Per byte of CPU copies (IV, MAC, slop, bounce) (estimate). */
  copyPerByte: 1,
} as const;
