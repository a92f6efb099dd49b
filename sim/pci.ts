/**
 * The PCI kernel programming interface drivers use: pci(9) (config cycles, bus mastering, MSI) and
 * bus_space(9) / bus_read(9) on a memory resource. The bus itself is in pci-bus.ts, config space
 * and the card contract in pci-config.ts, the DMA server in pci-dma.ts; this module re-exports
 * them, so a driver or a model imports from here alone.
 *
 * Timing follows the loosely-timed model of DESIGN.md. An MMIO *read* is non-posted: it charges the
 * calling thread a bus round trip (PciTiming.mmioReadCycles) and synchronises before the card
 * answers, with the thread's local time. An MMIO *write* is posted (PCI 3.0 §3.2.5): a small CPU
 * cost, then delivery as an event at the thread's local time, so a later read (which synchronises)
 * sees it, as PCI's ordering rules promise. Configuration cycles are non-posted both ways.
 * Simplification: MMIO does not occupy the DMA server.
 *
 * Reads nobody decodes (card gone, MEMEN off, BAR moved) return all-ones, as a master abort does on
 * x86; writes nobody decodes vanish.
 *
 * @example
 *   sc.mem = bus_alloc_resource_any(dev, SYS_RES_MEMORY, PCIR_BAR(0));
 *   pci_enable_busmaster(dev);
 *   const id = bus_space_read_4(sc.mem, 0x00); // charges ~0.7 µs and synchronises
 *   bus_space_write_4(sc.mem, 0x04, 1);        // posted
 */
import { Device, Resource, SYS_RES_MEMORY } from './newbus.js';
import { PCIM_CMD_BUSMASTEREN, PCIM_CMD_MEMEN, PCIR_COMMAND } from './pci-config.js';
import { PciAccessError, PciFunction } from './pci-bus.js';

export * from './pci-config.js';
export * from './pci-bus.js';
export * from './pci-dma.js';

const ONES = [0, 0xff, 0xffff, 0, 0xffffffff] as const;

function maskTo(v: number, width: 1 | 2 | 4): number {
  return width === 4 ? v >>> 0 : v & ONES[width];
}

function checkMmio(res: Resource, offset: number, width: number, what: string): { fn: PciFunction; bar: number } {
  const fn = res.owner.ivars;
  const dev = res.owner.nameunit;
  if (!(fn instanceof PciFunction)) throw new PciAccessError(`${what}: ${dev}'s resource is not on a PCI bus`);
  if (res.type !== SYS_RES_MEMORY) throw new PciAccessError(`${what}: ${dev} resource rid 0x${res.rid.toString(16)} is not SYS_RES_MEMORY`);
  if (res.released || !res.active) throw new PciAccessError(`${what}: ${dev} BAR${res.busData} resource is ${res.released ? 'released' : 'not active'}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + width > res.count) {
    throw new PciAccessError(`${what}: offset 0x${offset.toString(16)} (width ${width}) is outside BAR${res.busData} of ${dev} (size 0x${res.count.toString(16)})`);
  }
  if (offset % width !== 0) throw new PciAccessError(`${what}: offset 0x${offset.toString(16)} of ${dev} BAR${res.busData} is not aligned to ${width} bytes`);
  return { fn, bar: res.busData };
}

/** Does the card still claim the address the resource maps? */
function decodes(fn: PciFunction, bar: number, res: Resource): boolean {
  return fn.present && (fn.config.command & PCIM_CMD_MEMEN) !== 0 && fn.config.barBase(bar) === res.start;
}

function mmioRead(res: Resource, offset: number, width: 1 | 2 | 4, what: string): number {
  const { fn, bar } = checkMmio(res, offset, width, what);
  const { scheduler, trace } = fn.bus;
  scheduler.charge(fn.bus.readLatencyPs);
  scheduler.sync();
  const t = scheduler.localNow();
  const v = decodes(fn, bar, res) ? maskTo(fn.model.mmioRead(bar, offset, width, t), width) : ONES[width];
  if (trace?.on) trace.record({ t, layer: 'bus', where: fn.name, kind: 'mmio.read', fields: { bar, offset, width, value: v } });
  return v;
}

function mmioWrite(res: Resource, offset: number, width: 1 | 2 | 4, value: number, what: string): void {
  const { fn, bar } = checkMmio(res, offset, width, what);
  if (!Number.isInteger(value)) throw new PciAccessError(`${what}: value must be an integer, got ${value}`);
  const { scheduler, trace, engine } = fn.bus;
  const v = maskTo(value, width);
  scheduler.charge(fn.bus.timing.mmioWritePs);
  const t = scheduler.localNow();
  if (trace?.on) trace.record({ t, layer: 'bus', where: fn.name, kind: 'mmio.write', fields: { bar, offset, width, value: v } });
  engine.schedule(t, () => {
    // A posted write nobody claims (card gone, decoding off) ends in a silent master abort.
    if (decodes(fn, bar, res)) fn.model.mmioWrite(bar, offset, width, v, engine.now);
  });
}


function pciFn(dev: Device, what: string): PciFunction {
  const fn = dev.ivars;
  if (!(fn instanceof PciFunction)) throw new Error(`${what}: ${dev.nameunit} is not a PCI device`);
  return fn;
}

/** pci_read_config(9): a configuration cycle (charged, synchronising). All-ones once the card is gone. */
export function pci_read_config(dev: Device, reg: number, width: 1 | 2 | 4): number {
  const fn = pciFn(dev, 'pci_read_config');
  fn.bus.scheduler.charge(fn.bus.readLatencyPs);
  fn.bus.scheduler.sync();
  return fn.present ? fn.config.read(reg, width) : ONES[width];
}
/** pci_write_config(9): non-posted in PCI (3.0 §3.2.5), so it costs a round trip too. */
export function pci_write_config(dev: Device, reg: number, value: number, width: 1 | 2 | 4): void {
  const fn = pciFn(dev, 'pci_write_config');
  fn.bus.scheduler.charge(fn.bus.readLatencyPs);
  fn.bus.scheduler.sync();
  if (!fn.present) return;
  fn.config.write(reg, maskTo(value, width), width);
  fn.bus.updateIntx(fn);
}
/** pci_enable_busmaster(9): read-modify-write of the command register. Returns 0. */
export function pci_enable_busmaster(dev: Device): number {
  const cmd = pci_read_config(dev, PCIR_COMMAND, 2);
  pci_write_config(dev, PCIR_COMMAND, cmd | PCIM_CMD_BUSMASTEREN, 2);
  return 0;
}
export function pci_disable_busmaster(dev: Device): number {
  const cmd = pci_read_config(dev, PCIR_COMMAND, 2);
  pci_write_config(dev, PCIR_COMMAND, cmd & ~PCIM_CMD_BUSMASTEREN, 2);
  return 0;
}
// The pci_get_* accessors read the ivars cached at enumeration: no bus cycle (sys/dev/pci/pcivar.h).
export const pci_get_vendor = (dev: Device): number => pciFn(dev, 'pci_get_vendor').model.vendorId;
export const pci_get_device = (dev: Device): number => pciFn(dev, 'pci_get_device').model.deviceId;
export const pci_get_revid = (dev: Device): number => pciFn(dev, 'pci_get_revid').model.revision;
export const pci_get_class = (dev: Device): number => pciFn(dev, 'pci_get_class').model.classCode;
export const pci_get_subclass = (dev: Device): number => pciFn(dev, 'pci_get_subclass').model.subclass;
export const pci_get_progif = (dev: Device): number => pciFn(dev, 'pci_get_progif').model.progIf;
export const pci_get_subvendor = (dev: Device): number => {
  const m = pciFn(dev, 'pci_get_subvendor').model;
  return m.subVendorId ?? m.vendorId;
};
export const pci_get_subdevice = (dev: Device): number => {
  const m = pciFn(dev, 'pci_get_subdevice').model;
  return m.subDeviceId ?? m.deviceId;
};
export const pci_get_slot = (dev: Device): number => pciFn(dev, 'pci_get_slot').slot;
/** pci_msi_count(9): messages the function supports (0 without an MSI capability). */
export const pci_msi_count = (dev: Device): number => pciFn(dev, 'pci_msi_count').config.msiCapable;
/** pci_alloc_msi(9): `count` is in/out, as the kernel's `int *count`. Returns 0 or an errno. */
export function pci_alloc_msi(dev: Device, count: { value: number }): number {
  return pciFn(dev, 'pci_alloc_msi').bus.allocMsi(dev, count);
}
export function pci_release_msi(dev: Device): number {
  return pciFn(dev, 'pci_release_msi').bus.releaseMsi(dev);
}

/** bus_space_read_N / bus_read_N (sys/sys/bus.h): a non-posted MMIO read. */
export const bus_space_read_1 = (res: Resource, off: number): number => mmioRead(res, off, 1, 'bus_space_read_1');
export const bus_space_read_2 = (res: Resource, off: number): number => mmioRead(res, off, 2, 'bus_space_read_2');
export const bus_space_read_4 = (res: Resource, off: number): number => mmioRead(res, off, 4, 'bus_space_read_4');
/** bus_space_write_N / bus_write_N: a posted MMIO write. */
export const bus_space_write_1 = (res: Resource, off: number, v: number): void => mmioWrite(res, off, 1, v, 'bus_space_write_1');
export const bus_space_write_2 = (res: Resource, off: number, v: number): void => mmioWrite(res, off, 2, v, 'bus_space_write_2');
export const bus_space_write_4 = (res: Resource, off: number, v: number): void => mmioWrite(res, off, 4, v, 'bus_space_write_4');
export const bus_read_1 = bus_space_read_1;
export const bus_read_2 = bus_space_read_2;
export const bus_read_4 = bus_space_read_4;
export const bus_write_1 = bus_space_write_1;
export const bus_write_2 = bus_space_write_2;
export const bus_write_4 = bus_space_write_4;

export const BUS_SPACE_BARRIER_READ = 0x01;
export const BUS_SPACE_BARRIER_WRITE = 0x02;

/**
 * bus_space_barrier(9). Posted writes already reach the card in program order and every read
 * synchronises, so on this (x86-like) machine a barrier only checks its arguments.
 */
export function bus_space_barrier(res: Resource, offset: number, length: number, flags: number): void {
  if (res.released || res.type !== SYS_RES_MEMORY) throw new PciAccessError(`bus_space_barrier: ${res.owner.nameunit} resource is not a live memory resource`);
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > res.count) {
    throw new PciAccessError(`bus_space_barrier: [0x${offset.toString(16)}, +${length}) is outside the ${res.count}-byte BAR of ${res.owner.nameunit}`);
  }
  if ((flags & ~(BUS_SPACE_BARRIER_READ | BUS_SPACE_BARRIER_WRITE)) !== 0) throw new PciAccessError(`bus_space_barrier: bad flags 0x${flags.toString(16)}`);
}
export const bus_barrier = bus_space_barrier;
