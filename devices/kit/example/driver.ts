/**
 * The kit example card's driver (the kernel side). It reaches the card only through bus_space
 * (MMIO), bus_dma and its interrupt; it shares regs.ts (the datasheet) with the model and never
 * holds a reference to the model object.
 *
 * The ring is `entries` descriptors plus a jump slot in one bus_dmamem block, handled the way
 * FreeBSD's hifn(4) handles its rings (hw.md §2.4): insert index `ins`, reclaim index `rec`, count
 * in use `used`; when `ins` reaches the end, the jump slot is re-armed (VALID|JUMP|MASKIRQ pointing
 * at the base) and `ins` starts again at 0. The card clears VALID in each descriptor it finishes,
 * the jump slot included. A full ring answers ERESTART; the interrupt handler wakes sleepers on
 * the softc when it frees slots.
 */
import { EAGAIN, ENXIO, ERESTART, EIO } from '../../../sim/errno.js';
import type { MemBlock } from '../../../sim/memory.js';
import {
  BUS_DMASYNC_POSTREAD, BUS_DMASYNC_POSTWRITE, BUS_DMASYNC_PREREAD, BUS_DMASYNC_PREWRITE, BUS_DMA_NOWAIT, BUS_DMA_ZERO,
  BUS_SPACE_MAXADDR, BUS_SPACE_MAXADDR_32BIT, bus_get_dma_tag, type BusDma, type BusDmaMap, type BusDmaTag,
} from '../../../sim/busdma.js';
import {
  BUS_PROBE_DEFAULT, RF_ACTIVE, RF_SHAREABLE, SYS_RES_IRQ, SYS_RES_MEMORY, bus_alloc_resource_any, bus_release_resource,
  bus_setup_intr, bus_teardown_intr, device_get_softc, device_printf, device_set_desc,
  type Device, type IntrCookie, type Resource, type driver_t,
} from '../../../sim/newbus.js';
import { INTR_MPSAFE, INTR_TYPE_MISC } from '../../../sim/intr.js';
import { PCIR_BAR, bus_space_read_4, bus_space_write_4, pci_enable_busmaster, pci_get_device, pci_get_vendor } from '../../../sim/pci.js';
import {
  XOR_CTRL_RESET, XOR_CTRL_RUN, XOR_DESC, XOR_DESC_SIZE, XOR_DEVICE, XOR_DOORBELL_KICK, XOR_ID_VALUE, XOR_IER_DONE,
  XOR_IER_ERROR, XOR_MAX_LEN, XOR_REG_COALESCE, XOR_REG_CTRL, XOR_REG_DOORBELL, XOR_REG_ID, XOR_REG_IER,
  XOR_REG_RING_BASE, XOR_REG_STATUS, XOR_STATUS_DONE, XOR_STATUS_ERROR, XOR_STATUS_IDLE, XOR_VENDOR,
} from './regs.js';

/** One request: XOR (or copy) `len` bytes of `src` into `dst`. `done` runs in the interrupt thread. */
export interface XorJob {
  src: MemBlock;
  dst: MemBlock;
  len: number;
  op: number;
  key: number;
  /** Do not interrupt for this one (it completes with the next unmasked one). */
  maskIrq?: boolean;
  done: (error: number, job: XorJob) => void;
}

export interface XorDriverOptions {
  /** Descriptors in the ring, not counting the jump slot (default 8). */
  ringEntries?: number;
  /** Completions per interrupt and timeout in µs, written to XOR_COALESCE (default 1 and 0). */
  coalesceCount?: number;
  coalesceTimeoutUs?: number;
}

interface Slot {
  srcMap: BusDmaMap;
  dstMap: BusDmaMap;
  job: XorJob | null;
}

export interface XorSoftc {
  dev: Device<XorSoftc>;
  mem: Resource | null;
  irq: Resource | null;
  cookie: IntrCookie | null;
  dma: BusDma | null;
  ringTag: BusDmaTag | null;
  ringMap: BusDmaMap | null;
  ring: MemBlock | null;
  ringPaddr: number;
  bufTag: BusDmaTag | null;
  slots: Slot[];
  entries: number;
  ins: number;
  rec: number;
  used: number;
  needWakeup: boolean;
  gone: boolean;
  interrupts: number;
  wraps: number;
}

export function xorDriver(o: XorDriverOptions = {}): driver_t<XorSoftc> {
  const entries = o.ringEntries ?? 8;
  if (!Number.isInteger(entries) || entries < 1) throw new RangeError(`xorDriver: ringEntries must be a positive integer, got ${entries}`);
  return {
    name: 'xor',
    softc: () => ({
      dev: null as unknown as Device<XorSoftc>, mem: null, irq: null, cookie: null, dma: null, ringTag: null, ringMap: null, ring: null,
      ringPaddr: 0, bufTag: null, slots: [], entries, ins: 0, rec: 0, used: 0, needWakeup: false, gone: false, interrupts: 0, wraps: 0,
    }),
    probe(dev) {
      if (pci_get_vendor(dev) !== XOR_VENDOR || pci_get_device(dev) !== XOR_DEVICE) return ENXIO;
      device_set_desc(dev, 'kit example XOR/memcpy engine');
      return BUS_PROBE_DEFAULT;
    },
    attach(dev) {
      const sc = device_get_softc(dev);
      sc.dev = dev;
      sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
      if (!sc.mem || bus_space_read_4(sc.mem, XOR_REG_ID) !== XOR_ID_VALUE) return ENXIO;
      pci_enable_busmaster(dev);
      // Reset, and poll for the self-clearing RESET bit (each read synchronises with the card).
      bus_space_write_4(sc.mem, XOR_REG_CTRL, XOR_CTRL_RESET);
      let n = 0;
      while (bus_space_read_4(sc.mem, XOR_REG_CTRL) & XOR_CTRL_RESET) {
        if (++n > 100) {
          device_printf(dev, 'reset did not complete');
          return ENXIO;
        }
        dev.tree.scheduler.DELAY(1);
      }
      sc.dma = bus_get_dma_tag(dev);
      const dma = sc.dma;
      const ringBytes = (entries + 1) * XOR_DESC_SIZE;
      sc.ringTag = dma.bus_dma_tag_create(null, 16, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, ringBytes, 1, ringBytes, 0, dev.nameunit);
      const mem = dma.bus_dmamem_alloc(sc.ringTag, BUS_DMA_NOWAIT | BUS_DMA_ZERO);
      if (mem.error) return mem.error;
      sc.ring = mem.vaddr;
      sc.ringMap = mem.map;
      const ld = dma.bus_dmamap_load_sg(sc.ringTag, sc.ringMap, sc.ring, ringBytes, BUS_DMA_NOWAIT);
      if (ld.error) return ld.error;
      sc.ringPaddr = ld.segs[0]!.ds_addr;
      // The jump slot points back at the base; it is armed (VALID) at each wrap.
      XOR_DESC.encode({ jump: 1, maskIrq: 1, dst: sc.ringPaddr }, sc.ring.bytes, entries * XOR_DESC_SIZE);
      dma.bus_dmamap_sync(sc.ringTag, sc.ringMap, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
      sc.bufTag = dma.bus_dma_tag_create(null, 1, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, XOR_MAX_LEN, 1, XOR_MAX_LEN, 0, dev.nameunit);
      for (let i = 0; i < entries; i++) sc.slots.push({ srcMap: dma.bus_dmamap_create(sc.bufTag, 0), dstMap: dma.bus_dmamap_create(sc.bufTag, 0), job: null });
      sc.irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0, RF_ACTIVE | RF_SHAREABLE);
      if (!sc.irq) return ENXIO;
      sc.cookie = bus_setup_intr(dev, sc.irq, INTR_TYPE_MISC | INTR_MPSAFE, null, xorIntr, sc);
      bus_space_write_4(sc.mem, XOR_REG_RING_BASE, sc.ringPaddr);
      bus_space_write_4(sc.mem, XOR_REG_COALESCE, ((o.coalesceTimeoutUs ?? 0) << 8) | (o.coalesceCount ?? 1));
      bus_space_write_4(sc.mem, XOR_REG_IER, XOR_IER_DONE | XOR_IER_ERROR);
      bus_space_write_4(sc.mem, XOR_REG_CTRL, XOR_CTRL_RUN);
      return 0;
    },
    detach(dev) {
      const sc = device_get_softc(dev);
      sc.gone = true;
      if (sc.mem) {
        bus_space_write_4(sc.mem, XOR_REG_IER, 0);
        bus_space_write_4(sc.mem, XOR_REG_CTRL, XOR_CTRL_RESET);
        // A burst already on the bus still lands after the reset: wait for IDLE before unloading
        // the maps it may target. A card that is gone reads all-ones (IDLE set) at once.
        for (let n = 0; n < 100 && !(bus_space_read_4(sc.mem, XOR_REG_STATUS) & XOR_STATUS_IDLE); n++) dev.tree.scheduler.DELAY(1);
      }
      if (sc.cookie) bus_teardown_intr(dev, sc.irq!, sc.cookie);
      const dma = sc.dma!;
      // Complete everything still in flight with EAGAIN (DESIGN.md, the hot-eject contract).
      for (const s of sc.slots) {
        dma.bus_dmamap_unload(sc.bufTag!, s.srcMap);
        dma.bus_dmamap_unload(sc.bufTag!, s.dstMap);
        dma.bus_dmamap_destroy(sc.bufTag!, s.srcMap);
        dma.bus_dmamap_destroy(sc.bufTag!, s.dstMap);
        const job = s.job;
        s.job = null;
        job?.done(EAGAIN, job);
      }
      sc.used = 0;
      if (sc.needWakeup) dev.tree.scheduler.wakeup(sc);
      dma.bus_dma_tag_destroy(sc.bufTag!);
      dma.bus_dmamap_unload(sc.ringTag!, sc.ringMap!);
      dma.bus_dmamem_free(sc.ringTag!, sc.ring!, sc.ringMap!);
      dma.bus_dma_tag_destroy(sc.ringTag!);
      bus_release_resource(dev, SYS_RES_IRQ, 0, sc.irq!);
      bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.mem!);
      return 0;
    },
  };
}

/**
 * Post one request (from a kernel thread). Returns 0, ERESTART when the ring is full (sleep on the
 * softc and retry), ENXIO once the card is gone, or a bus_dma load error.
 */
export function xorSubmit(dev: Device<XorSoftc>, job: XorJob): number {
  const sc = device_get_softc(dev);
  if (sc.gone) return ENXIO;
  if (!Number.isInteger(job.len) || job.len < 1 || job.len > XOR_MAX_LEN) throw new RangeError(`xorSubmit: len must be 1..${XOR_MAX_LEN}, got ${job.len}`);
  if (sc.used >= sc.entries) {
    sc.needWakeup = true;
    return ERESTART;
  }
  const dma = sc.dma!;
  const tag = sc.bufTag!;
  const i = sc.ins;
  const slot = sc.slots[i]!;
  const s = dma.bus_dmamap_load_sg(tag, slot.srcMap, job.src, job.len, BUS_DMA_NOWAIT);
  if (s.error) return s.error;
  const d = dma.bus_dmamap_load_sg(tag, slot.dstMap, job.dst, job.len, BUS_DMA_NOWAIT);
  if (d.error) {
    dma.bus_dmamap_unload(tag, slot.srcMap);
    return d.error;
  }
  dma.bus_dmamap_sync(tag, slot.srcMap, BUS_DMASYNC_PREWRITE);
  dma.bus_dmamap_sync(tag, slot.dstMap, BUS_DMASYNC_PREREAD);
  slot.job = job;
  // Fill the descriptor; VALID is part of the same store here, and the ring is synced before the
  // doorbell, so the card never sees a half-written descriptor.
  XOR_DESC.encode(
    { valid: 1, maskIrq: job.maskIrq ? 1 : 0, op: job.op, len: job.len, src: s.segs[0]!.ds_addr, dst: d.segs[0]!.ds_addr, key: job.key >>> 0 },
    sc.ring!.bytes, i * XOR_DESC_SIZE,
  );
  sc.ins = i + 1;
  if (sc.ins === sc.entries) {
    XOR_DESC.encode({ valid: 1, jump: 1, maskIrq: 1, dst: sc.ringPaddr }, sc.ring!.bytes, sc.entries * XOR_DESC_SIZE);
    sc.ins = 0;
    sc.wraps++;
  }
  sc.used++;
  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_PREWRITE | BUS_DMASYNC_PREREAD);
  bus_space_write_4(sc.mem!, XOR_REG_DOORBELL, XOR_DOORBELL_KICK);
  return 0;
}

/** Interrupt handler (ithread): acknowledge, then reclaim finished descriptors in ring order. */
function xorIntr(sc: XorSoftc): void {
  if (sc.gone) return;
  const st = bus_space_read_4(sc.mem!, XOR_REG_STATUS);
  const causes = st & (XOR_STATUS_DONE | XOR_STATUS_ERROR);
  if (st === 0xffffffff || causes === 0) return; // not ours (shared line) or the card is gone
  bus_space_write_4(sc.mem!, XOR_REG_STATUS, causes);
  sc.interrupts++;
  const dma = sc.dma!;
  dma.bus_dmamap_sync(sc.ringTag!, sc.ringMap!, BUS_DMASYNC_POSTREAD | BUS_DMASYNC_POSTWRITE);
  const mem = dma.mem;
  while (sc.used > 0) {
    const k = sc.rec;
    const desc = mem.cpuRead(sc.ringPaddr + k * XOR_DESC_SIZE, XOR_DESC_SIZE);
    if (XOR_DESC.get(desc, 'valid')) break; // the card still owns it
    const slot = sc.slots[k]!;
    const job = slot.job!;
    slot.job = null;
    dma.bus_dmamap_sync(sc.bufTag!, slot.srcMap, BUS_DMASYNC_POSTWRITE);
    dma.bus_dmamap_sync(sc.bufTag!, slot.dstMap, BUS_DMASYNC_POSTREAD);
    dma.bus_dmamap_unload(sc.bufTag!, slot.srcMap);
    dma.bus_dmamap_unload(sc.bufTag!, slot.dstMap);
    sc.used--;
    sc.rec = (k + 1) % sc.entries; // the jump slot is never a reclaim position
    job.done(XOR_DESC.get(desc, 'err') ? EIO : 0, job);
  }
  if (sc.needWakeup && sc.used < sc.entries) {
    sc.needWakeup = false;
    sc.dev.tree.scheduler.wakeup(sc);
  }
}
