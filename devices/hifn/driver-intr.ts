/**
 * The hifn driver's completion side, after hifn7751.c: hifn_intr (acknowledge DMA_CSR, reclaim
 * the result, source and command rings), hifn_callback (finish one request: syncs, bounce chain,
 * slop word, session IV, MAC, crypto_done), hifn_abort (a PCI abort on a ring), the hifn_tick
 * callout that disables idle rings, and the detach-time flush that completes every request still
 * on the card (DESIGN.md's hot-eject contract).
 *
 * Deliberate differences from FreeBSD:
 * - a DMA_CSR that reads all-ones (the card is gone, the line is shared) is not ours;
 * - the acknowledgement is flushed with a read of DMA_CSR before the rings are walked;
 * - hifn_abort completes the requests it cannot salvage with EAGAIN, not ENOMEM (FreeBSD's own
 *   comment says it should be EAGAIN), so a consumer resubmits them;
 * - the tick runs every 1 ms and disables a ring 5 ms after the last submission (FreeBSD: 1 Hz and
 *   5 s), so an idle machine stops polling soon; it is a kernel thread that sleeps while idle;
 * - command buffers are zeroed when their request completes: they held keys.
 */
import { CRYPTO_3DES_CBC, CRYPTO_AES_CBC, CRYPTO_ASYMQ, CRYPTO_DES_CBC, CRYPTO_F_IMBUF, CRYPTO_SYMQ, EAGAIN } from '../../framework/constants.js';
import { crypto_copyback, crypto_copydata } from '../../framework/criov.js';
import { Priority, type KThread, type Wait } from '../../sim/cpu.js';
import { BUS_DMASYNC_POSTREAD, BUS_DMASYNC_POSTWRITE, BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE } from '../../sim/busdma.js';
import { m_freem } from '../../sim/mbuf.js';
import { device_printf } from '../../sim/newbus.js';
import { HIFN_BASE_CMD_CRYPT, HIFN_BASE_CMD_DECODE, HIFN_BASE_CMD_MAC, HIFN_MAX_COMMAND, HIFN_RES_MAC_OFFSET } from './command.js';
import {
  HIFN_1_DMA_CSR,
  HIFN_1_DMA_IER,
  HIFN_1_PUB_STATUS,
  HIFN_DMACSR_C_ABORT,
  HIFN_DMACSR_C_CTRL_DIS,
  HIFN_DMACSR_C_WAIT,
  HIFN_DMACSR_D_ABORT,
  HIFN_DMACSR_D_CTRL_DIS,
  HIFN_DMACSR_D_OVER,
  HIFN_DMACSR_PUBDONE,
  HIFN_DMACSR_R_ABORT,
  HIFN_DMACSR_R_CTRL_DIS,
  HIFN_DMACSR_R_OVER,
  HIFN_DMACSR_S_ABORT,
  HIFN_DMACSR_S_CTRL_DIS,
  HIFN_DMAIER_C_WAIT,
  HIFN_D_CMD_RSIZE,
  HIFN_D_DST_RSIZE,
  HIFN_D_RES_RSIZE,
  HIFN_D_SRC_RSIZE,
  HIFN_D_VALID,
  HIFN_PUBSTS_DONE,
} from './regs.js';
import {
  DMA_CMDR,
  DMA_DSTR,
  DMA_RESR,
  DMA_SRCR,
  HIFN_DRIVER_CYCLES as C,
  HIFN_HAS_PUBLIC,
  READ_REG_1,
  WRITE_REG_1,
  areaSync,
  charge,
  cmdBufOff,
  descOff,
  dmaBytes,
  dmaRead32,
  resBufOff,
  slopOff,
  type HifnCommandState,
  type HifnSoftc,
} from './driver-softc.js';
import { releaseOperands, wipe } from './driver-dma.js';
import { hifn_init_dma, hifn_init_pci_registers, hifn_reset_board } from './driver-init.js';
import { hifn_pk_intr } from './driver-pk.js';

/** hifn_tick period and the countdown after the last submission (see the file comment). */
const TICK_PS = 1_000_000_000;
const TICK_COUNT = 5;

const valid = (sc: HifnSoftc, ring: number, i: number): boolean => (dmaRead32(sc, descOff(ring, i)) & HIFN_D_VALID) !== 0;

/** hifn_intr (an ithread handler, as FreeBSD sets it up with no filter). */
export function hifn_intr(sc: HifnSoftc): void {
  if (sc.detaching || !sc.bar1) return;
  const dmacsr = READ_REG_1(sc, HIFN_1_DMA_CSR);
  if (dmacsr === 0xffffffff) return; // the card is gone: nothing here is ours
  if ((dmacsr & sc.sc_dmaier) === 0) {
    sc.stats.hst_noirq++;
    return;
  }
  sc.stats.interrupts++;
  charge(sc, C.intr);
  if (!sc.bugs.noInterruptAck) {
    WRITE_REG_1(sc, HIFN_1_DMA_CSR, dmacsr & sc.sc_dmaier);
    // Difference: flush the posted acknowledgement with a read before walking the rings. A result
    // finished between the CSR read and the ack loses its R_DONE to the ack; the walk must see it.
    // On hardware the walk simply comes later; in the loosely-timed model this read is also what
    // brings the card's memory up to the handler's time.
    READ_REG_1(sc, HIFN_1_DMA_CSR);
  }
  if (sc.sc_flags & HIFN_HAS_PUBLIC && dmacsr & HIFN_DMACSR_PUBDONE) {
    WRITE_REG_1(sc, HIFN_1_PUB_STATUS, READ_REG_1(sc, HIFN_1_PUB_STATUS) | HIFN_PUBSTS_DONE);
    hifn_pk_intr(sc);
  }
  if (dmacsr & (HIFN_DMACSR_D_OVER | HIFN_DMACSR_R_OVER)) device_printf(sc.dev, `overrun ${(dmacsr >>> 0).toString(16)}`);
  if (dmacsr & (HIFN_DMACSR_C_ABORT | HIFN_DMACSR_S_ABORT | HIFN_DMACSR_D_ABORT | HIFN_DMACSR_R_ABORT)) {
    device_printf(sc.dev, 'abort, resetting.');
    sc.stats.hst_abort++;
    hifn_abort(sc);
    return;
  }
  if (dmacsr & HIFN_DMACSR_C_WAIT && sc.sc_cmdu === 0) {
    // No commands left and a "waiting on command" interrupt: turn the guard off.
    sc.sc_dmaier &= ~HIFN_DMAIER_C_WAIT;
    WRITE_REG_1(sc, HIFN_1_DMA_IER, sc.sc_dmaier);
  }
  // One POSTREAD for the whole walk (FreeBSD syncs before each descriptor; the area is one map).
  areaSync(sc, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  let i = sc.sc_resk;
  let u = sc.sc_resu;
  while (u !== 0) {
    if (valid(sc, DMA_RESR, i)) break;
    if (i !== HIFN_D_RES_RSIZE) {
      const cmd = sc.sc_hifn_commands[i];
      if (!cmd) throw new Error(`hifn_intr: null command slot ${i}`);
      sc.sc_hifn_commands[i] = null;
      hifn_callback(sc, cmd, cmd.base_masks & HIFN_BASE_CMD_MAC ? resBufOff(i) + HIFN_RES_MAC_OFFSET : null, i);
      sc.stats.hst_opackets++;
      u--;
    }
    if (++i === HIFN_D_RES_RSIZE + 1) i = 0;
  }
  sc.sc_resk = i;
  sc.sc_resu = u;
  i = sc.sc_srck;
  u = sc.sc_srcu;
  while (u !== 0) {
    if (i === HIFN_D_SRC_RSIZE) i = 0;
    if (valid(sc, DMA_SRCR, i)) break;
    i++;
    u--;
  }
  sc.sc_srck = i;
  sc.sc_srcu = u;
  i = sc.sc_cmdk;
  u = sc.sc_cmdu;
  while (u !== 0) {
    if (valid(sc, DMA_CMDR, i)) break;
    if (i !== HIFN_D_CMD_RSIZE) u--;
    if (++i === HIFN_D_CMD_RSIZE + 1) i = 0;
  }
  sc.sc_cmdk = i;
  sc.sc_cmdu = u;
  areaSync(sc, BUS_DMASYNC_PREREAD | BUS_DMASYNC_PREWRITE);
  if (sc.sc_cmdu + sc.sc_srcu + sc.sc_dstu + sc.sc_resu === 0 && (sc.sc_c_busy || sc.sc_s_busy || sc.sc_d_busy || sc.sc_r_busy)) hifnKickTick(sc);
  if (sc.sc_needwakeup) {
    const wakeup = sc.sc_needwakeup & (CRYPTO_SYMQ | CRYPTO_ASYMQ);
    sc.sc_needwakeup &= ~wakeup;
    sc.crypto.crypto_unblock(sc.sc_cid, wakeup);
  }
}

/** The POST syncs of a request's maps (a map a buggy variant already unloaded is skipped). */
function postSync(sc: HifnSoftc, cmd: HifnCommandState): void {
  const dma = sc.busdma!;
  const tag = sc.sc_dmat!;
  const sync = (map: HifnCommandState['src']['map'], op: number): void => {
    if (map?.loaded) dma.bus_dmamap_sync(tag, map, op);
  };
  if (cmd.src.map === cmd.dst.map) sync(cmd.src.map, BUS_DMASYNC_POSTWRITE | BUS_DMASYNC_POSTREAD);
  else {
    sync(cmd.src.map, BUS_DMASYNC_POSTWRITE);
    sync(cmd.dst.map, BUS_DMASYNC_POSTREAD);
  }
}

/** hifn_callback: finish one request the chip completed. */
export function hifn_callback(sc: HifnSoftc, cmd: HifnCommandState, macOff: number | null, resi: number): void {
  charge(sc, C.callback);
  const crp = cmd.crp;
  const mem = sc.busdma!.mem;
  postSync(sc, cmd);
  if (crp.crp_flags & CRYPTO_F_IMBUF && cmd.src_m !== cmd.dst_m) {
    // The bounce chain becomes the request's buffer, trimmed to the source's length.
    crp.crp_buf = cmd.dst_m;
    let totlen = cmd.src.mapsize;
    for (let m = cmd.dst_m; m; m = m.m_next) {
      if (totlen < m.m_len) {
        m.m_len = totlen;
        totlen = 0;
      } else totlen -= m.m_len;
    }
    cmd.dst_m!.m_pkthdr.len = cmd.src_m!.m_pkthdr.len;
    m_freem(cmd.src_m);
    cmd.src_m = cmd.dst_m;
  }
  if (cmd.contigBounce) {
    const user = crp.crp_buf as Uint8Array;
    mem.noteCpu('read', cmd.contigBounce.paddr, user.length);
    if (user.buffer === mem.buffer) mem.noteCpu('write', user.byteOffset, user.length);
    user.set(cmd.contigBounce.bytes.subarray(0, user.length));
    charge(sc, user.length * C.copyPerByte);
  }
  if (cmd.sloplen !== 0) {
    const slop = dmaBytes(sc, slopOff(cmd.slopidx), 4, 'read').slice(0, cmd.sloplen);
    crypto_copyback(crp.crp_flags, crp.crp_buf!, cmd.src.mapsize - cmd.sloplen, cmd.sloplen, slop, mem);
  }
  // The destination ring is reclaimed here, as in FreeBSD.
  let i = sc.sc_dstk;
  let u = sc.sc_dstu;
  while (u !== 0) {
    if (i === HIFN_D_DST_RSIZE) i = 0;
    if (valid(sc, DMA_DSTR, i)) break;
    i++;
    u--;
  }
  sc.sc_dstk = i;
  sc.sc_dstu = u;
  sc.stats.hst_obytes += cmd.dst.mapsize;
  const e = cmd.enccrd;
  if (e && (cmd.base_masks & (HIFN_BASE_CMD_CRYPT | HIFN_BASE_CMD_DECODE)) === HIFN_BASE_CMD_CRYPT &&
    (e.crd_alg === CRYPTO_DES_CBC || e.crd_alg === CRYPTO_3DES_CBC || e.crd_alg === CRYPTO_AES_CBC)) {
    // An encrypt leaves its last cipher block as the session's next IV.
    const ivlen = e.crd_alg === CRYPTO_AES_CBC ? 16 : 8;
    const ses = sc.sc_sessions[cmd.session_num];
    if (ses?.hs_used) crypto_copydata(crp.crp_flags, crp.crp_buf!, e.crd_skip + e.crd_len - ivlen, ivlen, ses.hs_iv, mem);
  }
  if (macOff !== null && cmd.maccrd) {
    const macbuf = dmaBytes(sc, macOff, cmd.mlen, 'read').slice();
    crypto_copyback(crp.crp_flags, crp.crp_buf!, cmd.maccrd.crd_inject, cmd.mlen, macbuf, mem);
    charge(sc, cmd.mlen * C.copyPerByte);
  }
  releaseOperands(sc, cmd, false);
  if (cmd.contigBounce) {
    mem.free(cmd.contigBounce);
    cmd.contigBounce = null;
  }
  dmaBytes(sc, cmdBufOff(resi % HIFN_D_CMD_RSIZE), HIFN_MAX_COMMAND, 'write').fill(0);
  wipe(cmd);
  sc.crypto.crypto_done(crp);
}

/**
 * Complete every request still on the card: those whose result the chip already wrote normally
 * (FreeBSD's hifn_abort "salvage"), the others with `etype`, their buffers restored. Returns how
 * many got `etype`.
 */
export function hifnFlushCommands(sc: HifnSoftc, etype: number): number {
  areaSync(sc, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  let failed = 0;
  let i = sc.sc_resk;
  let u = sc.sc_resu;
  while (u !== 0) {
    if (i === HIFN_D_RES_RSIZE) i = 0;
    const cmd = sc.sc_hifn_commands[i];
    if (!cmd) throw new Error(`hifn_abort: null command slot ${i}`);
    sc.sc_hifn_commands[i] = null;
    if (!valid(sc, DMA_RESR, i)) {
      sc.stats.hst_opackets++;
      hifn_callback(sc, cmd, cmd.base_masks & HIFN_BASE_CMD_MAC ? resBufOff(i) + HIFN_RES_MAC_OFFSET : null, i);
    } else {
      postSync(sc, cmd);
      releaseOperands(sc, cmd, true);
      wipe(cmd);
      cmd.crp.crp_etype = etype;
      failed++;
      sc.crypto.crypto_done(cmd.crp);
    }
    i++;
    u--;
  }
  sc.sc_resk = i;
  sc.sc_resu = 0;
  sc.sc_cmdu = sc.sc_srcu = sc.sc_dstu = 0;
  return failed;
}

/** hifn_abort: a PCI abort on some ring. Salvage, fail the rest with EAGAIN, reset the board. */
export function hifn_abort(sc: HifnSoftc): void {
  hifnFlushCommands(sc, EAGAIN);
  hifn_reset_board(sc, true);
  hifn_init_dma(sc);
  hifn_init_pci_registers(sc);
  if (sc.sc_needwakeup) {
    const wakeup = sc.sc_needwakeup & (CRYPTO_SYMQ | CRYPTO_ASYMQ);
    sc.sc_needwakeup &= ~wakeup;
    sc.crypto.crypto_unblock(sc.sc_cid, wakeup);
  }
}

/** Make sure the tick runs (hifn_crypto calls this on every submission). */
export function hifnEnsureTick(sc: HifnSoftc): void {
  sc.sc_active = TICK_COUNT;
  hifnKickTick(sc);
}

/** Wake the tick without restarting its countdown (the rings just drained). */
export function hifnKickTick(sc: HifnSoftc): void {
  if (sc.tickWanted || sc.detaching) return;
  sc.tickWanted = true;
  const sched = sc.dev.tree.scheduler;
  if (!sc.tickThread) sc.tickThread = sched.spawn(`${sc.dev.nameunit} tick`, Priority.Kernel, (td) => tickBody(sc, td));
  else sched.wakeup(sc.tickThread);
}

/**
 * hifn_tick: once the countdown runs out, disable the rings that have nothing on them. Difference:
 * the thread sleeps when it has nothing left to do (a ring still holding requests is disabled when
 * hifn_intr drains it and kicks the tick again) instead of ticking for ever.
 */
function* tickBody(sc: HifnSoftc, td: KThread): Generator<Wait, void, number> {
  for (;;) {
    if (sc.detaching) return;
    if (!sc.tickWanted) {
      yield td.msleep(td, 'hifntk');
      continue;
    }
    yield td.pause(TICK_PS);
    if (sc.detaching) return;
    if (sc.sc_active > 0) {
      sc.sc_active--;
      continue;
    }
    let r = 0;
    if (sc.sc_cmdu === 0 && sc.sc_c_busy) (sc.sc_c_busy = false), (r |= HIFN_DMACSR_C_CTRL_DIS);
    if (sc.sc_srcu === 0 && sc.sc_s_busy) (sc.sc_s_busy = false), (r |= HIFN_DMACSR_S_CTRL_DIS);
    if (sc.sc_dstu === 0 && sc.sc_d_busy) (sc.sc_d_busy = false), (r |= HIFN_DMACSR_D_CTRL_DIS);
    if (sc.sc_resu === 0 && sc.sc_r_busy) (sc.sc_r_busy = false), (r |= HIFN_DMACSR_R_CTRL_DIS);
    if (r) {
      WRITE_REG_1(sc, HIFN_1_DMA_CSR, r);
      sc.lastDisableT = td.localTime;
    }
    sc.tickWanted = false;
  }
}
