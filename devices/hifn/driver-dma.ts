/**
 * How the hifn driver hands a request's memory to the chip (hifn7751.c): bus_dma maps for the
 * source and destination operands, the chip's 4-byte rules (hifn_dmamap_aligned), the bounce
 * chain for a misaligned mbuf, the command buffer (hifn_write_command) and the source and
 * destination descriptors (hifn_dmamap_load_src / _dst) with their jump-slot wrap and the slop word.
 *
 * Deliberate difference: a contiguous buffer (FreeBSD: EINVAL) is loaded as it is when it lives in
 * simulated memory on a word boundary, else bounced through a kernel block and copied back at
 * completion (hifn_callback).
 */
import { BUS_DMA_NOWAIT, BUS_DMASYNC_PREWRITE, type BusDmaLoadResult } from '../../sim/busdma.js';
import { M_NOWAIT } from '../../sim/memory.js';
import { MCLBYTES, MHLEN, MINCLSIZE, MLEN, MT_DATA, M_EXT, M_PKTHDR, m_freem, m_get, m_getcl, m_gethdr, mbuf } from '../../sim/mbuf.js';
import { uio } from '../../sim/uio.js';
import { ENOMEM, ERESTART } from '../../framework/constants.js';
import { HIFN_MAX_COMMAND, hifnWriteCommand } from './command.js';
import {
  HIFN_1_DMA_CSR,
  HIFN_DMACSR_C_CTRL_ENA,
  HIFN_DMACSR_S_CTRL_ENA,
  HIFN_D_DST_RSIZE,
  HIFN_D_JUMP,
  HIFN_D_LAST,
  HIFN_D_MASKDONEIRQ,
  HIFN_D_SRC_RSIZE,
  HIFN_D_VALID,
} from './regs.js';
import {
  DMA_DSTR,
  DMA_SRCR,
  HIFN_DRIVER_CYCLES as C,
  READ_REG_1,
  WRITE_REG_1,
  areaSync,
  charge,
  cmdBufOff,
  descOff,
  dmaBytes,
  dmaWrite32,
  slopOff,
  type HifnCommandState,
  type HifnOperand,
  type HifnSoftc,
} from './driver-softc.js';

export function newOperand(): HifnOperand {
  return { map: null, mapsize: 0, nsegs: 0, segs: [] };
}

/** Key material a command carried, zeroed when it is no longer needed. */
export function wipe(cmd: HifnCommandState): void {
  cmd.mac.fill(0);
  cmd.iv.fill(0);
  cmd.ck = null;
}

/** hifn_dmamap_aligned: every segment starts on a word, every segment but the last is whole words. */
export function aligned(op: HifnOperand): boolean {
  for (let i = 0; i < op.nsegs; i++) {
    const s = op.segs[i]!;
    if (s.ds_addr & 3) return false;
    if (i !== op.nsegs - 1 && s.ds_len & 3) return false;
  }
  return true;
}

export function loadOperand(sc: HifnSoftc, op: HifnOperand, buf: mbuf | uio | { paddr: number; len: number }): number {
  const dma = sc.busdma!;
  const tag = sc.sc_dmat!;
  op.map = dma.bus_dmamap_create(tag, 0);
  let r: BusDmaLoadResult;
  if (buf instanceof mbuf) r = dma.bus_dmamap_load_mbuf_sg(tag, op.map, buf, BUS_DMA_NOWAIT);
  else if (buf instanceof uio) r = dma.bus_dmamap_load_uio_sg(tag, op.map, buf, BUS_DMA_NOWAIT);
  else r = dma.bus_dmamap_load_sg(tag, op.map, buf, buf.len, BUS_DMA_NOWAIT);
  if (r.error) {
    dma.bus_dmamap_destroy(tag, op.map);
    op.map = null;
    sc.stats.hst_nomem_load++;
    return r.error;
  }
  op.mapsize = r.mapsize;
  op.nsegs = r.nsegs;
  op.segs = r.segs.map((s) => ({ ds_addr: s.ds_addr, ds_len: s.ds_len }));
  charge(sc, C.mapLoad + C.mapSegment * r.nsegs);
  return 0;
}

/** Release what hifn_crypto took for `cmd` (its maps, a bounce chain or block). */
export function releaseOperands(sc: HifnSoftc, cmd: HifnCommandState, restoreSource: boolean): void {
  const dma = sc.busdma!;
  const tag = sc.sc_dmat!;
  const same = cmd.src.map === cmd.dst.map;
  for (const op of same ? [cmd.src] : [cmd.src, cmd.dst]) {
    if (!op.map) continue;
    dma.bus_dmamap_unload(tag, op.map);
    dma.bus_dmamap_destroy(tag, op.map);
    op.map = null;
  }
  cmd.dst.map = null;
  if (restoreSource && cmd.dst_m && cmd.dst_m !== cmd.src_m) {
    m_freem(cmd.dst_m);
    cmd.dst_m = cmd.src_m;
  }
  if (restoreSource && cmd.contigBounce) {
    sc.busdma!.mem.free(cmd.contigBounce);
    cmd.contigBounce = null;
  }
}

/** The destination chain for a misaligned mbuf source: fresh mbufs and clusters, never copied into. */
export function bounceChain(sc: HifnSoftc, src: mbuf, totlen: number): { m: mbuf | null; err: number } {
  const mem = sc.busdma!.mem;
  const fail = (what: 'mbuf' | 'mcl', m0: mbuf | null): { m: null; err: number } => {
    if (what === 'mbuf') sc.stats.hst_nomem_mbuf++;
    else sc.stats.hst_nomem_mcl++;
    if (m0) m_freem(m0);
    return { m: null, err: sc.sc_cmdu ? ERESTART : ENOMEM };
  };
  const hdr = (src.m_flags & M_PKTHDR) !== 0;
  let m0 = totlen >= MINCLSIZE ? m_getcl(mem, M_NOWAIT, MT_DATA, hdr ? M_PKTHDR : 0) : hdr ? m_gethdr(mem, M_NOWAIT, MT_DATA) : m_get(mem, M_NOWAIT, MT_DATA);
  if (!m0) return fail(totlen >= MINCLSIZE ? 'mcl' : 'mbuf', null);
  let len = m0.m_flags & M_EXT ? MCLBYTES : hdr ? MHLEN : MLEN;
  m0.m_len = len;
  m0.m_pkthdr.len = len;
  totlen -= len;
  let last = m0;
  while (totlen > 0) {
    const m = totlen >= MINCLSIZE ? m_getcl(mem, M_NOWAIT, MT_DATA, 0) : m_get(mem, M_NOWAIT, MT_DATA);
    if (!m) return fail(totlen >= MINCLSIZE ? 'mcl' : 'mbuf', m0);
    len = m.m_flags & M_EXT ? MCLBYTES : MLEN;
    m.m_len = len;
    m0.m_pkthdr.len += len;
    totlen -= len;
    last.m_next = m;
    last = m;
  }
  return { m: m0, err: 0 };
}

/** Where a contiguous request buffer is in physical memory, bouncing it when it is not usable as it is. */
export function contigSource(sc: HifnSoftc, cmd: HifnCommandState, buf: Uint8Array): { paddr: number; len: number } | number {
  const mem = sc.busdma!.mem;
  if (buf.buffer === mem.buffer && (buf.byteOffset & 3) === 0) return { paddr: buf.byteOffset, len: buf.length };
  const block = mem.malloc(buf.length, M_NOWAIT, 'hifn_bounce');
  if (!block) return sc.sc_cmdu ? ERESTART : ENOMEM;
  if (buf.buffer === mem.buffer) mem.noteCpu('read', buf.byteOffset, buf.length);
  mem.noteCpu('write', block.paddr, buf.length);
  block.bytes.set(buf);
  charge(sc, buf.length * C.copyPerByte);
  sc.stats.contigBounced++;
  cmd.contigBounce = block;
  return { paddr: block.paddr, len: buf.length };
}

/** hifn_crypto: map the buffer, check ring room, write the command and every descriptor, kick. */

export function writeCommand(sc: HifnSoftc, cmd: HifnCommandState, cmdi: number): number {
  const dstCount = cmd.sloplen ? cmd.dst.mapsize - cmd.sloplen + 4 : cmd.dst.mapsize;
  const e = cmd.enccrd;
  const m = cmd.maccrd;
  const buf = dmaBytes(sc, cmdBufOff(cmdi), HIFN_MAX_COMMAND, 'write');
  return hifnWriteCommand({
    baseMasks: cmd.base_masks,
    srcCount: cmd.src.mapsize,
    dstCount,
    ...(m ? { mac: { masks: cmd.mac_masks, headerSkip: m.crd_skip, sourceCount: m.crd_len, key: cmd.mac } } : {}),
    ...(e ? { crypt: { masks: cmd.cry_masks, headerSkip: e.crd_skip, sourceCount: e.crd_len, key: cmd.ck!, iv: cmd.iv } } : {}),
  }, buf);
}

/** hifn_dmamap_load_src. */
export function loadSourceDescriptors(sc: HifnSoftc, cmd: HifnCommandState): void {
  let idx = sc.sc_srci;
  for (let i = 0; i < cmd.src.nsegs; i++) {
    const seg = cmd.src.segs[i]!;
    const l = (seg.ds_len | HIFN_D_VALID | HIFN_D_MASKDONEIRQ | (i === cmd.src.nsegs - 1 ? HIFN_D_LAST : 0)) >>> 0;
    if (sc.bugs.validBeforeFill && i === 0) {
      // Planted bug: publish the descriptor, kick the rings and flush the posted write, then fill it in.
      dmaWrite32(sc, descOff(DMA_SRCR, idx), l);
      areaSync(sc, BUS_DMASYNC_PREWRITE);
      WRITE_REG_1(sc, HIFN_1_DMA_CSR, HIFN_DMACSR_C_CTRL_ENA | HIFN_DMACSR_S_CTRL_ENA);
      sc.sc_c_busy = sc.sc_s_busy = true;
      READ_REG_1(sc, HIFN_1_DMA_CSR);
      sc.dev.tree.scheduler.DELAY(5);
      dmaWrite32(sc, descOff(DMA_SRCR, idx) + 4, seg.ds_addr);
    } else {
      dmaWrite32(sc, descOff(DMA_SRCR, idx) + 4, seg.ds_addr);
      dmaWrite32(sc, descOff(DMA_SRCR, idx), l);
    }
    if (++idx === HIFN_D_SRC_RSIZE) {
      dmaWrite32(sc, descOff(DMA_SRCR, idx), HIFN_D_VALID | HIFN_D_JUMP | HIFN_D_MASKDONEIRQ);
      idx = 0;
    }
  }
  sc.sc_srci = idx;
  sc.sc_srcu += cmd.src.nsegs;
}

function dstWrap(sc: HifnSoftc, idx: number): number {
  if (++idx === HIFN_D_DST_RSIZE) {
    dmaWrite32(sc, descOff(DMA_DSTR, idx), HIFN_D_VALID | HIFN_D_JUMP | HIFN_D_MASKDONEIRQ);
    idx = 0;
  }
  return idx;
}

/** hifn_dmamap_load_dst: the last part of a buffer whose length is not whole words goes to the slop word. */
export function loadDestinationDescriptors(sc: HifnSoftc, cmd: HifnCommandState): void {
  const dst = cmd.dst;
  let idx = sc.sc_dsti;
  let used = 0;
  const put = (p: number, l: number): void => {
    dmaWrite32(sc, descOff(DMA_DSTR, idx) + 4, p);
    dmaWrite32(sc, descOff(DMA_DSTR, idx), l >>> 0);
    used++;
    idx = dstWrap(sc, idx);
  };
  let i = 0;
  for (; i < dst.nsegs - 1; i++) put(dst.segs[i]!.ds_addr, HIFN_D_VALID | HIFN_D_MASKDONEIRQ | dst.segs[i]!.ds_len);
  const lastSeg = dst.segs[i]!;
  if (cmd.sloplen === 0) {
    put(lastSeg.ds_addr, HIFN_D_VALID | HIFN_D_MASKDONEIRQ | HIFN_D_LAST | lastSeg.ds_len);
  } else {
    if (lastSeg.ds_len - cmd.sloplen !== 0) put(lastSeg.ds_addr, HIFN_D_VALID | HIFN_D_MASKDONEIRQ | (lastSeg.ds_len - cmd.sloplen));
    put(sc.sc_dma_physaddr + slopOff(cmd.slopidx), HIFN_D_VALID | HIFN_D_MASKDONEIRQ | HIFN_D_LAST | 4);
  }
  sc.sc_dsti = idx;
  sc.sc_dstu += used;
}
