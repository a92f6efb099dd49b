/**
 * Hot-plug slots in the CardBus/PCMCIA style: cards are inserted and ejected while the machine
 * runs, and a bridge kernel thread ("cbb0") probes, attaches and detaches their drivers.
 *
 * Insertion follows cardbus_attach_card (sys/dev/cardbus/cardbus.c): the function appears in
 * config space with its BARs zeroed (they are assigned when the driver allocates them), cache line
 * size 8 and latency timer 0xA8 are set, then the device is probed and attached.
 *
 * Surprise removal follows pccbb.c and pci.c (reference hw.md §7): from the instant the card is
 * pulled, MMIO and config reads return all-ones, writes are dropped, DMA in progress stops (its
 * callback never fires; the model is told through `disconnect()`), the card's interrupts are lost,
 * and the bridge stops calling the driver's interrupt handlers (cbb_func_filter). After the
 * bridge's debounce the driver's detach runs; pci_delete_child ignores its result, so an EBUSY
 * detach has its resources taken anyway ("Resource still owned, oops.").
 *
 * Orderly ejection detaches first with the card still present; a detach that fails (EBUSY)
 * refuses the eject and the card stays attached.
 *
 * Deliberate difference: the real bridge debounces card-detect changes for about 200 ms
 * (sys/dev/pccbb/pccbb.c cbb_event_thread: loops of hz/5 sleeps until the status is quiet). The
 * default here is 1 ms, so that scenarios do not idle through 200 ms of simulated time; set
 * `detachDelayPs: 200_000_000_000` for the real figure.
 *
 * @example
 *   const cbb = new CardBusBridge({ bus, slots: 2 });
 *   cbb.insert(0, new ToyModel());          // toy0 attaches ~1 ms later
 *   cbb.eject('toy0', 'surprise', 5e9);     // pulled at 5 ms; detach runs at ~6 ms
 */
import { Priority, Wait } from './cpu.js';
import { EBUSY, ENXIO, errnoName } from './errno.js';
import { ConfigThread, Device, device_detach, device_probe_and_attach } from './newbus.js';
import { PCIR_CACHELNSZ, PCIR_LATTIMER, PciDeviceModel } from './pci-config.js';
import { PciBus, PciFunction } from './pci-bus.js';

/**
 * empty: no card. present: card in, not (yet) attached. attached: a driver owns it.
 * detaching: an orderly eject is running detach. removed: pulled, detach still to run.
 */
export type SlotState = 'empty' | 'present' | 'attached' | 'detaching' | 'removed';
export type EjectMode = 'surprise' | 'orderly';

/** The outcome of an insert or eject, filled in when the bridge thread has finished with it. */
export class SlotOperation {
  done = false;
  /** 0, or the errno: ENXIO (no such card), EBUSY (orderly eject refused), an attach error. */
  error: number | null = null;
  /** For a surprise eject: what the driver's detach returned (ignored, as pci_delete_child does). */
  detachError: number | null = null;
  completedAt = -1;
  onDone: ((op: SlotOperation) => void) | null = null;
  constructor(
    readonly kind: 'insert' | 'eject',
    readonly mode: EjectMode | null,
  ) {}
}

export class CardSlot {
  fn: PciFunction | null = null;
  /** @internal An insert is scheduled but has not happened yet. */
  pendingInsert = false;
  /** @internal An orderly eject is running the driver's detach. */
  detaching = false;
  constructor(
    readonly index: number,
    /** The PCI device number the slot's card appears at. */
    readonly pciSlot: number,
  ) {}

  get state(): SlotState {
    const fn = this.fn;
    if (!fn) return 'empty';
    if (!fn.present) return 'removed';
    if (this.detaching) return 'detaching';
    // Derived, so that a card attached later (a driver loaded after insertion) reads 'attached'.
    return fn.device.state === 'attached' ? 'attached' : 'present';
  }

  get device(): Device | null {
    return this.fn?.device ?? null;
  }

  get model(): PciDeviceModel | null {
    return this.fn?.model ?? null;
  }
}

export interface CardBusBridgeOptions {
  bus: PciBus;
  /** Number of slots (default 2, as most CardBus bridges). */
  slots?: number;
  /** PCI device number of slot 0; slot i is at firstSlot + i (default 0). */
  firstSlot?: number;
  /** Bridge name, which is also its event thread's name (default "cbb0"). */
  name?: string;
  /** Card-detect debounce before probing an inserted card, ps (default 1 ms; see the header). */
  insertDelayPs?: number;
  /** Card-detect debounce before detaching a pulled card, ps (default 1 ms; real bridge ~200 ms). */
  detachDelayPs?: number;
}

const DEFAULT_DEBOUNCE_PS = 1_000_000_000;

export class CardBusBridge {
  readonly name: string;
  readonly bus: PciBus;
  readonly slots: readonly CardSlot[];
  readonly thread: ConfigThread;
  readonly insertDelayPs: number;
  readonly detachDelayPs: number;

  constructor(o: CardBusBridgeOptions) {
    this.bus = o.bus;
    this.name = o.name ?? 'cbb0';
    const n = o.slots ?? 2;
    const first = o.firstSlot ?? 0;
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(first) || first < 0 || first + n > o.bus.slotCount) {
      throw new RangeError(`${this.name}: slots ${first}..${first + n - 1} do not fit on ${o.bus.name} (${o.bus.slotCount} slots)`);
    }
    this.slots = Array.from({ length: n }, (_, i) => new CardSlot(i, first + i));
    this.insertDelayPs = checkDelay(this.name, 'insertDelayPs', o.insertDelayPs ?? DEFAULT_DEBOUNCE_PS);
    this.detachDelayPs = checkDelay(this.name, 'detachDelayPs', o.detachDelayPs ?? DEFAULT_DEBOUNCE_PS);
    this.thread = new ConfigThread(o.bus.scheduler, this.name, Priority.Kernel);
  }

  /** Insert `model` into slot `index` at time `at` (default now). */
  insert(index: number, model: PciDeviceModel, at = this.bus.engine.now): SlotOperation {
    const slot = this.slots[index];
    if (!slot) throw new RangeError(`${this.name}: no slot ${index} (slots 0..${this.slots.length - 1})`);
    if (slot.state !== 'empty' || slot.pendingInsert) throw new Error(`${this.name}: slot ${index} is not empty (${slot.pendingInsert ? 'insert pending' : slot.state})`);
    const op = new SlotOperation('insert', null);
    slot.pendingInsert = true;
    this.bus.engine.schedule(checkTime(this.name, at), () => {
      slot.pendingInsert = false;
      const fn = this.bus.addCard(model, slot.pciSlot, { firmware: false, attach: false });
      // cardbus_attach_card: cache line size 8 dwords, latency timer 0xA8.
      fn.config.write(PCIR_CACHELNSZ, 8, 1);
      fn.config.write(PCIR_LATTIMER, 0xa8, 1);
      slot.fn = fn;
      this.note('hotplug.insert', slot.index, fn.selector);
      this.bus.engine.scheduleIn(this.insertDelayPs, () => this.thread.enqueue(() => this.attachCard(slot, fn, op)));
    });
    return op;
  }

  /**
   * Eject the card in slot `target` (an index) or the card whose device is `target` ("hifn0"), at
   * time `at` (default now). The name is looked up when the eject happens.
   */
  eject(target: number | string, mode: EjectMode = 'surprise', at = this.bus.engine.now): SlotOperation {
    if (mode !== 'surprise' && mode !== 'orderly') throw new RangeError(`${this.name}: eject mode must be 'surprise' or 'orderly', got ${String(mode)}`);
    if (typeof target === 'number' && !this.slots[target]) throw new RangeError(`${this.name}: no slot ${target}`);
    const op = new SlotOperation('eject', mode);
    this.bus.engine.schedule(checkTime(this.name, at), () => {
      const slot = typeof target === 'number' ? this.slots[target]! : this.slots.find((s) => s.fn?.device.nameunit === target);
      if (!slot || !slot.fn || slot.state === 'removed') return this.finish(op, ENXIO);
      if (mode === 'surprise') this.pull(slot, op);
      else if (slot.detaching) this.finish(op, EBUSY);
      else this.orderly(slot, op);
    });
    return op;
  }

  /** The slot holding the device called `nameunit`. */
  slotOf(nameunit: string): CardSlot | undefined {
    return this.slots.find((s) => s.fn?.device.nameunit === nameunit);
  }

  private pull(slot: CardSlot, op: SlotOperation): void {
    const fn = slot.fn!;
    this.note('hotplug.pulled', slot.index, fn.name);
    this.bus.surpriseRemove(fn);
    // cbb_event_thread debounces, then cbb_removal -> cardbus_detach_card -> pci_delete_child.
    this.bus.engine.scheduleIn(this.detachDelayPs, () => this.thread.enqueue(() => this.removeCard(slot, fn, op)));
  }

  private orderly(slot: CardSlot, op: SlotOperation): void {
    const fn = slot.fn!;
    slot.detaching = true;
    this.note('hotplug.eject', slot.index, fn.name);
    this.thread.enqueue(() => this.detachForEject(slot, fn, op));
  }

  /** Bridge thread: probe and attach a newly inserted card. */
  private *attachCard(slot: CardSlot, fn: PciFunction, op: SlotOperation): Generator<Wait, void, number> {
    if (slot.fn !== fn || !fn.present) return this.finish(op, ENXIO);
    this.finish(op, yield* device_probe_and_attach(fn.device));
  }

  /** Bridge thread, after a surprise removal: detach, then delete the device whatever detach said. */
  private *removeCard(slot: CardSlot, fn: PciFunction, op: SlotOperation): Generator<Wait, void, number> {
    const dev = fn.device;
    const name = dev.nameunit;
    if (dev.state !== 'deleted') {
      const err = yield* device_detach(dev);
      op.detachError = err;
      if (err !== 0) {
        this.bus.tree.printf(`${name}: detach returned ${errnoName(err)} but the card is gone; deleting the device anyway (pci_delete_child ignores it)`);
      }
      this.bus.deleteChild(fn);
    }
    if (slot.fn === fn) slot.fn = null;
    this.note('hotplug.removed', slot.index, name);
    this.finish(op, 0);
  }

  /** Bridge thread, orderly eject: detach with the card present; a refusal keeps the card. */
  private *detachForEject(slot: CardSlot, fn: PciFunction, op: SlotOperation): Generator<Wait, void, number> {
    const dev = fn.device;
    const name = dev.nameunit;
    const err = fn.present ? yield* device_detach(dev) : 0;
    slot.detaching = false;
    // Pulled before or during our detach: the surprise path deletes the device.
    if (!fn.present) return this.finish(op, err);
    if (err !== 0) {
      this.bus.tree.printf(`${this.name}: ${name} detach returned ${errnoName(err)}; eject refused, the card stays in slot ${slot.index}`);
      return this.finish(op, err);
    }
    this.bus.deleteChild(fn); // powers the slot off; the model hears disconnect()
    slot.fn = null;
    this.note('hotplug.removed', slot.index, name);
    this.finish(op, 0);
  }

  private finish(op: SlotOperation, err: number): void {
    op.done = true;
    op.error = err;
    op.completedAt = this.bus.scheduler.localNow();
    op.onDone?.(op);
  }

  private note(kind: string, slot: number, device: string): void {
    const tr = this.bus.trace;
    if (tr?.on) tr.record({ t: this.bus.scheduler.localNow(), layer: 'bus', where: this.name, kind, fields: { slot, device } });
  }
}

function checkDelay(name: string, what: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name}: ${what} must be an integer number of ps >= 0, got ${v}`);
  return v;
}

function checkTime(name: string, at: number): number {
  if (!Number.isSafeInteger(at) || at < 0) throw new RangeError(`${name}: time must be an integer number of ps >= 0, got ${at}`);
  return at;
}
