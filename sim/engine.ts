/**
 * The discrete-event engine: the only clock of a simulated machine.
 *
 * Time is an integer number of picoseconds held in a JS number, exact up to 2^53 ps
 * (about 2.5 hours of simulated time). Events due at the same instant run in the order they
 * were scheduled, so a run is reproducible. The pending set is a binary heap over typed arrays
 * (times and sequence numbers in Float64Arrays, callbacks in a slot table), because a
 * simulation spends much of its host time here.
 *
 * @example
 *   const engine = new EventEngine();
 *   engine.schedule(1_000, () => console.log('1 ns'));
 *   engine.run();
 */

/** Largest representable simulated time: integer picoseconds must stay exact in a double. */
export const MAX_TIME_PS = Number.MAX_SAFE_INTEGER;

export type EventCallback = () => void;
/** Opaque handle returned by `schedule`; pass it to `cancel`. */
export type EventHandle = number;

export class SimTimeError extends Error {
  override name = 'SimTimeError';
}

// A handle packs a slot index and the slot's generation so that cancelling a handle whose event
// has already fired (and whose slot was reused) is a harmless no-op instead of cancelling a stranger.
const SLOT_BITS = 2 ** 26;

export class EventEngine {
  private nowPs = 0;
  private seq = 0;
  private size = 0;
  private capacity: number;
  /** heap[i] = slot index; ordered by (time, seq) of the slot. */
  private heap: Int32Array;
  private slotTime: Float64Array;
  private slotSeq: Float64Array;
  private slotGen: Uint32Array;
  /** heap position of each live slot, -1 when the slot is free. */
  private slotPos: Int32Array;
  private slotFn: (EventCallback | null)[];
  private freeSlots: number[] = [];
  private nextSlot = 0;
  private depth = 0;
  private executed = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.heap = new Int32Array(this.capacity);
    this.slotTime = new Float64Array(this.capacity);
    this.slotSeq = new Float64Array(this.capacity);
    this.slotGen = new Uint32Array(this.capacity);
    this.slotPos = new Int32Array(this.capacity).fill(-1);
    this.slotFn = new Array(this.capacity).fill(null);
  }

  /** Current simulated time in picoseconds. */
  get now(): number {
    return this.nowPs;
  }

  /** Number of events waiting to run. */
  get pending(): number {
    return this.size;
  }

  /** Events run since the engine was created. */
  get eventsExecuted(): number {
    return this.executed;
  }

  /** Time of the earliest pending event, or Infinity when none is pending. */
  peekTime(): number {
    return this.size === 0 ? Infinity : this.slotTime[this.heap[0]!]!;
  }

  /**
   * Run `fn` at absolute time `at` (picoseconds). A time in the past is delivered at the current
   * time: a loosely-timed thread may stamp an action slightly behind global time (DESIGN.md).
   */
  schedule(at: number, fn: EventCallback): EventHandle {
    if (!Number.isInteger(at)) {
      throw new SimTimeError(`schedule: time must be an integer number of picoseconds, got ${at}`);
    }
    if (at > MAX_TIME_PS) {
      throw new SimTimeError(
        `schedule: time ${at} ps is past 2^53 ps (about 2.5 hours of simulated time), the engine's limit`,
      );
    }
    if (typeof fn !== 'function') throw new TypeError('schedule: callback must be a function');
    if (at < this.nowPs) at = this.nowPs;
    const slot = this.allocSlot();
    this.slotTime[slot] = at;
    this.slotSeq[slot] = this.seq++;
    this.slotFn[slot] = fn;
    this.push(slot);
    return this.slotGen[slot]! * SLOT_BITS + slot;
  }

  /** Run `fn` after `delay` picoseconds. */
  scheduleIn(delay: number, fn: EventCallback): EventHandle {
    if (!(delay >= 0)) throw new SimTimeError(`scheduleIn: delay must be >= 0 ps, got ${delay}`);
    return this.schedule(this.nowPs + delay, fn);
  }

  /** Cancel a pending event. Returns false if it already ran or was cancelled. */
  cancel(handle: EventHandle): boolean {
    const slot = handle % SLOT_BITS;
    const gen = Math.floor(handle / SLOT_BITS);
    if (slot >= this.nextSlot || this.slotGen[slot] !== gen) return false;
    const pos = this.slotPos[slot]!;
    if (pos < 0) return false;
    this.removeAt(pos);
    this.releaseSlot(slot);
    return true;
  }

  /** Run the earliest event. Returns false when nothing is pending. */
  step(): boolean {
    if (this.size === 0) return false;
    const slot = this.heap[0]!;
    const t = this.slotTime[slot]!;
    const fn = this.slotFn[slot]!;
    this.removeAt(0);
    this.releaseSlot(slot);
    if (t > this.nowPs) this.nowPs = t;
    this.executed++;
    fn();
    return true;
  }

  /** Run until no event is pending. */
  run(): void {
    while (this.step()) {
      /* each step runs one event */
    }
  }

  /**
   * Run every event due at or before `t`, then set the clock to `t`. Re-entrant: a thread that
   * reads a device register synchronises by running the engine up to its local time.
   */
  runUntil(t: number): void {
    if (!Number.isFinite(t) || t > MAX_TIME_PS) {
      throw new SimTimeError(`runUntil: time ${t} ps is past 2^53 ps, the engine's limit`);
    }
    this.depth++;
    try {
      while (this.size > 0 && this.slotTime[this.heap[0]!]! <= t) this.step();
    } finally {
      this.depth--;
    }
    if (t > this.nowPs) this.nowPs = t;
  }

  /** True while `runUntil` is on the stack (a synchronisation from inside an event). */
  get nested(): boolean {
    return this.depth > 1;
  }

  private allocSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.nextSlot === this.capacity) this.grow();
    return this.nextSlot++;
  }

  private releaseSlot(slot: number): void {
    this.slotFn[slot] = null;
    this.slotPos[slot] = -1;
    this.slotGen[slot] = (this.slotGen[slot]! + 1) >>> 0;
    this.freeSlots.push(slot);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    if (cap > SLOT_BITS) throw new SimTimeError(`event engine: more than ${SLOT_BITS} pending events`);
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    const time = new Float64Array(cap);
    time.set(this.slotTime);
    const seq = new Float64Array(cap);
    seq.set(this.slotSeq);
    const gen = new Uint32Array(cap);
    gen.set(this.slotGen);
    const pos = new Int32Array(cap).fill(-1);
    pos.set(this.slotPos);
    this.heap = heap;
    this.slotTime = time;
    this.slotSeq = seq;
    this.slotGen = gen;
    this.slotPos = pos;
    for (let i = this.capacity; i < cap; i++) this.slotFn.push(null);
    this.capacity = cap;
  }

  private less(a: number, b: number): boolean {
    const ta = this.slotTime[a]!;
    const tb = this.slotTime[b]!;
    return ta < tb || (ta === tb && this.slotSeq[a]! < this.slotSeq[b]!);
  }

  private push(slot: number): void {
    let i = this.size++;
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(slot, p)) break;
      heap[i] = p;
      this.slotPos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.slotPos[slot] = i;
  }

  private removeAt(pos: number): void {
    const heap = this.heap;
    const last = heap[--this.size]!;
    if (pos === this.size) return;
    // Move the last element into the hole, then restore heap order in whichever direction it needs.
    let i = pos;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.less(last, p)) break;
      heap[i] = p;
      this.slotPos[p] = i;
      i = parent;
    }
    if (i === pos) {
      const n = this.size;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = heap[l]!;
        let ci = l;
        if (r < n && this.less(heap[r]!, c)) {
          c = heap[r]!;
          ci = r;
        }
        if (!this.less(c, last)) break;
        heap[i] = c;
        this.slotPos[c] = i;
        i = ci;
      }
    }
    heap[i] = last;
    this.slotPos[last] = i;
  }
}
