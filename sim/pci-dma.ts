/**
 * Bus-master DMA through the PCI host bridge: one shared server per bus.
 *
 * One transfer holds the bus at a time; requests are served in order of the time they are made
 * (ties in the order they were made), whichever card makes them, so cards on one bus share its
 * bandwidth. A transfer granted the bus at a clock edge takes
 *
 *   dmaSetupCycles + Σ over bursts ( ceil(burst bytes / widthBytes) + dmaBurstOverheadCycles )
 *
 * bus clocks, where bursts split at dmaBurstBytes-aligned addresses (a host bridge disconnects at
 * cache-line multiples) and a burst's data phases cover whole bus words (byte enables mask the
 * rest, PCI 3.0 §3.2.2). The bytes move when the transfer completes: a write lands in physical
 * memory then, a read takes its bytes then.
 *
 * A master with BUSMASTEREN clear, or an address outside physical memory (master abort), has its
 * transfer aborted with a violation; a cancelled master (card pulled) never hears back.
 *
 * @example
 *   const dma = new HostBridgeDma({ engine, mem, violations, clock: ClockDomain.PCI33, widthBytes: 4, timing });
 *   dma.request(master, 'write', 0x10000, bytes, 0, (data, ok, t) => ...);
 */
import { EventEngine, EventHandle } from './engine.js';
import { ClockDomain } from './clock.js';
import { PhysMemory } from './memory.js';
import { ViolationLog } from './violations.js';
import { TraceRecorder } from './trace.js';
import { DeviceDmaChecker } from './dma-check.js';

export interface DmaTiming {
  /** Clocks to win the bus and start a transfer: REQ#/GNT# arbitration, address phase, turnaround. */
  dmaSetupCycles: number;
  dmaBurstBytes: number;
  /** Clocks per burst beyond its data phases: re-arbitration, address phase, target latency. */
  dmaBurstOverheadCycles: number;
  /** Clocks before a master gives up on an address nobody claims. */
  masterAbortCycles: number;
}

export interface DmaStats {
  transfers: number;
  aborted: number;
  /** Bytes the device read from host memory. */
  bytesRead: number;
  /** Bytes the device wrote to host memory. */
  bytesWritten: number;
  /** Bus time spent on transfers, ps. */
  busyPs: number;
  /** Time requests waited for the bus, ps. */
  waitPs: number;
}

export function newDmaStats(): DmaStats {
  return { transfers: 0, aborted: 0, bytesRead: 0, bytesWritten: 0, busyPs: 0, waitPs: 0 };
}

/** A card as the DMA server sees it. */
export interface DmaMaster {
  readonly name: string;
  readonly stats: DmaStats;
  busMasterEnabled(): boolean;
  /** Record a master abort (the Received Master Abort status bit). */
  masterAbort(): void;
}

export type DmaDone = (data: Uint8Array | null, ok: boolean, t: number) => void;

interface DmaRequest {
  master: DmaMaster;
  kind: 'read' | 'write';
  paddr: number;
  len: number;
  data: Uint8Array | null;
  at: number;
  arrival: EventHandle;
  done: DmaDone;
}

export interface HostBridgeDmaOptions {
  engine: EventEngine;
  mem: PhysMemory;
  violations: ViolationLog;
  trace?: TraceRecorder;
  clock: ClockDomain;
  widthBytes: number;
  timing: Readonly<DmaTiming>;
}

export class HostBridgeDma {
  /** bus_dma's strict checker, told of every transfer before its bytes move. */
  checker: DeviceDmaChecker | undefined;
  readonly stats = newDmaStats();
  private readonly o: HostBridgeDmaOptions;
  private readonly queue: DmaRequest[] = [];
  private readonly pending = new Map<DmaMaster, Set<DmaRequest>>();
  private active: { req: DmaRequest; start: number; handle: EventHandle } | null = null;

  constructor(options: HostBridgeDmaOptions) {
    this.o = options;
  }

  /** Bus clocks a transfer of `len` bytes at `paddr` holds the bus once granted. */
  cycles(paddr: number, len: number): number {
    const { dmaBurstBytes: B, dmaSetupCycles, dmaBurstOverheadCycles } = this.o.timing;
    const w = this.o.widthBytes;
    let cycles = dmaSetupCycles;
    for (let a = paddr, end = paddr + len; a < end; ) {
      const burstEnd = Math.min(end, (Math.floor(a / B) + 1) * B);
      cycles += Math.ceil(burstEnd / w) - Math.floor(a / w) + dmaBurstOverheadCycles;
      a = burstEnd;
    }
    return cycles;
  }

  /** Queue a transfer; it joins the bus queue at `startAt` (or now, if that is past). */
  request(master: DmaMaster, kind: 'read' | 'write', paddr: number, data: Uint8Array | null, len: number, startAt: number, done: DmaDone): void {
    if (!Number.isSafeInteger(paddr) || paddr < 0 || !Number.isSafeInteger(len) || len < 0 || !Number.isSafeInteger(startAt)) {
      throw new RangeError(`${master.name}: DMA ${kind} needs an integer paddr >= 0, len >= 0 and startAt, got ${paddr}, ${len}, ${startAt}`);
    }
    const engine = this.o.engine;
    const req: DmaRequest = { master, kind, paddr, len, data, at: Math.max(startAt, engine.now), arrival: -1, done };
    let set = this.pending.get(master);
    if (!set) {
      set = new Set();
      this.pending.set(master, set);
    }
    set.add(req);
    req.arrival = engine.schedule(req.at, () => {
      req.arrival = -1;
      this.queue.push(req);
      if (!this.active) this.startNext();
    });
  }

  /** Drop every transfer of `master`, the one on the bus included; their callbacks never run. */
  cancel(master: DmaMaster): void {
    const set = this.pending.get(master);
    if (!set) return;
    this.pending.delete(master);
    for (const r of set) if (r.arrival >= 0) this.o.engine.cancel(r.arrival);
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.master === master) this.queue.splice(i, 1);
    if (this.active?.req.master === master) {
      const { handle, start, req } = this.active;
      this.o.engine.cancel(handle);
      this.active = null;
      this.account(master, Math.max(0, this.o.engine.now - start), Math.max(0, start - req.at));
      master.stats.aborted++;
      this.stats.aborted++;
      this.trace(req, start, this.o.engine.now, 'cut');
      this.startNext();
    }
  }

  private startNext(): void {
    const req = this.queue.shift();
    if (!req) return;
    const { master } = req;
    const { engine, clock, violations, mem, timing } = this.o;
    const now = engine.now;
    // PCI is synchronous: a grant starts on a clock edge.
    const c0 = clock.psToCycles(clock.nextEdge(now));
    const start = clock.cyclesToPs(c0);
    let ok = true;
    let cycles = this.cycles(req.paddr, req.len);
    if (!master.busMasterEnabled()) {
      ok = false;
      cycles = 0;
      violations.report({
        kind: 'dma-without-busmaster', t: now, device: master.name, address: req.paddr, operation: req.kind,
        message: `${master.name} started a ${req.len}-byte DMA ${req.kind} at 0x${req.paddr.toString(16)} with bus mastering off in its command register (no pci_enable_busmaster); aborted`,
      });
    } else if (req.paddr + req.len > mem.size) {
      ok = false;
      cycles = timing.dmaSetupCycles + timing.masterAbortCycles;
      master.masterAbort();
      violations.report({
        kind: 'dma-master-abort', t: now, device: master.name, address: req.paddr, operation: req.kind,
        message: `${master.name} DMA ${req.kind} of ${req.len} bytes at 0x${req.paddr.toString(16)} lies outside physical memory (${mem.size} bytes): master abort`,
      });
    }
    const handle = engine.schedule(clock.cyclesToPs(c0 + cycles), () => this.finish(req, ok, start));
    this.active = { req, start, handle };
  }

  private finish(req: DmaRequest, ok: boolean, start: number): void {
    const { master } = req;
    const t = this.o.engine.now;
    this.active = null;
    this.pending.get(master)?.delete(req);
    this.account(master, t - start, start - req.at);
    let data: Uint8Array | null = null;
    if (ok) {
      this.checker?.deviceAccess(master.name, req.kind, req.paddr, req.len, t);
      const mem = this.o.mem.bytes;
      if (req.kind === 'read') data = mem.slice(req.paddr, req.paddr + req.len);
      else mem.set(req.data!, req.paddr);
      const key = req.kind === 'read' ? 'bytesRead' : 'bytesWritten';
      master.stats.transfers++;
      master.stats[key] += req.len;
      this.stats.transfers++;
      this.stats[key] += req.len;
    } else {
      master.stats.aborted++;
      this.stats.aborted++;
    }
    this.trace(req, start, t, ok ? 'ok' : 'aborted');
    this.startNext();
    req.done(data, ok, t);
  }

  private account(master: DmaMaster, busy: number, wait: number): void {
    master.stats.busyPs += busy;
    master.stats.waitPs += wait;
    this.stats.busyPs += busy;
    this.stats.waitPs += wait;
  }

  private trace(req: DmaRequest, start: number, end: number, outcome: string): void {
    const tr = this.o.trace;
    if (!tr?.on) return;
    tr.record({ t: start, layer: 'dma', where: req.master.name, kind: `dma.${req.kind}`, dur: end - start, fields: { paddr: req.paddr, len: req.len, outcome } });
  }
}
