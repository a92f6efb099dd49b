/**
 * The edu crypto card, the silicon side (register map and descriptor in regs.ts, documented in
 * docs/devices/edu.md). Built from devices/kit like the kit's example card.
 *
 * One ring in host memory, producer/consumer style (as e1000 or NVMe queues): the driver fills
 * descriptors from TAIL on, sets OWN, and writes TAIL; the card fetches every descriptor from its
 * fetch cursor up to TAIL, works on it, writes STATUS and clears OWN, and moves HEAD over every
 * descriptor that is finished *and* has only finished ones before it.
 *
 * Pipeline (a kit Stage each): fetch → dmaIn → engine (two units) → dmaOut → writeBack → retire.
 * The two engines take a seeded random jitter on top of their compute time, so descriptors finish
 * out of order (OWN clears out of order) while HEAD still moves in ring order: a driver that
 * assumes a completion order or a completion time breaks visibly. The engine reads the key slot
 * when it starts on a request, so rewriting a slot a posted request still needs changes its result.
 *
 * Interrupts: after every COALESCE-th completion, and whenever HEAD catches up with TAIL (nothing
 * left to do), DONE is set in ISR; the line is driven while ISR has a cause and CTRL.IRQ_EN is set.
 * A descriptor between HEAD and TAIL that the card does not own, a TAIL outside the ring, a bad
 * ring configuration or a ring DMA error halts the card (ISR.ERROR, STATUS.HALTED); only RESET
 * restarts it. `haltReason` says why, for reports.
 *
 * Deliberate simplifications: one descriptor moves one contiguous buffer (no scatter/gather); the
 * key table holds AES-128 keys only.
 */
import { Prng } from '../../sim/prng.js';
import type { TraceRecorder } from '../../sim/trace.js';
import { aesCbcImpl } from '../../framework/xform/aes.js';
import { KitCard } from '../kit/card.js';
import { InterruptCoalescer } from '../kit/coalesce.js';
import { DmaEngine } from '../kit/dma.js';
import { DeviceEnv } from '../kit/env.js';
import { InterruptLine } from '../kit/irq.js';
import type { RegisterFile, RegisterSpec } from '../kit/registers.js';
import { Stage, chain } from '../kit/stage.js';
import { clockOf } from '../kit/timing.js';
import {
  AES_BLOCK, EDU_ALG_AES128_CBC, EDU_ALG_NULL, EDU_BAR_SIZE, EDU_CTRL_COALESCE_MASK, EDU_CTRL_ENABLE, EDU_CTRL_IRQ_EN,
  EDU_CTRL_RESET, EDU_DESC, EDU_DESC_SIZE, EDU_DEVICE, EDU_ID_VALUE, EDU_ISR_DONE, EDU_ISR_ERROR, EDU_KEY_BYTES, EDU_KEY_SLOTS,
  EDU_MAX_LEN, EDU_REG_CTRL, EDU_REG_IACK, EDU_REG_ID, EDU_REG_ISR, EDU_REG_KEY, EDU_REG_RING_BASE, EDU_REG_RING_HEAD,
  EDU_REG_RING_SIZE, EDU_REG_RING_TAIL, EDU_REG_STATUS, EDU_RING_ALIGN, EDU_RING_MAX, EDU_RING_MIN, EDU_STATUS_HALTED,
  EDU_STATUS_IDLE, EDU_ST_BADALG, EDU_ST_BADKEY, EDU_ST_BADLEN, EDU_ST_DMAERR, EDU_ST_OK, EDU_VENDOR, type EduDescField,
} from './regs.js';
import { EDU_TIMING as T } from './timing.js';

const CORE = clockOf('edu-core', T.coreHz);
const cycles = (n: number): number => CORE.cyclesToPs(n);
const AES = aesCbcImpl(true).impl;

/** One request on its way through the card. */
interface Job {
  index: number;
  paddr: number;
  bytes: Uint8Array;
  f: Record<EduDescField, number>;
  status: number;
  data: Uint8Array | null;
  key: Uint8Array | null;
}

export interface EduCardOptions {
  trace?: TraceRecorder;
  /** A stream of the machine's PRNG (e.g. `machine.prng.stream('edu.jitter')`): jitter and faults. */
  prng?: Prng;
  /** Largest extra engine time per request, ps, uniform (default EDU_TIMING.jitterMaxPs; 0 = none). */
  jitterPs?: number;
}

export interface EduCardStats {
  /** Descriptors completed (STATUS written, OWN cleared). */
  completed: number;
  /** Completions that did not finish in ring order (a later descriptor cleared OWN first). */
  outOfOrder: number;
  /** DONE causes raised in ISR, and interrupt-line assertions. */
  doneRaised: number;
  halts: number;
}

const REGS = ['EDU_ID', 'EDU_CTRL', 'EDU_STATUS', 'EDU_ISR', 'EDU_IACK', 'EDU_RING_BASE', 'EDU_RING_SIZE', 'EDU_RING_HEAD', 'EDU_RING_TAIL'] as const;

export class EduCard extends KitCard {
  readonly regs: RegisterFile<string>;
  readonly descDma: DmaEngine;
  readonly dataDma: DmaEngine;
  readonly irq: InterruptLine;
  readonly coalescer: InterruptCoalescer;
  readonly stages: { fetch: Stage<number>; dmaIn: Stage<Job>; engine: Stage<Job>; dmaOut: Stage<Job>; writeBack: Stage<Job> };
  readonly stats: EduCardStats = { completed: 0, outOfOrder: 0, doneRaised: 0, halts: 0 };
  /** Why the card halted, while STATUS.HALTED is set. */
  haltReason: string | null = null;
  protected readonly barFiles: readonly RegisterFile<string>[];
  private readonly jitterPs: number;
  private readonly jitter: Prng;
  private fetchIdx = 0;
  private head = 0;
  private finished: boolean[] = [];
  private inFlight = 0;
  private fetching = false;
  private halted = false;

  constructor(o: EduCardOptions = {}) {
    super(
      { vendorId: EDU_VENDOR, deviceId: EDU_DEVICE, revision: 1, classCode: 0x10, subclass: 0x80, progIf: 0, bars: [{ size: EDU_BAR_SIZE }], interruptPin: 1 },
      new DeviceEnv({ name: 'edu', ...o }),
    );
    this.jitterPs = o.jitterPs ?? T.jitterMaxPs.value;
    if (!Number.isSafeInteger(this.jitterPs) || this.jitterPs < 0) throw new RangeError(`EduCard: jitterPs must be an integer >= 0, got ${this.jitterPs}`);
    this.jitter = o.prng ?? new Prng(0, 'edu.jitter');
    const keyRegs: RegisterSpec<string>[] = [];
    for (let s = 0; s < EDU_KEY_SLOTS; s++) for (let w = 0; w < 4; w++) keyRegs.push({ name: `EDU_KEY${s}_${w}`, offset: EDU_REG_KEY(s, w), access: 'wo' });
    this.regs = this.registerFile<string>({
      name: 'BAR0',
      size: EDU_BAR_SIZE,
      registers: [
        { name: 'EDU_ID', offset: EDU_REG_ID, reset: EDU_ID_VALUE, access: 'ro' },
        {
          name: 'EDU_CTRL', offset: EDU_REG_CTRL,
          fields: [{ name: 'RESET', mask: EDU_CTRL_RESET, access: 'sc' }, { name: 'ENABLE', mask: EDU_CTRL_ENABLE, access: 'rw' },
            { name: 'IRQ_EN', mask: EDU_CTRL_IRQ_EN, access: 'rw' }, { name: 'COALESCE', mask: EDU_CTRL_COALESCE_MASK, access: 'rw' }],
          onWrite: (e) => this.ctrlWritten(e.old, e.value, e.t),
        },
        { name: 'EDU_STATUS', offset: EDU_REG_STATUS, access: 'ro', onRead: () => (this.idle ? EDU_STATUS_IDLE : 0) | (this.halted ? EDU_STATUS_HALTED : 0) },
        { name: 'EDU_ISR', offset: EDU_REG_ISR, fields: [{ name: 'DONE', mask: EDU_ISR_DONE, access: 'ro' }, { name: 'ERROR', mask: EDU_ISR_ERROR, access: 'ro' }] },
        {
          name: 'EDU_IACK', offset: EDU_REG_IACK, fields: [{ name: 'DONE', mask: EDU_ISR_DONE, access: 'pulse' }, { name: 'ERROR', mask: EDU_ISR_ERROR, access: 'pulse' }],
          onWrite: (e) => {
            this.regs.reg('EDU_ISR').clearBits(e.pulsed);
            this.updateIrq();
          },
        },
        { name: 'EDU_RING_BASE', offset: EDU_REG_RING_BASE, onWrite: () => this.ringMoved() },
        { name: 'EDU_RING_SIZE', offset: EDU_REG_RING_SIZE, onWrite: () => this.ringMoved() },
        { name: 'EDU_RING_HEAD', offset: EDU_REG_RING_HEAD, access: 'ro' },
        { name: 'EDU_RING_TAIL', offset: EDU_REG_RING_TAIL, onWrite: () => this.kick() },
        ...keyRegs,
      ],
    });
    this.barFiles = [this.regs];
    const env = this.env;
    this.descDma = new DmaEngine(env, { channel: 'desc' });
    this.dataDma = new DmaEngine(env, { channel: 'data', maxTransferBytes: T.dmaBurstBytes.value });
    this.irq = new InterruptLine(env);
    this.coalescer = new InterruptCoalescer(env, { count: 1, timeoutPs: 0, raise: () => this.raiseDone() });
    const reqOf = (j: Job) => (j.f.cookie !== 0 ? j.f.cookie : undefined);

    const fetch = new Stage<number>(env, {
      name: 'fetch',
      serve: (index, start, finish) => {
        const paddr = this.regs.get('EDU_RING_BASE') + index * EDU_DESC_SIZE;
        this.descDma.read({ paddr, len: EDU_DESC_SIZE }, start, (c) => {
          this.fetched(index, paddr, c.ok ? c.data : null, c.t + cycles(T.fetchCycles.value));
          finish(c.t + cycles(T.fetchCycles.value));
        });
      },
    });
    const dmaIn = new Stage<Job>(env, {
      name: 'dmaIn', reqOf,
      serve: (j, start, finish) => {
        if (j.status !== EDU_ST_OK) return finish(start);
        this.dataDma.read({ paddr: j.f.src, len: j.f.len }, start, (c) => {
          j.data = c.data;
          if (!c.ok) j.status = EDU_ST_DMAERR;
          finish(c.t);
        }, reqOf(j));
      },
    });
    const engine = new Stage<Job>(env, {
      name: 'engine', reqOf, servers: T.engines.value,
      latencyPs: (j) => {
        if (j.status !== EDU_ST_OK) return 0;
        if (j.f.alg === EDU_ALG_AES128_CBC) j.key = this.keySlot(j.f.key); // the slot as it is now
        const work = j.f.alg === EDU_ALG_AES128_CBC ? (j.f.len / AES_BLOCK) * T.aesCyclesPerBlock.value : Math.ceil(j.f.len / T.nullBytesPerCycle.value);
        const extra = this.jitterPs > 0 ? this.jitter.int(0, this.jitterPs) : 0;
        return cycles(T.engineSetupCycles.value + work) + extra;
      },
    });
    engine.next = (j, t) => {
      if (j.status === EDU_ST_OK && j.f.alg === EDU_ALG_AES128_CBC) {
        const iv = j.bytes.subarray(0x20, 0x30);
        if (j.f.encrypt) AES.encrypt(j.key!, iv, j.data!);
        else AES.decrypt(j.key!, iv, j.data!);
      }
      dmaOut.submit(j, t);
    };
    const dmaOut = new Stage<Job>(env, {
      name: 'dmaOut', reqOf,
      serve: (j, start, finish) => {
        if (j.status !== EDU_ST_OK) return finish(start);
        this.dataDma.write({ paddr: j.f.dst, len: j.f.len }, j.data!, start, (c) => {
          if (!c.ok) j.status = EDU_ST_DMAERR;
          finish(c.t);
        }, reqOf(j));
      },
    });
    const writeBack = new Stage<Job>(env, {
      name: 'writeBack', reqOf,
      serve: (j, start, finish) => {
        EDU_DESC.set(j.bytes, 'status', j.status);
        EDU_DESC.set(j.bytes, 'own', 0);
        // STATUS and CTL in one 8-byte write: the driver never sees OWN clear without the status.
        this.descDma.write({ paddr: j.paddr, len: 8 }, j.bytes.subarray(0, 8), start + cycles(T.writeBackCycles.value), (c) => finish(c.t), reqOf(j));
      },
      next: (j, t) => this.retire(j, t),
    });
    chain(dmaIn, engine);
    chain(dmaOut, writeBack);
    this.stages = { fetch, dmaIn, engine, dmaOut, writeBack };
    env.whenDisconnected(() => this.stopAll());
  }

  /** Nothing fetched, queued or in flight, and no DMA left on the bus (STATUS.IDLE). */
  get idle(): boolean {
    return this.inFlight === 0 && !this.fetching && this.descDma.busTransfers === 0 && this.dataDma.busTransfers === 0;
  }

  /** What key slot `slot` holds now (for tests and the lab grader; software cannot read it back). */
  keySlot(slot: number): Uint8Array {
    const out = new Uint8Array(EDU_KEY_BYTES);
    if (!Number.isInteger(slot) || slot < 0 || slot >= EDU_KEY_SLOTS) return out;
    for (let w = 0; w < 4; w++) {
      const v = this.regs.get(`EDU_KEY${slot}_${w}`);
      for (let b = 0; b < 4; b++) out[4 * w + b] = (v >>> (8 * b)) & 0xff;
    }
    return out;
  }

  private get ringSize(): number {
    return this.regs.get('EDU_RING_SIZE');
  }

  private get running(): boolean {
    const c = this.regs.get('EDU_CTRL');
    return (c & EDU_CTRL_ENABLE) !== 0 && (c & EDU_CTRL_RESET) === 0 && !this.halted;
  }

  /** RING_BASE or RING_SIZE written: the card starts over at descriptor 0. */
  private ringMoved(): void {
    this.stages.fetch.reset();
    this.fetching = false;
    this.fetchIdx = 0;
    this.head = 0;
    this.regs.set('EDU_RING_HEAD', 0);
    this.regs.set('EDU_RING_TAIL', 0);
    this.finished = [];
  }

  /** TAIL written, ENABLE set, or a request retired: fetch what lies between the cursor and TAIL. */
  private kick(): void {
    if (!this.running || this.fetching) return;
    const size = this.ringSize;
    const base = this.regs.get('EDU_RING_BASE');
    const tail = this.regs.get('EDU_RING_TAIL');
    if (size < EDU_RING_MIN || size > EDU_RING_MAX || base % EDU_RING_ALIGN !== 0) {
      return this.halt(`the ring is misconfigured (RING_SIZE ${size}, RING_BASE 0x${base.toString(16)}; the size must be ${EDU_RING_MIN}..${EDU_RING_MAX} and the base ${EDU_RING_ALIGN}-byte aligned)`);
    }
    if (tail >= size) return this.halt(`RING_TAIL was set to ${tail}, outside the ${size}-descriptor ring (write the index modulo RING_SIZE)`);
    if (this.fetchIdx === tail || this.inFlight >= T.prefetch.value) return;
    this.fetching = true;
    this.stages.fetch.submit(this.fetchIdx);
    this.fetchIdx = (this.fetchIdx + 1) % size;
  }

  private fetched(index: number, paddr: number, bytes: Uint8Array | null, t: number): void {
    this.fetching = false;
    if (!bytes) return this.halt(`the DMA read of descriptor ${index} at 0x${paddr.toString(16)} failed`);
    const f = EDU_DESC.decode(bytes);
    if (!f.own) {
      return this.halt(`descriptor ${index} (between HEAD and TAIL) is not owned by the card: OWN was 0 when it was fetched at t=${t} ps (set OWN before writing TAIL, and sync the ring)`);
    }
    let status = EDU_ST_OK;
    if (f.alg !== EDU_ALG_NULL && f.alg !== EDU_ALG_AES128_CBC) status = EDU_ST_BADALG;
    else if (f.len === 0 || f.len > EDU_MAX_LEN || (f.alg === EDU_ALG_AES128_CBC && f.len % AES_BLOCK !== 0)) status = EDU_ST_BADLEN;
    else if (f.key >= EDU_KEY_SLOTS) status = EDU_ST_BADKEY;
    this.inFlight++;
    this.env.note('desc.fetched', t, { index, alg: f.alg, len: f.len, status }, f.cookie !== 0 ? { req: f.cookie } : undefined);
    this.stages.dmaIn.submit({ index, paddr, bytes, f, status, data: null, key: null }, t);
    this.kick();
  }

  private retire(j: Job, t: number): void {
    this.inFlight--;
    this.stats.completed++;
    if (j.index !== this.head) this.stats.outOfOrder++;
    this.finished[j.index] = true;
    const size = this.ringSize;
    let moved = 0;
    while (this.finished[this.head]) {
      this.finished[this.head] = false;
      this.head = (this.head + 1) % size;
      moved++;
    }
    if (moved > 0) {
      this.regs.set('EDU_RING_HEAD', this.head);
      this.env.note('ring.head', t, { head: this.head });
      for (let i = 0; i < moved; i++) this.coalescer.complete(t);
      if (this.head === this.regs.get('EDU_RING_TAIL')) this.coalescer.flush(t);
    }
    this.kick();
  }

  private raiseDone(): void {
    this.stats.doneRaised++;
    this.regs.reg('EDU_ISR').setBits(EDU_ISR_DONE);
    this.updateIrq();
  }

  private halt(reason: string): void {
    this.halted = true;
    this.haltReason = reason;
    this.stats.halts++;
    this.env.note('edu.halt', this.env.now, { reason });
    this.regs.reg('EDU_ISR').setBits(EDU_ISR_ERROR);
    this.updateIrq();
  }

  private updateIrq(): void {
    const on = (this.regs.get('EDU_CTRL') & EDU_CTRL_IRQ_EN) !== 0 && (this.regs.get('EDU_ISR') & (EDU_ISR_DONE | EDU_ISR_ERROR)) !== 0;
    this.irq.update(on);
  }

  private ctrlWritten(old: number, value: number, t: number): void {
    if (value & EDU_CTRL_RESET && !(old & EDU_CTRL_RESET)) {
      this.stopAll();
      this.regs.reset();
      this.regs.reg('EDU_CTRL').setBits(EDU_CTRL_RESET);
      this.halted = false;
      this.haltReason = null;
      this.ringMoved();
      this.updateIrq();
      this.env.engine.schedule(t + cycles(T.resetCycles.value), () => this.regs.reg('EDU_CTRL').clearBits(EDU_CTRL_RESET));
      return;
    }
    const count = (value & EDU_CTRL_COALESCE_MASK) >>> 8;
    this.coalescer.setPolicy(Math.max(1, count), 0);
    this.updateIrq();
    if (value & EDU_CTRL_ENABLE) this.kick();
  }

  private stopAll(): void {
    for (const s of Object.values(this.stages)) s.reset();
    this.descDma.abortAll();
    this.dataDma.abortAll();
    this.coalescer.reset();
    this.inFlight = 0;
    this.fetching = false;
  }
}

/** The register names of BAR0 other than the key slots (for docs and tests). */
export const EDU_REGISTER_NAMES: readonly string[] = REGS;
