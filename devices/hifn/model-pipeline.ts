/**
 * The Hifn DMA unit: the four descriptor rings in host memory (command, source, destination,
 * result) walked by DMA, and the three-stage pipeline a request goes through (hw.md §2.4-§2.5):
 *
 *   input   fetch the command descriptor, DMA the command buffer in and parse it, then walk the
 *           source ring to LAST, DMA each fragment in; hand the command and source descriptors
 *           back (VALID cleared by a DMA write of their `l` word)
 *   engine  setup + cipher and MAC side by side (timing.ts), then the real crypto (model-engines.ts)
 *   output  walk the destination ring to LAST and DMA the result stream out in 32-bit words (why
 *           the driver needs a slop word for a length that is not whole words); fetch the result
 *           descriptor, DMA the result buffer out, hand both back; raise R_DONE unless the result
 *           descriptor has MASKDONEIRQ (the interrupt coalescing mechanism)
 * Up to `pipelineDepth` requests are inside the chip at once, so one request's engine time hides
 * the next one's DMA.
 *
 * A ring is walked only while enabled (DMA_CSR control field 10). A descriptor the chip finds not
 * VALID sets the ring's WAIT status and is polled again every POLLFREQ x `pollUnitPciClocks` PCI
 * clocks; enabling a ring polls it at once. Deliberate difference: after `pollGiveUp` empty polls
 * in a row a ring stops polling until software enables it again (the real chip polls for ever,
 * which would keep a simulation with a stuck request running for ever). A DMA that fails (a PCI abort, or an injected fault)
 * sets the ring's ABORT status and halts the unit until a DMA reset, as the driver's hifn_abort
 * expects.
 */
import type { EventHandle } from '../../sim/engine.js';
import type { ClockDomain } from '../../sim/clock.js';
import type { CryptoBackend } from '../../framework/xform/backend.js';
import { DmaEngine } from '../kit/dma.js';
import type { DeviceEnv } from '../kit/env.js';
import { DescriptorRing, type FetchedDescriptor } from '../kit/ring.js';
import { Stage, chain } from '../kit/stage.js';
import {
  HIFN_BASE_CMD_CRYPT,
  HIFN_BASE_CMD_MAC,
  HIFN_BASE_RES_DSTOVERRUN,
  HIFN_MAC_CMD_RESULT,
  HIFN_MAX_RESULT,
  HIFN_RES_MAC_OFFSET,
  hifnParseCommand,
  hifnWriteBaseResult,
  type HifnCommand,
} from './command.js';
import { hifnRun } from './model-engines.js';
import {
  HIFN_DESC,
  HIFN_DMACSR_C_ABORT,
  HIFN_DMACSR_C_DONE,
  HIFN_DMACSR_C_WAIT,
  HIFN_DMACSR_D_ABORT,
  HIFN_DMACSR_D_DONE,
  HIFN_DMACSR_D_OVER,
  HIFN_DMACSR_D_WAIT,
  HIFN_DMACSR_R_ABORT,
  HIFN_DMACSR_R_DONE,
  HIFN_DMACSR_R_WAIT,
  HIFN_DMACSR_S_ABORT,
  HIFN_DMACSR_S_DONE,
  HIFN_DMACSR_S_WAIT,
  type HifnDescField,
} from './regs.js';
import { hifnEngineCycles, type HifnTiming } from './timing.js';

export type RingName = 'cmd' | 'src' | 'dst' | 'res';
type Desc = FetchedDescriptor<HifnDescField>;

/** What the pipeline needs from the rest of the chip. */
export interface HifnChip {
  env: DeviceEnv;
  timing: HifnTiming;
  backend: CryptoBackend;
  /** The packet engine clock now (the PLL decides it on the 795x). */
  coreClock(): ClockDomain;
  /** Poll period of a waiting ring, ps (0: no polling). */
  pollPeriodPs(): number;
  /** Crypto enable level: locked (compression only), ENA_1 (no strong crypto), ENA_2. */
  cryptoEnabled(): boolean;
  strongCrypto(): boolean;
  hasAes: boolean;
  /** Set DMA_CSR status bits and re-evaluate the interrupt. */
  setStatus(bits: number): void;
  /** A command the engine could not run (PUISR.CMDINVAL). */
  commandInvalid(why: string, t: number): void;
}

interface RingCtl {
  name: RingName;
  ring: DescriptorRing<HifnDescField>;
  enabled: boolean;
  waiting: boolean;
  waiter: ((d: Desc) => void) | null;
  poll: EventHandle | null;
  /** Empty polls in a row; at `pollGiveUp` the ring stops polling until it is enabled again. */
  emptyPolls: number;
  rescan: boolean;
  wait: number;
  done: number;
  abort: number;
}

/** One request inside the chip. */
interface Job {
  id: number;
  cmdDesc: Desc;
  cmd: HifnCommand | null;
  srcDescs: Desc[];
  data: Uint8Array;
  out: Uint8Array | null;
  mac: Uint8Array | null;
}

export interface HifnPipelineStats {
  requests: number;
  commandsInvalid: number;
  dstOverruns: number;
  polls: number;
  aborts: number;
}

export class HifnPipeline {
  readonly stats: HifnPipelineStats = { requests: 0, commandsInvalid: 0, dstOverruns: 0, polls: 0, aborts: 0 };
  readonly rings: Readonly<Record<RingName, RingCtl>>;
  readonly dma: Readonly<Record<RingName, DmaEngine>>;
  readonly stages: { input: Stage<Job>; engine: Stage<Job>; output: Stage<Job> };
  private inFlight = 0;
  private halted = false;
  private nextId = 1;

  constructor(private readonly chip: HifnChip) {
    const env = chip.env;
    const burst = chip.timing.dmaBurstBytes.value;
    const mk = (name: RingName, wait: number, done: number, abort: number): [DmaEngine, RingCtl] => {
      const dma = new DmaEngine(env, { channel: name, maxTransferBytes: burst });
      const ring = new DescriptorRing(env, { name, layout: HIFN_DESC, dma, owner: 'valid', jump: { flag: 'jump', target: 'p', release: true } });
      return [dma, { name, ring, enabled: false, waiting: false, waiter: null, poll: null, emptyPolls: 0, rescan: false, wait, done, abort }];
    };
    const [cd, c] = mk('cmd', HIFN_DMACSR_C_WAIT, HIFN_DMACSR_C_DONE, HIFN_DMACSR_C_ABORT);
    const [sd, s] = mk('src', HIFN_DMACSR_S_WAIT, HIFN_DMACSR_S_DONE, HIFN_DMACSR_S_ABORT);
    const [dd, d] = mk('dst', HIFN_DMACSR_D_WAIT, HIFN_DMACSR_D_DONE, HIFN_DMACSR_D_ABORT);
    const [rd, r] = mk('res', HIFN_DMACSR_R_WAIT, HIFN_DMACSR_R_DONE, HIFN_DMACSR_R_ABORT);
    this.rings = { cmd: c, src: s, dst: d, res: r };
    this.dma = { cmd: cd, src: sd, dst: dd, res: rd };
    const input = new Stage<Job>(env, { name: 'input', serve: (j, t, finish) => this.input(j, t, finish), reqOf: (j) => j.id });
    const engine = new Stage<Job>(env, {
      name: 'engine',
      latencyPs: (j) => (j.cmd ? chip.coreClock().cyclesToPs(hifnEngineCycles(chip.timing, j.cmd)) : 0),
      reqOf: (j) => j.id,
    });
    const output = new Stage<Job>(env, { name: 'output', serve: (j, t, finish) => this.output(j, t, finish), next: (j, t) => this.retire(j, t), reqOf: (j) => j.id });
    chain(input, engine);
    engine.next = (j, t) => {
      this.compute(j, t);
      output.submit(j, t);
    };
    this.stages = { input, engine, output };
    env.whenDisconnected(() => this.reset());
  }

  /** Requests inside the chip. */
  get busy(): number {
    return this.inFlight;
  }

  /** A ring base register was written. */
  setBase(name: RingName, paddr: number): void {
    const rc = this.rings[name];
    rc.ring.setBase(paddr);
    rc.waiting = false;
  }

  /** DMA_CSR control field of a ring: enable (poll now) or disable. */
  control(name: RingName, enable: boolean, t: number): void {
    const rc = this.rings[name];
    this.cancelPoll(rc);
    rc.enabled = enable;
    rc.emptyPolls = 0;
    if (!enable) return;
    if (rc.ring.fetching) rc.rescan = true;
    if (name === 'cmd') this.pumpCommands(t);
    this.tryFetch(rc, t);
  }

  /** The poll period changed (DMA_CNFG): re-arm the polls of waiting rings. */
  repoll(t: number): void {
    for (const rc of Object.values(this.rings)) {
      if (rc.waiting && rc.enabled) {
        this.cancelPoll(rc);
        this.schedulePoll(rc, t);
      }
    }
  }

  /** DMA reset: drop every request, stop every ring (bases kept, cursors back to them). */
  reset(): void {
    for (const s of Object.values(this.stages)) s.reset();
    for (const e of Object.values(this.dma)) e.abortAll();
    for (const rc of Object.values(this.rings)) {
      this.cancelPoll(rc);
      rc.ring.setBase(rc.ring.base);
      rc.enabled = rc.waiting = rc.rescan = false;
      rc.waiter = null;
    }
    this.inFlight = 0;
    this.halted = false;
  }

  // ---- ring walking ----------------------------------------------------------------------------

  /** Ask ring `rc` for its next descriptor; `cb` runs when one is VALID (maybe after polls). */
  private need(rc: RingCtl, t: number, cb: (d: Desc) => void): void {
    if (rc.waiter) throw new Error(`hifn ${rc.name} ring: two waiters`);
    rc.waiter = cb;
    this.tryFetch(rc, t);
  }

  private tryFetch(rc: RingCtl, t: number): void {
    if (!rc.waiter || !rc.enabled || this.halted || rc.ring.fetching || !this.chip.env.connected) return;
    rc.rescan = false;
    rc.ring.fetch(t, (r) => {
      if (this.halted) return;
      if (r.kind === 'descriptor') {
        const w = rc.waiter!;
        rc.waiter = null;
        rc.waiting = false;
        rc.emptyPolls = 0;
        w(r);
      } else if (r.kind === 'empty') {
        if (!rc.waiting) {
          rc.waiting = true;
          this.chip.setStatus(rc.wait);
        }
        if (rc.rescan) this.tryFetch(rc, r.t);
        else this.schedulePoll(rc, r.t);
      } else {
        this.abort(rc, r.t);
      }
    });
  }

  private schedulePoll(rc: RingCtl, t: number): void {
    const period = this.chip.pollPeriodPs();
    if (period <= 0 || rc.poll !== null || !rc.enabled) return;
    if (rc.emptyPolls >= this.chip.timing.pollGiveUp.value) return; // parked until enabled again
    rc.emptyPolls++;
    rc.poll = this.chip.env.engine.schedule(t + period, () => {
      rc.poll = null;
      this.stats.polls++;
      this.tryFetch(rc, this.chip.env.now);
    });
  }

  private cancelPoll(rc: RingCtl): void {
    if (rc.poll !== null) this.chip.env.engine.cancel(rc.poll);
    rc.poll = null;
  }

  /** Hand a descriptor back: VALID cleared by DMA; its ring's DONE status unless MASKDONEIRQ. */
  private release(rc: RingCtl, d: Desc, t: number, done: (t: number) => void, extra: Partial<Record<HifnDescField, number>> = {}): void {
    rc.ring.release(d, extra, t, (ok, t2) => {
      if (!ok) return this.abort(rc, t2);
      if (!d.fields.maskDoneIrq) this.chip.setStatus(rc.done);
      done(t2);
    });
  }

  private releaseAll(rc: RingCtl, ds: Desc[], t: number, done: (t: number) => void): void {
    const step = (i: number, t1: number): void => (i >= ds.length ? done(t1) : this.release(rc, ds[i]!, t1, (t2) => step(i + 1, t2)));
    step(0, t);
  }

  /** A PCI abort on a ring: report it and stop the unit until a DMA reset. */
  private abort(rc: RingCtl, t: number): void {
    if (this.halted) return;
    this.halted = true;
    this.stats.aborts++;
    for (const s of Object.values(this.stages)) s.reset();
    for (const x of Object.values(this.rings)) this.cancelPoll(x);
    this.chip.env.note('dma.abort', t, { ring: rc.name });
    this.chip.setStatus(rc.abort);
  }

  // ---- the pipeline ---------------------------------------------------------------------------

  private pumpCommands(t: number): void {
    const cmd = this.rings.cmd;
    if (cmd.waiter || this.inFlight >= this.chip.timing.pipelineDepth.value) return;
    this.need(cmd, t, (d) => {
      this.inFlight++;
      this.stats.requests++;
      const job: Job = { id: this.nextId++, cmdDesc: d, cmd: null, srcDescs: [], data: new Uint8Array(0), out: null, mac: null };
      this.stages.input.submit(job, d.t);
      this.pumpCommands(d.t);
    });
  }

  private input(j: Job, t: number, finish: (t: number) => void): void {
    const d = j.cmdDesc;
    this.dma.cmd.read({ paddr: d.fields.p, len: d.fields.len }, t, (c) => {
      if (!c.ok) return this.abort(this.rings.cmd, c.t);
      const parsed = hifnParseCommand(c.data!);
      if (parsed.ok) j.cmd = parsed.cmd;
      else this.invalid(parsed.reason, c.t);
      this.release(this.rings.cmd, d, c.t, (t1) => {
        const chunks: Uint8Array[] = [];
        let total = 0;
        const next = (t2: number): void =>
          this.need(this.rings.src, t2, (sd) => {
            j.srcDescs.push(sd);
            this.dma.src.read({ paddr: sd.fields.p, len: sd.fields.len }, sd.t, (c2) => {
              if (!c2.ok) return this.abort(this.rings.src, c2.t);
              chunks.push(c2.data!);
              total += c2.data!.length;
              if (!sd.fields.last) return next(c2.t);
              j.data = new Uint8Array(total);
              let at = 0;
              for (const ch of chunks) (j.data.set(ch, at), (at += ch.length));
              this.releaseAll(this.rings.src, j.srcDescs, c2.t, finish);
            }, j.id);
          });
        next(t1);
      });
    }, j.id);
  }

  private compute(j: Job, t: number): void {
    if (!j.cmd) {
      j.out = j.data;
      return;
    }
    const run = hifnRun(this.chip.backend, j.cmd, j.data.subarray(0, Math.min(j.data.length, j.cmd.srcCount)), this.chip.cryptoEnabled(), this.chip.strongCrypto(), this.chip.hasAes);
    if (run.invalid) this.invalid(run.invalid, t);
    j.out = run.out;
    j.mac = j.cmd.mac && j.cmd.mac.masks & HIFN_MAC_CMD_RESULT ? run.mac : null;
  }

  private invalid(why: string, t: number): void {
    this.stats.commandsInvalid++;
    this.chip.commandInvalid(why, t);
  }

  private output(j: Job, t: number, finish: (t: number) => void): void {
    const out = j.out ?? j.data;
    // The destination DMA moves whole 32-bit words.
    const words = new Uint8Array(Math.ceil(out.length / 4) * 4);
    words.set(out);
    const dsts: Desc[] = [];
    let at = 0;
    let overrun = false;
    const next = (t1: number): void =>
      this.need(this.rings.dst, t1, (dd) => {
        dsts.push(dd);
        const n = Math.min(dd.fields.len, words.length - at);
        const write = (t2: number): void => {
          if (!dd.fields.last) return next(t2);
          if (at < words.length) {
            overrun = true;
            this.stats.dstOverruns++;
            this.chip.setStatus(HIFN_DMACSR_D_OVER);
          }
          this.releaseAll(this.rings.dst, dsts, t2, (t3) => this.result(j, t3, overrun, finish));
        };
        if (n <= 0) return write(dd.t);
        const len = Math.ceil(n / 4) * 4;
        const chunk = words.subarray(at, at + len);
        at += n;
        this.dma.dst.write({ paddr: dd.fields.p, len: chunk.length }, chunk, dd.t, (c) => (c.ok ? write(c.t) : this.abort(this.rings.dst, c.t)), j.id);
      });
    next(t);
  }

  private result(j: Job, t: number, overrun: boolean, finish: (t: number) => void): void {
    this.need(this.rings.res, t, (rd) => {
      const cmd = j.cmd;
      const buf = new Uint8Array(HIFN_MAX_RESULT);
      hifnWriteBaseResult(buf, overrun ? HIFN_BASE_RES_DSTOVERRUN : 0, cmd?.srcCount ?? j.data.length, cmd?.dstCount ?? 0);
      const hasMac = !!cmd && (cmd.baseMasks & HIFN_BASE_CMD_MAC) !== 0;
      const hasCrypt = !!cmd && (cmd.baseMasks & HIFN_BASE_CMD_CRYPT) !== 0;
      // Base result, the MAC result word and the MAC bytes the engine produced (12 with TRUNC: the
      // rest of the 20-byte MAC field keeps what was there, hw.md §2.7), then the crypt result word.
      const pieces: [number, number][] = [];
      let end = 8;
      if (hasMac) {
        if (j.mac) buf.set(j.mac, HIFN_RES_MAC_OFFSET);
        end = HIFN_RES_MAC_OFFSET + (j.mac?.length ?? 0);
      }
      pieces.push([0, end]);
      if (hasCrypt) pieces.push(hasMac ? [32, 36] : [8, 12]);
      const limit = rd.fields.len;
      const writes = pieces.map(([a, b]) => [a, Math.min(b, limit)] as const).filter(([a, b]) => b > a);
      const step = (i: number, t1: number): void => {
        if (i >= writes.length) return this.release(this.rings.res, rd, t1, finish);
        const [a, b] = writes[i]!;
        this.dma.res.write({ paddr: rd.fields.p + a, len: b - a }, buf.subarray(a, b), t1, (c) => (c.ok ? step(i + 1, c.t) : this.abort(this.rings.res, c.t)), j.id);
      };
      step(0, rd.t);
    });
  }

  private retire(_j: Job, t: number): void {
    this.inFlight--;
    this.pumpCommands(t);
  }
}
