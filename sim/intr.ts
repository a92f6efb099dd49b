/**
 * Interrupts: shared level-triggered INTx lines, edge-like MSI messages, filters and interrupt
 * threads, and storm detection.
 *
 * Follows FreeBSD 10's sys/kern/kern_intr.c (built without `options INTR_FILTER`):
 * - every filter on the line runs; the ithread is scheduled when some handler has no filter, or a
 *   filter returned exactly FILTER_SCHEDULE_THREAD (intr_event_handle);
 * - the ithread then runs *every* handler that has an ithread part, whichever device raised the
 *   line (intr_event_execute_handlers), with sleeping forbidden (THREAD_NO_SLEEPING);
 * - the ithread loops while the source needs service; a run count that reaches
 *   hw.intr_storm_threshold (default 1000) without the ithread going back to sleep is a storm.
 *
 * Deliberate differences, for a model that must run on simulated CPUs:
 * - filters run at the start of the ithread's step rather than in the primary interrupt context of
 *   the interrupted CPU, so their time is charged to the ithread;
 * - a storm is reported as an `interrupt-storm` violation and the line is *masked* (FreeBSD prints
 *   "interrupt storm detected" and throttles the source to one run per clock tick).
 * - the ithread's name is fixed by its first handler ("irq16: hifn0"); FreeBSD renames it as
 *   handlers are added.
 *
 * @example
 *   const intc = new InterruptController({ scheduler, violations, trace });
 *   intc.addHandler(16, dev, INTR_TYPE_MISC | INTR_MPSAFE, filter, null, sc);
 *   intc.setLevel(16, card, true, 'toy0'); // runs the filter ~2 µs later on a CPU
 */
import { KThread, Priority, Scheduler, Wait } from './cpu.js';
import { ViolationLog } from './violations.js';
import { TraceRecorder } from './trace.js';
import { Device, IntrCookie } from './newbus.js';

/** Filter return values, sys/sys/bus.h. */
export const FILTER_STRAY = 0x01;
export const FILTER_HANDLED = 0x02;
export const FILTER_SCHEDULE_THREAD = 0x04;

/** bus_setup_intr flags, sys/sys/bus.h (enum intr_type). */
export const INTR_TYPE_TTY = 1;
export const INTR_TYPE_BIO = 2;
export const INTR_TYPE_NET = 4;
export const INTR_TYPE_CAM = 8;
export const INTR_TYPE_MISC = 16;
export const INTR_TYPE_CLK = 32;
export const INTR_TYPE_AV = 64;
export const INTR_EXCL = 256;
export const INTR_MPSAFE = 512;
export const INTR_ENTROPY = 1024;

export type driver_filter_t = (arg: unknown) => number;
export type driver_intr_t = (arg: unknown) => void;

/** kern_intr.c: `static int intr_storm_threshold = 1000;` (sysctl hw.intr_storm_threshold). */
export const DEFAULT_INTR_STORM_THRESHOLD = 1000;

/**
 * Time from the line asserting to the first instruction of the filter: I/O APIC delivery, the
 * interrupt entry path and the ithread wakeup. Calibrated: a few microseconds on a 2.4 GHz x86
 * of the FreeBSD 10 era; the scheduler adds its context switch on top.
 */
export const DEFAULT_INTR_LATENCY_PS = 2_000_000;

/** First MSI IRQ number; FreeBSD/x86 numbers MSI IRQs from 256 (first_msi_irq, sys/x86/x86/msi.c). */
export const FIRST_MSI_IRQ = 256;

export interface InterruptControllerOptions {
  scheduler: Scheduler;
  violations: ViolationLog;
  trace?: TraceRecorder;
  latencyPs?: number;
  /** hw.intr_storm_threshold; 0 disables storm detection, as in FreeBSD. */
  stormThreshold?: number;
}

/** One bus_setup_intr registration (struct intr_handler); the cookie a driver holds. */
export class IntrHandler implements IntrCookie {
  torn = false;
  /** Filter calls and ithread-handler calls made. */
  filterCalls = 0;
  handlerCalls = 0;
  constructor(
    readonly irq: number,
    readonly device: Device,
    readonly flags: number,
    readonly filter: driver_filter_t | null,
    readonly handler: driver_intr_t | null,
    readonly arg: unknown,
    /**
     * False once the device is gone: a CardBus bridge wraps its children's handlers and does not
     * call them after the card is removed (sys/dev/pccbb/pccbb.c cbb_func_filter / cbb_func_intr).
     */
    readonly gate: (() => boolean) | null,
  ) {}
}

export interface IrqStats {
  irq: number;
  name: string;
  /** Times the ithread ran the handlers. */
  runs: number;
  /** Runs in which no filter claimed the interrupt and no ithread handler ran. */
  unclaimed: number;
  masked: boolean;
  handlers: number;
}

class IrqSource {
  readonly handlers: IntrHandler[] = [];
  /** Level sources currently asserting (INTx contributions). */
  readonly asserted = new Set<object>();
  edgePending = false;
  masked = false;
  td: KThread | null = null;
  name = '';
  runs = 0;
  unclaimed = 0;
  consecutive = 0;
  lastClaimed = false;
  constructor(
    readonly irq: number,
    readonly level: boolean,
  ) {}
}

export class InterruptController {
  readonly latencyPs: number;
  stormThreshold: number;
  private readonly scheduler: Scheduler;
  private readonly violations: ViolationLog;
  private readonly trace: TraceRecorder | undefined;
  private readonly sources = new Map<number, IrqSource>();
  private nextMsi = FIRST_MSI_IRQ;
  private readonly freeMsi: number[] = [];

  constructor(options: InterruptControllerOptions) {
    this.scheduler = options.scheduler;
    this.violations = options.violations;
    this.trace = options.trace;
    this.latencyPs = options.latencyPs ?? DEFAULT_INTR_LATENCY_PS;
    this.stormThreshold = options.stormThreshold ?? DEFAULT_INTR_STORM_THRESHOLD;
    if (!(Number.isInteger(this.latencyPs) && this.latencyPs >= 0)) throw new RangeError(`InterruptController: latencyPs must be an integer >= 0, got ${this.latencyPs}`);
    if (!(Number.isInteger(this.stormThreshold) && this.stormThreshold >= 0)) {
      throw new RangeError(`InterruptController: stormThreshold must be an integer >= 0, got ${this.stormThreshold}`);
    }
  }

  /** Set one source's contribution to a level-triggered line (a PCI function's INTx#). */
  setLevel(irq: number, source: object, asserted: boolean, who: string): void {
    const src = this.source(irq);
    if (!src.level) throw new Error(`irq${irq} is an MSI (edge) IRQ; setLevel is for INTx lines`);
    const was = src.asserted.has(source);
    if (was === asserted) return;
    if (asserted) src.asserted.add(source);
    else src.asserted.delete(source);
    this.note(who, asserted ? 'intr.assert' : 'intr.deassert', irq);
    if (asserted) this.kick(src);
  }

  /** Deliver a message-signalled interrupt on `irq`. Messages sent before the ithread runs coalesce. */
  sendEdge(irq: number, who: string): void {
    const src = this.source(irq);
    if (src.level) throw new Error(`irq${irq} is a level-triggered line; sendEdge is for MSI IRQs`);
    this.note(who, 'intr.msi', irq);
    src.edgePending = true;
    this.kick(src);
  }

  /** Is the line asserted (by anyone), regardless of masking? */
  isAsserted(irq: number): boolean {
    const src = this.sources.get(irq);
    return !!src && (src.level ? src.asserted.size > 0 : src.edgePending);
  }

  isMasked(irq: number): boolean {
    return this.sources.get(irq)?.masked ?? false;
  }

  /** Unmask a line masked after a storm (an operator's or a test's decision). */
  unmask(irq: number): void {
    const src = this.sources.get(irq);
    if (!src || !src.masked) return;
    src.masked = false;
    src.consecutive = 0;
    this.kick(src);
  }

  /** intr_event_add_handler. The first handler on an IRQ creates its ithread. */
  addHandler(
    irq: number,
    device: Device,
    flags: number,
    filter: driver_filter_t | null,
    handler: driver_intr_t | null,
    arg: unknown,
    gate: (() => boolean) | null = null,
  ): IntrHandler {
    if (!filter && !handler) throw new Error(`irq${irq}: ${device.nameunit} gave neither a filter nor a handler`);
    const src = this.source(irq);
    if ((flags & INTR_EXCL) !== 0 && src.handlers.length > 0) {
      throw new Error(`irq${irq}: INTR_EXCL requested by ${device.nameunit} but the line already has handlers`);
    }
    if (src.handlers.some((h) => (h.flags & INTR_EXCL) !== 0)) {
      throw new Error(`irq${irq}: held exclusively by ${src.handlers[0]!.device.nameunit}`);
    }
    const h = new IntrHandler(irq, device, flags, filter, handler, arg, gate);
    src.handlers.push(h);
    if (!src.td) {
      src.name = `irq${irq}: ${device.nameunit}`;
      src.td = this.scheduler.spawn(src.name, Priority.Interrupt, (td) => this.ithread(src, td));
    } else {
      this.kick(src);
    }
    return h;
  }

  /** intr_event_remove_handler. */
  removeHandler(h: IntrHandler): void {
    const src = this.sources.get(h.irq);
    const i = src ? src.handlers.indexOf(h) : -1;
    if (!src || i < 0) throw new Error(`irq${h.irq}: handler of ${h.device.nameunit} is not registered`);
    src.handlers.splice(i, 1);
    h.torn = true;
  }

  /** Reserve `count` MSI IRQ numbers. */
  allocMsi(count: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.freeMsi.length > 0 ? this.freeMsi.shift()! : this.nextMsi++);
    for (const irq of out) this.sources.set(irq, new IrqSource(irq, false));
    return out;
  }

  releaseMsi(irqs: readonly number[]): void {
    for (const irq of irqs) {
      const src = this.sources.get(irq);
      if (src && src.handlers.length > 0) throw new Error(`irq${irq}: cannot release an MSI IRQ with handlers still set up`);
      this.sources.delete(irq);
      this.freeMsi.push(irq);
    }
    this.freeMsi.sort((a, b) => a - b);
  }

  stats(): IrqStats[] {
    return [...this.sources.values()]
      .sort((a, b) => a.irq - b.irq)
      .map((s) => ({ irq: s.irq, name: s.name || `irq${s.irq}`, runs: s.runs, unclaimed: s.unclaimed, masked: s.masked, handlers: s.handlers.length }));
  }

  /** The ithread's name for `irq` ("irq16: hifn0"), or undefined before any handler. */
  threadName(irq: number): string | undefined {
    return this.sources.get(irq)?.td?.name;
  }

  private source(irq: number): IrqSource {
    if (!Number.isInteger(irq) || irq < 0) throw new RangeError(`irq must be an integer >= 0, got ${irq}`);
    let src = this.sources.get(irq);
    if (!src) {
      if (irq >= FIRST_MSI_IRQ) throw new Error(`irq${irq} is not an allocated MSI IRQ`);
      src = new IrqSource(irq, true);
      this.sources.set(irq, src);
    }
    return src;
  }

  private needsService(src: IrqSource): boolean {
    if (src.masked || src.handlers.length === 0) return false;
    return src.level ? src.asserted.size > 0 : src.edgePending;
  }

  private kick(src: IrqSource): void {
    if (this.needsService(src)) this.scheduler.wakeup(src);
  }

  private *ithread(src: IrqSource, td: KThread): Generator<Wait, void, number> {
    for (;;) {
      if (!this.needsService(src)) {
        src.consecutive = 0; // kern_intr.c ithread_loop: ie_count = 0 before going back to sleep
        yield td.msleep(src, 'iwait');
        continue;
      }
      this.runHandlers(src, td);
      // Let the handlers' posted writes (the acknowledgement) reach the device before resampling.
      this.scheduler.sync();
      if (!this.needsService(src)) continue;
      src.consecutive++;
      if (this.stormThreshold > 0 && src.consecutive >= this.stormThreshold) {
        this.storm(src, td.localTime);
        continue;
      }
      yield td.yieldCpu();
    }
  }

  private runHandlers(src: IrqSource, td: KThread): void {
    src.edgePending = false;
    td.charge(this.latencyPs);
    src.runs++;
    if (this.trace?.on) this.trace.record({ t: td.localTime, layer: 'intr', where: src.name, kind: 'intr.deliver', fields: { irq: src.irq } });
    let claimed = false;
    let thread = false;
    const live = src.handlers.filter((h) => !h.gate || h.gate());
    for (const h of live) {
      if (!h.filter) {
        thread = true;
        continue;
      }
      const dev = h.device.nameunit;
      h.filterCalls++;
      const ret = this.scheduler.noSleep(`interrupt filter ${dev}`, () => h.filter!(h.arg));
      // kern_intr.c KASSERT: "incorrect return value %#x from %s"
      const ok = ret === FILTER_STRAY || ((ret & (FILTER_SCHEDULE_THREAD | FILTER_HANDLED)) !== 0 && (ret & ~(FILTER_SCHEDULE_THREAD | FILTER_HANDLED)) === 0);
      if (!ok) throw new Error(`intr_event_handle: incorrect return value ${String(ret)} from the filter of ${dev} on irq${src.irq}`);
      if (ret !== FILTER_STRAY) claimed = true;
      if (ret === FILTER_SCHEDULE_THREAD) thread = true;
      if (this.trace?.on) this.trace.record({ t: td.localTime, layer: 'intr', where: dev, kind: 'intr.filter', fields: { irq: src.irq, ret } });
    }
    if (thread) {
      for (const h of live) {
        if (!h.handler || h.torn) continue;
        const dev = h.device.nameunit;
        h.handlerCalls++;
        claimed = true;
        if (this.trace?.on) this.trace.record({ t: td.localTime, layer: 'intr', where: dev, kind: 'intr.handler', fields: { irq: src.irq } });
        this.scheduler.noSleep(`interrupt handler ${dev}`, () => h.handler!(h.arg));
      }
    }
    if (!claimed) src.unclaimed++;
    src.lastClaimed = claimed;
  }

  private storm(src: IrqSource, t: number): void {
    src.masked = true;
    const devices = src.handlers.map((h) => h.device.nameunit).join(' ');
    const why = src.lastClaimed ? 'the handlers did not clear its cause' : 'no filter claimed it and no handler ran';
    this.violations.report({
      kind: 'interrupt-storm',
      t,
      device: src.handlers[0]?.device.nameunit ?? `irq${src.irq}`,
      operation: `irq${src.irq}`,
      message:
        `interrupt storm detected on "${src.name}" (handlers: ${devices}): ${src.consecutive} back-to-back runs ` +
        `(hw.intr_storm_threshold=${this.stormThreshold}) while ${why}; the line is masked ` +
        `(FreeBSD throttles it to one run per tick instead)`,
    });
  }

  private note(who: string, kind: string, irq: number): void {
    if (this.trace?.on) this.trace.record({ t: this.scheduler.localNow(), layer: 'intr', where: who, kind, fields: { irq } });
  }
}
