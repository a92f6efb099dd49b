/**
 * PCI configuration space of one function: the 256-byte type-0 header with memory BARs and an
 * MSI capability.
 *
 * Layout: PCI Local Bus Specification 3.0 §6.1 (header), §6.2.2 (command), §6.2.3 (status),
 * §6.2.5.1 (BAR size probing: write all-ones, read back, the zero low bits give the size),
 * §6.8.1 (MSI capability, 32-bit address form). Register names follow FreeBSD's
 * sys/dev/pci/pcireg.h.
 *
 * Every byte has a write mask and a write-one-to-clear mask, so a BAR sizes itself: its writable
 * bits are exactly ~(size - 1) above the four type bits.
 *
 * Also here: the contract between a card model and the bus (`PciDeviceModel`, `PciDevicePort`).
 *
 * @example
 *   const cfg = new PciConfigSpace({ vendorId: 0x1234, deviceId: 1, ..., bars: [{ size: 4096 }] });
 *   cfg.write(PCIR_BAR(0), 0xffffffff, 4);
 *   cfg.read(PCIR_BAR(0), 4); // 0xfffff000
 */
import type { EventEngine } from './engine.js';
import type { ClockDomain } from './clock.js';

export const PCIR_VENDOR = 0x00;
export const PCIR_DEVICE = 0x02;
export const PCIR_COMMAND = 0x04;
export const PCIR_STATUS = 0x06;
export const PCIR_REVID = 0x08;
export const PCIR_PROGIF = 0x09;
export const PCIR_SUBCLASS = 0x0a;
export const PCIR_CLASS = 0x0b;
export const PCIR_CACHELNSZ = 0x0c;
export const PCIR_LATTIMER = 0x0d;
export const PCIR_HDRTYPE = 0x0e;
export const PCIR_BIST = 0x0f;
export const PCIR_BARS = 0x10;
export const PCIR_CIS = 0x28;
export const PCIR_SUBVEND_0 = 0x2c;
export const PCIR_SUBDEV_0 = 0x2e;
export const PCIR_BIOS = 0x30;
export const PCIR_CAP_PTR = 0x34;
export const PCIR_INTLINE = 0x3c;
export const PCIR_INTPIN = 0x3d;
export const PCIR_MINGNT = 0x3e;
export const PCIR_MAXLAT = 0x3f;
export const PCI_MAXBARS = 6;

/** Config offset of BAR n (0..5). */
export function PCIR_BAR(n: number): number {
  return PCIR_BARS + 4 * n;
}

export const PCIM_CMD_PORTEN = 0x0001;
export const PCIM_CMD_MEMEN = 0x0002;
export const PCIM_CMD_BUSMASTEREN = 0x0004;
export const PCIM_CMD_PERRESPEN = 0x0040;
export const PCIM_CMD_SERRESPEN = 0x0100;
export const PCIM_CMD_INTxDIS = 0x0400;

export const PCIM_STATUS_INTxSTATE = 0x0008;
export const PCIM_STATUS_CAPPRESENT = 0x0010;
export const PCIM_STATUS_MDPERR = 0x0100;
export const PCIM_STATUS_STABORT = 0x0800;
export const PCIM_STATUS_RTABORT = 0x1000;
export const PCIM_STATUS_RMABORT = 0x2000;
export const PCIM_STATUS_SERR = 0x4000;
export const PCIM_STATUS_PERR = 0x8000;

/** Memory BAR type bits (bit 0 = 0 memory, bits 2:1 = 00 32-bit, bit 3 prefetchable). */
export const PCIM_BAR_MEM_PREFETCH = 0x8;
export const PCIM_BAR_MEM_BASE = 0xfffffff0;

export const PCIY_MSI = 0x05;
/** Offsets inside the MSI capability. */
export const PCIR_MSI_CTRL = 0x2;
export const PCIR_MSI_ADDR = 0x4;
export const PCIR_MSI_DATA = 0x8;
export const PCIM_MSICTRL_MSI_ENABLE = 0x0001;
export const PCIM_MSICTRL_MMC_MASK = 0x000e;
export const PCIM_MSICTRL_MME_MASK = 0x0070;
export const PCIM_MSICTRL_64BIT = 0x0080;

/** Where the MSI capability sits; 0x40 is the first byte after the header. */
const MSI_CAP_OFFSET = 0x50;

/** A memory BAR: 32-bit, power-of-two size. */
export interface BarSpec {
  size: number;
  prefetchable?: boolean;
}

/** What a function reports about itself in config space. */
export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  revision: number;
  classCode: number;
  subclass: number;
  progIf: number;
  subVendorId?: number;
  subDeviceId?: number;
  bars: readonly BarSpec[];
  /** 0 = no INTx, 1..4 = INTA#..INTD#. */
  interruptPin: number;
  /** MSI messages the function can send (power of two, 1..32); absent or 0 = no MSI capability. */
  msiVectors?: number;
}

export class PciConfigError extends Error {
  override name = 'PciConfigError';
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function checkU(what: string, v: number, bits: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new PciConfigError(`${what} must be a ${bits}-bit unsigned integer, got ${v}`);
}

export class PciConfigSpace {
  readonly bytes = new Uint8Array(256);
  private readonly wmask = new Uint8Array(256);
  private readonly w1cmask = new Uint8Array(256);
  /** Offset of the MSI capability, or 0. */
  readonly msiCap: number;
  readonly barSizes: readonly number[];

  constructor(id: PciIdentity) {
    checkU('vendorId', id.vendorId, 16);
    if (id.vendorId === 0xffff) throw new PciConfigError('vendorId 0xffff is reserved: it is what an empty slot reads');
    checkU('deviceId', id.deviceId, 16);
    checkU('revision', id.revision, 8);
    checkU('classCode', id.classCode, 8);
    checkU('subclass', id.subclass, 8);
    checkU('progIf', id.progIf, 8);
    if (id.bars.length > PCI_MAXBARS) throw new PciConfigError(`a type-0 header has at most ${PCI_MAXBARS} BARs, got ${id.bars.length}`);
    if (!Number.isInteger(id.interruptPin) || id.interruptPin < 0 || id.interruptPin > 4) {
      throw new PciConfigError(`interruptPin must be 0..4, got ${id.interruptPin}`);
    }
    const msi = id.msiVectors ?? 0;
    if (msi !== 0 && !(isPow2(msi) && msi <= 32)) throw new PciConfigError(`msiVectors must be 0 or a power of two up to 32, got ${msi}`);
    this.barSizes = id.bars.map((b, i) => {
      // §6.2.5.1: memory BARs claim at least 16 bytes; a 32-bit BAR at most 2 GiB.
      if (!isPow2(b.size) || b.size < 16 || b.size > 2 ** 31) {
        throw new PciConfigError(`BAR${i} size must be a power of two from 16 bytes to 2 GiB, got ${b.size}`);
      }
      return b.size;
    });

    this.set16(PCIR_VENDOR, id.vendorId);
    this.set16(PCIR_DEVICE, id.deviceId);
    this.bytes[PCIR_REVID] = id.revision;
    this.bytes[PCIR_PROGIF] = id.progIf;
    this.bytes[PCIR_SUBCLASS] = id.subclass;
    this.bytes[PCIR_CLASS] = id.classCode;
    this.set16(PCIR_SUBVEND_0, id.subVendorId ?? id.vendorId);
    this.set16(PCIR_SUBDEV_0, id.subDeviceId ?? id.deviceId);
    this.bytes[PCIR_INTPIN] = id.interruptPin;

    this.setMask16(this.wmask, PCIR_COMMAND, PCIM_CMD_PORTEN | PCIM_CMD_MEMEN | PCIM_CMD_BUSMASTEREN | PCIM_CMD_PERRESPEN | PCIM_CMD_SERRESPEN | PCIM_CMD_INTxDIS);
    this.setMask16(this.w1cmask, PCIR_STATUS, PCIM_STATUS_MDPERR | PCIM_STATUS_STABORT | PCIM_STATUS_RTABORT | PCIM_STATUS_RMABORT | PCIM_STATUS_SERR | PCIM_STATUS_PERR);
    this.wmask[PCIR_CACHELNSZ] = 0xff;
    this.wmask[PCIR_LATTIMER] = 0xff;
    this.wmask[PCIR_INTLINE] = 0xff;
    id.bars.forEach((b, i) => {
      this.setMask32(this.wmask, PCIR_BAR(i), (~(b.size - 1) & PCIM_BAR_MEM_BASE) >>> 0);
      if (b.prefetchable) this.bytes[PCIR_BAR(i)] = PCIM_BAR_MEM_PREFETCH;
    });

    if (msi > 0) {
      const c = MSI_CAP_OFFSET;
      this.msiCap = c;
      this.bytes[PCIR_CAP_PTR] = c;
      this.set16(PCIR_STATUS, PCIM_STATUS_CAPPRESENT);
      this.bytes[c] = PCIY_MSI;
      this.bytes[c + 1] = 0; // end of the capability list
      this.set16(c + PCIR_MSI_CTRL, (Math.log2(msi) << 1) & PCIM_MSICTRL_MMC_MASK);
      this.setMask16(this.wmask, c + PCIR_MSI_CTRL, PCIM_MSICTRL_MSI_ENABLE | PCIM_MSICTRL_MME_MASK);
      this.setMask32(this.wmask, c + PCIR_MSI_ADDR, 0xfffffffc);
      this.setMask16(this.wmask, c + PCIR_MSI_DATA, 0xffff);
    } else {
      this.msiCap = 0;
    }
  }

  /** A configuration read of 1, 2 or 4 bytes at a naturally aligned offset. */
  read(reg: number, width: number): number {
    this.check('read', reg, width);
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.bytes[reg + i]!;
    return v;
  }

  /** A configuration write: read-only bits keep their value, RW1C bits clear where a 1 is written. */
  write(reg: number, value: number, width: number): void {
    this.check('write', reg, width);
    checkU(`pci config write of width ${width}`, value, width * 8);
    for (let i = 0; i < width; i++) {
      const a = reg + i;
      const b = Math.floor(value / 2 ** (8 * i)) & 0xff;
      const m = this.wmask[a]!;
      const c = this.w1cmask[a]!;
      const old = this.bytes[a]!;
      this.bytes[a] = ((old & ~m & ~(b & c)) | (b & m)) & 0xff;
    }
  }

  get command(): number {
    return this.read(PCIR_COMMAND, 2);
  }

  get status(): number {
    return this.read(PCIR_STATUS, 2);
  }

  /** Hardware side: set or clear a status bit (INTx state, received master abort). */
  setStatus(bits: number, on: boolean): void {
    const s = this.status;
    this.set16(PCIR_STATUS, on ? s | bits : s & ~bits);
  }

  /** Base address programmed in BAR n (type bits stripped). */
  barBase(n: number): number {
    return (this.read(PCIR_BAR(n), 4) & PCIM_BAR_MEM_BASE) >>> 0;
  }

  /** Bus side (firmware, bus_alloc_resource): program BAR n. */
  setBarBase(n: number, base: number): void {
    const size = this.barSizes[n];
    if (size === undefined) throw new PciConfigError(`BAR${n} is not implemented`);
    if (base % size !== 0) throw new PciConfigError(`BAR${n} base 0x${base.toString(16)} is not aligned to its size 0x${size.toString(16)}`);
    const typeBits = this.bytes[PCIR_BAR(n)]! & 0xf;
    this.set32(PCIR_BAR(n), (base | typeBits) >>> 0);
  }

  /** Messages the function can send (from the MMC field), 0 without MSI. */
  get msiCapable(): number {
    return this.msiCap ? 1 << ((this.read(this.msiCap + PCIR_MSI_CTRL, 2) & PCIM_MSICTRL_MMC_MASK) >> 1) : 0;
  }

  get msiEnabled(): boolean {
    return this.msiCap !== 0 && (this.read(this.msiCap + PCIR_MSI_CTRL, 2) & PCIM_MSICTRL_MSI_ENABLE) !== 0;
  }

  /** Messages the OS enabled (the MME field). */
  get msiEnabledCount(): number {
    return this.msiCap ? 1 << ((this.read(this.msiCap + PCIR_MSI_CTRL, 2) & PCIM_MSICTRL_MME_MASK) >> 4) : 0;
  }

  private check(what: string, reg: number, width: number): void {
    if (width !== 1 && width !== 2 && width !== 4) throw new PciConfigError(`pci config ${what}: width must be 1, 2 or 4, got ${width}`);
    if (!Number.isInteger(reg) || reg < 0 || reg + width > 256) {
      throw new PciConfigError(`pci config ${what}: register 0x${reg.toString(16)} (width ${width}) is outside the 256-byte header`);
    }
    if (reg % width !== 0) throw new PciConfigError(`pci config ${what}: register 0x${reg.toString(16)} is not aligned to width ${width}`);
  }

  private set16(reg: number, v: number): void {
    this.bytes[reg] = v & 0xff;
    this.bytes[reg + 1] = (v >>> 8) & 0xff;
  }

  private set32(reg: number, v: number): void {
    for (let i = 0; i < 4; i++) this.bytes[reg + i] = (v >>> (8 * i)) & 0xff;
  }

  private setMask16(mask: Uint8Array, reg: number, v: number): void {
    mask[reg] = v & 0xff;
    mask[reg + 1] = (v >>> 8) & 0xff;
  }

  private setMask32(mask: Uint8Array, reg: number, v: number): void {
    for (let i = 0; i < 4; i++) mask[reg + i] = (v >>> (8 * i)) & 0xff;
  }
}

/** What the silicon of a card implements; registers are the model's business. */
export interface PciDeviceModel extends PciIdentity {
  /** A register read: `width` bytes at `offset` in BAR `bar`, at simulated time `t`. */
  mmioRead(bar: number, offset: number, width: 1 | 2 | 4, t: number): number;
  mmioWrite(bar: number, offset: number, width: 1 | 2 | 4, value: number, t: number): void;
  /** The card is in a slot: this is its side of the bus. */
  connect(port: PciDevicePort): void;
  /** The card lost power or was pulled: pending DMA callbacks will never fire. */
  disconnect?(): void;
}

/** The card's view of the bus: bus-master DMA and interrupt pins. */
export interface PciDevicePort {
  /** The attached device's name ("hifn0"), or the PCI selector ("pci0:0:3:0") before attach. */
  readonly name: string;
  readonly engine: EventEngine;
  readonly clock: ClockDomain;
  /** Read host memory. `onDone(null)` = aborted (bus mastering off, master abort). */
  dmaRead(paddr: number, len: number, startAt: number, onDone: (data: Uint8Array | null, t: number) => void): void;
  /** Write host memory; `data` is copied when the request is made. */
  dmaWrite(paddr: number, data: Uint8Array, startAt: number, onDone: (ok: boolean, t: number) => void): void;
  /** Bus time a transfer would take once it has the bus (no queueing), ps. */
  dmaDurationPs(paddr: number, len: number): number;
  /** Drive INTx# (level: stays asserted until the card clears its cause). */
  setIrq(asserted: boolean): void;
  /** Send MSI message `vector` (0 .. enabled count - 1). */
  sendMsi(vector: number): void;
}
