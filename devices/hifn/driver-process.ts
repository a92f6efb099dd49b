/**
 * The hifn driver's symmetric request path: hifn_process (decode the request into a command) and
 * hifn_crypto (post it on the rings), after FreeBSD 9.3 sys/dev/hifn/hifn7751.c (hw.md §2.5-§2.7).
 * Sessions are in driver-session.ts, the memory side (maps, descriptors) in driver-dma.ts.
 *
 * A request becomes one command buffer (keys and IV inline), one command descriptor, the source
 * buffer's segments on the source ring, one result descriptor and the destination segments (plus
 * the 4-byte slop word when the length is not a multiple of 4). The buffer goes to the chip through
 * bus_dma; when its segments break the chip's 4-byte rules an mbuf chain gets a fresh destination
 * chain (the chip writes it; nothing is copied in) and a uio is refused with EINVAL.
 *
 * Deliberate differences from FreeBSD, each for a reason:
 * - contiguous buffers are accepted (FreeBSD: EINVAL; see driver-dma.ts);
 * - HMAC truncation follows the session's mlen unless `freebsdHmacTruncation` (hw.md §2.7);
 * - ranges past the buffer, a CBC length that is not a whole number of blocks, a MAC key longer
 *   than 64 bytes are EINVAL (FreeBSD let the chip or memcpy find out);
 * - all descriptor stores of one request are followed by a single sync of the DMA area (FreeBSD
 *   syncs after each); the driver's CPU cost is charged before the stores, so no device event can
 *   run between a store and its sync.
 */
import {
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRYPTO_3DES_CBC,
  CRYPTO_AES_CBC,
  CRYPTO_ARC4,
  CRYPTO_DES_CBC,
  CRYPTO_F_IMBUF,
  CRYPTO_F_IOV,
  CRYPTO_HINT_MORE,
  CRYPTO_MD5,
  CRYPTO_MD5_HMAC,
  CRYPTO_SHA1_HMAC,
  CRYPTO_SYMQ,
  EINVAL,
  ENOMEM,
  ERESTART,
} from '../../framework/constants.js';
import { crypto_bufcheck, crypto_buflen, crypto_copyback, crypto_copydata } from '../../framework/criov.js';
import type { cryptodesc, cryptop } from '../../framework/structs.js';
import { BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE } from '../../sim/busdma.js';
import type { mbuf } from '../../sim/mbuf.js';
import type { uio } from '../../sim/uio.js';
import {
  HIFN_BASE_CMD_CRYPT,
  HIFN_BASE_CMD_DECODE,
  HIFN_BASE_CMD_MAC,
  HIFN_CRYPT_CMD_ALG_3DES,
  HIFN_CRYPT_CMD_ALG_AES,
  HIFN_CRYPT_CMD_ALG_DES,
  HIFN_CRYPT_CMD_ALG_RC4,
  HIFN_CRYPT_CMD_KSZ_128,
  HIFN_CRYPT_CMD_KSZ_192,
  HIFN_CRYPT_CMD_KSZ_256,
  HIFN_CRYPT_CMD_MODE_CBC,
  HIFN_CRYPT_CMD_NEW_IV,
  HIFN_CRYPT_CMD_NEW_KEY,
  HIFN_MAC_CMD_ALG_MD5,
  HIFN_MAC_CMD_ALG_SHA1,
  HIFN_MAC_CMD_MODE_HASH,
  HIFN_MAC_CMD_MODE_HMAC,
  HIFN_MAC_CMD_NEW_KEY,
  HIFN_MAC_CMD_POS_IPSEC,
  HIFN_MAC_CMD_RESULT,
  HIFN_MAC_CMD_TRUNC,
  HIFN_MAC_KEY_LENGTH,
  HIFN_MAC_TRUNC_LENGTH,
  HIFN_MAX_RESULT,
} from './command.js';
import {
  HIFN_1_DMA_CSR,
  HIFN_1_DMA_IER,
  HIFN_DMACSR_C_CTRL_ENA,
  HIFN_DMACSR_D_CTRL_ENA,
  HIFN_DMACSR_R_CTRL_ENA,
  HIFN_DMACSR_S_CTRL_ENA,
  HIFN_DMAIER_C_WAIT,
  HIFN_D_CMD_RSIZE,
  HIFN_D_DST_RSIZE,
  HIFN_D_JUMP,
  HIFN_D_LAST,
  HIFN_D_MASKDONEIRQ,
  HIFN_D_RES_RSIZE,
  HIFN_D_SRC_RSIZE,
  HIFN_D_VALID,
  HIFN_MAX_DMALEN,
} from './regs.js';
import {
  DMA_CMDR,
  DMA_RESR,
  HIFN_DRIVER_CYCLES as C,
  HIFN_SESSION,
  WRITE_REG_1,
  areaSync,
  charge,
  descOff,
  dmaWrite32,
  type HifnCommandState,
  type HifnSoftc,
} from './driver-softc.js';
import { isCipher, isMac } from './driver-session.js';
import { aligned, bounceChain, contigSource, loadDestinationDescriptors, loadOperand, loadSourceDescriptors, newOperand, releaseOperands, wipe, writeCommand } from './driver-dma.js';
import { hifnEnsureTick } from './driver-intr.js';

export { hifn_freesession, hifn_newsession } from './driver-session.js';
export { releaseOperands, wipe } from './driver-dma.js';

function errout(sc: HifnSoftc, crp: cryptop, err: number): number {
  if (err === EINVAL) sc.stats.hst_invalid++;
  else sc.stats.hst_nomem++;
  crp.crp_etype = err;
  sc.crypto.crypto_done(crp);
  return err;
}

/** hifn_process: decode the request into a command, then hifn_crypto. */
export function hifn_process(sc: HifnSoftc, crp: cryptop, hint: number): number {
  if (!crp || !crp.crp_callback) {
    sc.stats.hst_invalid++;
    return EINVAL;
  }
  charge(sc, C.process);
  const session = HIFN_SESSION(crp.crp_sid);
  const ses = sc.sc_sessions[session];
  if (sc.detaching || !ses || !ses.hs_used) return errout(sc, crp, EINVAL);
  if (crypto_bufcheck(crp.crp_flags, crp.crp_buf) !== null) return errout(sc, crp, EINVAL);
  const buflen = crypto_buflen(crp.crp_flags, crp.crp_buf!);
  if (buflen === 0 || buflen > HIFN_MAX_DMALEN) return errout(sc, crp, EINVAL);

  const crd1 = crp.crp_desc;
  if (!crd1) return errout(sc, crp, EINVAL);
  const crd2 = crd1.crd_next;
  let maccrd: cryptodesc | null = null;
  let enccrd: cryptodesc | null = null;
  let base = 0;
  if (!crd2) {
    if (isMac(crd1.crd_alg)) maccrd = crd1;
    else if (isCipher(crd1.crd_alg)) {
      enccrd = crd1;
      if (!(crd1.crd_flags & CRD_F_ENCRYPT)) base |= HIFN_BASE_CMD_DECODE;
    } else return errout(sc, crp, EINVAL);
  } else if (isMac(crd1.crd_alg) && isCipher(crd2.crd_alg) && !(crd2.crd_flags & CRD_F_ENCRYPT)) {
    base = HIFN_BASE_CMD_DECODE;
    maccrd = crd1;
    enccrd = crd2;
  } else if (isCipher(crd1.crd_alg) && isMac(crd2.crd_alg) && crd1.crd_flags & CRD_F_ENCRYPT) {
    enccrd = crd1;
    maccrd = crd2;
  } else {
    return errout(sc, crp, EINVAL); // "We cannot order the 7751 as requested"
  }
  for (const d of [enccrd, maccrd]) {
    if (d && (d.crd_skip < 0 || d.crd_len <= 0 || d.crd_skip > 0xffff || d.crd_skip + d.crd_len > buflen)) return errout(sc, crp, EINVAL);
  }

  const cmd: HifnCommandState = {
    session_num: session, base_masks: base, cry_masks: 0, mac_masks: 0, iv: new Uint8Array(16), ck: null,
    mac: new Uint8Array(HIFN_MAC_KEY_LENGTH), sloplen: 0, slopidx: 0, mlen: ses.hs_mlen, src: newOperand(), dst: newOperand(),
    src_m: null, dst_m: null, contigBounce: null, crp, enccrd, maccrd,
  };
  if (crp.crp_flags & CRYPTO_F_IMBUF) cmd.src_m = cmd.dst_m = crp.crp_buf as mbuf;

  if (enccrd) {
    cmd.base_masks |= HIFN_BASE_CMD_CRYPT;
    const alg = enccrd.crd_alg;
    if (alg === CRYPTO_ARC4) cmd.cry_masks |= HIFN_CRYPT_CMD_ALG_RC4;
    else if (alg === CRYPTO_DES_CBC) cmd.cry_masks |= HIFN_CRYPT_CMD_ALG_DES | HIFN_CRYPT_CMD_MODE_CBC | HIFN_CRYPT_CMD_NEW_IV;
    else if (alg === CRYPTO_3DES_CBC) cmd.cry_masks |= HIFN_CRYPT_CMD_ALG_3DES | HIFN_CRYPT_CMD_MODE_CBC | HIFN_CRYPT_CMD_NEW_IV;
    else if (alg === CRYPTO_AES_CBC) cmd.cry_masks |= HIFN_CRYPT_CMD_ALG_AES | HIFN_CRYPT_CMD_MODE_CBC | HIFN_CRYPT_CMD_NEW_IV;
    if (alg !== CRYPTO_ARC4) {
      const ivlen = alg === CRYPTO_AES_CBC ? 16 : 8;
      if (enccrd.crd_len % ivlen !== 0) return errout(sc, crp, EINVAL);
      if (enccrd.crd_flags & CRD_F_ENCRYPT) {
        cmd.iv.set((enccrd.crd_flags & CRD_F_IV_EXPLICIT ? enccrd.crd_iv : ses.hs_iv).subarray(0, ivlen));
        if (!(enccrd.crd_flags & CRD_F_IV_PRESENT)) {
          if (enccrd.crd_inject < 0 || enccrd.crd_inject + ivlen > buflen) return errout(sc, crp, EINVAL);
          crypto_copyback(crp.crp_flags, crp.crp_buf!, enccrd.crd_inject, ivlen, cmd.iv, sc.busdma!.mem);
          charge(sc, ivlen * C.copyPerByte);
        }
      } else if (enccrd.crd_flags & CRD_F_IV_EXPLICIT) {
        cmd.iv.set(enccrd.crd_iv.subarray(0, ivlen));
      } else {
        if (enccrd.crd_inject < 0 || enccrd.crd_inject + ivlen > buflen) return errout(sc, crp, EINVAL);
        crypto_copydata(crp.crp_flags, crp.crp_buf!, enccrd.crd_inject, ivlen, cmd.iv, sc.busdma!.mem);
        charge(sc, ivlen * C.copyPerByte);
      }
    }
    // FreeBSD sends the key with every command.
    if (!enccrd.crd_key) return errout(sc, crp, EINVAL);
    cmd.cry_masks |= HIFN_CRYPT_CMD_NEW_KEY;
    const cklen = enccrd.crd_klen >> 3;
    if (cklen < 1 || cklen > enccrd.crd_key.length) return errout(sc, crp, EINVAL);
    cmd.ck = enccrd.crd_key.subarray(0, cklen);
    if (alg === CRYPTO_AES_CBC) {
      if (cklen === 16) cmd.cry_masks |= HIFN_CRYPT_CMD_KSZ_128;
      else if (cklen === 24) cmd.cry_masks |= HIFN_CRYPT_CMD_KSZ_192;
      else if (cklen === 32) cmd.cry_masks |= HIFN_CRYPT_CMD_KSZ_256;
      else return errout(sc, crp, EINVAL);
    } else if ((alg === CRYPTO_DES_CBC && cklen !== 8) || (alg === CRYPTO_3DES_CBC && cklen !== 24) || (alg === CRYPTO_ARC4 && cklen > 256)) {
      return errout(sc, crp, EINVAL);
    }
  }

  if (maccrd) {
    cmd.base_masks |= HIFN_BASE_CMD_MAC;
    const alg = maccrd.crd_alg;
    const hmac = alg === CRYPTO_MD5_HMAC || alg === CRYPTO_SHA1_HMAC;
    cmd.mac_masks |= (alg === CRYPTO_MD5 || alg === CRYPTO_MD5_HMAC ? HIFN_MAC_CMD_ALG_MD5 : HIFN_MAC_CMD_ALG_SHA1) | HIFN_MAC_CMD_RESULT | HIFN_MAC_CMD_POS_IPSEC;
    cmd.mac_masks |= hmac ? HIFN_MAC_CMD_MODE_HMAC : HIFN_MAC_CMD_MODE_HASH;
    if (hmac && (sc.opts.freebsdHmacTruncation || ses.hs_mlen <= HIFN_MAC_TRUNC_LENGTH)) cmd.mac_masks |= HIFN_MAC_CMD_TRUNC;
    if (hmac) {
      const klen = maccrd.crd_klen >> 3;
      if (!maccrd.crd_key || klen > HIFN_MAC_KEY_LENGTH || klen > maccrd.crd_key.length) return errout(sc, crp, EINVAL);
      cmd.mac_masks |= HIFN_MAC_CMD_NEW_KEY;
      cmd.mac.set(maccrd.crd_key.subarray(0, klen));
    }
    if (maccrd.crd_inject < 0 || maccrd.crd_inject + ses.hs_mlen > buflen) return errout(sc, crp, EINVAL);
  }

  const err = hifn_crypto(sc, cmd, crp, hint);
  if (err === 0) return 0;
  wipe(cmd);
  if (err === ERESTART) {
    // Not enough room on the rings: the framework requeues the request; hifn_intr unblocks us.
    sc.sc_needwakeup |= CRYPTO_SYMQ;
    return err;
  }
  return errout(sc, crp, err);
}

function hifn_crypto(sc: HifnSoftc, cmd: HifnCommandState, crp: cryptop, hint: number): number {
  // need 1 cmd and 1 res ("NB: check this first since it's easy")
  if (sc.sc_cmdu + 1 > HIFN_D_CMD_RSIZE || sc.sc_resu + 1 > HIFN_D_RES_RSIZE) {
    sc.stats.hst_nomem_cr++;
    return ERESTART;
  }
  const dma = sc.busdma!;
  const tag = sc.sc_dmat!;
  let srcBuf: mbuf | uio | { paddr: number; len: number };
  if (crp.crp_flags & CRYPTO_F_IMBUF) srcBuf = cmd.src_m!;
  else if (crp.crp_flags & CRYPTO_F_IOV) srcBuf = crp.crp_buf as uio;
  else {
    const c = contigSource(sc, cmd, crp.crp_buf as Uint8Array);
    if (typeof c === 'number') return c;
    srcBuf = c;
  }
  let err = loadOperand(sc, cmd.src, srcBuf);
  if (err) {
    releaseOperands(sc, cmd, true);
    return ENOMEM;
  }
  if (aligned(cmd.src)) {
    cmd.sloplen = cmd.src.mapsize & 3;
    cmd.dst = cmd.src;
  } else if (crp.crp_flags & CRYPTO_F_IMBUF) {
    sc.stats.hst_unaligned++;
    const b = bounceChain(sc, cmd.src_m!, cmd.src.mapsize);
    if (!b.m) {
      releaseOperands(sc, cmd, true);
      return b.err;
    }
    cmd.dst_m = b.m;
    err = loadOperand(sc, cmd.dst, b.m);
    if (err) {
      sc.stats.hst_nomem_map++;
      releaseOperands(sc, cmd, true);
      return ENOMEM;
    }
  } else {
    releaseOperands(sc, cmd, true);
    return EINVAL; // a misaligned uio (contiguous buffers were aligned above)
  }

  // need N src and N dst (+1 for the slop word)
  if (sc.sc_srcu + cmd.src.nsegs > HIFN_D_SRC_RSIZE || sc.sc_dstu + cmd.dst.nsegs + 1 > HIFN_D_DST_RSIZE) {
    sc.stats.hst_nomem_sd++;
    releaseOperands(sc, cmd, true);
    return ERESTART;
  }
  if (cmd.src.map === cmd.dst.map) {
    dma.bus_dmamap_sync(tag, cmd.src.map!, (sc.bugs.skipPrewrite ? 0 : BUS_DMASYNC_PREWRITE) | BUS_DMASYNC_PREREAD);
  } else {
    if (!sc.bugs.skipPrewrite) dma.bus_dmamap_sync(tag, cmd.src.map!, BUS_DMASYNC_PREWRITE);
    dma.bus_dmamap_sync(tag, cmd.dst.map!, BUS_DMASYNC_PREREAD);
  }
  const ndesc = 2 + cmd.src.nsegs + cmd.dst.nsegs + (cmd.sloplen ? 1 : 0);
  charge(sc, C.command + C.descriptor * ndesc + (cmd.ck?.length ?? 0) + HIFN_MAC_KEY_LENGTH + 16);

  // The command descriptor; its `p` points at command buffer cmdi since hifn_init_dma.
  if (sc.sc_cmdi === HIFN_D_CMD_RSIZE) {
    sc.sc_cmdi = 0;
    dmaWrite32(sc, descOff(DMA_CMDR, HIFN_D_CMD_RSIZE), HIFN_D_VALID | HIFN_D_JUMP | HIFN_D_MASKDONEIRQ);
  }
  const cmdi = sc.sc_cmdi++;
  const cmdlen = writeCommand(sc, cmd, cmdi);
  dmaWrite32(sc, descOff(DMA_CMDR, cmdi), (cmdlen | HIFN_D_VALID | HIFN_D_LAST | HIFN_D_MASKDONEIRQ) >>> 0);
  sc.sc_cmdu++;
  // "We don't worry about missing an interrupt ... unless there is more than one command in the queue."
  if (sc.sc_cmdu > 1 && !(sc.sc_dmaier & HIFN_DMAIER_C_WAIT)) {
    sc.sc_dmaier |= HIFN_DMAIER_C_WAIT;
    WRITE_REG_1(sc, HIFN_1_DMA_IER, sc.sc_dmaier);
  }
  sc.stats.hst_ipackets++;
  sc.stats.hst_ibytes += cmd.src.mapsize;

  loadSourceDescriptors(sc, cmd);

  // The result descriptor: unlike the others its DONE interrupt is not masked, unless batching.
  if (sc.sc_resi === HIFN_D_RES_RSIZE) {
    sc.sc_resi = 0;
    dmaWrite32(sc, descOff(DMA_RESR, HIFN_D_RES_RSIZE), HIFN_D_VALID | HIFN_D_JUMP | HIFN_D_MASKDONEIRQ);
  }
  const resi = sc.sc_resi++;
  if (sc.sc_hifn_commands[resi]) throw new Error(`hifn_crypto: command slot ${resi} busy`);
  sc.sc_hifn_commands[resi] = cmd;
  let resl = HIFN_MAX_RESULT | HIFN_D_VALID | HIFN_D_LAST;
  if (hint & CRYPTO_HINT_MORE && sc.sc_curbatch < sc.maxbatch) {
    resl |= HIFN_D_MASKDONEIRQ;
    sc.sc_curbatch++;
    sc.stats.hst_maxbatch = Math.max(sc.stats.hst_maxbatch, sc.sc_curbatch);
    sc.stats.hst_totbatch++;
  } else {
    sc.sc_curbatch = 0;
  }
  dmaWrite32(sc, descOff(DMA_RESR, resi), resl >>> 0);
  sc.sc_resu++;
  if (cmd.sloplen) cmd.slopidx = resi;

  loadDestinationDescriptors(sc, cmd);
  areaSync(sc, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);

  // The doorbell. Difference: FreeBSD enables only rings not yet marked busy and relies on the
  // chip's polling after that; ringing every ring on every submission (one posted write) also
  // wakes a ring the model has parked after a long idle poll (model-pipeline.ts).
  sc.sc_c_busy = sc.sc_s_busy = sc.sc_r_busy = sc.sc_d_busy = true;
  // HIFN_LOCK: the tick holds the lock until its disable is posted, so the doorbell comes after it.
  const sched = sc.dev.tree.scheduler;
  if (sc.lastDisableT > sched.localNow()) sched.charge(sc.lastDisableT - sched.localNow());
  WRITE_REG_1(sc, HIFN_1_DMA_CSR, HIFN_DMACSR_C_CTRL_ENA | HIFN_DMACSR_S_CTRL_ENA | HIFN_DMACSR_R_CTRL_ENA | HIFN_DMACSR_D_CTRL_ENA);
  // Planted bug: the chip is still reading the source when its map goes away.
  if (sc.bugs.unloadWhileBusy) dma.bus_dmamap_unload(tag, cmd.src.map!);
  hifnEnsureTick(sc);
  return 0;
}
