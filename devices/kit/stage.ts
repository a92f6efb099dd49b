/**
 * Timed pipeline stages: each phase of a card's work (fetch descriptor, DMA in, compute, DMA out,
 * write back, interrupt — gem5's CopyEngine phases) is a server with a FIFO queue. Items flow from
 * stage to stage, so while request 1 is in `compute`, request 2 can be in `dmaIn`: DMA-in, compute
 * and DMA-out of different requests overlap, as on a real pipelined part.
 *
 * A stage's service is either
 * - a latency formula (`latencyPs(item)`, built from the card's timing table), or
 * - an asynchronous action (`serve(item, start, finish)`), typically a DMA whose time the bus
 *   decides; the stage is busy until `finish(t)`.
 *
 * Queues are unbounded; a model limits the work in flight where the real part does (descriptor
 * prefetch depth, FIFO slots) before it submits to the first stage.
 *
 * Fault hook: when an item would finish, `stuck-engine` (faults.ts) may fire; the stage then
 * stops — that item and every later one stay where they are — until `reset()`.
 *
 * Statistics per stage: items served, busy time, time items waited, queue high-water mark.
 *
 * @example
 *   const compute = new Stage<Job>(env, { name: 'compute', latencyPs: (j) => core.cyclesToPs(20 + j.len / 4) });
 *   const dmaOut = new Stage<Job>(env, { name: 'dmaOut', serve: (j, t, finish) => dma.write(j.dst, j.out, t, (c) => finish(c.t)) });
 *   chain(compute, dmaOut, writeBack);
 *   compute.submit(job, t);
 */
import type { DeviceEnv } from './env.js';

export interface StageOptions<T> {
  name: string;
  /** Units working in parallel (default 1). */
  servers?: number;
  /** Fixed service time of an item, ps. */
  latencyPs?: (item: T, start: number) => number;
  /** Asynchronous service: call `finish(t)` (t >= start) when the item is done. */
  serve?: (item: T, start: number, finish: (t: number) => void) => void;
  /** Where an item goes when it leaves (set by `chain`, or by hand for branches). */
  next?: (item: T, t: number) => void;
  /** Request id of an item, for the trace. */
  reqOf?: (item: T) => number | undefined;
}

export interface StageStats {
  /** Items that finished service. */
  items: number;
  /** Sum of service times, ps (over all servers). */
  busyPs: number;
  /** Sum of the times items waited in the queue, ps. */
  waitPs: number;
  /** Largest number of items waiting (not in service) at once. */
  maxQueue: number;
}

interface InService<T> {
  item: T;
  start: number;
  epoch: number;
  done: boolean;
}

export class Stage<T> {
  readonly name: string;
  readonly servers: number;
  readonly stats: StageStats = { items: 0, busyPs: 0, waitPs: 0, maxQueue: 0 };
  next: ((item: T, t: number) => void) | undefined;
  private readonly o: StageOptions<T>;
  private readonly queue: { item: T; arrival: number }[] = [];
  private readonly active = new Set<InService<T>>();
  private epoch = 0;
  private isStuck = false;
  private inStart = false;

  constructor(
    readonly env: DeviceEnv,
    o: StageOptions<T>,
  ) {
    const servers = o.servers ?? 1;
    if (!Number.isSafeInteger(servers) || servers < 1) throw new RangeError(`stage ${o.name}: servers must be a positive integer, got ${servers}`);
    if ((o.latencyPs === undefined) === (o.serve === undefined)) throw new RangeError(`stage ${o.name}: give exactly one of latencyPs and serve`);
    this.o = o;
    this.name = o.name;
    this.servers = servers;
    this.next = o.next;
  }

  /** Items waiting for a server. */
  get queued(): number {
    return this.queue.length;
  }

  /** Items in service. */
  get inService(): number {
    return this.active.size;
  }

  /** Nothing queued and nothing in service. */
  get idle(): boolean {
    return this.queue.length === 0 && this.active.size === 0;
  }

  get stuck(): boolean {
    return this.isStuck;
  }

  /** Fraction of server time spent serving, over [0, now]. */
  utilisation(now = this.env.now): number {
    return now > 0 ? this.stats.busyPs / (this.servers * now) : 0;
  }

  /** An item arrives at `at` (default now). */
  submit(item: T, at: number = this.env.now): void {
    if (!Number.isSafeInteger(at)) throw new RangeError(`stage ${this.name}: arrival time must be an integer number of ps, got ${at}`);
    const engine = this.env.engine;
    if (at > engine.now) {
      const epoch = this.epoch;
      engine.schedule(at, () => {
        if (epoch === this.epoch) this.enqueue(item, at);
      });
    } else {
      this.enqueue(item, engine.now);
    }
  }

  /** Drop everything queued and in service (a card or engine reset) and clear a stuck state. Returns how many. */
  reset(): number {
    const n = this.queue.length + this.active.size;
    this.queue.length = 0;
    this.active.clear();
    this.epoch++;
    this.isStuck = false;
    return n;
  }

  private enqueue(item: T, arrival: number): void {
    this.queue.push({ item, arrival });
    this.startNext();
    if (this.queue.length > this.stats.maxQueue) this.stats.maxQueue = this.queue.length;
  }

  private startNext(): void {
    if (this.inStart) return;
    this.inStart = true;
    try {
      const engine = this.env.engine;
      while (!this.isStuck && this.active.size < this.servers && this.queue.length > 0) {
        const { item, arrival } = this.queue.shift()!;
        const start = engine.now;
        this.stats.waitPs += start - arrival;
        const s: InService<T> = { item, start, epoch: this.epoch, done: false };
        this.active.add(s);
        if (this.o.latencyPs) {
          const lat = this.o.latencyPs(item, start);
          if (!Number.isSafeInteger(lat) || lat < 0) throw new RangeError(`stage ${this.name}: latency must be an integer number of ps >= 0, got ${lat}`);
          engine.schedule(start + lat, () => this.finish(s, start + lat));
        } else {
          this.o.serve!(item, start, (t) => {
            if (s.done) throw new Error(`stage ${this.name}: finish called twice for one item`);
            if (!Number.isSafeInteger(t)) throw new RangeError(`stage ${this.name}: finish time must be an integer number of ps, got ${t}`);
            s.done = true;
            // Defer when called from inside serve() or for a later time, so stages never re-enter.
            if (this.inStart || t > engine.now) engine.schedule(Math.max(t, engine.now), () => this.finish(s, Math.max(t, s.start)));
            else this.finish(s, Math.max(t, s.start));
          });
        }
      }
    } finally {
      this.inStart = false;
    }
  }

  private finish(s: InService<T>, t: number): void {
    if (s.epoch !== this.epoch || this.isStuck) return;
    const faults = this.env.faults;
    if (faults.any && faults.stuck(this.name, t)) {
      this.isStuck = true;
      this.env.note('stage.stuck', t, { stage: this.name });
      return;
    }
    this.active.delete(s);
    this.stats.items++;
    this.stats.busyPs += t - s.start;
    const req = this.o.reqOf?.(s.item);
    this.env.note(`stage.${this.name}`, s.start, { queued: this.queue.length }, { dur: t - s.start, ...(req !== undefined ? { req } : {}) });
    this.next?.(s.item, t);
    this.startNext();
  }
}

/** Connect stages in order: an item leaving one is submitted to the next. Returns the first. */
export function chain<T>(...stages: Stage<T>[]): Stage<T> {
  if (stages.length === 0) throw new RangeError('chain: no stages');
  for (let i = 0; i + 1 < stages.length; i++) {
    const to = stages[i + 1]!;
    stages[i]!.next = (item, t) => to.submit(item, t);
  }
  return stages[0]!;
}
