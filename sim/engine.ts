/**
 * The discrete-event engine: the only clock of a simulated machine.
 *
 * Time is an integer number of picoseconds held in a JS number, exact up to 2^53 ps
 * (about 2.5 hours of simulated time). Events due at the same instant run in the order they
 * were scheduled, so a run is reproducible. The pending set is a binary heap over typed arrays
 * (times and sequence numbers in Float64Arrays, callbacks in a slot table), because a
 * simulation spends much of its host time here. Cancelled events are deleted lazily.
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
  /** Entries in the heap, including cancelled ones not yet popped. */
  private size = 0;
  private cancelledCount = 0;
  private capacity: number;
  // The heap keeps its keys in heap order (time, then sequence) beside the slot index, so that
  // sifting touches contiguous typed arrays instead of chasing slot indices.
  private hTime: Float64Array;
  private hSeq: Float64Array;
  private hSlot: Int32Array;
  private slotGen: Uint32Array;
  private slotFn: (EventCallback | null)[];
  private freeSlots: Int32Array;
  private freeCount = 0;
  private nextSlot = 0;
  private depth = 0;
  private executed = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = Math.max(16, initialCapacity);
    this.hTime = new Float64Array(this.capacity);
    this.hSeq = new Float64Array(this.capacity);
    this.hSlot = new Int32Array(this.capacity);
    this.slotGen = new Uint32Array(this.capacity);
    this.freeSlots = new Int32Array(this.capacity);
    this.slotFn = new Array(this.capacity).fill(null);
  }

  /** Current simulated time in picoseconds. */
  get now(): number {
    return this.nowPs;
  }

  /** Number of events waiting to run. */
  get pending(): number {
    return this.size - this.cancelledCount;
  }

  /** Events run since the engine was created. */
  get eventsExecuted(): number {
    return this.executed;
  }

  /** Time of the earliest pending event, or Infinity when none is pending. */
  peekTime(): number {
    this.dropCancelledTop();
    return this.size === 0 ? Infinity : this.hTime[0]!;
  }

  /**
   * Run `fn` at absolute time `at` (picoseconds). A time in the past is delivered at the current
   * time: a loosely-timed thread may stamp an action slightly behind global time (DESIGN.md).
   */
  schedule(at: number, fn: EventCallback): EventHandle {
    if (!Number.isSafeInteger(at)) {
      if (at > MAX_TIME_PS) {
        throw new SimTimeError(
          `schedule: time ${at} ps is past 2^53 ps (about 2.5 hours of simulated time), the engine's limit`,
        );
      }
      throw new SimTimeError(`schedule: time must be an integer number of picoseconds, got ${at}`);
    }
    if (typeof fn !== 'function') throw new TypeError('schedule: callback must be a function');
    if (at < this.nowPs) at = this.nowPs;
    const slot = this.freeCount > 0 ? this.freeSlots[--this.freeCount]! : this.newSlot();
    this.slotFn[slot] = fn;
    this.push(at, this.seq++, slot);
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
    if (slot >= this.nextSlot || this.slotGen[slot] !== gen || this.slotFn[slot] === null) return false;
    // Lazy deletion: the entry stays in the heap and is skipped when it reaches the top.
    this.slotFn[slot] = null;
    this.cancelledCount++;
    return true;
  }

  /** Run the earliest event. Returns false when nothing is pending. */
  step(): boolean {
    for (;;) {
      if (this.size === 0) return false;
      const t = this.hTime[0]!;
      const slot = this.hSlot[0]!;
      const fn = this.slotFn[slot];
      this.pop();
      this.release(slot);
      if (fn === null || fn === undefined) {
        this.cancelledCount--;
        continue;
      }
      if (t > this.nowPs) this.nowPs = t;
      this.executed++;
      fn();
      return true;
    }
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
      for (;;) {
        this.dropCancelledTop();
        if (this.size === 0 || this.hTime[0]! > t) break;
        this.step();
      }
    } finally {
      this.depth--;
    }
    if (t > this.nowPs) this.nowPs = t;
  }

  /** True while `runUntil` is on the stack (a synchronisation from inside an event). */
  get nested(): boolean {
    return this.depth > 1;
  }

  private dropCancelledTop(): void {
    while (this.size > 0 && this.slotFn[this.hSlot[0]!] === null) {
      const slot = this.hSlot[0]!;
      this.pop();
      this.release(slot);
      this.cancelledCount--;
    }
  }

  private newSlot(): number {
    if (this.nextSlot === this.capacity) this.grow();
    return this.nextSlot++;
  }

  private release(slot: number): void {
    this.slotFn[slot] = null;
    this.slotGen[slot] = (this.slotGen[slot]! + 1) >>> 0;
    this.freeSlots[this.freeCount++] = slot;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    if (cap > SLOT_BITS) throw new SimTimeError(`event engine: more than ${SLOT_BITS} pending events`);
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.hTime = grow64(this.hTime);
    this.hSeq = grow64(this.hSeq);
    const slots = new Int32Array(cap);
    slots.set(this.hSlot);
    this.hSlot = slots;
    const gen = new Uint32Array(cap);
    gen.set(this.slotGen);
    this.slotGen = gen;
    const free = new Int32Array(cap);
    free.set(this.freeSlots);
    this.freeSlots = free;
    for (let i = this.capacity; i < cap; i++) this.slotFn.push(null);
    this.capacity = cap;
  }

  private push(t: number, q: number, slot: number): void {
    const hTime = this.hTime;
    const hSeq = this.hSeq;
    const hSlot = this.hSlot;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = hTime[parent]!;
      if (pt < t || (pt === t && hSeq[parent]! < q)) break;
      hTime[i] = pt;
      hSeq[i] = hSeq[parent]!;
      hSlot[i] = hSlot[parent]!;
      i = parent;
    }
    hTime[i] = t;
    hSeq[i] = q;
    hSlot[i] = slot;
  }

  /** Remove the top entry. */
  private pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const hTime = this.hTime;
    const hSeq = this.hSeq;
    const hSlot = this.hSlot;
    const t = hTime[n]!;
    const q = hSeq[n]!;
    const slot = hSlot[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = hTime[c]!;
      let cq = hSeq[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = hTime[r]!;
        if (rt < ct || (rt === ct && hSeq[r]! < cq)) {
          c = r;
          ct = rt;
          cq = hSeq[r]!;
        }
      }
      if (t < ct || (t === ct && q < cq)) break;
      hTime[i] = ct;
      hSeq[i] = cq;
      hSlot[i] = hSlot[c]!;
      i = c;
    }
    hTime[i] = t;
    hSeq[i] = q;
    hSlot[i] = slot;
  }
}
