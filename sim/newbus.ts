/**
 * newbus: device_t, driver_t, probe / attach / detach, unit numbers, resources and the console.
 *
 * Follows FreeBSD's sys/kern/subr_bus.c: every driver registered with a bus probes a new child;
 * the best (highest value <= 0) wins, the first of equals wins, 0 (BUS_PROBE_SPECIFIC) stops the
 * search, and a winner that returned < 0 is probed again before attach (device_probe_child). The
 * unit is the lowest free one for the driver's name (devclass_alloc_unit), so ejecting hifn0 and
 * inserting a new card gives hifn0 again. A detach that fails leaves the device attached.
 *
 * A driver method returns an errno, or a generator that yields `Wait`s (msleep, pause) and returns
 * one: attach and detach may sleep, as in the kernel. They run in a kernel thread (`ConfigThread`)
 * so whatever they do (MMIO reads, DELAY) is charged as CPU time.
 *
 * Bus methods (sys/kern/bus_if.m) are an interface the parent bus implements; the free functions
 * `bus_alloc_resource_any`, `bus_setup_intr`, ... dispatch to it as the kernel's do.
 *
 * @example
 *   const toy: driver_t<{ mem: Resource | null }> = {
 *     name: 'toy', softc: () => ({ mem: null }),
 *     probe: (dev) => (pci_get_vendor(dev) === 0x1234 ? BUS_PROBE_DEFAULT : ENXIO),
 *     attach: (dev) => { device_get_softc(dev).mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0)); return 0; },
 *     detach: () => 0,
 *   };
 *   bus.addDriver(toy);
 */
import type { BusDma } from './busdma.js';
import { KThread, Priority, Scheduler, Wait } from './cpu.js';
import { TraceRecorder } from './trace.js';
import { EINVAL, ENXIO, KernelError, errnoName } from './errno.js';

/** Probe priorities, sys/sys/bus.h. Higher (closer to 0) is better; > 0 is an errno. */
export const BUS_PROBE_SPECIFIC = 0;
export const BUS_PROBE_VENDOR = -10;
export const BUS_PROBE_DEFAULT = -20;
export const BUS_PROBE_LOW_PRIORITY = -40;
export const BUS_PROBE_GENERIC = -100;
export const BUS_PROBE_HOOVER = -1000000;
export const BUS_PROBE_NOWILDCARD = -2000000000;

/** Resource types, sys/x86/include/resource.h. */
export const SYS_RES_IRQ = 1;
export const SYS_RES_DRQ = 2;
export const SYS_RES_MEMORY = 3;
export const SYS_RES_IOPORT = 4;

/** Resource flags, sys/sys/rman.h. */
export const RF_ALLOCATED = 0x0001;
export const RF_ACTIVE = 0x0002;
export const RF_SHAREABLE = 0x0004;

/** What a driver method returns: an errno now, or a sleeping body that returns one. */
export type DeviceMethodResult = number | Generator<Wait, number, number>;

/** driver_t: a driver's name, its methods and its softc factory (the kernel's softc size). */
export interface driver_t<S = unknown> {
  readonly name: string;
  probe(dev: Device<S>): DeviceMethodResult;
  attach(dev: Device<S>): DeviceMethodResult;
  detach(dev: Device<S>): DeviceMethodResult;
  softc(): S;
  /**
   * Further kobj methods of the driver, by interface method name (e.g. cryptodev_process for a
   * crypto driver, cryptodev_if.m). newbus itself never calls them.
   */
  readonly methods?: object;
}

/** device_state_t (sys/sys/bus.h), plus 'deleted' for a device_t the bus has destroyed. */
export type DeviceState = 'notpresent' | 'alive' | 'attaching' | 'attached' | 'deleted';

/** A resource handed to a driver (struct resource, sys/sys/rman.h). */
export class Resource {
  active: boolean;
  released = false;
  constructor(
    readonly owner: Device,
    readonly type: number,
    readonly rid: number,
    readonly start: number,
    readonly count: number,
    flags: number,
    /** @internal The bus's own handle (a BAR index, an IRQ number). */
    readonly busData: number,
  ) {
    this.active = (flags & RF_ACTIVE) !== 0;
  }

  get end(): number {
    return this.start + this.count - 1;
  }
}

export function rman_get_start(r: Resource): number {
  return r.start;
}
export function rman_get_size(r: Resource): number {
  return r.count;
}
export function rman_get_rid(r: Resource): number {
  return r.rid;
}

/** The cookie bus_setup_intr returns; intr.ts implements it. */
export interface IntrCookie {
  readonly irq: number;
  readonly device: Device;
  readonly torn: boolean;
}

/** The parent bus's methods (bus_if.m), as much of it as drivers here use. */
export interface BusMethods {
  readonly nameunit: string;
  readonly drivers: readonly driver_t[];
  alloc_resource(child: Device, type: number, rid: number, flags: number): Resource | null;
  release_resource(child: Device, type: number, rid: number, res: Resource): number;
  setup_intr(
    child: Device,
    res: Resource,
    flags: number,
    filter: ((arg: unknown) => number) | null,
    handler: ((arg: unknown) => void) | null,
    arg: unknown,
  ): IntrCookie;
  teardown_intr(child: Device, res: Resource, cookie: IntrCookie): number;
  /** BUS_CHILD_DETACHED: release whatever the driver left behind. */
  child_detached(child: Device): void;
  /** The "at device 3.0 on pci0" part of the attach line (BUS_PRINT_CHILD). */
  child_location(child: Device): string;
  /** BUS_PROBE_NOMATCH. */
  probe_nomatch(child: Device): void;
}

export interface ConsoleLine {
  /** Simulated time, ps. */
  t: number;
  text: string;
}

/**
 * What every bus of one machine shares: unit numbers per driver name (devclasses), the console
 * log, the boot-time configuration thread, the scheduler and the trace.
 */
export class DeviceTree {
  readonly console: ConsoleLine[] = [];
  /**
   * Boot-time autoconfiguration (and driver loading) runs in proc0's thread, "swapper" in FreeBSD 10
   * (sys/vm/vm_glue.c); one per machine, spawned when first needed.
   */
  readonly bootThread: ConfigThread;
  /** The machine's bus_dma, for bus_get_dma_tag(9); set by whoever builds the machine. */
  busdma: BusDma | null = null;
  private readonly units = new Map<string, Set<number>>();
  private readonly devices = new Set<Device>();

  constructor(
    readonly scheduler: Scheduler,
    readonly trace?: TraceRecorder,
  ) {
    this.bootThread = new ConfigThread(scheduler, 'swapper');
  }

  /** Print one console line (kernel printf), stamped with the caller's local time. */
  printf(text: string): void {
    const t = this.scheduler.localNow();
    const line = text.endsWith('\n') ? text.slice(0, -1) : text;
    this.console.push({ t, text: line });
    if (this.trace?.on) this.trace.record({ t, layer: 'sim', where: 'console', kind: 'console', fields: { text: line } });
  }

  /** devclass_find + devclass_get_device: the device called `nameunit` ("hifn0"), if attached. */
  find(nameunit: string): Device | undefined {
    for (const d of this.devices) if (d.nameunit === nameunit) return d;
    return undefined;
  }

  get allDevices(): readonly Device[] {
    return [...this.devices];
  }

  /** @internal devclass_alloc_unit with unit -1: the lowest free unit. */
  allocUnit(name: string): number {
    let set = this.units.get(name);
    if (!set) {
      set = new Set();
      this.units.set(name, set);
    }
    let u = 0;
    while (set.has(u)) u++;
    set.add(u);
    return u;
  }

  /** @internal */
  freeUnit(name: string, unit: number): void {
    this.units.get(name)?.delete(unit);
  }

  /** @internal */
  register(dev: Device): void {
    this.devices.add(dev);
  }

  /** @internal */
  unregister(dev: Device): void {
    this.devices.delete(dev);
  }
}

/** device_t. */
export class Device<S = unknown> {
  state: DeviceState = 'notpresent';
  driver: driver_t<S> | null = null;
  softc: S | null = null;
  unit = -1;
  desc = '';
  /** Resources the driver holds (for the leak check at detach). */
  readonly resources = new Set<Resource>();
  /** Interrupt handlers the driver has set up. */
  readonly intrCookies = new Set<IntrCookie>();

  constructor(
    readonly tree: DeviceTree,
    readonly parent: BusMethods,
    /** The bus's per-child data (a PciFunction on PCI). */
    readonly ivars: unknown,
    /** What to call the child while no driver owns it ("pci0:0:3:0"). */
    readonly location: string,
  ) {
    tree.register(this);
  }

  /** The driver's name, or null before a driver is chosen. */
  get name(): string | null {
    return this.driver ? this.driver.name : null;
  }

  /** "hifn0", or the bus's name for the child while no driver owns it. */
  get nameunit(): string {
    return this.driver ? `${this.driver.name}${this.unit}` : this.location;
  }
}

export function device_get_softc<S>(dev: Device<S>): S {
  if (dev.softc === null) throw new KernelError(EINVAL, `device_get_softc: ${dev.nameunit} has no softc (no driver)`);
  return dev.softc;
}
export function device_get_nameunit(dev: Device): string {
  return dev.nameunit;
}
export function device_get_name(dev: Device): string | null {
  return dev.name;
}
export function device_get_unit(dev: Device): number {
  return dev.unit;
}
export function device_get_desc(dev: Device): string {
  return dev.desc;
}
export function device_set_desc(dev: Device, desc: string): void {
  dev.desc = desc;
}
export function device_is_attached(dev: Device): boolean {
  return dev.state === 'attached';
}

/** device_printf(9): "hifn0: message" on the console. */
export function device_printf(dev: Device, msg: string): void {
  dev.tree.printf(`${dev.nameunit}: ${msg}`);
}

/** bus_alloc_resource_any(9). `rid` is PCIR_BAR(n) for memory, 0 (INTx) or 1.. (MSI) for IRQ. */
export function bus_alloc_resource_any(dev: Device, type: number, rid: number, flags = RF_ACTIVE): Resource | null {
  const r = dev.parent.alloc_resource(dev, type, rid, flags);
  if (r) dev.resources.add(r);
  return r;
}

/** bus_release_resource(9). Returns 0 or an errno. */
export function bus_release_resource(dev: Device, type: number, rid: number, res: Resource): number {
  if (res.owner !== dev || !dev.resources.has(res)) return EINVAL;
  const err = dev.parent.release_resource(dev, type, rid, res);
  if (err === 0) {
    dev.resources.delete(res);
    res.released = true;
    res.active = false;
  }
  return err;
}

/**
 * bus_setup_intr(9). Returns the cookie (the kernel returns it through a pointer); a failure
 * throws a KernelError carrying the errno the kernel would return.
 */
export function bus_setup_intr<A>(
  dev: Device,
  irqRes: Resource,
  flags: number,
  filter: ((arg: A) => number) | null,
  handler: ((arg: A) => void) | null,
  arg: A,
): IntrCookie {
  if (!filter && !handler) throw new KernelError(EINVAL, `bus_setup_intr: ${dev.nameunit} gave neither a filter nor a handler`);
  if (irqRes.owner !== dev || irqRes.released) {
    throw new KernelError(EINVAL, `bus_setup_intr: ${dev.nameunit} does not own IRQ resource rid ${irqRes.rid}`);
  }
  const cookie = dev.parent.setup_intr(
    dev,
    irqRes,
    flags,
    filter as ((arg: unknown) => number) | null,
    handler as ((arg: unknown) => void) | null,
    arg,
  );
  dev.intrCookies.add(cookie);
  return cookie;
}

/** bus_teardown_intr(9). */
export function bus_teardown_intr(dev: Device, irqRes: Resource, cookie: IntrCookie): number {
  if (!dev.intrCookies.has(cookie)) return EINVAL;
  const err = dev.parent.teardown_intr(dev, irqRes, cookie);
  if (err === 0) dev.intrCookies.delete(cookie);
  return err;
}

/** Run a driver method to its errno, sleeping if it sleeps. */
function* runMethod(r: DeviceMethodResult): Generator<Wait, number, number> {
  return typeof r === 'number' ? r : yield* r;
}

function setDriver(dev: Device, drv: driver_t | null): void {
  if (dev.driver === drv) return;
  if (dev.driver) dev.tree.freeUnit(dev.driver.name, dev.unit);
  dev.driver = drv;
  dev.unit = drv ? dev.tree.allocUnit(drv.name) : -1;
  // device_set_driver allocates a zeroed softc of the driver's size, and frees the old one.
  dev.softc = drv ? drv.softc() : null;
  if (!drv) dev.desc = '';
}

function traceDev(dev: Device, kind: string, fields?: Record<string, string | number>): void {
  const tr = dev.tree.trace;
  if (tr?.on) tr.record({ t: dev.tree.scheduler.localNow(), layer: 'bus', where: dev.nameunit, kind, ...(fields ? { fields } : {}) });
}

/**
 * device_probe_and_attach(9), as a thread body fragment: `const err = yield* device_probe_and_attach(dev)`.
 */
export function* device_probe_and_attach(dev: Device): Generator<Wait, number, number> {
  if (dev.state === 'deleted') return ENXIO;
  if (dev.state === 'attached') return 0;
  let best: driver_t | null = null;
  let bestPri = 0;
  for (const drv of dev.parent.drivers) {
    setDriver(dev, drv);
    const r = yield* runMethod(drv.probe(dev));
    if (r > 0) {
      setDriver(dev, null);
      continue;
    }
    if (best === null || r > bestPri) {
      best = drv;
      bestPri = r;
    }
    if (r === 0) break;
  }
  if (!best) {
    setDriver(dev, null);
    dev.parent.probe_nomatch(dev);
    return ENXIO;
  }
  setDriver(dev, best);
  // subr_bus.c device_probe_child: "A bit bogus. Call the probe method again to make sure that we
  // have the right description." The softc is kept when the winner was the last one probed.
  if (bestPri < 0) yield* runMethod(best.probe(dev));
  dev.state = 'alive';
  return yield* device_attach(dev);
}

/** device_attach(9). On failure the driver is unset and its unit freed, as subr_bus.c does. */
export function* device_attach(dev: Device): Generator<Wait, number, number> {
  const drv = dev.driver;
  if (!drv || dev.state !== 'alive') return EINVAL;
  dev.tree.printf(`${dev.nameunit}: <${dev.desc || drv.name}>${dev.parent.child_location(dev)}`);
  dev.state = 'attaching';
  traceDev(dev, 'device.attach');
  const err = yield* runMethod(drv.attach(dev));
  if (err !== 0) {
    dev.tree.printf(`device_attach: ${dev.nameunit} attach returned ${err}`);
    dev.parent.child_detached(dev);
    setDriver(dev, null);
    dev.state = 'notpresent';
    return err;
  }
  dev.state = 'attached';
  traceDev(dev, 'device.attached');
  return 0;
}

/** device_detach(9). A failing detach (EBUSY) leaves the device attached and returns the errno. */
export function* device_detach(dev: Device): Generator<Wait, number, number> {
  const drv = dev.driver;
  if (!drv || dev.state !== 'attached') return 0;
  traceDev(dev, 'device.detach');
  const err = yield* runMethod(drv.detach(dev));
  if (err !== 0) {
    traceDev(dev, 'device.detach-failed', { error: errnoName(err) });
    return err;
  }
  dev.parent.child_detached(dev);
  traceDev(dev, 'device.detached');
  setDriver(dev, null);
  dev.state = 'notpresent';
  return 0;
}

/** @internal The bus destroys a child (device_delete_child after a failed or skipped detach). */
export function deleteDevice(dev: Device): void {
  setDriver(dev, null);
  dev.state = 'deleted';
  dev.tree.unregister(dev);
}

export type ConfigJob = (td: KThread) => Generator<Wait, unknown, number>;

/**
 * A kernel thread that runs newbus work (probe, attach, detach) one job at a time, in order: the
 * boot-time autoconfiguration thread, or a CardBus bridge's event thread ("cbb0").
 */
export class ConfigThread {
  private readonly queue: ConfigJob[] = [];
  private td: KThread | null = null;
  private busy = false;

  constructor(
    readonly scheduler: Scheduler,
    readonly name: string,
    readonly priority: number = Priority.Kernel,
  ) {}

  /** True while a job is queued or running. */
  get active(): boolean {
    return this.busy || this.queue.length > 0;
  }

  get thread(): KThread | null {
    return this.td;
  }

  /** Queue `job`; it runs when the thread gets a CPU. */
  enqueue(job: ConfigJob): void {
    this.queue.push(job);
    if (!this.td) {
      this.td = this.scheduler.spawn(this.name, this.priority, (td) => this.body(td));
    } else {
      this.scheduler.wakeup(this);
    }
  }

  private *body(td: KThread): Generator<Wait, void, number> {
    for (;;) {
      const job = this.queue.shift();
      if (!job) {
        yield td.msleep(this, 'config');
        continue;
      }
      this.busy = true;
      try {
        yield* job(td);
      } finally {
        this.busy = false;
      }
    }
  }
}
