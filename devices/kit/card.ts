/**
 * The bus interface of a kit-built card: its PCI identity, its register files routed by BAR, and
 * connect/disconnect handed to its `DeviceEnv` (which tells the DMA engines, rings, stages and
 * interrupt line). The model proper — state, rings, engines, timing — lives in the subclass; this
 * class is only the part every card has in common (QEMU keeps the same split between a device's
 * state and its MemoryRegionOps).
 *
 * @example
 *   class MyCard extends KitCard {
 *     protected readonly barFiles;
 *     constructor(o: { trace?: TraceRecorder; prng?: Prng } = {}) {
 *       super(MY_IDENTITY, new DeviceEnv({ name: 'my', ...o }));
 *       this.barFiles = [this.registerFile({ name: 'BAR0', size: 0x100, registers: MY_REGS })];
 *     }
 *   }
 */
import type { BarSpec, PciDeviceModel, PciDevicePort, PciIdentity } from '../../sim/pci-config.js';
import type { DeviceEnv } from './env.js';
import { RegisterFile, type RegisterFileOptions, type UnmodelledAccess } from './registers.js';

/** What a BAR's handler must answer. A RegisterFile is one. */
export interface MmioTarget {
  read(offset: number, width: 1 | 2 | 4, t: number): number;
  write(offset: number, width: 1 | 2 | 4, value: number, t: number): void;
}

export abstract class KitCard implements PciDeviceModel {
  readonly vendorId: number;
  readonly deviceId: number;
  readonly revision: number;
  readonly classCode: number;
  readonly subclass: number;
  readonly progIf: number;
  readonly subVendorId?: number;
  readonly subDeviceId?: number;
  readonly bars: readonly BarSpec[];
  readonly interruptPin: number;
  readonly msiVectors?: number;
  /** The register file (or other handler) of each BAR, by BAR index. A missing one reports every access as unmodelled. */
  protected abstract readonly barFiles: readonly (MmioTarget | null)[];
  private readonly emptyFiles = new Map<number, RegisterFile>();

  constructor(
    identity: PciIdentity,
    readonly env: DeviceEnv,
  ) {
    this.vendorId = identity.vendorId;
    this.deviceId = identity.deviceId;
    this.revision = identity.revision;
    this.classCode = identity.classCode;
    this.subclass = identity.subclass;
    this.progIf = identity.progIf;
    if (identity.subVendorId !== undefined) this.subVendorId = identity.subVendorId;
    if (identity.subDeviceId !== undefined) this.subDeviceId = identity.subDeviceId;
    this.bars = identity.bars;
    this.interruptPin = identity.interruptPin;
    if (identity.msiVectors !== undefined) this.msiVectors = identity.msiVectors;
  }

  /** The card's name now ("xor0" once attached). */
  get name(): string {
    return this.env.name;
  }

  mmioRead(bar: number, offset: number, width: 1 | 2 | 4, t: number): number {
    return this.fileOf(bar).read(offset, width, t);
  }

  mmioWrite(bar: number, offset: number, width: 1 | 2 | 4, value: number, t: number): void {
    this.fileOf(bar).write(offset, width, value, t);
  }

  /** Every access software made to something this card does not model, per BAR (for reports). */
  get unmodelled(): (UnmodelledAccess & { bar: number; file: string })[] {
    const out: (UnmodelledAccess & { bar: number; file: string })[] = [];
    this.bars.forEach((_, bar) => {
      const f = this.barFiles[bar] ?? this.emptyFiles.get(bar);
      if (f instanceof RegisterFile) for (const u of f.unmodelled) out.push({ ...u, bar, file: f.name });
    });
    return out;
  }

  connect(port: PciDevicePort): void {
    this.env.connect(port);
  }

  disconnect(): void {
    this.env.disconnect();
  }

  /** A RegisterFile that traces unmodelled accesses under this card's name. */
  protected registerFile<N extends string>(o: Omit<RegisterFileOptions<N>, 'trace' | 'device'>): RegisterFile<N> {
    return new RegisterFile<N>({ ...o, ...(this.env.trace ? { trace: this.env.trace } : {}), device: () => this.env.name });
  }

  private fileOf(bar: number): MmioTarget {
    const f = this.barFiles[bar];
    if (f) return f;
    let empty = this.emptyFiles.get(bar);
    if (!empty) {
      const size = this.bars[bar]?.size;
      if (size === undefined) throw new RangeError(`${this.name}: no BAR${bar}`);
      empty = this.registerFile({ name: `BAR${bar}`, size, registers: [] });
      this.emptyFiles.set(bar, empty);
    }
    return empty;
  }
}
