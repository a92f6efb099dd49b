/**
 * The toy card's driver (the kernel side): probe/attach/detach, one transfer at a time through
 * bus_dma, completion by interrupt. It reaches the card only through bus_space, bus_dma and its
 * interrupt. `bugs` switches on classic driver mistakes so tests can show the simulator naming
 * them: a missing PREWRITE sync, a missing POSTREAD sync, a destination outside the loaded map,
 * bus mastering never enabled.
 */
import type { Wait, KThread } from '../../sim/cpu.js';
import { EIO, ENXIO, EAGAIN } from '../../sim/errno.js';
import type { MemBlock } from '../../sim/memory.js';
import {
  BUS_DMASYNC_POSTREAD,
  BUS_DMASYNC_POSTWRITE,
  BUS_DMASYNC_PREREAD,
  BUS_DMASYNC_PREWRITE,
  BUS_DMA_NOWAIT,
  BUS_SPACE_MAXADDR,
  BUS_SPACE_MAXADDR_32BIT,
  bus_get_dma_tag,
  type BusDma,
  type BusDmaMap,
  type BusDmaTag,
} from '../../sim/busdma.js';
import {
  BUS_PROBE_DEFAULT,
  RF_ACTIVE,
  RF_SHAREABLE,
  SYS_RES_IRQ,
  SYS_RES_MEMORY,
  bus_alloc_resource_any,
  bus_release_resource,
  bus_setup_intr,
  bus_teardown_intr,
  device_get_softc,
  device_printf,
  device_set_desc,
  type Device,
  type IntrCookie,
  type Resource,
  type driver_t,
} from '../../sim/newbus.js';
import { FILTER_HANDLED, FILTER_STRAY, INTR_MPSAFE, INTR_TYPE_MISC } from '../../sim/intr.js';
import { PCIR_BAR, bus_space_read_4, bus_space_write_4, pci_enable_busmaster, pci_get_device, pci_get_vendor } from '../../sim/pci.js';
import {
  TOY_CTRL_IRQ_EN,
  TOY_CTRL_START,
  TOY_DEVICE,
  TOY_ID,
  TOY_MAX_LEN,
  TOY_REG_CTRL,
  TOY_REG_DST,
  TOY_REG_ID,
  TOY_REG_LEN,
  TOY_REG_SRC,
  TOY_REG_STATUS,
  TOY_STATUS_DONE,
  TOY_STATUS_ERROR,
  TOY_VENDOR,
} from './regs.js';

export interface ToyBugs {
  skipPrewrite?: boolean;
  skipPostread?: boolean;
  /** Program the destination this many bytes past the loaded buffer. */
  dstOffsetOutsideMap?: number;
  noBusmaster?: boolean;
  /** Modify the source after the PREWRITE sync (the device then reads stale data). */
  touchAfterPrewrite?: boolean;
}

export interface ToySoftc {
  dev: Device<ToySoftc>;
  mem: Resource | null;
  irq: Resource | null;
  cookie: IntrCookie | null;
  dma: BusDma | null;
  tag: BusDmaTag | null;
  srcMap: BusDmaMap | null;
  dstMap: BusDmaMap | null;
  /** Status of the transfer in flight (0 while running), and its waiter channel. */
  busy: boolean;
  result: number;
  interrupts: number;
  gone: boolean;
}

export interface ToyTransferResult {
  error: number;
  /** Simulated time from start to wakeup, ps. */
  elapsedPs: number;
}

/** The toy driver. `bugs` make it misbehave on purpose. */
export function toyDmaDriver(bugs: ToyBugs = {}): driver_t<ToySoftc> {
  return {
    name: 'toy',
    softc: () => ({
      dev: null as unknown as Device<ToySoftc>,
      mem: null,
      irq: null,
      cookie: null,
      dma: null,
      tag: null,
      srcMap: null,
      dstMap: null,
      busy: false,
      result: 0,
      interrupts: 0,
      gone: false,
    }),
    probe(dev) {
      if (pci_get_vendor(dev) !== TOY_VENDOR || pci_get_device(dev) !== TOY_DEVICE) return ENXIO;
      device_set_desc(dev, 'Toy bus-master DMA card');
      return BUS_PROBE_DEFAULT;
    },
    attach(dev) {
      const sc = device_get_softc(dev);
      sc.dev = dev;
      sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
      if (!sc.mem) return ENXIO;
      const id = bus_space_read_4(sc.mem, TOY_REG_ID);
      if (id !== TOY_ID) {
        device_printf(dev, `unexpected id 0x${id.toString(16)}`);
        bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.mem);
        return ENXIO;
      }
      if (!bugs.noBusmaster) pci_enable_busmaster(dev);
      sc.irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0, RF_ACTIVE | RF_SHAREABLE);
      if (!sc.irq) return ENXIO;
      sc.dma = bus_get_dma_tag(dev);
      sc.tag = sc.dma.bus_dma_tag_create(null, 4, 0, BUS_SPACE_MAXADDR_32BIT, BUS_SPACE_MAXADDR, TOY_MAX_LEN, 1, TOY_MAX_LEN, 0, dev.nameunit);
      sc.srcMap = sc.dma.bus_dmamap_create(sc.tag, 0);
      sc.dstMap = sc.dma.bus_dmamap_create(sc.tag, 0);
      sc.cookie = bus_setup_intr(dev, sc.irq, INTR_TYPE_MISC | INTR_MPSAFE, toyIntr, null, sc);
      device_printf(dev, 'attached');
      return 0;
    },
    detach(dev) {
      const sc = device_get_softc(dev);
      sc.gone = true;
      // Stop interrupts, then fail the transfer in flight so its waiter does not sleep forever.
      bus_space_write_4(sc.mem!, TOY_REG_CTRL, 0);
      if (sc.busy) {
        sc.busy = false;
        sc.result = EAGAIN;
        dev.tree.scheduler.wakeup(sc);
      }
      if (sc.cookie) bus_teardown_intr(dev, sc.irq!, sc.cookie);
      const dma = sc.dma!;
      for (const map of [sc.srcMap!, sc.dstMap!]) {
        dma.bus_dmamap_unload(sc.tag!, map);
        dma.bus_dmamap_destroy(sc.tag!, map);
      }
      dma.bus_dma_tag_destroy(sc.tag!);
      bus_release_resource(dev, SYS_RES_IRQ, 0, sc.irq!);
      bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.mem!);
      return 0;
    },
  };

  function toyIntr(sc: ToySoftc): number {
    const st = bus_space_read_4(sc.mem!, TOY_REG_STATUS);
    if ((st & (TOY_STATUS_DONE | TOY_STATUS_ERROR)) === 0 || st === 0xffffffff) return FILTER_STRAY;
    bus_space_write_4(sc.mem!, TOY_REG_STATUS, st & (TOY_STATUS_DONE | TOY_STATUS_ERROR));
    sc.interrupts++;
    if (sc.busy) {
      sc.busy = false;
      sc.result = st & TOY_STATUS_ERROR ? EIO : 0;
      sc.dev.tree.scheduler.wakeup(sc);
    }
    return FILTER_HANDLED;
  }
}

/**
 * Invert `len` bytes of `src` into `dst` on the card, sleeping until its interrupt. Run it from a
 * kernel thread with `yield*`. Returns 0, EIO (the card reported an error) or EAGAIN (the card was
 * removed mid-transfer).
 */
export function* toyTransfer(td: KThread, dev: Device<ToySoftc>, src: MemBlock, dst: MemBlock, len: number, bugs: ToyBugs = {}): Generator<Wait, ToyTransferResult, number> {
  const sc = device_get_softc(dev);
  if (sc.gone) return { error: ENXIO, elapsedPs: 0 };
  if (!Number.isInteger(len) || len <= 0 || len > TOY_MAX_LEN || len > src.size || len > dst.size) {
    throw new RangeError(`toyTransfer: len must be 1..${Math.min(TOY_MAX_LEN, src.size, dst.size)}, got ${len}`);
  }
  const dma = sc.dma!;
  const tag = sc.tag!;
  const start = td.localTime;
  const s = dma.bus_dmamap_load_sg(tag, sc.srcMap!, src, len, BUS_DMA_NOWAIT);
  const d = dma.bus_dmamap_load_sg(tag, sc.dstMap!, dst, len, BUS_DMA_NOWAIT);
  if (s.error || d.error) return { error: s.error || d.error, elapsedPs: 0 };
  if (!bugs.skipPrewrite) dma.bus_dmamap_sync(tag, sc.srcMap!, BUS_DMASYNC_PREWRITE);
  if (bugs.touchAfterPrewrite) src.bytes[0] = (src.bytes[0]! + 1) & 0xff;
  dma.bus_dmamap_sync(tag, sc.dstMap!, BUS_DMASYNC_PREREAD);
  bus_space_write_4(sc.mem!, TOY_REG_SRC, s.segs[0]!.ds_addr);
  bus_space_write_4(sc.mem!, TOY_REG_DST, d.segs[0]!.ds_addr + (bugs.dstOffsetOutsideMap ?? 0));
  bus_space_write_4(sc.mem!, TOY_REG_LEN, len);
  sc.busy = true;
  sc.result = 0;
  bus_space_write_4(sc.mem!, TOY_REG_CTRL, TOY_CTRL_START | TOY_CTRL_IRQ_EN);
  while (sc.busy) yield td.msleep(sc, 'toydma');
  if (!sc.gone) {
    dma.bus_dmamap_sync(tag, sc.srcMap!, BUS_DMASYNC_POSTWRITE);
    if (!bugs.skipPostread) dma.bus_dmamap_sync(tag, sc.dstMap!, BUS_DMASYNC_POSTREAD);
    dma.bus_dmamap_unload(tag, sc.srcMap!);
    dma.bus_dmamap_unload(tag, sc.dstMap!);
  }
  return { error: sc.result, elapsedPs: td.localTime - start };
}
