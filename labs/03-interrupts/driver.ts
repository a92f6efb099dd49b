/**
 * Lab 3 — the edu driver completing from its interrupt handler (starter;
 * docs/labs/03-interrupts.md). Fill in the TODOs, then run
 * `npx ocfsim lab check 3 labs/03-interrupts/driver.ts`.
 *
 * Lab 2's driver, with one bus_dma map per ring position so that many requests can be on the card
 * at once: `process` writes a descriptor, rings the doorbell and returns. The interrupt handler
 * reads EDU_ISR, acknowledges what it saw through EDU_IACK, and completes every descriptor the card
 * has passed with RING_HEAD, in ring order. EDU_CTRL.COALESCE asks for one interrupt per
 * `options.coalesce` completions (and the card always interrupts when it runs out of work).
 */
import { CRYPTOCAP_F_HARDWARE, CRYPTO_AES_CBC, CRYPTO_NULL_CBC, EINVAL, EIO, ENOBUFS, ERESTART } from '../../framework/constants.js';
import { CRYPTO_SESID2LID } from '../../framework/drivers.js';
import type { CryptoFramework } from '../../framework/crypto.js';
import type { cryptodesc, cryptoini, cryptop } from '../../framework/structs.js';
import {
  BUS_DMASYNC_POSTREAD, BUS_DMASYNC_POSTWRITE, BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE, BUS_DMA_NOWAIT, BUS_DMA_ZERO,
  BUS_SPACE_MAXADDR, BUS_SPACE_MAXADDR_32BIT, bus_get_dma_tag, type BusDma, type BusDmaMap, type BusDmaTag,
} from '../../sim/busdma.js';
import { ENXIO } from '../../sim/errno.js';
import type { MemBlock } from '../../sim/memory.js';
import { INTR_MPSAFE, INTR_TYPE_MISC } from '../../sim/intr.js';
import {
  BUS_PROBE_DEFAULT, RF_ACTIVE, RF_SHAREABLE, SYS_RES_IRQ, SYS_RES_MEMORY, bus_alloc_resource_any, bus_release_resource,
  bus_setup_intr, bus_teardown_intr, device_get_softc, device_printf, device_set_desc, type Device, type IntrCookie, type Resource,
  type driver_t,
} from '../../sim/newbus.js';
import { PCIR_BAR, bus_space_read_4, bus_space_write_4, pci_enable_busmaster, pci_get_device, pci_get_vendor } from '../../sim/pci.js';
import { Prng } from '../../sim/prng.js';
import type { EduDriverOptions } from '../../devices/edu/driver-softc.js';
import {
  EDU_ALG_AES128_CBC, EDU_CTRL_COALESCE_SHIFT, EDU_CTRL_ENABLE, EDU_CTRL_IRQ_EN, EDU_CTRL_RESET, EDU_ISR_DONE, EDU_ISR_ERROR, EDU_REG_IACK, EDU_REG_ISR, EDU_DESC, EDU_DESC_SIZE, EDU_DEVICE, EDU_ID_VALUE, EDU_KEY_SLOTS, EDU_MAX_LEN,
  EDU_REG_CTRL, EDU_REG_ID, EDU_REG_KEY, EDU_REG_RING_BASE, EDU_REG_RING_HEAD, EDU_REG_RING_SIZE, EDU_REG_RING_TAIL, EDU_REG_STATUS,
  EDU_RING_ALIGN, EDU_STATUS_IDLE, EDU_ST_OK, EDU_VENDOR, eduIvWords, eduKeyWords,
} from '../../devices/edu/regs.js';
import { edu_alg, edu_check_request, edu_copyback, edu_iv, edu_load_region, edu_session_params, edu_trace, type EduIo } from '../../devices/edu/request.js';

interface Session {
  used: boolean;
  alg: number;
  key: Uint8Array | null;
}

/** A ring position: its map, and the request on it. */
interface Entry {
  map: BusDmaMap;
  crp: cryptop | null;
  crd: cryptodesc | null;
  io: EduIo | null;
}

interface Softc {
  dev: Device<Softc>;
  crypto: CryptoFramework;
  prng: Prng;
  cid: number;
  mem: Resource | null;
  irq: Resource | null;
  cookie: IntrCookie | null;
  dma: BusDma | null;
  ringTag: BusDmaTag | null;
  ringMap: BusDmaMap | null;
  ring: MemBlock | null;
  ringPaddr: number;
  size: number;
  /** Next position to fill, next to reclaim, positions in use. */
  tail: number;
  rec: number;
  used: number;
  bufTag: BusDmaTag | null;
  entries: Entry[];
  sessions: Session[];
  interrupts: number;
}

/** Write a key (or zeros) into key slot `slot`, one 32-bit word at a time. */
function writeKey(sc: Softc, slot: number, key: Uint8Array | null): void {
  const words = key ? eduKeyWords(key) : [0, 0, 0, 0];
  for (let w = 0; w < 4; w++) bus_space_write_4(sc.mem!, EDU_REG_KEY(slot, w), words[w]!);
}

function release(sc: Softc): void {
  const dma = sc.dma;
  if (sc.cookie && sc.irq) bus_teardown_intr(sc.dev, sc.irq, sc.cookie);
  sc.cookie = null;
  if (sc.irq) bus_release_resource(sc.dev, SYS_RES_IRQ, 0, sc.irq);
  sc.irq = null;
  if (dma && sc.bufTag) {
    for (const e of sc.entries) {
      dma.bus_dmamap_unload(sc.bufTag, e.map);
      dma.bus_dmamap_destroy(sc.bufTag, e.map);
    }
    sc.entries = [];
    dma.bus_dma_tag_destroy(sc.bufTag);
  }
  if (dma && sc.ringTag && sc.ringMap && sc.ring) {
    dma.bus_dmamap_unload(sc.ringTag, sc.ringMap);
    dma.bus_dmamem_free(sc.ringTag, sc.ring, sc.ringMap);
    dma.bus_dma_tag_destroy(sc.ringTag);
  }
  sc.bufTag = sc.ring = sc.ringMap = sc.ringTag = null;
  if (sc.mem) bus_release_resource(sc.dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.mem);
  sc.mem = null;
}

function attach(dev: Device<Softc>, o: EduDriverOptions): number {
  const sc = device_get_softc(dev);
  Object.assign(sc, {
    dev, crypto: o.crypto, prng: o.prng ?? new Prng(3, dev.nameunit), cid: -1, mem: null, irq: null, cookie: null, dma: null,
    ringTag: null, ringMap: null, ring: null, ringPaddr: 0, size: o.ringEntries ?? 16, tail: 0, rec: 0, used: 0, bufTag: null,
    entries: [], sessions: [], interrupts: 0,
  });
  // 1. The registers: BAR0, and a look at the ID register.
  sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
  if (!sc.mem || bus_space_read_4(sc.mem, EDU_REG_ID) !== EDU_ID_VALUE) {
    release(sc);
    return ENXIO;
  }
  // 2. The card will master the bus; reset it and wait for RESET to clear itself.
  pci_enable_busmaster(dev);
  bus_space_write_4(sc.mem, EDU_REG_CTRL, EDU_CTRL_RESET);
  for (let n = 0; bus_space_read_4(sc.mem, EDU_REG_CTRL) & EDU_CTRL_RESET; n++) {
    if (n > 100) {
      device_printf(dev, 'reset did not complete');
      release(sc);
      return ENXIO;
    }
    dev.tree.scheduler.DELAY(1);
  }
  // 3. The ring: DMA-able memory the card can reach, loaded to learn its bus address.
  const dma = (sc.dma = bus_get_dma_tag(dev));
  const bytes = sc.size * EDU_DESC_SIZE;
  sc.ringTag = dma.bus_dma_tag_create(null, EDU_RING_ALIGN, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, bytes, 1, bytes, 0, dev.nameunit);
  const r = dma.bus_dmamem_alloc(sc.ringTag, BUS_DMA_NOWAIT | BUS_DMA_ZERO);
  if (r.error) {
    release(sc);
    return r.error;
  }
  sc.ring = r.vaddr;
  sc.ringMap = r.map;
  const ld = dma.bus_dmamap_load_sg(sc.ringTag, sc.ringMap, sc.ring, bytes, BUS_DMA_NOWAIT);
  if (ld.error) {
    release(sc);
    return ld.error;
  }
  sc.ringPaddr = ld.segs[0]!.ds_addr;
  dma.bus_dmamap_sync(sc.ringTag, sc.ringMap, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  // 4. A tag for the requests' data (one segment, 32-bit addresses) and a map per ring position.
  sc.bufTag = dma.bus_dma_tag_create(null, 1, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, EDU_MAX_LEN, 1, EDU_MAX_LEN, 0, dev.nameunit);
  for (let i = 0; i < sc.size; i++) sc.entries.push({ map: dma.bus_dmamap_create(sc.bufTag, 0), crp: null, crd: null, io: null });
  // 5. The interrupt: an ithread handler (it may take time, but must not sleep).
  sc.irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0, RF_ACTIVE | RF_SHAREABLE);
  if (!sc.irq) {
    release(sc);
    return ENXIO;
  }
  sc.cookie = bus_setup_intr(dev, sc.irq, INTR_TYPE_MISC | INTR_MPSAFE, null, intr, sc);
  // 6. Tell the card where the ring is, and let it run with interrupts and coalescing.
  bus_space_write_4(sc.mem, EDU_REG_RING_BASE, sc.ringPaddr);
  bus_space_write_4(sc.mem, EDU_REG_RING_SIZE, sc.size);
  const coalesce = Math.max(1, Math.min(255, o.coalesce ?? 4));
  // TODO 3: ask for one interrupt per `coalesce` completions: EDU_CTRL.COALESCE (bits 8-15).
  void [coalesce, EDU_CTRL_COALESCE_SHIFT];
  bus_space_write_4(sc.mem, EDU_REG_CTRL, EDU_CTRL_ENABLE | EDU_CTRL_IRQ_EN);
  // 7. crypto(9): a driver id, then the algorithms.
  sc.cid = sc.crypto.crypto_get_driverid(dev as never, CRYPTOCAP_F_HARDWARE);
  if (sc.cid < 0) {
    release(sc);
    return ENXIO;
  }
  sc.crypto.crypto_register(sc.cid, CRYPTO_AES_CBC, 0, 0);
  sc.crypto.crypto_register(sc.cid, CRYPTO_NULL_CBC, 0, 0);
  return 0;
}

function detach(dev: Device<Softc>): number {
  const sc = device_get_softc(dev);
  if (sc.cid >= 0) sc.crypto.crypto_unregister_all(sc.cid);
  bus_space_write_4(sc.mem!, EDU_REG_CTRL, EDU_CTRL_RESET);
  for (let n = 0; n < 100 && !(bus_space_read_4(sc.mem!, EDU_REG_STATUS) & EDU_STATUS_IDLE); n++) dev.tree.scheduler.DELAY(1);
  for (const s of sc.sessions) s.key?.fill(0);
  release(sc);
  return 0;
}

function newsession(sc: Softc, sidp: { lid: number }, cri: cryptoini): number {
  const p = edu_session_params(cri);
  if (p.error) return p.error;
  let lid = sc.sessions.findIndex((s) => !s.used);
  if (lid < 0) lid = sc.sessions.push({ used: false, alg: 0, key: null }) - 1;
  // One key slot per session: slot number = session number.
  if (p.alg === EDU_ALG_AES128_CBC) {
    if (lid >= EDU_KEY_SLOTS) return ENOBUFS;
    writeKey(sc, lid, p.key);
  }
  sc.sessions[lid] = { used: true, alg: p.alg, key: p.key };
  sidp.lid = lid;
  return 0;
}

function freesession(sc: Softc, sid: bigint): number {
  const lid = CRYPTO_SESID2LID(sid);
  const ses = sc.sessions[lid];
  if (!ses?.used) return EINVAL;
  if (ses.alg === EDU_ALG_AES128_CBC) writeKey(sc, lid, null);
  ses.used = false;
  return 0;
}

function finish(sc: Softc, crp: cryptop, error: number): number {
  crp.crp_etype = error;
  sc.crypto.crypto_done(crp);
  return 0;
}

function process(sc: Softc, crp: cryptop): number {
  const chk = edu_check_request(crp);
  const lid = CRYPTO_SESID2LID(crp.crp_sid);
  const ses = sc.sessions[lid];
  if (chk.error || !ses?.used || edu_alg(chk.crd!.crd_alg) !== ses.alg) return finish(sc, crp, EINVAL);
  const crd = chk.crd!;
  // One position always stays empty: HEAD == TAIL means "nothing to do" to the card.
  if (sc.used >= sc.size - 1) {
    return ERESTART; // ring full (lab 4 makes this work under load: crypto_unblock)
  }
  const dma = sc.dma!;
  const iv = edu_iv(crp, crd, sc.prng, dma.mem);
  if (iv.error) return finish(sc, crp, iv.error);
  const i = sc.tail;
  const e = sc.entries[i]!;
  const ld = edu_load_region(dma, sc.bufTag!, e.map, crp, crd);
  if (ld.error) return finish(sc, crp, ld.error);
  e.crp = crp;
  e.crd = crd;
  e.io = ld.io;
  dma.bus_dmamap_sync(sc.bufTag!, e.map, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  EDU_DESC.encode(
    { own: 1, encrypt: crd.crd_flags & 1, alg: ses.alg, key: ses.alg === EDU_ALG_AES128_CBC ? lid : 0, len: crd.crd_len,
      src: ld.io!.paddr, dst: ld.io!.paddr, cookie: crp.crp_reqid, ...eduIvWords(iv.iv) },
    sc.ring!.bytes, i * EDU_DESC_SIZE,
  );
  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  sc.tail = (i + 1) % sc.size;
  sc.used++;
  bus_space_write_4(sc.mem!, EDU_REG_RING_TAIL, sc.tail);
  edu_trace(sc.dev, 'edu.post', crp.crp_reqid, { index: i });
  return 0;
}

/** Take ring position `i` back from the card: sync, unload, copy a bounced result back. */
function unloadEntry(sc: Softc, i: number, keepResult: boolean): cryptop {
  const dma = sc.dma!;
  const e = sc.entries[i]!;
  const crp = e.crp!;
  dma.bus_dmamap_sync(sc.bufTag!, e.map, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  dma.bus_dmamap_unload(sc.bufTag!, e.map);
  edu_copyback(dma, crp, e.crd!, e.io!, keepResult);
  e.crp = null;
  e.crd = null;
  e.io = null;
  return crp;
}

/** Complete every descriptor the card has passed with RING_HEAD, in ring order. */
function reclaim(sc: Softc): void {
  // TODO 2: read EDU_REG_RING_HEAD (all-ones: the card is gone), sync the ring POSTREAD|POSTWRITE, and
  // complete every position from sc.rec up to HEAD, in ring order: read its STATUS (dma.mem.cpuRead),
  // unloadEntry, advance sc.rec, sc.used--, finish(sc, crp, 0 or EIO).
  void [sc, EDU_REG_RING_HEAD, EDU_ST_OK, unloadEntry];
}

/** The interrupt handler (ithread): acknowledge exactly what we saw, then reclaim. */
function intr(sc: Softc): void {
  // TODO 1: read EDU_REG_ISR; if it is all-ones or has no DONE/ERROR bit, the interrupt is not ours:
  // return. Otherwise acknowledge exactly the bits you saw by writing them to EDU_REG_IACK (W1C), count
  // it in sc.interrupts, and reclaim(sc).
  void [sc, EDU_REG_ISR, EDU_REG_IACK, EDU_ISR_DONE, EDU_ISR_ERROR, reclaim];
}

export function eduDriver(options: EduDriverOptions): driver_t<Softc> {
  const softc = (dev: unknown) => device_get_softc(dev as Device<Softc>);
  return {
    name: 'edu',
    softc: () => ({}) as Softc,
    methods: {
      cryptodev_newsession: (dev: unknown, sidp: { lid: number }, cri: cryptoini) => newsession(softc(dev), sidp, cri),
      cryptodev_freesession: (dev: unknown, sid: bigint) => freesession(softc(dev), sid),
      cryptodev_process: (dev: unknown, crp: cryptop) => process(softc(dev), crp),
    },
    probe(dev) {
      if (pci_get_vendor(dev) !== EDU_VENDOR || pci_get_device(dev) !== EDU_DEVICE) return ENXIO;
      device_set_desc(dev, 'edu teaching crypto card (lab 3 starter)');
      return BUS_PROBE_DEFAULT;
    },
    attach: (dev) => attach(dev, options),
    detach: (dev) => detach(dev),
  };
}
