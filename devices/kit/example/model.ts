/**
 * The kit's example card, the silicon side: a one-ring XOR/memcpy engine built entirely from
 * devices/kit (register map in regs.ts). Each request is a descriptor in host memory; the card
 * fetches it by DMA, reads the source by DMA, XORs it with a 32-bit key (or copies it), writes
 * the destination by DMA, clears VALID in the descriptor, and raises DONE through the coalescer.
 *
 * Pipeline (a Stage each): fetch → dmaIn → compute → dmaOut → writeBack → (coalescer, interrupt).
 * Up to `prefetch` descriptors are in the pipeline at once, so one request's compute overlaps the
 * next one's DMA-in. A request that fails (bad descriptor, DMA error) still passes through every
 * stage, in zero time, so completions stay in ring order; its descriptor comes back with ERR.
 *
 * Every constant is in XOR_TIMING. The part is made up, so every source says so.
 */
import type { Prng } from '../../../sim/prng.js';
import type { TraceRecorder } from '../../../sim/trace.js';
import { KitCard } from '../card.js';
import { InterruptCoalescer } from '../coalesce.js';
import { DmaEngine } from '../dma.js';
import { DeviceEnv } from '../env.js';
import { InterruptLine } from '../irq.js';
import type { RegisterFile } from '../registers.js';
import { DescriptorRing, type FetchResult, type FetchedDescriptor } from '../ring.js';
import { Stage, chain } from '../stage.js';
import { clockOf, defineTiming } from '../timing.js';
import {
  XOR_BAR_SIZE, XOR_CTRL_RESET, XOR_CTRL_RUN, XOR_DESC, XOR_DEVICE, XOR_ID_VALUE, XOR_MAX_LEN, XOR_OP_COPY, XOR_OP_XOR,
  XOR_REG_COALESCE, XOR_REG_CTRL, XOR_REG_DONE_COUNT, XOR_REG_DOORBELL, XOR_REG_ID, XOR_REG_IER, XOR_REG_RING_BASE,
  XOR_REG_STATUS, XOR_STATUS_DONE, XOR_STATUS_ERROR, XOR_STATUS_IDLE, XOR_VENDOR, type XorDescField,
} from './regs.js';

export const XOR_TIMING = defineTiming({
  coreHz: { value: 100_000_000, unit: 'Hz', source: 'made up for the example: a 100 MHz core' },
  fetchCycles: { value: 4, unit: 'cycles', source: 'made up: parsing a descriptor after its fetch' },
  computeSetupCycles: { value: 16, unit: 'cycles', source: 'made up: per-request engine setup' },
  bytesPerCycle: { value: 4, unit: 'bytes/cycle', source: 'made up: a 32-bit datapath' },
  writeBackCycles: { value: 2, unit: 'cycles', source: 'made up: building the status word' },
  resetCycles: { value: 100, unit: 'cycles', source: 'made up: CTRL.RESET clears itself 1 µs after it is set' },
  dmaBurstBytes: { value: 128, unit: 'bytes', source: 'made up: the card re-arbitrates every 128 bytes' },
  prefetch: { value: 4, unit: 'descriptors', source: 'made up: descriptors in the pipeline at once' },
});

const CORE = clockOf('xor-core', XOR_TIMING.coreHz);
const cycles = (n: number): number => CORE.cyclesToPs(n);

/** One request on its way through the pipeline. */
interface Job {
  desc: FetchedDescriptor<XorDescField>;
  len: number;
  data: Uint8Array | null;
  error: boolean;
}

type RegName = 'XOR_ID' | 'XOR_CTRL' | 'XOR_STATUS' | 'XOR_IER' | 'XOR_RING_BASE' | 'XOR_DOORBELL' | 'XOR_COALESCE' | 'XOR_DONE_COUNT';

export interface XorEngineOptions {
  trace?: TraceRecorder;
  /** A stream of the machine's PRNG, for fault injection. */
  prng?: Prng;
}

export class XorEngineCard extends KitCard {
  readonly regs: RegisterFile<RegName>;
  readonly ring: DescriptorRing<XorDescField>;
  readonly descDma: DmaEngine;
  readonly dataDma: DmaEngine;
  readonly irq: InterruptLine;
  readonly coalescer: InterruptCoalescer;
  readonly stages: { fetch: Stage<null>; dmaIn: Stage<Job>; compute: Stage<Job>; dmaOut: Stage<Job>; writeBack: Stage<Job> };
  /** Requests completed (for reports and tests). */
  completed = 0;
  protected readonly barFiles: readonly RegisterFile<RegName>[];
  private inFlight = 0;
  private fetchPending = false;
  private rescan = false;

  constructor(o: XorEngineOptions = {}) {
    super(
      { vendorId: XOR_VENDOR, deviceId: XOR_DEVICE, revision: 1, classCode: 0x0b, subclass: 0x40, progIf: 0, bars: [{ size: XOR_BAR_SIZE }], interruptPin: 1 },
      new DeviceEnv({ name: 'xor', ...o }),
    );
    const env = this.env;
    this.regs = this.registerFile<RegName>({
      name: 'BAR0',
      size: XOR_BAR_SIZE,
      registers: [
        { name: 'XOR_ID', offset: XOR_REG_ID, reset: XOR_ID_VALUE, access: 'ro' },
        { name: 'XOR_CTRL', offset: XOR_REG_CTRL, fields: [{ name: 'RESET', mask: XOR_CTRL_RESET, access: 'sc' }, { name: 'RUN', mask: XOR_CTRL_RUN, access: 'rw' }], onWrite: (e) => this.ctrlWritten(e.old, e.value, e.t) },
        { name: 'XOR_STATUS', offset: XOR_REG_STATUS, fields: [{ name: 'DONE', mask: XOR_STATUS_DONE, access: 'w1c' }, { name: 'ERROR', mask: XOR_STATUS_ERROR, access: 'w1c' }, { name: 'IDLE', mask: XOR_STATUS_IDLE, access: 'ro' }], onRead: (e) => e.reg.value | (this.idle ? XOR_STATUS_IDLE : 0), onWrite: () => this.updateIrq() },
        { name: 'XOR_IER', offset: XOR_REG_IER, fields: [{ name: 'DONE', mask: XOR_STATUS_DONE, access: 'rw' }, { name: 'ERROR', mask: XOR_STATUS_ERROR, access: 'rw' }], onWrite: () => this.updateIrq() },
        { name: 'XOR_RING_BASE', offset: XOR_REG_RING_BASE, fields: [{ name: 'BASE', mask: 0xfffffff0, access: 'rw' }], onWrite: (e) => this.setRingBase(e.value) },
        { name: 'XOR_DOORBELL', offset: XOR_REG_DOORBELL, access: 'pulse', onWrite: (e) => e.pulsed && this.kick() },
        { name: 'XOR_COALESCE', offset: XOR_REG_COALESCE, reset: 1, fields: [{ name: 'COUNT', mask: 0xff, access: 'rw' }, { name: 'TIMEOUT_US', mask: 0xffff00, access: 'rw' }], onWrite: (e) => this.coalescer.setPolicy(Math.max(1, e.reg.field('COUNT')), e.reg.field('TIMEOUT_US') * 1_000_000) },
        { name: 'XOR_DONE_COUNT', offset: XOR_REG_DONE_COUNT, access: 'rc' },
      ],
    });
    this.barFiles = [this.regs];
    this.descDma = new DmaEngine(env, { channel: 'desc' });
    this.dataDma = new DmaEngine(env, { channel: 'data', maxTransferBytes: XOR_TIMING.dmaBurstBytes.value });
    this.ring = new DescriptorRing(env, { name: 'ring', layout: XOR_DESC, dma: this.descDma, owner: 'valid', jump: { flag: 'jump', target: 'dst', release: true } });
    this.irq = new InterruptLine(env);
    this.coalescer = new InterruptCoalescer(env, { count: 1, timeoutPs: 0, raise: () => this.raiseDone() });

    const T = XOR_TIMING;
    const fetch = new Stage<null>(env, {
      name: 'fetch',
      serve: (_, start, finish) => this.ring.fetch(start, (r) => {
        this.fetched(r);
        finish(r.t + cycles(T.fetchCycles.value));
      }),
    });
    const dmaIn = new Stage<Job>(env, {
      name: 'dmaIn',
      serve: (j, start, finish) => {
        if (j.error) return finish(start);
        this.dataDma.read({ paddr: j.desc.fields.src, len: j.len }, start, (c) => {
          j.data = c.data;
          j.error = !c.ok;
          finish(c.t);
        });
      },
    });
    const compute = new Stage<Job>(env, {
      name: 'compute',
      latencyPs: (j) => (j.error ? 0 : cycles(T.computeSetupCycles.value + Math.ceil(j.len / T.bytesPerCycle.value))),
    });
    compute.next = (j, t) => {
      if (!j.error && j.desc.fields.op === XOR_OP_XOR) xorWithKey(j.data!, j.desc.fields.key);
      dmaOut.submit(j, t);
    };
    const dmaOut = new Stage<Job>(env, {
      name: 'dmaOut',
      serve: (j, start, finish) => {
        if (j.error) return finish(start);
        this.dataDma.write({ paddr: j.desc.fields.dst, len: j.len }, j.data!, start, (c) => {
          j.error = !c.ok;
          finish(c.t);
        });
      },
    });
    const writeBack = new Stage<Job>(env, {
      name: 'writeBack',
      serve: (j, start, finish) => this.ring.release(j.desc, { err: j.error ? 1 : 0 }, start + cycles(T.writeBackCycles.value), (_ok, t) => finish(t)),
      next: (j, t) => this.retire(j, t),
    });
    chain(dmaIn, compute);
    chain(dmaOut, writeBack);
    this.stages = { fetch, dmaIn, compute, dmaOut, writeBack };
    env.whenDisconnected(() => this.stopAll());
  }

  /** Nothing fetched, queued or in flight, and no transfer left on the bus (STATUS.IDLE). */
  get idle(): boolean {
    return this.inFlight === 0 && !this.fetchPending && this.descDma.busTransfers === 0 && this.dataDma.busTransfers === 0;
  }

  private get running(): boolean {
    const c = this.regs.get('XOR_CTRL');
    return (c & XOR_CTRL_RUN) !== 0 && (c & XOR_CTRL_RESET) === 0;
  }

  /** Software moved the ring: a fetch in flight is forgotten and the card starts at the new base. */
  private setRingBase(paddr: number): void {
    this.stages.fetch.reset();
    this.fetchPending = false;
    this.ring.setBase(paddr);
  }

  /** DOORBELL, or RUN set: look at the ring. */
  private kick(): void {
    if (!this.running) return;
    if (this.fetchPending) {
      this.rescan = true; // the fetch in flight may have read the descriptor before the host wrote it
      return;
    }
    if (this.inFlight >= XOR_TIMING.prefetch.value) return; // retire() fetches again
    this.fetchPending = true;
    this.rescan = false;
    this.stages.fetch.submit(null);
  }

  private fetched(r: FetchResult<XorDescField>): void {
    this.fetchPending = false;
    if (r.kind === 'descriptor') {
      const f = r.fields;
      const bad = f.len === 0 || f.len > XOR_MAX_LEN || (f.op !== XOR_OP_COPY && f.op !== XOR_OP_XOR);
      this.inFlight++;
      this.stages.dmaIn.submit({ desc: r, len: f.len, data: null, error: bad }, r.t + cycles(XOR_TIMING.fetchCycles.value));
      this.kick();
    } else if (r.kind === 'empty') {
      if (this.rescan) this.kick();
    } else {
      // The ring itself is unreadable: stop and report, as a real engine halts on a descriptor abort.
      this.regs.reg('XOR_STATUS').setBits(XOR_STATUS_ERROR);
      this.regs.reg('XOR_CTRL').clearBits(XOR_CTRL_RUN);
      this.updateIrq();
    }
  }

  private retire(j: Job, t: number): void {
    this.inFlight--;
    this.completed++;
    const count = this.regs.reg('XOR_DONE_COUNT');
    count.value = count.value + 1;
    if (j.error) {
      this.regs.reg('XOR_STATUS').setBits(XOR_STATUS_ERROR);
      this.updateIrq();
    }
    this.coalescer.complete(t, j.desc.fields.maskIrq === 1);
    this.kick();
  }

  private raiseDone(): void {
    this.regs.reg('XOR_STATUS').setBits(XOR_STATUS_DONE);
    this.updateIrq();
  }

  private updateIrq(): void {
    this.irq.update((this.regs.get('XOR_STATUS') & this.regs.get('XOR_IER') & (XOR_STATUS_DONE | XOR_STATUS_ERROR)) !== 0);
  }

  private ctrlWritten(old: number, value: number, t: number): void {
    if (value & XOR_CTRL_RESET && !(old & XOR_CTRL_RESET)) {
      // Reset: drop all work, registers to their reset values (RESET itself stays set until done).
      this.stopAll();
      this.regs.reset();
      this.regs.reg('XOR_CTRL').setBits(XOR_CTRL_RESET);
      this.ring.setBase(0);
      this.updateIrq();
      this.env.engine.schedule(t + cycles(XOR_TIMING.resetCycles.value), () => this.regs.reg('XOR_CTRL').clearBits(XOR_CTRL_RESET));
      return;
    }
    if (value & XOR_CTRL_RUN && !(old & XOR_CTRL_RUN)) this.kick();
  }

  private stopAll(): void {
    for (const s of Object.values(this.stages)) s.reset();
    this.descDma.abortAll();
    this.dataDma.abortAll();
    this.coalescer.reset();
    this.inFlight = 0;
    this.fetchPending = false;
    this.rescan = false;
  }
}

/** XOR `data` with the 32-bit little-endian key repeated. */
function xorWithKey(data: Uint8Array, key: number): void {
  for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ ((key >>> (8 * (i & 3))) & 0xff);
}
