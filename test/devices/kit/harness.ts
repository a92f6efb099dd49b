/**
 * A bench for the kit's parts: a bare card (no driver) in slot 3 of a real SimSystem, with bus
 * mastering on, so every DMA of the parts under test goes through the PCI port, the shared bus
 * server and (when `strict`) bus_dma's checker.
 */
import { SimSystem } from '../../../sim/system.js';
import { PCIM_CMD_BUSMASTEREN, PCIR_COMMAND, type PciFunction } from '../../../sim/pci.js';
import { KitCard, type MmioTarget } from '../../../devices/kit/card.js';
import { DeviceEnv } from '../../../devices/kit/env.js';

export class BenchCard extends KitCard {
  protected barFiles: (MmioTarget | null)[] = [];
  constructor(env: DeviceEnv) {
    super({ vendorId: 0x1af4, deviceId: 0x7fff, revision: 0, classCode: 0xff, subclass: 0, progIf: 0, bars: [{ size: 0x1000 }], interruptPin: 1 }, env);
  }
  setBar(i: number, f: MmioTarget | null): void {
    this.barFiles[i] = f;
  }
}

export interface Bench {
  sys: SimSystem;
  env: DeviceEnv;
  card: BenchCard;
  fn: PciFunction;
}

export function bench(o: { strict?: boolean; seed?: number; trace?: boolean } = {}): Bench {
  const sys = new SimSystem({ seed: o.seed ?? 1, trace: o.trace ?? true, strictDma: o.strict ?? false });
  const env = new DeviceEnv({ name: 'bench', trace: sys.trace, prng: sys.prng.stream('bench.faults') });
  const card = new BenchCard(env);
  const fn = sys.bus.addCard(card, 3, { attach: false });
  fn.config.write(PCIR_COMMAND, fn.config.command | PCIM_CMD_BUSMASTEREN, 2);
  return { sys, env, card, fn };
}

/** Bus clock period of the default machine (33⅓ MHz PCI), ps. */
export const PCI_CYCLE_PS = 30_000;
