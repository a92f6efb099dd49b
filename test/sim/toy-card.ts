/**
 * Test fixtures for the PCI / interrupt / newbus / hot-plug suites: a machine rig, a tiny fake card
 * (not a crypto card) and a configurable driver for it.
 *
 * ToyCard BAR0 (4 KiB):
 *   0x00 ID       read-only 0x70790001
 *   0x04 SCRATCH  read/write
 *   0x08 STATUS   write-one-to-clear interrupt causes; INTx# is asserted while it is non-zero
 */
import { EventEngine } from '../../sim/engine.js';
import { Scheduler } from '../../sim/cpu.js';
import { PhysMemory } from '../../sim/memory.js';
import { ViolationLog } from '../../sim/violations.js';
import { TraceRecorder } from '../../sim/trace.js';
import { EBUSY, ENXIO } from '../../sim/errno.js';
import {
  BUS_PROBE_DEFAULT, Device, IntrCookie, RF_ACTIVE, RF_SHAREABLE, Resource, SYS_RES_IRQ, SYS_RES_MEMORY,
  bus_alloc_resource_any, bus_release_resource, bus_setup_intr, bus_teardown_intr, device_get_softc, device_set_desc, driver_t,
} from '../../sim/newbus.js';
import {
  PCIR_BAR, PciBus, PciBusOptions, PciDeviceModel, PciDevicePort, BarSpec,
  bus_space_read_4, bus_space_write_4, pci_enable_busmaster, pci_get_vendor, pci_get_device,
} from '../../sim/pci.js';
import { FILTER_HANDLED, FILTER_STRAY, INTR_MPSAFE, INTR_TYPE_MISC } from '../../sim/intr.js';

export const TOY_VENDOR = 0x1234;
export const TOY_DEVICE = 0x0001;
export const TOY_ID_VALUE = 0x70790001;
export const REG_ID = 0x00;
export const REG_SCRATCH = 0x04;
export const REG_STATUS = 0x08;

export interface Rig {
  engine: EventEngine;
  trace: TraceRecorder;
  scheduler: Scheduler;
  mem: PhysMemory;
  violations: ViolationLog;
  bus: PciBus;
}

export function makeRig(options: Partial<PciBusOptions> & { cpus?: number } = {}): Rig {
  const engine = new EventEngine();
  const trace = new TraceRecorder({ enabled: true });
  const scheduler = new Scheduler(engine, { cpus: options.cpus ?? 1, trace });
  const mem = new PhysMemory({ size: 4 << 20 });
  const violations = new ViolationLog(trace);
  const bus = new PciBus({ engine, scheduler, mem, violations, trace, ...options });
  return { engine, trace, scheduler, mem, violations, bus };
}

export class ToyCard implements PciDeviceModel {
  vendorId = TOY_VENDOR;
  deviceId = TOY_DEVICE;
  revision = 2;
  classCode = 0xff;
  subclass = 0;
  progIf = 0;
  bars: BarSpec[] = [{ size: 4096 }];
  interruptPin = 1;
  msiVectors: number;
  port: PciDevicePort | null = null;
  disconnected = 0;
  scratch = 0;
  status = 0;
  readonly writes: { offset: number; value: number; t: number }[] = [];
  readonly reads: { offset: number; t: number }[] = [];

  constructor(options: { msiVectors?: number; deviceId?: number } = {}) {
    this.msiVectors = options.msiVectors ?? 0;
    if (options.deviceId !== undefined) this.deviceId = options.deviceId;
  }

  connect(port: PciDevicePort): void {
    this.port = port;
  }

  disconnect(): void {
    this.disconnected++;
  }

  mmioRead(_bar: number, offset: number, _width: number, t: number): number {
    this.reads.push({ offset, t });
    if (offset === REG_ID) return TOY_ID_VALUE;
    if (offset === REG_SCRATCH) return this.scratch;
    if (offset === REG_STATUS) return this.status;
    return 0;
  }

  mmioWrite(_bar: number, offset: number, _width: number, value: number, t: number): void {
    this.writes.push({ offset, value, t });
    if (offset === REG_SCRATCH) this.scratch = value;
    if (offset === REG_STATUS) {
      this.status &= ~value;
      this.port!.setIrq(this.status !== 0);
    }
  }

  /** Set interrupt cause bits and assert INTx#. */
  raise(bits = 1): void {
    this.status |= bits;
    this.port!.setIrq(true);
  }
}

export interface ToySoftc {
  mem: Resource | null;
  irq: Resource | null;
  cookie: IntrCookie | null;
  filterCalls: number;
  filterHandled: number;
  lastFilterT: number;
}

export interface ToyDriverOptions {
  name?: string;
  probe?: number;
  /** What detach returns (after tearing down, unless it refuses). */
  detachResult?: number;
  /** Detach returns 0 without releasing anything. */
  leakOnDetach?: boolean;
  /** Called at the start of detach (to observe reads, the thread, the time). */
  onDetach?: (dev: Device<ToySoftc>, sc: ToySoftc) => void;
  onAttach?: (dev: Device<ToySoftc>, sc: ToySoftc) => void;
  /** Interrupt filter; default: read STATUS, stray if 0, else acknowledge and FILTER_HANDLED. */
  filter?: (sc: ToySoftc) => number;
  noIntr?: boolean;
}

export function toyFilter(sc: ToySoftc): number {
  const st = bus_space_read_4(sc.mem!, REG_STATUS);
  if (st === 0) return FILTER_STRAY;
  bus_space_write_4(sc.mem!, REG_STATUS, st);
  sc.filterHandled++;
  return FILTER_HANDLED;
}

/** A driver for ToyCard in the usual FreeBSD shape. */
export function toyDriver(o: ToyDriverOptions = {}): driver_t<ToySoftc> {
  return {
    name: o.name ?? 'toy',
    softc: () => ({ mem: null, irq: null, cookie: null, filterCalls: 0, filterHandled: 0, lastFilterT: -1 }),
    probe(dev) {
      if (pci_get_vendor(dev) !== TOY_VENDOR || pci_get_device(dev) !== TOY_DEVICE) return ENXIO;
      device_set_desc(dev, 'Toy test card');
      return o.probe ?? BUS_PROBE_DEFAULT;
    },
    attach(dev) {
      const sc = device_get_softc(dev);
      sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0), RF_ACTIVE);
      if (!sc.mem) return ENXIO;
      pci_enable_busmaster(dev);
      if (!o.noIntr) {
        sc.irq = bus_alloc_resource_any(dev, SYS_RES_IRQ, 0, RF_ACTIVE | RF_SHAREABLE);
        if (!sc.irq) return ENXIO;
        const filter = o.filter ?? toyFilter;
        sc.cookie = bus_setup_intr(dev, sc.irq, INTR_TYPE_MISC | INTR_MPSAFE, (s: ToySoftc) => {
          s.filterCalls++;
          s.lastFilterT = dev.tree.scheduler.localNow();
          return filter(s);
        }, null, sc);
      }
      o.onAttach?.(dev, sc);
      return 0;
    },
    detach(dev) {
      const sc = device_get_softc(dev);
      o.onDetach?.(dev, sc);
      if (o.detachResult === EBUSY) return EBUSY;
      if (o.leakOnDetach) return 0;
      if (sc.cookie && sc.irq) bus_teardown_intr(dev, sc.irq, sc.cookie);
      if (sc.irq) bus_release_resource(dev, SYS_RES_IRQ, 0, sc.irq);
      if (sc.mem) bus_release_resource(dev, SYS_RES_MEMORY, PCIR_BAR(0), sc.mem);
      return o.detachResult ?? 0;
    },
  };
}

/** The toy driver's softc of the device in `fn`. */
export function softcOf(dev: Device): ToySoftc {
  return device_get_softc(dev as Device<ToySoftc>);
}
