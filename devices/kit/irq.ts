/**
 * A card's interrupt output: a level-triggered INTx# line (asserted while the card has an enabled
 * cause), plus an MSI message on each rising edge for cards with an MSI capability. The bus
 * delivers whichever the OS enabled (sim/pci-bus.ts: INTx is ignored while MSI is on, an MSI
 * without MSI enabled is dropped), so a model just reports its level.
 *
 * Fault hook: each rising edge is offered to `drop-interrupt` (faults.ts). A dropped raise leaves
 * the line low although the card has a cause; the next `update(true)` (a later completion, say)
 * tries again. That is the lost interrupt a driver's watchdog or guard interrupt must survive.
 *
 * @example
 *   const irq = new InterruptLine(env, { msi: true });
 *   const updateIrq = () => irq.update((regs.get('STATUS') & regs.get('IER')) !== 0);
 */
import type { DeviceEnv } from './env.js';

export interface InterruptLineOptions {
  /** Names the line in traces and fault specs (default "intr"). */
  name?: string;
  /** Also send MSI message `msiVector` on each rising edge (default false). */
  msi?: boolean;
  msiVector?: number;
}

export interface InterruptLineStats {
  raises: number;
  dropped: number;
}

export class InterruptLine {
  readonly name: string;
  readonly stats: InterruptLineStats = { raises: 0, dropped: 0 };
  private driven = false;
  private readonly msi: boolean;
  private readonly vector: number;

  constructor(
    readonly env: DeviceEnv,
    o: InterruptLineOptions = {},
  ) {
    this.name = o.name ?? 'intr';
    this.msi = o.msi ?? false;
    this.vector = o.msiVector ?? 0;
    env.whenDisconnected(() => {
      this.driven = false;
    });
  }

  /** Is the card driving the line now? */
  get asserted(): boolean {
    return this.driven;
  }

  /** The card's interrupt condition changed (or may have): drive the line to `cause`. */
  update(cause: boolean): void {
    const port = this.env.portOrNull;
    if (!port) return;
    if (!cause) {
      if (!this.driven) return;
      this.driven = false;
      port.setIrq(false);
      return;
    }
    if (this.driven) return;
    const t = this.env.now;
    const faults = this.env.faults;
    if (faults.any && faults.dropInterrupt(this.name, t)) {
      this.stats.dropped++;
      return;
    }
    this.driven = true;
    this.stats.raises++;
    this.env.note('irq.raise', t, { line: this.name });
    port.setIrq(true);
    if (this.msi) port.sendMsi(this.vector);
  }
}
