/**
 * Fault injection for card models: the hooks a model (and the kit's DMA engine, rings, stages and
 * interrupt line) consult at the moments a real part could fail.
 *
 * Four kinds, each grounded in a driver behaviour of reference hw.md §11:
 * - `dma-error`: a bus-master transfer touching an address range fails (a PCI target or master
 *   abort: Hifn *_ABORT in DMA_CSR, ubsec DMAERR, safe PE_ERROR). No bytes move.
 * - `stuck-engine`: a pipeline stage stops finishing work (Hifn 795x PK with a bad reciprocal,
 *   glxsb "op never completes"); only a reset of the stage frees it.
 * - `drop-interrupt`: one raise of the card's interrupt never reaches the host (what the Hifn
 *   driver's C_WAIT guard interrupt exists for).
 * - `corrupt-descriptor`: the bytes of one descriptor fetch arrive damaged.
 *
 * A fault is armed with a trigger: a time window (`from`, `until`, in simulated ps, which is how a
 * scenario's timeline schedules a fault) and a `probability` per opportunity, drawn from the
 * injector's own seeded PRNG stream. The stream is drawn from only when an armed fault matches an
 * opportunity, so arming nothing never perturbs a run, and the same seed always fails the same
 * request. Every firing is logged (`fired`) and traced as `fault.<kind>`.
 *
 * @example
 *   const faults = new FaultInjector({ prng: machine.prng.stream('hifn0.faults'), name: () => 'hifn0' });
 *   faults.arm({ kind: 'dma-error', op: 'read', range: { paddr: buf.paddr, len: 64 }, from: 5e9 });
 *   faults.arm({ kind: 'drop-interrupt', probability: 0.01 });
 */
import type { Prng } from '../../sim/prng.js';
import type { TraceRecorder } from '../../sim/trace.js';

export type FaultKind = 'dma-error' | 'stuck-engine' | 'drop-interrupt' | 'corrupt-descriptor';

/** When an armed fault may fire. */
export interface FaultTrigger {
  /** Armed from this simulated time on, ps (default 0). A scenario's timeline sets this. */
  from?: number;
  /** Disarmed after this time, ps (default never). */
  until?: number;
  /** Chance of firing at each matching opportunity, from the seeded stream (default 1). */
  probability?: number;
  /** Firings before the fault disarms itself (default 1 when probability is 1, else unlimited). */
  count?: number;
}

export type FaultSpec =
  | ({
      kind: 'dma-error';
      /** Only transfers in this direction ('read' = the card reads host memory). Default both. */
      op?: 'read' | 'write';
      /** Only transfers overlapping these bytes. Default any address. */
      range?: { paddr: number; len: number };
      /** Only this DMA engine (its `channel` name). Default any. */
      channel?: string;
    } & FaultTrigger)
  | ({ kind: 'stuck-engine'; /** Only this stage (by name). Default any. */ stage?: string } & FaultTrigger)
  | ({ kind: 'drop-interrupt'; /** Only this interrupt line (by name). Default any. */ line?: string } & FaultTrigger)
  | ({
      kind: 'corrupt-descriptor';
      /** Only this ring (by name). Default any. */
      ring?: string;
      /** Byte of the descriptor to damage (default: drawn from the stream). */
      byteOffset?: number;
      /** Bits to flip in that byte (default: one bit drawn from the stream). */
      xorMask?: number;
    } & FaultTrigger);

/** One firing, for tests and reports. */
export interface FiredFault {
  kind: FaultKind;
  t: number;
  /** Where it hit: a DMA channel, a stage, an interrupt line, a ring. */
  target: string;
  /** The address involved (DMA transfer, descriptor), when there is one. */
  address?: number;
  detail?: string;
}

/** A fault as armed: how often it fired; `disarm()` withdraws it. */
export class ArmedFault {
  fired = 0;
  active = true;
  constructor(readonly spec: Readonly<FaultSpec>) {}
  disarm(): void {
    this.active = false;
  }
}

export interface FaultInjectorOptions {
  /** A stream of the machine's PRNG, used for probabilities and random damage. */
  prng?: Prng;
  trace?: TraceRecorder;
  /** The device's current name, for the trace ("hifn0"). */
  name?: () => string;
}

export class FaultInjector {
  readonly fired: FiredFault[] = [];
  private readonly armed: ArmedFault[] = [];
  private readonly prng: Prng | undefined;
  private readonly trace: TraceRecorder | undefined;
  private readonly name: () => string;

  constructor(o: FaultInjectorOptions = {}) {
    this.prng = o.prng;
    this.trace = o.trace;
    this.name = o.name ?? (() => 'device');
  }

  /** Arm a fault. Probabilities below 1 need a PRNG stream. */
  arm(spec: FaultSpec): ArmedFault {
    const p = spec.probability ?? 1;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`FaultInjector.arm: probability must be in [0, 1], got ${p}`);
    if (p < 1 && !this.prng) throw new Error('FaultInjector.arm: a probability below 1 needs an injector built with a prng stream');
    for (const k of ['from', 'until', 'count'] as const) {
      const v = spec[k];
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`FaultInjector.arm: ${k} must be an integer >= 0, got ${v}`);
    }
    if (spec.kind === 'dma-error' && spec.range && !(spec.range.len > 0)) throw new RangeError('FaultInjector.arm: a dma-error range needs len > 0');
    const a = new ArmedFault({ ...spec });
    this.armed.push(a);
    return a;
  }

  /** Withdraw every armed fault. */
  disarmAll(): void {
    for (const a of this.armed) a.active = false;
    this.armed.length = 0;
  }

  /** Is anything armed? (Hot paths may skip building a query when not.) */
  get any(): boolean {
    return this.armed.length > 0;
  }

  /** Consulted before each bus transfer. True: the transfer fails. */
  dmaError(channel: string, op: 'read' | 'write', paddr: number, len: number, t: number): boolean {
    const a = this.match('dma-error', t, (s) =>
      (s.op === undefined || s.op === op) &&
      (s.channel === undefined || s.channel === channel) &&
      (s.range === undefined || (paddr < s.range.paddr + s.range.len && s.range.paddr < paddr + Math.max(len, 1))),
    );
    if (!a) return false;
    this.record({ kind: 'dma-error', t, target: channel, address: paddr, detail: `${op} of ${len} bytes` });
    return true;
  }

  /** Consulted when a stage would finish an item. True: the stage is stuck from now on. */
  stuck(stage: string, t: number): boolean {
    const a = this.match('stuck-engine', t, (s) => s.stage === undefined || s.stage === stage);
    if (!a) return false;
    this.record({ kind: 'stuck-engine', t, target: stage });
    return true;
  }

  /** Consulted at each raise of an interrupt. True: this raise is lost. */
  dropInterrupt(line: string, t: number): boolean {
    const a = this.match('drop-interrupt', t, (s) => s.line === undefined || s.line === line);
    if (!a) return false;
    this.record({ kind: 'drop-interrupt', t, target: line });
    return true;
  }

  /** Consulted after each descriptor fetch; damages `bytes` in place when it fires. */
  corruptDescriptor(ring: string, paddr: number, bytes: Uint8Array, t: number): boolean {
    if (bytes.length === 0) return false;
    const a = this.match('corrupt-descriptor', t, (s) => s.ring === undefined || s.ring === ring);
    if (!a) return false;
    const s = a.spec as Extract<FaultSpec, { kind: 'corrupt-descriptor' }>;
    const off = s.byteOffset ?? (this.prng ? this.prng.int(0, bytes.length - 1) : 0);
    const mask = (s.xorMask ?? (this.prng ? 1 << this.prng.int(0, 7) : 0x01)) & 0xff;
    if (off < 0 || off >= bytes.length) throw new RangeError(`corrupt-descriptor: byteOffset ${off} is outside the ${bytes.length}-byte descriptor of ring ${ring}`);
    bytes[off] = bytes[off]! ^ mask;
    this.record({ kind: 'corrupt-descriptor', t, target: ring, address: paddr, detail: `byte ${off} ^= 0x${mask.toString(16)}` });
    return true;
  }

  private match<K extends FaultKind>(kind: K, t: number, fits: (s: Extract<FaultSpec, { kind: K }>) => boolean): ArmedFault | null {
    if (this.armed.length === 0) return null;
    for (const a of this.armed) {
      const s = a.spec;
      if (!a.active || s.kind !== kind) continue;
      if (t < (s.from ?? 0) || (s.until !== undefined && t > s.until)) continue;
      if (!fits(s as Extract<FaultSpec, { kind: K }>)) continue;
      const p = s.probability ?? 1;
      if (p < 1 && !this.prng!.chance(p)) continue;
      a.fired++;
      const limit = s.count ?? (p < 1 ? Infinity : 1);
      if (a.fired >= limit) {
        a.active = false;
        this.armed.splice(this.armed.indexOf(a), 1);
      }
      return a;
    }
    return null;
  }

  private record(f: FiredFault): void {
    this.fired.push(f);
    if (this.trace?.on) {
      this.trace.record({
        t: f.t, layer: 'device', where: this.name(), kind: `fault.${f.kind}`,
        fields: { target: f.target, ...(f.address !== undefined ? { address: f.address } : {}), ...(f.detail ? { detail: f.detail } : {}) },
      });
    }
  }
}
