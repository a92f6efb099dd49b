/**
 * A conventional PCI bus: config space per function, BAR assignment, MMIO through bus_space,
 * bus-master DMA through the host bridge (one shared server), INTx and MSI, and the bus side of
 * newbus (resources, interrupt setup, clean-up of what a driver leaves behind).
 *
 * Bus-master DMA goes through one shared server per bus (pci-dma.ts). Cards reach the bus only
 * through their `PciDevicePort`; drivers reach cards only through the functions of pci.ts
 * (config cycles, bus_space, whose timing is described there) and their interrupt.
 *
 * A surprise removal (`surpriseRemove`) makes the card vanish at once; its DMA callbacks never
 * fire (the model is told through `disconnect()`), its interrupts are lost, and a CardBus-style
 * shield keeps its driver's interrupt handlers from being called again.
 *
 * @example
 *   const bus = new PciBus({ engine, scheduler, mem, violations, trace });
 *   bus.addDriver(toyDriver);
 *   bus.addCard(new ToyModel(), 3); // probed and attached by the "swapper" thread
 */
import { EventEngine } from './engine.js';
import { ClockDomain } from './clock.js';
import { Scheduler } from './cpu.js';
import { PhysMemory } from './memory.js';
import { ViolationLog } from './violations.js';
import { TraceRecorder } from './trace.js';
import { DeviceDmaChecker } from './dma-check.js';
import { EBUSY, EINVAL, ENXIO } from './errno.js';
import {
  PCIM_CMD_BUSMASTEREN, PCIM_CMD_INTxDIS, PCIM_CMD_MEMEN, PCIM_MSICTRL_MME_MASK, PCIM_MSICTRL_MSI_ENABLE,
  PCIM_STATUS_INTxSTATE, PCIM_STATUS_RMABORT, PCIR_BARS, PCIR_COMMAND, PCIR_INTLINE, PCIR_MSI_ADDR, PCIR_MSI_CTRL,
  PCIR_MSI_DATA, PciConfigSpace, PciDeviceModel, PciDevicePort,
} from './pci-config.js';
import { InterruptController, IntrHandler } from './intr.js';
import { DmaMaster, DmaStats, DmaTiming, HostBridgeDma, newDmaStats } from './pci-dma.js';
import {
  BusMethods, Device, DeviceTree, IntrCookie, RF_ACTIVE, Resource, SYS_RES_IRQ, SYS_RES_MEMORY,
  deleteDevice, device_probe_and_attach, driver_t,
} from './newbus.js';

export interface PciTiming extends DmaTiming {
  /** Bus clocks a non-posted read (MMIO or config) costs the CPU. */
  mmioReadCycles: number;
  /** CPU cost of a posted MMIO write, ps. */
  mmioWritePs: number;
}

export const DEFAULT_PCI_TIMING: Readonly<PciTiming> = {
  // 24 clocks = 720 ns at 33 MHz. PCI 2.2 §3.5.1.1 lets a target take up to 16 clocks to its first
  // data phase; add address phase, DEVSEL#, turnaround and the host bridge crossing. Calibrated to
  // the 0.5-1 µs commonly measured for uncached register reads on 33 MHz PCI.
  mmioReadCycles: 24,
  // Calibrated: a posted store retires into the host bridge's write buffer in tens of ns.
  mmioWritePs: 60_000,
  // REQ#/GNT# arbitration, address phase and turnaround (PCI 2.2 §3.4, §3.3).
  dmaSetupCycles: 4,
  // Host bridges disconnect bursts at cache-line multiples; 64 bytes with 4 clocks of re-arbitration,
  // address and target latency per burst gives 64 / (16 + 4) bytes per clock = ~107 MB/s on 32-bit
  // 33 MHz, calibrated to the ~100 MB/s practical ceiling of a 133 MB/s-peak bus.
  dmaBurstBytes: 64,
  dmaBurstOverheadCycles: 4,
  // PCI 2.2 §3.3.3.1: master abort when no DEVSEL# within 5 clocks of the address phase.
  masterAbortCycles: 5,
};

export interface PciBusOptions {
  engine: EventEngine;
  scheduler: Scheduler;
  mem: PhysMemory;
  violations: ViolationLog;
  trace?: TraceRecorder;
  dmaChecker?: DeviceDmaChecker;
  clock?: ClockDomain;
  widthBytes?: 4 | 8;
  name?: string;
  /** Shared newbus state (console, unit numbers); one per machine. */
  tree?: DeviceTree;
  intc?: InterruptController;
  timing?: Partial<PciTiming>;
  /** Start of the BAR window; default the first 256 MiB boundary above RAM, at least 0xC0000000. */
  mmioBase?: number;
  /** INTx routing; default the bridge swizzle 16 + (slot + pin - 1) mod 4 (PCI-PCI Bridge Arch. §9.1). */
  intxRoute?: (slot: number, pin: number) => number;
  slots?: number;
}

export type { DmaStats } from './pci-dma.js';

/** Thrown for an MMIO access a driver could not legally make (outside a BAR, misaligned, released). */
export class PciAccessError extends Error {
  override name = 'PciAccessError';
}

/** A card in a slot (FreeBSD's pci_devinfo). */
export class PciFunction implements DmaMaster {
  present = true;
  intxAsserted = false;
  msiIrqs: number[] = [];
  msiHandlers = 0;
  readonly barRes: (Resource | null)[];
  readonly stats = newDmaStats();
  device!: Device;
  port!: PciDevicePort;

  constructor(
    readonly bus: PciBus,
    readonly slot: number,
    readonly model: PciDeviceModel,
    readonly config: PciConfigSpace,
    /** Routed INTx IRQ, -1 without a pin. */
    readonly irq: number,
  ) {
    this.barRes = config.barSizes.map(() => null);
  }

  /** FreeBSD's pci_printf prefix: pci<domain>:<bus>:<slot>:<func>. */
  get selector(): string {
    return `${this.bus.name}:${this.bus.busNumber}:${this.slot}:0`;
  }

  /** The attached device's name, else the selector. */
  get name(): string {
    return this.device?.driver ? this.device.nameunit : this.selector;
  }

  /** For reports after the device is gone: the last driver-given name, else the selector. */
  get reportName(): string {
    return this.device?.driver ? this.device.nameunit : (this.lastNameunit ?? this.selector);
  }

  /** @internal */
  lastNameunit: string | null = null;

  busMasterEnabled(): boolean {
    return (this.config.command & PCIM_CMD_BUSMASTEREN) !== 0;
  }

  masterAbort(): void {
    this.config.setStatus(PCIM_STATUS_RMABORT, true); // PCI 3.0 §6.2.3 Received Master Abort
  }
}

export class PciBus implements BusMethods {
  readonly name: string;
  readonly busNumber: number;
  readonly engine: EventEngine;
  readonly scheduler: Scheduler;
  readonly mem: PhysMemory;
  readonly violations: ViolationLog;
  readonly trace: TraceRecorder | undefined;
  readonly clock: ClockDomain;
  readonly widthBytes: number;
  readonly timing: Readonly<PciTiming>;
  readonly tree: DeviceTree;
  readonly intc: InterruptController;
  readonly slotCount: number;
  readonly dma: HostBridgeDma;
  private readonly driverList: driver_t[] = [];
  private readonly slots: (PciFunction | null)[];
  private readonly everySeen: PciFunction[] = [];
  private readonly windows: { base: number; size: number; owner: PciFunction }[] = [];
  private readonly mmioBase: number;
  private readonly intxRoute: (slot: number, pin: number) => number;

  constructor(o: PciBusOptions) {
    this.engine = o.engine;
    this.scheduler = o.scheduler;
    this.mem = o.mem;
    this.violations = o.violations;
    this.trace = o.trace;
    this.clock = o.clock ?? ClockDomain.PCI33;
    this.widthBytes = o.widthBytes ?? 4;
    this.name = o.name ?? 'pci0';
    this.busNumber = Number(/(\d+)$/.exec(this.name)?.[1] ?? 0);
    this.timing = { ...DEFAULT_PCI_TIMING, ...o.timing };
    for (const [k, v] of Object.entries(this.timing)) {
      if (!Number.isInteger(v) || v < 0 || (k === 'dmaBurstBytes' && (v < this.widthBytes || v % this.widthBytes !== 0))) {
        throw new RangeError(`PciBus ${this.name}: timing.${k} must be a non-negative integer${k === 'dmaBurstBytes' ? ' multiple of widthBytes' : ''}, got ${v}`);
      }
    }
    if (this.widthBytes !== 4 && this.widthBytes !== 8) throw new RangeError(`PciBus: widthBytes must be 4 or 8, got ${this.widthBytes}`);
    this.tree = o.tree ?? new DeviceTree(o.scheduler, o.trace);
    this.intc = o.intc ?? new InterruptController({ scheduler: o.scheduler, violations: o.violations, ...(o.trace ? { trace: o.trace } : {}) });
    this.slotCount = o.slots ?? 32;
    this.slots = new Array<PciFunction | null>(this.slotCount).fill(null);
    this.mmioBase = o.mmioBase ?? Math.max(0xc0000000, Math.ceil(o.mem.size / 0x10000000) * 0x10000000);
    this.intxRoute = o.intxRoute ?? ((slot, pin) => 16 + ((slot + pin - 1) % 4));
    this.dma = new HostBridgeDma({
      engine: o.engine, mem: o.mem, violations: o.violations, clock: this.clock, widthBytes: this.widthBytes, timing: this.timing,
      ...(o.trace ? { trace: o.trace } : {}),
    });
    this.dma.checker = o.dmaChecker;
  }

  /** bus_dma's strict checker (may be installed after the bus is built). */
  get dmaChecker(): DeviceDmaChecker | undefined {
    return this.dma.checker;
  }
  set dmaChecker(c: DeviceDmaChecker | undefined) {
    this.dma.checker = c;
  }

  get nameunit(): string {
    return this.name;
  }

  get drivers(): readonly driver_t[] {
    return this.driverList;
  }

  /** DRIVER_MODULE(x, pci, ...). Unattached cards are probed again, as on a kldload. */
  addDriver<S>(driver: driver_t<S>): void {
    if (this.driverList.some((d) => d.name === driver.name)) throw new Error(`${this.name}: driver ${driver.name} is already registered`);
    this.driverList.push(driver as unknown as driver_t);
    for (const fn of this.slots) {
      if (fn?.present && fn.device.state === 'notpresent') this.tree.bootThread.enqueue(() => device_probe_and_attach(fn.device));
    }
  }

  /** The function in `slot`, if any. */
  at(slot: number): PciFunction | null {
    return this.slots[slot] ?? null;
  }

  /**
   * Put a card in `slot`. With `firmware` (default) its BARs are programmed as a BIOS would;
   * with `attach` (default) the boot thread probes and attaches it.
   */
  addCard(model: PciDeviceModel, slot: number, options: { firmware?: boolean; attach?: boolean } = {}): PciFunction {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slotCount) throw new RangeError(`${this.name}: slot must be 0..${this.slotCount - 1}, got ${slot}`);
    if (this.slots[slot]) throw new Error(`${this.name}: slot ${slot} already holds ${this.slots[slot]!.name}`);
    const config = new PciConfigSpace(model);
    const irq = model.interruptPin ? this.intxRoute(slot, model.interruptPin) : -1;
    const fn = new PciFunction(this, slot, model, config, irq);
    fn.device = new Device(this.tree, this, fn, fn.selector);
    fn.port = this.makePort(fn);
    if (irq >= 0) config.write(PCIR_INTLINE, irq & 0xff, 1);
    if (options.firmware ?? true) config.barSizes.forEach((size, i) => config.setBarBase(i, this.allocWindow(size, fn)));
    this.slots[slot] = fn;
    this.everySeen.push(fn);
    this.note(fn, 'pci.card-added', { slot });
    model.connect(fn.port);
    if (options.attach ?? true) this.tree.bootThread.enqueue(() => device_probe_and_attach(fn.device));
    return fn;
  }

  /**
   * The card vanishes now: config and MMIO reads float to all-ones, writes are dropped, its DMA is
   * cut off (callbacks never fire), its INTx deasserts and its MSIs are lost. The device_t stays
   * until `deleteChild`.
   */
  surpriseRemove(fn: PciFunction): void {
    if (!fn.present) return;
    fn.present = false;
    this.dma.cancel(fn);
    this.updateIntx(fn);
    this.note(fn, 'pci.card-gone', { slot: fn.slot });
    fn.model.disconnect?.();
  }

  /**
   * pci_delete_child: force-release what the driver still holds ("Resource still owned, oops."),
   * power the slot off and destroy the device_t.
   */
  deleteChild(fn: PciFunction): void {
    this.releaseLeftovers(fn.device, 'oops');
    deleteDevice(fn.device);
    this.surpriseRemove(fn);
    for (let i = this.windows.length - 1; i >= 0; i--) if (this.windows[i]!.owner === fn) this.windows.splice(i, 1);
    if (this.slots[fn.slot] === fn) this.slots[fn.slot] = null;
  }

  /** CPU time of a non-posted bus cycle (MMIO read, config read or write), ps. */
  get readLatencyPs(): number {
    return this.clock.cyclesToPs(this.timing.mmioReadCycles);
  }

  // ---- resources and interrupts (bus_if.m) ----------------------------------------------------

  alloc_resource(child: Device, type: number, rid: number, flags: number): Resource | null {
    const fn = this.fnOf(child);
    if (!fn.present) return null;
    if (type === SYS_RES_MEMORY) {
      const bar = (rid - PCIR_BARS) / 4;
      const size = fn.config.barSizes[bar];
      if (!Number.isInteger(bar) || size === undefined || fn.barRes[bar]) return null;
      // pci_reserve_map: a BAR nobody programmed (CardBus zeroes them) gets an address now.
      if (fn.config.barBase(bar) === 0) fn.config.setBarBase(bar, this.allocWindow(size, fn));
      const res = new Resource(child, type, rid, fn.config.barBase(bar), size, flags, bar);
      fn.barRes[bar] = res;
      // pci_activate_resource -> PCI_ENABLE_IO: activating a memory BAR turns on MEM decoding.
      if (flags & RF_ACTIVE) fn.config.write(PCIR_COMMAND, fn.config.command | PCIM_CMD_MEMEN, 2);
      return res;
    }
    if (type === SYS_RES_IRQ) {
      const irq = rid === 0 ? (fn.msiIrqs.length > 0 ? undefined : fn.irq) : fn.msiIrqs[rid - 1];
      if (irq === undefined || irq < 0) return null;
      for (const r of child.resources) if (r.type === SYS_RES_IRQ && r.rid === rid) return null;
      return new Resource(child, type, rid, irq, 1, flags, irq);
    }
    return null;
  }

  release_resource(child: Device, type: number, _rid: number, res: Resource): number {
    const fn = this.fnOf(child);
    if (res.type !== type) return EINVAL;
    if (type === SYS_RES_IRQ) {
      // FreeBSD would leave a dangling handler on the intr_event; refusing is kinder to a sandbox.
      for (const c of child.intrCookies) if (c.irq === res.start) return EBUSY;
    } else if (type === SYS_RES_MEMORY && fn.barRes[res.busData] === res) {
      fn.barRes[res.busData] = null;
    }
    return 0;
  }

  setup_intr(
    child: Device,
    res: Resource,
    flags: number,
    filter: ((arg: unknown) => number) | null,
    handler: ((arg: unknown) => void) | null,
    arg: unknown,
  ): IntrCookie {
    const fn = this.fnOf(child);
    if (res.type !== SYS_RES_IRQ) throw new Error(`bus_setup_intr: ${child.nameunit} passed a non-IRQ resource`);
    const h = this.intc.addHandler(res.start, child, flags, filter, handler, arg, () => fn.present);
    const c = fn.config;
    if (res.rid > 0) {
      // pci_setup_intr: the first MSI handler enables MSI and masks INTx.
      if (fn.msiHandlers++ === 0) {
        c.write(c.msiCap + PCIR_MSI_CTRL, c.read(c.msiCap + PCIR_MSI_CTRL, 2) | PCIM_MSICTRL_MSI_ENABLE, 2);
        c.write(PCIR_COMMAND, c.command | PCIM_CMD_INTxDIS, 2);
      }
    } else {
      c.write(PCIR_COMMAND, c.command & ~PCIM_CMD_INTxDIS, 2); // pci_setup_intr: "Make sure that INTx is enabled"
    }
    this.updateIntx(fn);
    return h;
  }

  teardown_intr(child: Device, res: Resource, cookie: IntrCookie): number {
    const fn = this.fnOf(child);
    if (!(cookie instanceof IntrHandler) || cookie.device !== child || cookie.irq !== res.start) return EINVAL;
    this.intc.removeHandler(cookie);
    const c = fn.config;
    if (res.rid === 0) c.write(PCIR_COMMAND, c.command | PCIM_CMD_INTxDIS, 2); // pci_teardown_intr: "Mask INTx"
    else if (--fn.msiHandlers === 0) c.write(c.msiCap + PCIR_MSI_CTRL, c.read(c.msiCap + PCIR_MSI_CTRL, 2) & ~PCIM_MSICTRL_MSI_ENABLE, 2);
    this.updateIntx(fn);
    return 0;
  }

  child_detached(child: Device): void {
    this.releaseLeftovers(child, 'leaked');
  }

  child_location(child: Device): string {
    const fn = this.fnOf(child);
    let s = '';
    fn.config.barSizes.forEach((size, i) => {
      const base = fn.config.barBase(i);
      if (base) s += ` mem 0x${base.toString(16)}-0x${(base + size - 1).toString(16)}`;
    });
    if (fn.irq >= 0) s += ` irq ${fn.irq}`;
    return `${s} at device ${fn.slot}.0 on ${this.name}`;
  }

  probe_nomatch(child: Device): void {
    const fn = this.fnOf(child);
    const id = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
    this.tree.printf(`${this.name}: <vendor ${id(fn.model.vendorId)}, device ${id(fn.model.deviceId)}> at device ${fn.slot}.0 (no driver attached)`);
  }

  /** pci_alloc_msi. */
  allocMsi(dev: Device, count: { value: number }): number {
    const fn = this.fnOf(dev);
    const cap = fn.config.msiCapable;
    if (!cap || fn.msiIrqs.length > 0) return ENXIO;
    for (const r of dev.resources) if (r.type === SYS_RES_IRQ && r.rid === 0) return ENXIO; // "If rid 0 is allocated, then fail."
    if (!Number.isInteger(count.value) || count.value < 1) return EINVAL;
    const actual = Math.min(count.value, cap, 32);
    if ((actual & (actual - 1)) !== 0) return EINVAL; // "MSI requires power of 2 number of messages."
    fn.msiIrqs = this.intc.allocMsi(actual);
    const c = fn.config;
    const ctrl = c.read(c.msiCap + PCIR_MSI_CTRL, 2) & ~PCIM_MSICTRL_MME_MASK;
    c.write(c.msiCap + PCIR_MSI_CTRL, ctrl | (Math.log2(actual) << 4), 2);
    // x86: the local APIC's address window, the vector in the data (Intel SDM vol. 3 §10.11).
    c.write(c.msiCap + PCIR_MSI_ADDR, 0xfee00000, 4);
    c.write(c.msiCap + PCIR_MSI_DATA, fn.msiIrqs[0]! & 0xff, 2);
    count.value = actual;
    return 0;
  }

  /** pci_release_msi. */
  releaseMsi(dev: Device): number {
    const fn = this.fnOf(dev);
    if (fn.msiIrqs.length === 0) return ENXIO;
    for (const r of dev.resources) if (r.type === SYS_RES_IRQ && r.rid > 0) return EBUSY;
    this.intc.releaseMsi(fn.msiIrqs);
    fn.msiIrqs = [];
    const c = fn.config;
    c.write(c.msiCap + PCIR_MSI_CTRL, c.read(c.msiCap + PCIR_MSI_CTRL, 2) & ~(PCIM_MSICTRL_MME_MASK | PCIM_MSICTRL_MSI_ENABLE), 2);
    this.updateIntx(fn);
    return 0;
  }

  /** @internal */
  fnOf(dev: Device): PciFunction {
    const fn = dev.ivars;
    if (!(fn instanceof PciFunction) || fn.bus !== this) throw new Error(`${dev.nameunit} is not a child of ${this.name}`);
    return fn;
  }

  /**
   * Release what a driver left allocated. 'leaked' = pci_child_detached after a detach (sys/dev/pci/pci.c,
   * FreeBSD 10); 'oops' = pci_delete_child removing a device whose detach failed or never ran.
   */
  private releaseLeftovers(dev: Device, style: 'leaked' | 'oops'): void {
    const fn = this.fnOf(dev);
    if (dev.driver) fn.lastNameunit = dev.nameunit;
    const found: string[] = [];
    const say = (m: string) => this.tree.printf(`${fn.selector}: ${m}`);
    for (const cookie of [...dev.intrCookies]) {
      const res = [...dev.resources].find((r) => r.type === SYS_RES_IRQ && r.start === cookie.irq);
      if (res) this.teardown_intr(dev, res, cookie);
      else this.intc.removeHandler(cookie as IntrHandler);
      dev.intrCookies.delete(cookie);
      found.push(`interrupt handler on irq${cookie.irq}`);
      say(`Device left an interrupt handler set up on irq${cookie.irq}`);
    }
    // IRQs before MSI before memory, the order pci_child_detached uses.
    const order = [...dev.resources].sort((a, b) => a.type - b.type);
    const kinds = new Set<string>();
    for (const r of order) {
      const kind = r.type === SYS_RES_IRQ ? 'IRQ' : 'memory';
      found.push(`${kind} rid 0x${r.rid.toString(16)}`);
      if (style === 'oops') say(`Resource still owned, oops. (type=${r.type}, rid=${r.rid}, addr=${r.start.toString(16)})`);
      else if (!kinds.has(kind)) say(`Device leaked ${kind} resources`);
      kinds.add(kind);
      this.release_resource(dev, r.type, r.rid, r);
      dev.resources.delete(r);
      r.released = true;
      r.active = false;
    }
    if (fn.msiIrqs.length > 0) {
      found.push(`${fn.msiIrqs.length} MSI vector(s)`);
      if (style === 'leaked') say('Device leaked MSI vectors');
      this.releaseMsi(dev);
    }
    if (found.length === 0) return;
    this.violations.report({
      kind: 'resource-leak',
      t: this.scheduler.localNow(),
      device: dev.nameunit,
      message: `${dev.nameunit} ${style === 'oops' ? 'was deleted while still holding' : 'detached leaving'} ${found.join(', ')}; ${this.name} released them`,
    });
  }

  // ---- interrupts from the card --------------------------------------------------------------

  /** @internal Re-evaluate a function's INTx after its command register or MSI state changed. */
  updateIntx(fn: PciFunction): void {
    fn.config.setStatus(PCIM_STATUS_INTxSTATE, fn.present && fn.intxAsserted);
    if (fn.irq < 0) return;
    const cmd = fn.config.command;
    const on = fn.present && fn.intxAsserted && (cmd & PCIM_CMD_INTxDIS) === 0 && !fn.config.msiEnabled;
    this.intc.setLevel(fn.irq, fn, on, fn.name);
  }

  private sendMsi(fn: PciFunction, vector: number): void {
    const c = fn.config;
    const irq = fn.msiIrqs[vector];
    if (!fn.present || !c.msiEnabled || irq === undefined || vector >= c.msiEnabledCount) {
      this.note(fn, 'intr.msi-dropped', { vector });
      return;
    }
    this.intc.sendEdge(irq, fn.name);
  }

  // ---- bus-master DMA ------------------------------------------------------------------------

  /** Per-bus and per-device DMA statistics (every card ever seen, by its latest name). */
  dmaStats(): { bus: DmaStats & { utilisation: number }; devices: (DmaStats & { device: string; slot: number })[] } {
    return {
      bus: { ...this.dma.stats, utilisation: this.dma.stats.busyPs / Math.max(1, this.engine.now) },
      devices: this.everySeen.map((fn) => ({ device: fn.reportName, slot: fn.slot, ...fn.stats })),
    };
  }

  // ---- helpers -------------------------------------------------------------------------------

  private makePort(fn: PciFunction): PciDevicePort {
    const bus = this;
    return {
      get name() {
        return fn.name;
      },
      engine: this.engine,
      clock: this.clock,
      dmaRead(paddr, len, startAt, onDone) {
        if (fn.present) bus.dma.request(fn, 'read', paddr, null, len, startAt, (d, _ok, t) => onDone(d, t));
      },
      dmaWrite(paddr, data, startAt, onDone) {
        if (fn.present) bus.dma.request(fn, 'write', paddr, data.slice(), data.length, startAt, (_d, ok, t) => onDone(ok, t));
      },
      dmaDurationPs: (paddr, len) => this.clock.cyclesToPs(this.dma.cycles(paddr, len)),
      setIrq: (asserted) => {
        if (!fn.present) return;
        fn.intxAsserted = asserted;
        this.updateIntx(fn);
      },
      sendMsi: (vector) => this.sendMsi(fn, vector),
    };
  }

  /** First fit in the BAR window, naturally aligned (PCI 3.0 §6.2.5.1). */
  private allocWindow(size: number, fn: PciFunction): number {
    const ws = this.windows.sort((a, b) => a.base - b.base);
    let base = Math.ceil(this.mmioBase / size) * size;
    for (const w of ws) {
      if (base + size <= w.base) break;
      if (w.base + w.size > base) base = Math.ceil((w.base + w.size) / size) * size;
    }
    if (base + size > 2 ** 32) throw new Error(`${this.name}: no room for a 0x${size.toString(16)}-byte 32-bit BAR above 0x${this.mmioBase.toString(16)}`);
    ws.push({ base, size, owner: fn });
    return base;
  }

  private note(fn: PciFunction, kind: string, fields: Record<string, number>): void {
    if (this.trace?.on) this.trace.record({ t: this.scheduler.localNow(), layer: 'bus', where: fn.name, kind, fields });
  }
}
