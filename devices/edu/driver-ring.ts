/**
 * The edu reference driver's request path: `edu_process` (fill a descriptor, hand it to the card
 * with TAIL), the interrupt handler, reclaim by RING_HEAD, and the key-slot cache (a session's
 * key is written into a slot when a request needs it; the least recently used idle slot is
 * evicted when none is free, and ERESTART answers when every slot is busy).
 */
import { CRYPTO_SESID2LID } from '../../framework/drivers.js';
import { CRYPTO_SYMQ, EINVAL, EIO, ERESTART } from '../../framework/constants.js';
import type { cryptop } from '../../framework/structs.js';
import { BUS_DMASYNC_POSTREAD, BUS_DMASYNC_POSTWRITE, BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE } from '../../sim/busdma.js';
import { bus_space_read_4, bus_space_write_4 } from '../../sim/pci.js';
import { device_printf } from '../../sim/newbus.js';
import {
  EDU_ALG_AES128_CBC, EDU_DESC, EDU_DESC_SIZE, EDU_ISR_DONE, EDU_ISR_ERROR, EDU_REG_IACK, EDU_REG_ISR, EDU_REG_KEY,
  EDU_REG_RING_HEAD, EDU_REG_RING_TAIL, EDU_ST_NAMES, EDU_ST_OK, eduIvWords, eduKeyWords,
} from './regs.js';
import { edu_alg, edu_check_request, edu_copyback, edu_iv, edu_load_region, edu_save_region, edu_trace } from './request.js';
import type { EduSession, EduSoftc } from './driver-softc.js';

/** Write a key (or zeros) into a key slot by MMIO. */
export function edu_write_key(sc: EduSoftc, slot: number, key: Uint8Array | null): void {
  const words = key ? eduKeyWords(key) : [0, 0, 0, 0];
  for (let w = 0; w < 4; w++) bus_space_write_4(sc.mem!, EDU_REG_KEY(slot, w), words[w]!);
}

/** The slot holding `ses`'s key, loading it (and evicting an idle one) if needed; -1 if every slot is busy. */
function edu_key_slot(sc: EduSoftc, lid: number, ses: EduSession): number {
  if (ses.slot >= 0) return ses.slot;
  let slot = sc.slots.findIndex((s) => s.session < 0);
  if (slot < 0) {
    let best = -1;
    sc.slots.forEach((s, i) => {
      if (s.busy === 0 && (best < 0 || s.lastUse < sc.slots[best]!.lastUse)) best = i;
    });
    if (best < 0) return -1;
    slot = best;
    sc.sessions[sc.slots[slot]!.session]!.slot = -1; // evicted: reloaded on its next request
  }
  edu_write_key(sc, slot, ses.key);
  sc.slots[slot]!.session = lid;
  ses.slot = slot;
  return slot;
}

function fail(sc: EduSoftc, crp: cryptop, error: number): number {
  crp.crp_etype = error;
  sc.crypto.crypto_done(crp);
  return 0;
}

/** cryptodev_process: queue one request on the card, or ERESTART when the ring or the key slots are full. */
export function edu_process(sc: EduSoftc, crp: cryptop): number {
  const chk = edu_check_request(crp);
  const ses = sc.sessions[CRYPTO_SESID2LID(crp.crp_sid)];
  if (chk.error || !ses?.used || edu_alg(chk.crd!.crd_alg) !== ses.alg) return fail(sc, crp, EINVAL);
  const crd = chk.crd!;
  if (sc.used >= sc.size - 1) {
    sc.needUnblock = true;
    return ERESTART;
  }
  const lid = CRYPTO_SESID2LID(crp.crp_sid);
  const slot = ses.alg === EDU_ALG_AES128_CBC ? edu_key_slot(sc, lid, ses) : -1;
  if (ses.alg === EDU_ALG_AES128_CBC && slot < 0) {
    sc.needUnblock = true;
    return ERESTART;
  }
  const dma = sc.dma!;
  const iv = edu_iv(crp, crd, sc.prng!, dma.mem);
  if (iv.error) return fail(sc, crp, iv.error);
  const i = sc.tail;
  const e = sc.entries[i]!;
  const saved = edu_save_region(crp, crd, dma.mem);
  const ld = edu_load_region(dma, sc.bufTag!, e.map, crp, crd);
  if (ld.error) return fail(sc, crp, ld.error);
  Object.assign(e, { crp, crd, io: ld.io, saved, slot });
  if (slot >= 0) {
    sc.slots[slot]!.busy++;
    sc.slots[slot]!.lastUse = ++sc.clock;
  }
  dma.bus_dmamap_sync(sc.bufTag!, e.map, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  EDU_DESC.encode(
    {
      own: 1, encrypt: crd.crd_flags & 1, alg: ses.alg, key: Math.max(0, slot), len: crd.crd_len,
      src: ld.io!.paddr, dst: ld.io!.paddr, cookie: crp.crp_reqid, ...eduIvWords(iv.iv),
    },
    sc.ring!.bytes, i * EDU_DESC_SIZE,
  );
  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  sc.tail = (i + 1) % sc.size;
  sc.used++;
  bus_space_write_4(sc.mem!, EDU_REG_RING_TAIL, sc.tail);
  edu_trace(sc.dev, 'edu.post', crp.crp_reqid, { index: i, slot });
  return 0;
}

/** Finish ring position `i`: sync, unload, copy a bounced result back, free its key slot use. */
export function edu_finish_entry(sc: EduSoftc, i: number, result: boolean): cryptop {
  const dma = sc.dma!;
  const e = sc.entries[i]!;
  const crp = e.crp!;
  dma.bus_dmamap_sync(sc.bufTag!, e.map, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  dma.bus_dmamap_unload(sc.bufTag!, e.map);
  edu_copyback(dma, crp, e.crd!, e.io!, result);
  if (e.slot >= 0) sc.slots[e.slot]!.busy--;
  e.crp = null;
  e.crd = null;
  e.io = null;
  e.saved = null;
  e.slot = -1;
  return crp;
}

/** Complete every descriptor the card has passed with HEAD, in ring order. */
export function edu_reclaim(sc: EduSoftc): void {
  const head = bus_space_read_4(sc.mem!, EDU_REG_RING_HEAD);
  if (head === 0xffffffff || head >= sc.size) return; // the card is gone
  const dma = sc.dma!;
  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  while (sc.rec !== head && sc.used > 0) {
    const i = sc.rec;
    const desc = dma.mem.cpuRead(sc.ringPaddr + i * EDU_DESC_SIZE, EDU_DESC_SIZE);
    const status = EDU_DESC.get(desc, 'status');
    const crp = edu_finish_entry(sc, i, status === EDU_ST_OK);
    crp.crp_etype = status === EDU_ST_OK ? 0 : EIO;
    if (status !== EDU_ST_OK) device_printf(sc.dev, `request ${crp.crp_reqid} failed on the card: ${EDU_ST_NAMES[status] ?? status}`);
    sc.rec = (i + 1) % sc.size;
    sc.used--;
    sc.completed++;
    edu_trace(sc.dev, 'edu.complete', crp.crp_reqid, { index: i, status });
    sc.crypto.crypto_done(crp);
  }
  if (sc.needUnblock && sc.used < sc.size - 1) {
    sc.needUnblock = false;
    sc.crypto.crypto_unblock(sc.cid, CRYPTO_SYMQ);
  }
}

/** Interrupt handler (ithread): acknowledge what we saw, then reclaim. */
export function edu_intr(sc: EduSoftc): void {
  if (sc.gone || !sc.mem) return;
  const isr = bus_space_read_4(sc.mem, EDU_REG_ISR);
  const causes = isr & (EDU_ISR_DONE | EDU_ISR_ERROR);
  if (isr === 0xffffffff || causes === 0) return; // not ours (shared line) or the card is gone
  bus_space_write_4(sc.mem, EDU_REG_IACK, causes);
  sc.interrupts++;
  if (causes & EDU_ISR_ERROR) device_printf(sc.dev, 'the card halted on a ring error (EDU_ISR.ERROR)');
  edu_reclaim(sc);
}
