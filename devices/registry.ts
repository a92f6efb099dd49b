/**
 * The card registry: every device folder registers its card family here (its driver and one
 * factory per model), so that the lab can place cards by model name — `hifn7751`, `hifn7956` —
 * without knowing any family in particular. `devices/index.ts` imports each folder's
 * registration; a new card family is a new folder plus one import line there.
 *
 * This is static configuration (which models exist), not simulation state: a machine's cards live
 * in the machine.
 *
 * @example
 *   registerCardFamily({
 *     family: 'toy', description: 'the toy bus-master card',
 *     driver: () => toyDmaDriver(),
 *     models: { toy: { description: 'toy DMA card', create: () => new ToyDmaCard() } },
 *   });
 *   const { family, model } = findCardModel('toy')!;
 */
import type { CryptoFramework } from '../framework/crypto.js';
import type { CryptoBackend } from '../framework/xform/backend.js';
import type { Device, driver_t } from '../sim/newbus.js';
import type { PciDeviceModel } from '../sim/pci-config.js';
import type { Prng } from '../sim/prng.js';
import type { TraceRecorder } from '../sim/trace.js';
import type { FaultInjector } from './kit/faults.js';

/** What a driver factory may need from the machine it is loaded into. */
export interface DriverContext {
  crypto: CryptoFramework;
  /** The machine's root PRNG: take a named stream (`prng.stream('hifn.iv')`), never the root. */
  prng: Prng;
}

/** What a card factory may need from the machine the card is made for. */
export interface CardContext {
  trace: TraceRecorder;
  /** A stream of the machine's PRNG for this one card (fault injection, RNG, unlock seed). */
  prng: Prng;
  /** The machine's crypto backend, when the model computes crypto in software. */
  backend?: CryptoBackend;
}

export interface CardModelEntry {
  /** One line for listings ("Hifn 7956: AES, 3DES, ARC4, MD5/SHA1 HMAC, public-key unit"). */
  description: string;
  create(ctx: CardContext): PciDeviceModel;
}

/** How full one descriptor ring is, as the driver sees it. */
export interface RingUse {
  used: number;
  size: number;
}

export interface CardFamily {
  /** The family and its driver's name ("hifn"). */
  family: string;
  description: string;
  /** The driver_t for this family; loaded once per machine. */
  driver(ctx: DriverContext): driver_t<any>;
  /** The models, by the name scenarios use ("hifn7956"). */
  models: Readonly<Record<string, CardModelEntry>>;
  /** The driver's descriptor rings of an attached device, for ring-occupancy reports. */
  rings?(dev: Device): Readonly<Record<string, RingUse>> | null;
  /** The fault injector of a card of this family, for timeline fault events. */
  faults?(model: PciDeviceModel): FaultInjector | null;
}

const families = new Map<string, CardFamily>();
const models = new Map<string, { family: CardFamily; model: CardModelEntry }>();

/** Add a card family. A model name may belong to one family only. */
export function registerCardFamily(f: CardFamily): void {
  const known = families.get(f.family);
  if (known === f) return;
  if (known) throw new Error(`card family "${f.family}" is already registered`);
  for (const name of Object.keys(f.models)) {
    const other = models.get(name);
    if (other) throw new Error(`card model "${name}" of family "${f.family}" is already registered by "${other.family.family}"`);
  }
  families.set(f.family, f);
  for (const [name, model] of Object.entries(f.models)) models.set(name, { family: f, model });
}

/** The family and entry of a model name, or undefined. */
export function findCardModel(name: string): { family: CardFamily; model: CardModelEntry } | undefined {
  return models.get(name);
}

/** The family of a driver name ("hifn"), or undefined. */
export function findCardFamily(family: string): CardFamily | undefined {
  return families.get(family);
}

/** Every registered model name, sorted. */
export function cardModelNames(): string[] {
  return [...models.keys()].sort();
}

/** Every registered family, in registration order. */
export function cardFamilies(): CardFamily[] {
  return [...families.values()];
}
