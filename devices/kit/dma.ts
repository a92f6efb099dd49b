/**
 * A card's bus-master DMA engine, on top of its `PciDevicePort`: reads and writes of scatter lists,
 * one bus transfer at a time, with completion callbacks that carry the simulated time.
 *
 * Every byte goes through the port, so the bus server (sim/pci-dma.ts) times it — arbitration,
 * bursts, bandwidth shared with the other masters on the bus — and bus_dma's strict checker sees
 * every access. Nothing here touches physical memory directly.
 *
 * Segments are moved in order. A segment is split into transfers that end at `maxTransferBytes`
 * boundaries (the card's burst or FIFO size: it releases the bus and re-arbitrates, so one long
 * transfer cannot starve the other cards); the next transfer is requested when the previous one
 * completes. The first failure ends the operation: the callback gets `ok: false` and how many
 * bytes moved before it.
 *
 * Abort: `abortAll()` (a DMA reset) and pulling the card drop every operation in flight; their
 * callbacks never run. After `abortAll` the one transfer each operation had requested from the bus
 * still runs (its bytes land: the port has no way to withdraw a request, and a burst in progress
 * finishes on real hardware too); nothing after it is issued, and `busTransfers` counts it until
 * it is done. Pulling the card cancels everything at the bus.
 *
 * An injected `dma-error` (faults.ts) fails a transfer without moving its bytes after the bus time
 * of its address phase (`dmaDurationPs(paddr, 0)`); the transfer does not occupy the bus.
 *
 * @example
 *   const dma = new DmaEngine(env, { channel: 'src', maxTransferBytes: 128 });
 *   dma.read([{ paddr: 0x10000, len: 1000 }, { paddr: 0x20000, len: 500 }], t, (c) => {
 *     if (c.ok) compute(c.data!, c.t);
 *   });
 */
import type { DeviceEnv } from './env.js';

export interface DmaSegment {
  paddr: number;
  len: number;
}

export interface DmaCompletion {
  ok: boolean;
  /** When the operation ended (its last transfer completed, or failed), ps. */
  t: number;
  /** For a read that succeeded: the bytes, segments end to end. Otherwise null. */
  data: Uint8Array | null;
  /** Bytes moved before the end (all of them when ok). */
  moved: number;
  /** For a failure: the address of the transfer that failed, and why. */
  failedAt?: number;
  reason?: 'bus-abort' | 'injected';
}

export type DmaDone = (c: DmaCompletion) => void;

export interface DmaEngineOptions {
  /** Name of the channel, for traces and fault matching ("cmd", "src", "dst"). */
  channel: string;
  /** Transfers end at multiples of this many bytes (a power of two); 0 = no split (default). */
  maxTransferBytes?: number;
}

export interface DmaEngineStats {
  operations: number;
  transfers: number;
  bytesRead: number;
  bytesWritten: number;
  failed: number;
  aborted: number;
}

interface Op {
  kind: 'read' | 'write';
  segs: readonly DmaSegment[];
  total: number;
  /** Read: the destination buffer. Write: the source bytes. */
  buf: Uint8Array;
  seg: number;
  segOff: number;
  moved: number;
  done: DmaDone;
  req: number | undefined;
  start: number;
}

export class DmaEngine {
  readonly channel: string;
  readonly maxTransferBytes: number;
  readonly stats: DmaEngineStats = { operations: 0, transfers: 0, bytesRead: 0, bytesWritten: 0, failed: 0, aborted: 0 };
  private readonly live = new Set<Op>();
  private onBus = 0;

  constructor(
    readonly env: DeviceEnv,
    o: DmaEngineOptions,
  ) {
    const m = o.maxTransferBytes ?? 0;
    if (!(m === 0 || (Number.isSafeInteger(m) && m > 0 && (m & (m - 1)) === 0))) {
      throw new RangeError(`DmaEngine ${o.channel}: maxTransferBytes must be 0 or a power of two, got ${m}`);
    }
    this.channel = o.channel;
    this.maxTransferBytes = m;
    env.whenDisconnected(() => {
      this.abortAll();
      this.onBus = 0; // the bus cancelled them: their callbacks never come
    });
  }

  /** Operations in flight. */
  get inFlight(): number {
    return this.live.size;
  }

  /**
   * Transfers requested from the bus and not yet completed, aborted operations' included: after
   * `abortAll` the transfer each had on the bus (or queued for it) still runs. A model reports
   * itself idle only when this is 0, so a driver that waits for idle may then unload its maps.
   */
  get busTransfers(): number {
    return this.onBus;
  }

  /** Read host memory into one buffer, starting no earlier than `startAt`. */
  read(segs: readonly DmaSegment[] | DmaSegment, startAt: number, done: DmaDone, req?: number): void {
    const list = normalise(segs, this.channel);
    const total = list.reduce((s, x) => s + x.len, 0);
    this.begin({ kind: 'read', segs: list, total, buf: new Uint8Array(total), seg: 0, segOff: 0, moved: 0, done, req, start: startAt });
  }

  /** Write `data` to host memory across `segs` (whose lengths must add up to data.length). */
  write(segs: readonly DmaSegment[] | DmaSegment, data: Uint8Array, startAt: number, done: DmaDone, req?: number): void {
    const list = normalise(segs, this.channel);
    const total = list.reduce((s, x) => s + x.len, 0);
    if (total !== data.length) throw new RangeError(`DmaEngine ${this.channel}: segments hold ${total} bytes but ${data.length} were given`);
    this.begin({ kind: 'write', segs: list, total, buf: data.slice(), seg: 0, segOff: 0, moved: 0, done, req, start: startAt });
  }

  /**
   * Bus time the transfers of `segs` take once granted, ps, without queueing: the sum over the
   * engine's transfers of the port's `dmaDurationPs`. Not the time the operation will take if the
   * bus is busy, and ignoring the clock-edge alignment of each grant.
   */
  busTimePs(segs: readonly DmaSegment[] | DmaSegment): number {
    const port = this.env.port;
    let ps = 0;
    for (const s of normalise(segs, this.channel)) {
      for (let off = 0; off < s.len; ) {
        const n = this.chunk(s.paddr + off, s.len - off);
        ps += port.dmaDurationPs(s.paddr + off, n);
        off += n;
      }
    }
    return ps;
  }

  /** Drop every operation in flight; their callbacks never run. Returns how many. */
  abortAll(): number {
    const n = this.live.size;
    this.live.clear();
    this.stats.aborted += n;
    return n;
  }

  private begin(op: Op): void {
    if (!Number.isSafeInteger(op.start)) throw new RangeError(`DmaEngine ${this.channel}: startAt must be an integer number of ps, got ${op.start}`);
    this.stats.operations++;
    if (!this.env.connected) {
      this.stats.aborted++;
      return;
    }
    op.start = Math.max(op.start, this.env.now);
    this.live.add(op);
    if (op.total === 0) {
      // Still asynchronous, so callers never see their callback run inside the call.
      this.env.engine.schedule(op.start, () => {
        if (this.live.has(op)) this.finish(op, true, this.env.now);
      });
      return;
    }
    this.next(op, op.start);
  }

  private chunk(paddr: number, left: number): number {
    const m = this.maxTransferBytes;
    return m === 0 ? left : Math.min(left, (Math.floor(paddr / m) + 1) * m - paddr);
  }

  private next(op: Op, t: number): void {
    while (op.seg < op.segs.length && op.segOff >= op.segs[op.seg]!.len) {
      op.seg++;
      op.segOff = 0;
    }
    if (op.seg >= op.segs.length) return this.finish(op, true, t);
    const port = this.env.portOrNull;
    if (!port) {
      this.live.delete(op);
      this.stats.aborted++;
      return;
    }
    const s = op.segs[op.seg]!;
    const paddr = s.paddr + op.segOff;
    const n = this.chunk(paddr, s.len - op.segOff);
    const faults = this.env.faults;
    if (faults.any && faults.dmaError(this.channel, op.kind, paddr, n, t)) {
      this.env.engine.schedule(t + port.dmaDurationPs(paddr, 0), () => {
        if (this.live.has(op)) this.finish(op, false, this.env.now, paddr, 'injected');
      });
      return;
    }
    this.stats.transfers++;
    this.onBus++;
    const advance = (t2: number): void => {
      op.segOff += n;
      op.moved += n;
      this.next(op, t2);
    };
    if (op.kind === 'read') {
      port.dmaRead(paddr, n, t, (data, t2) => {
        this.onBus--;
        if (!this.live.has(op)) return;
        if (!data) return this.finish(op, false, t2, paddr, 'bus-abort');
        op.buf.set(data, op.moved);
        this.stats.bytesRead += n;
        advance(t2);
      });
    } else {
      port.dmaWrite(paddr, op.buf.subarray(op.moved, op.moved + n), t, (ok, t2) => {
        this.onBus--;
        if (!this.live.has(op)) return;
        if (!ok) return this.finish(op, false, t2, paddr, 'bus-abort');
        this.stats.bytesWritten += n;
        advance(t2);
      });
    }
  }

  private finish(op: Op, ok: boolean, t: number, failedAt?: number, reason?: 'bus-abort' | 'injected'): void {
    this.live.delete(op);
    if (!ok) this.stats.failed++;
    this.env.note(`dma.${op.kind === 'read' ? 'in' : 'out'}`, op.start, {
      channel: this.channel, bytes: op.total, segments: op.segs.length, ok, ...(failedAt !== undefined ? { failedAt } : {}),
    }, { dur: t - op.start, ...(op.req !== undefined ? { req: op.req } : {}) });
    op.done({
      ok, t, moved: op.moved,
      data: ok && op.kind === 'read' ? op.buf : null,
      ...(failedAt !== undefined ? { failedAt } : {}),
      ...(reason ? { reason } : {}),
    });
  }
}

function normalise(segs: readonly DmaSegment[] | DmaSegment, channel: string): readonly DmaSegment[] {
  const list = Array.isArray(segs) ? (segs as readonly DmaSegment[]) : [segs as DmaSegment];
  for (const s of list) {
    if (!Number.isSafeInteger(s.paddr) || s.paddr < 0 || !Number.isSafeInteger(s.len) || s.len < 0) {
      throw new RangeError(`DmaEngine ${channel}: a segment needs an integer paddr >= 0 and len >= 0, got ${s.paddr}, ${s.len}`);
    }
  }
  return list.map((s) => ({ paddr: s.paddr, len: s.len }));
}
