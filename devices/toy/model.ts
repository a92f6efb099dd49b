/**
 * The toy bus-master card's silicon: a register file behind BAR0, a DMA-in → invert → DMA-out
 * engine, and a level-triggered interrupt. Timing: the PCI bus model times both DMA legs; the
 * engine itself takes one 100 MHz cycle per 4 bytes (a made-up part: "calibrated" to nothing).
 */
import type { BarSpec, PciDeviceModel, PciDevicePort } from '../../sim/pci.js';
import { ClockDomain } from '../../sim/clock.js';
import {
  TOY_BAR_SIZE,
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
  TOY_STATUS_BUSY,
  TOY_STATUS_DONE,
  TOY_STATUS_ERROR,
  TOY_VENDOR,
} from './regs.js';

const ENGINE_CLOCK = new ClockDomain('toy-core', 100_000_000);

export class ToyDmaCard implements PciDeviceModel {
  readonly vendorId = TOY_VENDOR;
  readonly deviceId = TOY_DEVICE;
  readonly revision = 1;
  readonly classCode = 0xff;
  readonly subclass = 0;
  readonly progIf = 0;
  readonly bars: BarSpec[] = [{ size: TOY_BAR_SIZE }];
  readonly interruptPin = 1;
  private port: PciDevicePort | null = null;
  private ctrl = 0;
  private status = 0;
  private src = 0;
  private dst = 0;
  private len = 0;
  /** Transfers the engine finished (for the demo's report). */
  completed = 0;

  connect(port: PciDevicePort): void {
    this.port = port;
  }

  disconnect(): void {
    // Surprise removal: whatever was in flight is simply gone.
    this.port = null;
  }

  mmioRead(_bar: number, offset: number): number {
    switch (offset) {
      case TOY_REG_ID:
        return TOY_ID;
      case TOY_REG_CTRL:
        return this.ctrl;
      case TOY_REG_STATUS:
        return this.status;
      case TOY_REG_SRC:
        return this.src;
      case TOY_REG_DST:
        return this.dst;
      case TOY_REG_LEN:
        return this.len;
      default:
        return 0;
    }
  }

  mmioWrite(_bar: number, offset: number, _width: number, value: number, t: number): void {
    switch (offset) {
      case TOY_REG_CTRL:
        this.ctrl = value & TOY_CTRL_IRQ_EN;
        if (value & TOY_CTRL_START) this.start(t);
        this.updateIrq();
        break;
      case TOY_REG_STATUS:
        this.status &= ~(value & (TOY_STATUS_DONE | TOY_STATUS_ERROR));
        this.updateIrq();
        break;
      case TOY_REG_SRC:
        this.src = value >>> 0;
        break;
      case TOY_REG_DST:
        this.dst = value >>> 0;
        break;
      case TOY_REG_LEN:
        this.len = value >>> 0;
        break;
      default:
        break;
    }
  }

  private start(t: number): void {
    const port = this.port;
    if (!port || this.status & TOY_STATUS_BUSY) return;
    if (this.len === 0 || this.len > TOY_MAX_LEN) {
      this.finish(TOY_STATUS_ERROR);
      return;
    }
    this.status |= TOY_STATUS_BUSY;
    const dst = this.dst;
    port.dmaRead(this.src, this.len, t, (data, t1) => {
      if (!data) return this.finish(TOY_STATUS_ERROR);
      for (let i = 0; i < data.length; i++) data[i] = ~data[i]! & 0xff;
      const t2 = t1 + ENGINE_CLOCK.cyclesToPs(Math.ceil(data.length / 4));
      port.dmaWrite(dst, data, t2, (ok) => this.finish(ok ? TOY_STATUS_DONE : TOY_STATUS_ERROR));
    });
  }

  private finish(bits: number): void {
    this.status = (this.status & ~TOY_STATUS_BUSY) | bits;
    if (bits & TOY_STATUS_DONE) this.completed++;
    this.updateIrq();
  }

  private updateIrq(): void {
    const pending = (this.status & (TOY_STATUS_DONE | TOY_STATUS_ERROR)) !== 0;
    this.port?.setIrq(pending && (this.ctrl & TOY_CTRL_IRQ_EN) !== 0);
  }
}
