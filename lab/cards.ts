/**
 * A machine's cards by model name: place them in the CardBus slots at boot, insert and eject them
 * at simulated times, and look at the ones attached (their rings, their fault injectors). Models
 * come from the card registry (devices/registry.ts), which every device folder registers with;
 * a family's driver is loaded into the machine the first time one of its cards is inserted, as
 * `kldload hifn` would be.
 *
 * @example
 *   const m = new Machine({ seed: 1, slots: 2, cards: [{ slot: 0, card: 'hifn7956' }] });
 *   m.eject('hifn0', 'surprise', m.now + 5e9);   // pulled 5 ms from now
 *   m.insert(0, 'hifn7956', m.now + 20e9);        // back at 20 ms; hifn0 attaches ~1 ms later
 */
import { cardModelNames, findCardFamily, findCardModel, type CardFamily, type RingUse } from '../devices/index.js';
import type { FaultInjector } from '../devices/kit/faults.js';
import { SlotOperation, type EjectMode } from '../sim/hotplug.js';
import type { Device } from '../sim/newbus.js';
import type { PciDeviceModel } from '../sim/pci-config.js';
import type { SimSystem } from '../sim/system.js';
import type { CryptoFramework } from '../framework/crypto.js';

/** A card to put in a slot when the machine is built. */
export interface CardPlacement {
  slot: number;
  /** A registered model name ("hifn7956"). */
  card: string;
}

/** An attached card as the lab sees it. */
export interface AttachedCard {
  /** The device's name ("hifn0"). */
  name: string;
  slot: number;
  family: CardFamily;
  model: PciDeviceModel;
  device: Device;
}

type Host = SimSystem & { readonly crypto: CryptoFramework };

export class MachineCards {
  private readonly loaded = new Set<string>();
  private readonly families = new Map<PciDeviceModel, CardFamily>();
  private inserts = 0;
  private readonly listeners: ((what: string, t: number) => void)[] = [];
  /** The operations of the cards placed at boot (done once they are attached). */
  readonly boot: SlotOperation[] = [];

  constructor(
    private readonly host: Host,
    placements: readonly CardPlacement[] = [],
  ) {
    for (const p of placements) this.boot.push(this.insert(p.slot, p.card, 0));
  }

  /** Insert a new card of model `card` into slot `slot` at time `at` (ps, default now). */
  insert(slot: number, card: string, at = this.host.now): SlotOperation {
    const found = findCardModel(card);
    if (!found) throw new RangeError(`unknown card "${card}" (known: ${cardModelNames().join(', ')})`);
    const { family, model } = found;
    if (!this.loaded.has(family.family)) {
      this.host.bus.addDriver(family.driver({ crypto: this.host.crypto, prng: this.host.prng }));
      this.loaded.add(family.family);
    }
    const instance = model.create({ trace: this.host.trace, prng: this.host.prng.stream(`card${this.inserts++}.${card}`) });
    this.families.set(instance, family);
    if (at <= this.host.now) return this.watch(this.host.cardbus.insert(slot, instance, at), slot);
    // The bridge checks the slot when asked, so a later insert is asked for at its time.
    const op = new SlotOperation('insert', null);
    this.host.engine.schedule(at, () => {
      const real = this.watch(this.host.cardbus.insert(slot, instance, at), slot);
      const prev = real.onDone;
      real.onDone = (r) => {
        prev?.(r);
        Object.assign(op, { done: true, error: r.error, completedAt: r.completedAt });
        op.onDone?.(op);
      };
    });
    return op;
  }

  /** Call `fn` with "hifn0 attached" / "hifn0 detached" whenever a card comes or goes. */
  onChange(fn: (what: string, t: number) => void): void {
    this.listeners.push(fn);
  }

  private watch(op: SlotOperation, slot: number | string): SlotOperation {
    const before = typeof slot === 'string' ? slot : this.host.cardbus.slots[slot]?.device?.nameunit;
    const prev = op.onDone;
    op.onDone = (r) => {
      prev?.(r);
      if (r.error !== 0) return;
      const name = op.kind === 'insert' ? this.host.cardbus.slots[slot as number]?.device?.nameunit : before;
      if (name) for (const l of this.listeners) l(`${name} ${op.kind === 'insert' ? 'attached' : 'detached'}`, r.completedAt);
    };
    return op;
  }

  /** Eject the card called `target` ("hifn0") or the card in slot `target`, at `at` (ps, default now). */
  eject(target: string | number, mode: EjectMode = 'surprise', at = this.host.now): SlotOperation {
    const name = typeof target === 'string' ? target : this.host.cardbus.slots[target]?.device?.nameunit;
    return this.watch(this.host.cardbus.eject(target, mode, at), name ?? target);
  }

  /** The cards attached now, in slot order. */
  attached(): AttachedCard[] {
    const out: AttachedCard[] = [];
    for (const s of this.host.cardbus.slots) {
      const dev = s.device;
      const model = s.model;
      if (!dev || !model || s.state !== 'attached') continue;
      const family = this.families.get(model) ?? (dev.name ? findCardFamily(dev.name) : undefined);
      if (family) out.push({ name: dev.nameunit, slot: s.index, family, model, device: dev });
    }
    return out;
  }

  /** Ring use of every attached card whose family reports it, by device name. */
  rings(): Record<string, Readonly<Record<string, RingUse>>> {
    const out: Record<string, Readonly<Record<string, RingUse>>> = {};
    for (const c of this.attached()) {
      const r = c.family.rings?.(c.device);
      if (r) out[c.name] = r;
    }
    return out;
  }

  /** The fault injector of the attached card `name`, or null. */
  faults(name: string): FaultInjector | null {
    const c = this.attached().find((a) => a.name === name);
    return c?.family.faults?.(c.model) ?? null;
  }
}
