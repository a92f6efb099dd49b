/**
 * What every part of a kit-built card shares: its side of the bus (the `PciDevicePort` it gets in
 * `connect`), the event engine behind it, its name for traces, its fault injector, and the list
 * of parts to tell when the card is pulled.
 *
 * The port arrives only when the card is put in a slot, so the parts (register files, DMA engine,
 * rings, stages) are built first with the environment and reach the engine through it later.
 *
 * @example
 *   const env = new DeviceEnv({ name: 'xor', trace: machine.trace, prng: machine.prng.stream('xor.faults') });
 *   const dma = new DmaEngine(env, { channel: 'data' });
 *   // PciDeviceModel.connect(port) { env.connect(port); }
 */
import type { EventEngine } from '../../sim/engine.js';
import type { PciDevicePort } from '../../sim/pci-config.js';
import type { Prng } from '../../sim/prng.js';
import type { TraceFieldValue, TraceRecorder } from '../../sim/trace.js';
import { FaultInjector } from './faults.js';

export interface DeviceEnvOptions {
  /** Name used before the card is in a slot ("xor"); afterwards the port's name ("xor0"). */
  name: string;
  trace?: TraceRecorder;
  /** A stream of the machine's PRNG for fault injection (e.g. `prng.stream('hifn0.faults')`). */
  prng?: Prng;
}

export class DeviceEnv {
  readonly trace: TraceRecorder | undefined;
  readonly faults: FaultInjector;
  private readonly fallbackName: string;
  private currentPort: PciDevicePort | null = null;
  private lastEngine: EventEngine | null = null;
  private readonly onDisconnect: (() => void)[] = [];
  private readonly onConnect: ((port: PciDevicePort) => void)[] = [];

  constructor(o: DeviceEnvOptions) {
    this.fallbackName = o.name;
    this.trace = o.trace;
    this.faults = new FaultInjector({ ...(o.prng ? { prng: o.prng } : {}), ...(o.trace ? { trace: o.trace } : {}), name: () => this.name });
  }

  /** The card is in a slot. Call from `PciDeviceModel.connect`. */
  connect(port: PciDevicePort): void {
    this.currentPort = port;
    this.lastEngine = port.engine;
    for (const f of this.onConnect) f(port);
  }

  /** The card lost power or was pulled. Call from `PciDeviceModel.disconnect`. */
  disconnect(): void {
    if (!this.currentPort) return;
    this.currentPort = null;
    for (const f of this.onDisconnect) f();
  }

  /** Register a part's reaction to the card being pulled (drop in-flight work). */
  whenDisconnected(f: () => void): void {
    this.onDisconnect.push(f);
  }

  whenConnected(f: (port: PciDevicePort) => void): void {
    this.onConnect.push(f);
  }

  get connected(): boolean {
    return this.currentPort !== null;
  }

  /** The bus port; throws while the card is not in a slot. */
  get port(): PciDevicePort {
    if (!this.currentPort) throw new Error(`${this.name}: the card is not connected to a bus`);
    return this.currentPort;
  }

  /** The port, or null when not connected (parts that must do nothing then). */
  get portOrNull(): PciDevicePort | null {
    return this.currentPort;
  }

  /** The machine's event engine (still available after a disconnect, for events already due). */
  get engine(): EventEngine {
    if (!this.lastEngine) throw new Error(`${this.name}: the card was never connected to a bus; no event engine yet`);
    return this.lastEngine;
  }

  get now(): number {
    return this.engine.now;
  }

  get name(): string {
    return this.currentPort?.name ?? this.fallbackName;
  }

  /** Record a device-layer trace event (no-op with tracing off). */
  note(kind: string, t: number, fields?: Record<string, TraceFieldValue>, extra?: { req?: number; dur?: number }): void {
    const tr = this.trace;
    if (!tr?.on) return;
    tr.record({
      t, layer: 'device', where: this.name, kind,
      ...(extra?.req !== undefined ? { req: extra.req } : {}),
      ...(extra?.dur !== undefined ? { dur: extra.dur } : {}),
      ...(fields ? { fields } : {}),
    });
  }
}
