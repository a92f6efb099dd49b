/**
 * The substrate of one simulated machine: every part of sim/ wired together and owned by one
 * object (no globals). The lab's Machine adds the framework and the cards on top of it; tests of
 * the substrate alone build one of these.
 *
 * @example
 *   const sys = new SimSystem({ seed: 1, cpus: 2 });
 *   sys.bus.addDriver(myDriver);
 *   sys.cardbus.insert(0, new MyCard());
 *   sys.run();
 */
import { EventEngine } from './engine.js';
import { ClockDomain } from './clock.js';
import { Scheduler } from './cpu.js';
import { PhysMemory } from './memory.js';
import { Prng } from './prng.js';
import { TraceRecorder } from './trace.js';
import { ViolationLog } from './violations.js';
import { Sysctl } from './sysctl.js';
import { BusDma } from './busdma.js';
import { PciBus, type PciTiming } from './pci.js';
import { DeviceTree } from './newbus.js';
import { InterruptController } from './intr.js';
import { CardBusBridge } from './hotplug.js';

export interface SimSystemOptions {
  /** Seed of the machine's PRNG (default 1). */
  seed?: number;
  cpus?: number;
  /** Host CPU clock (default 2.4 GHz). */
  cpuClock?: ClockDomain;
  /** Physical memory in bytes (default 64 MiB). */
  memoryBytes?: number;
  /** Record a trace (default off). */
  trace?: boolean;
  /** bus_dma strict checking (default on). */
  strictDma?: boolean;
  /** Hot-plug slots on the CardBus bridge (default 2). */
  slots?: number;
  /** Card-detect debounce of the bridge, ps (default 1 ms). */
  hotplugDelayPs?: number;
  pciTiming?: Partial<PciTiming>;
  /** Scheduler context switch cost, ps (default 0.3 µs). */
  contextSwitchPs?: number;
}

export class SimSystem {
  readonly engine: EventEngine;
  readonly prng: Prng;
  readonly trace: TraceRecorder;
  readonly violations: ViolationLog;
  readonly sysctls: Sysctl;
  readonly scheduler: Scheduler;
  readonly mem: PhysMemory;
  readonly busdma: BusDma;
  readonly tree: DeviceTree;
  readonly intc: InterruptController;
  readonly bus: PciBus;
  readonly cardbus: CardBusBridge;

  constructor(o: SimSystemOptions = {}) {
    this.engine = new EventEngine();
    this.prng = new Prng(o.seed ?? 1);
    this.trace = new TraceRecorder({ enabled: o.trace ?? false });
    this.violations = new ViolationLog(this.trace);
    this.sysctls = new Sysctl();
    this.scheduler = new Scheduler(this.engine, {
      cpus: o.cpus ?? 2,
      clock: o.cpuClock ?? ClockDomain.CPU2400,
      trace: this.trace,
      ...(o.contextSwitchPs !== undefined ? { contextSwitchPs: o.contextSwitchPs } : {}),
    });
    this.mem = new PhysMemory({ size: o.memoryBytes ?? 64 << 20, prng: this.prng });
    this.busdma = new BusDma({
      mem: this.mem,
      violations: this.violations,
      trace: this.trace,
      now: () => this.scheduler.localNow(),
      strict: o.strictDma ?? true,
    });
    this.tree = new DeviceTree(this.scheduler, this.trace);
    this.tree.busdma = this.busdma;
    this.intc = new InterruptController({ scheduler: this.scheduler, violations: this.violations, trace: this.trace });
    this.bus = new PciBus({
      engine: this.engine,
      scheduler: this.scheduler,
      mem: this.mem,
      violations: this.violations,
      trace: this.trace,
      dmaChecker: this.busdma,
      tree: this.tree,
      intc: this.intc,
      ...(o.pciTiming ? { timing: o.pciTiming } : {}),
    });
    this.cardbus = new CardBusBridge({
      bus: this.bus,
      slots: o.slots ?? 2,
      ...(o.hotplugDelayPs !== undefined ? { insertDelayPs: o.hotplugDelayPs, detachDelayPs: o.hotplugDelayPs } : {}),
    });
  }

  /** Simulated time now, ps. */
  get now(): number {
    return this.engine.now;
  }

  /** Run until nothing is left to do. */
  run(): void {
    this.engine.run();
  }

  /** Run until simulated time `t` (ps). */
  runUntil(t: number): void {
    this.engine.runUntil(t);
  }

  /** The kernel console (dmesg). */
  get console(): readonly { t: number; text: string }[] {
    return this.tree.console;
  }
}
