/**
 * edu(4): the reference driver of the edu crypto card (devices/edu/regs.ts, docs/devices/edu.md).
 * It makes the card usable through crypto(9) like any other card, and it is what the six labs of
 * docs/labs/ build up to: attach (BAR, reset, ring through bus_dma, interrupt, driver id,
 * crypto_register of AES-CBC and NULL), interrupt-driven completion with coalescing, a ring that
 * answers ERESTART when full and calls crypto_unblock when it drains, key slots used as a session
 * cache, and a detach that keeps the hot-eject contract (DESIGN.md): crypto_unregister_all first,
 * reset and wait for the card to go idle, then complete every request still on it — normally if the
 * card had finished it, otherwise with its input put back and EAGAIN.
 *
 * It reaches the card only through bus_space, bus_dma and its interrupt; the request path is in
 * driver-ring.ts and the state in driver-softc.ts.
 *
 * @example
 *   machine.bus.addDriver(eduDriver({ crypto: machine.crypto, prng: machine.prng.stream('edu0.iv') }));
 *   machine.cardbus.insert(0, new EduCard({ trace: machine.trace, prng: machine.prng.stream('edu0.jitter') }));
 */
import { CRYPTOCAP_F_HARDWARE, CRYPTO_AES_CBC, CRYPTO_NULL_CBC, EAGAIN, EINVAL } from '../../framework/constants.js';
import { ENXIO } from '../../sim/errno.js';
import { CRYPTO_SESID2LID } from '../../framework/drivers.js';
import {
  BUS_DMASYNC_POSTREAD, BUS_DMASYNC_POSTWRITE, BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE, BUS_DMA_NOWAIT, BUS_DMA_ZERO,
  BUS_SPACE_MAXADDR, BUS_SPACE_MAXADDR_32BIT, bus_get_dma_tag,
} from '../../sim/busdma.js';
import { INTR_MPSAFE, INTR_TYPE_MISC } from '../../sim/intr.js';
import { Prng } from '../../sim/prng.js';
import {
  BUS_PROBE_DEFAULT, RF_ACTIVE, RF_SHAREABLE, SYS_RES_IRQ, SYS_RES_MEMORY, bus_alloc_resource_any, bus_release_resource,
  bus_setup_intr, bus_teardown_intr, device_get_softc, device_printf, device_set_desc, type Device, type driver_t,
} from '../../sim/newbus.js';
import { PCIR_BAR, bus_space_read_4, bus_space_write_4, pci_enable_busmaster, pci_get_device, pci_get_vendor } from '../../sim/pci.js';
import {
  EDU_CTRL_COALESCE_SHIFT, EDU_CTRL_ENABLE, EDU_CTRL_IRQ_EN, EDU_CTRL_RESET, EDU_DESC, EDU_DESC_SIZE, EDU_DEVICE, EDU_ID_VALUE,
  EDU_KEY_SLOTS, EDU_MAX_LEN, EDU_REG_CTRL, EDU_REG_ID, EDU_REG_RING_BASE, EDU_REG_RING_SIZE, EDU_REG_STATUS, EDU_RING_ALIGN,
  EDU_RING_MAX, EDU_RING_MIN, EDU_STATUS_IDLE, EDU_ST_OK, EDU_VENDOR,
} from './regs.js';
import { edu_restore_region, edu_session_params } from './request.js';
import { edu_finish_entry, edu_intr, edu_process, edu_write_key } from './driver-ring.js';
import type { EduDriverOptions, EduSoftc } from './driver-softc.js';

export type { EduDriverOptions, EduSoftc, EduSession, EduKeySlot, EduRingEntry } from './driver-softc.js';

function newSoftc(dev: Device<EduSoftc>, o: EduDriverOptions, size: number): EduSoftc {
  return {
    dev, crypto: o.crypto, prng: null, cid: -1, mem: null, irq: null, cookie: null, dma: null, ringTag: null, ringMap: null,
    ring: null, ringPaddr: 0, bufTag: null, entries: [], size, tail: 0, rec: 0, used: 0, needUnblock: false, gone: false,
    sessions: [], slots: Array.from({ length: EDU_KEY_SLOTS }, () => ({ session: -1, busy: 0, lastUse: 0 })), clock: 0,
    interrupts: 0, completed: 0,
  };
}

/** Release whatever attach got, in reverse order (attach failures and detach). */
function release(sc: EduSoftc): void {
  const dev = sc.dev;
  const dma = sc.dma;
  if (sc.cookie && sc.irq) bus_teardown_intr(dev, sc.irq, sc.cookie);
  sc.cookie = null;
  if (dma && sc.bufTag) {
    for (const e of sc.entries) {
      dma.bus_dmamap_unload(sc.bufTag, e.map);
      dma.bus_dmamap_destroy(sc.bufTag, e.map);
    }
    sc.entries = [];
    dma.bus_dma_tag_destroy(sc.bufTag);
    sc.bufTag = null;
  }
  if (dma && sc.ringTag && sc.ringMap && sc.ring) {
    dma.bus_dmamap_unload(sc.ringTag, sc.ringMap);
    dma.bus_dmamem_free(sc.ringTag, sc.ring, sc.ringMap);
    dma.bus_dma_tag_destroy(sc.ringTag);
  }
  sc.ring = sc.ringMap = sc.ringTag = null;
  if (sc.irq) bus_release_resource(dev, SYS_RES_IRQ, 0, sc.irq);
  if (sc.mem) bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.mem);
  sc.irq = sc.mem = null;
}

function edu_attach(dev: Device<EduSoftc>, o: EduDriverOptions): number {
  const size = o.ringEntries ?? 16;
  if (!Number.isInteger(size) || size < EDU_RING_MIN || size > EDU_RING_MAX) throw new RangeError(`edu: ringEntries must be ${EDU_RING_MIN}..${EDU_RING_MAX}, got ${size}`);
  const sc = device_get_softc(dev);
  Object.assign(sc, newSoftc(dev, o, size));
  sc.prng = o.prng ?? new Prng(0x4544, `${dev.nameunit}.iv`);
  sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
  if (!sc.mem || bus_space_read_4(sc.mem, EDU_REG_ID) !== EDU_ID_VALUE) {
    device_printf(dev, 'not an edu card (EDU_ID)');
    release(sc);
    return ENXIO;
  }
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
  const dma = (sc.dma = bus_get_dma_tag(dev));
  const ringBytes = size * EDU_DESC_SIZE;
  sc.ringTag = dma.bus_dma_tag_create(null, EDU_RING_ALIGN, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, ringBytes, 1, ringBytes, 0, dev.nameunit);
  const mem = dma.bus_dmamem_alloc(sc.ringTag, BUS_DMA_NOWAIT | BUS_DMA_ZERO);
  if (mem.error) {
    release(sc);
    return mem.error;
  }
  sc.ring = mem.vaddr;
  sc.ringMap = mem.map;
  const ld = dma.bus_dmamap_load_sg(sc.ringTag, sc.ringMap, sc.ring, ringBytes, BUS_DMA_NOWAIT);
  if (ld.error) {
    release(sc);
    return ld.error;
  }
  sc.ringPaddr = ld.segs[0]!.ds_addr;
  dma.bus_dmamap_sync(sc.ringTag, sc.ringMap, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  sc.bufTag = dma.bus_dma_tag_create(null, 1, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, EDU_MAX_LEN, 1, EDU_MAX_LEN, 0, dev.nameunit);
  for (let i = 0; i < size; i++) sc.entries.push({ map: dma.bus_dmamap_create(sc.bufTag, 0), crp: null, crd: null, io: null, saved: null, slot: -1 });
  sc.irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0, RF_ACTIVE | RF_SHAREABLE);
  if (!sc.irq) {
    release(sc);
    return ENXIO;
  }
  sc.cookie = bus_setup_intr(dev, sc.irq, INTR_TYPE_MISC | INTR_MPSAFE, null, edu_intr, sc);
  bus_space_write_4(sc.mem, EDU_REG_RING_BASE, sc.ringPaddr);
  bus_space_write_4(sc.mem, EDU_REG_RING_SIZE, size);
  const coalesce = Math.max(1, Math.min(255, o.coalesce ?? 4));
  bus_space_write_4(sc.mem, EDU_REG_CTRL, EDU_CTRL_ENABLE | EDU_CTRL_IRQ_EN | (coalesce << EDU_CTRL_COALESCE_SHIFT));
  sc.cid = sc.crypto.crypto_get_driverid(dev as never, CRYPTOCAP_F_HARDWARE);
  if (sc.cid < 0) {
    device_printf(dev, 'could not get crypto driver id');
    bus_space_write_4(sc.mem, EDU_REG_CTRL, EDU_CTRL_RESET);
    release(sc);
    return ENXIO;
  }
  sc.crypto.crypto_register(sc.cid, CRYPTO_AES_CBC, 0, 0);
  sc.crypto.crypto_register(sc.cid, CRYPTO_NULL_CBC, 0, 0);
  return 0;
}

function edu_detach(dev: Device<EduSoftc>): number {
  const sc = device_get_softc(dev);
  // The hot-eject contract: unregister first (live sessions become a CLEANUP tombstone) ...
  if (sc.cid >= 0) sc.crypto.crypto_unregister_all(sc.cid);
  sc.gone = true;
  // ... stop the card and wait until nothing of it is left on the bus (a pulled card reads all-ones) ...
  bus_space_write_4(sc.mem!, EDU_REG_CTRL, EDU_CTRL_RESET);
  for (let n = 0; n < 100 && !(bus_space_read_4(sc.mem!, EDU_REG_STATUS) & EDU_STATUS_IDLE); n++) dev.tree.scheduler.DELAY(1);
  if (sc.cookie) bus_teardown_intr(dev, sc.irq!, sc.cookie);
  sc.cookie = null;
  // ... then complete every request still on it: finished ones normally, the rest with EAGAIN.
  const dma = sc.dma!;
  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  let handedBack = 0;
  for (; sc.used > 0; sc.used--, sc.rec = (sc.rec + 1) % sc.size) {
    const i = sc.rec;
    const desc = dma.mem.cpuRead(sc.ringPaddr + i * EDU_DESC_SIZE, EDU_DESC_SIZE);
    const done = EDU_DESC.get(desc, 'own') === 0 && EDU_DESC.get(desc, 'status') === EDU_ST_OK;
    const e = sc.entries[i]!;
    const crd = e.crd!;
    const saved = e.saved;
    const crp = edu_finish_entry(sc, i, done);
    if (!done) {
      if (saved) edu_restore_region(crp, crd, saved, dma.mem);
      handedBack++;
    }
    crp.crp_etype = done ? 0 : EAGAIN;
    sc.crypto.crypto_done(crp);
  }
  if (handedBack > 0) device_printf(dev, `${handedBack} request(s) in flight handed back with EAGAIN`);
  for (const s of sc.sessions) {
    s.key?.fill(0);
    s.key = null;
    s.used = false;
  }
  release(sc);
  return 0;
}

function edu_newsession(sc: EduSoftc, sidp: { lid: number }, cri: Parameters<typeof edu_session_params>[0]): number {
  const p = edu_session_params(cri);
  if (p.error) return p.error;
  let lid = sc.sessions.findIndex((s) => !s.used);
  if (lid < 0) {
    lid = sc.sessions.length;
    sc.sessions.push({ used: false, alg: 0, key: null, slot: -1 });
  }
  Object.assign(sc.sessions[lid]!, { used: true, alg: p.alg, key: p.key, slot: -1 });
  sidp.lid = lid;
  return 0;
}

/** Wipe the session's key: in our memory and, if a slot holds it, on the card. */
function edu_freesession(sc: EduSoftc, sid: bigint): number {
  const lid = CRYPTO_SESID2LID(sid);
  const ses = sc.sessions[lid];
  if (!ses?.used) return EINVAL;
  if (ses.slot >= 0) {
    if (!sc.gone) edu_write_key(sc, ses.slot, null);
    sc.slots[ses.slot]!.session = -1;
    ses.slot = -1;
  }
  ses.key?.fill(0);
  ses.key = null;
  ses.used = false;
  return 0;
}

/** The edu driver_t. */
export function eduDriver(options: EduDriverOptions): driver_t<EduSoftc> {
  const sc = (dev: unknown) => device_get_softc(dev as Device<EduSoftc>);
  return {
    name: 'edu',
    softc: () => ({}) as EduSoftc,
    methods: {
      cryptodev_newsession: (dev: unknown, sidp: { lid: number }, cri: Parameters<typeof edu_session_params>[0]) => edu_newsession(sc(dev), sidp, cri),
      cryptodev_freesession: (dev: unknown, sid: bigint) => edu_freesession(sc(dev), sid),
      cryptodev_process: (dev: unknown, crp: Parameters<typeof edu_process>[1]) => edu_process(sc(dev), crp),
    },
    probe(dev) {
      if (pci_get_vendor(dev) !== EDU_VENDOR || pci_get_device(dev) !== EDU_DEVICE) return ENXIO;
      device_set_desc(dev, 'edu teaching crypto card');
      return BUS_PROBE_DEFAULT;
    },
    attach: (dev) => edu_attach(dev, options),
    detach: (dev) => edu_detach(dev),
  };
}
