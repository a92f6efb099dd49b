/**
 * A descriptor ring in host memory, as the card sees it: N fixed-size descriptors at a physical
 * base address, walked by DMA. Ownership is data in the descriptor — a VALID/OWN field the driver
 * sets to hand a descriptor to the card and the card clears (by a DMA write) to hand it back — as
 * in the Hifn rings (hw.md §2.4) and the SafeXcel packet descriptor ring (§4.3).
 *
 * Two ways to wrap, both found in real parts:
 * - `jump`: a descriptor with the JUMP flag holds the address of the next descriptor (Hifn: the
 *   extra slot after the last entry points back to the base). With `release` the card also clears
 *   the jump slot's ownership, so the driver re-arms it on every wrap, as Hifn's does.
 * - `entries`: after `entries` descriptors the card goes back to the base (SafeXcel RINGCFG).
 *
 * The card fetches one descriptor at a time (`fetch`, a DMA read through the ring's engine). A
 * descriptor it does not own means the ring is empty: the cursor stays and the model polls again
 * later or waits for a doorbell. A fetched descriptor is returned with its address, raw bytes and
 * decoded fields; `release` and `writeBack` write status fields back by DMA, only the words that
 * hold them (so a model can write a status word before a length word, SafeXcel fault 17).
 *
 * Fault hook: each fetched descriptor is offered to `corrupt-descriptor` (faults.ts) before it is
 * decoded.
 *
 * @example
 *   const cmd = new DescriptorRing(env, { name: 'cmd', layout: HIFN_DESC, dma, owner: 'valid',
 *     jump: { flag: 'jump', target: 'p', release: true } });
 *   cmd.setBase(bar1.get('CRAR'));
 *   cmd.fetch(t, (r) => { if (r.kind === 'descriptor') parse(r); });
 */
import type { DeviceEnv } from './env.js';
import type { DescriptorLayout } from './descriptor.js';
import type { DmaEngine } from './dma.js';

export interface RingSpec<F extends string> {
  /** "cmd", "src": names the ring in traces and fault specs. */
  name: string;
  layout: DescriptorLayout<F>;
  /** The DMA engine the ring's descriptor traffic goes through. */
  dma: DmaEngine;
  /** The ownership field. */
  owner: F;
  /** Value of the ownership field that gives the descriptor to the card (default 1). */
  ownedValue?: number;
  /** Value the card writes to hand it back (default: 1 - ownedValue). */
  releasedValue?: number;
  /** JUMP wrap: the flag field, the field holding the next address, and whether the card clears the jump slot. */
  jump?: { flag: F; target: F; release?: boolean };
  /** Count wrap: descriptors before going back to the base. */
  entries?: number;
  /** Bytes from one descriptor to the next (default the layout's size). */
  stride?: number;
  /** Consecutive JUMP descriptors followed in one fetch before giving up (default 4). */
  maxJumps?: number;
}

/** A descriptor the card now owns. */
export interface FetchedDescriptor<F extends string> {
  kind: 'descriptor';
  paddr: number;
  bytes: Uint8Array;
  fields: Record<F, number>;
  /** When the fetch completed, ps. */
  t: number;
}

export type FetchResult<F extends string> =
  | FetchedDescriptor<F>
  /** The descriptor at the cursor is the host's: nothing to do. */
  | { kind: 'empty'; paddr: number; t: number }
  /** The DMA failed (failedAt) or the ring is malformed (a JUMP loop). */
  | { kind: 'error'; paddr: number; t: number; reason: 'dma' | 'jump-loop' };

export interface RingStats {
  fetched: number;
  empty: number;
  /** Times the cursor went back (a JUMP followed, or a count wrap). */
  wraps: number;
  /** Descriptors handed back with `release` (jump slots not counted). */
  released: number;
  errors: number;
}

export class DescriptorRing<F extends string> {
  readonly name: string;
  readonly layout: DescriptorLayout<F>;
  readonly stride: number;
  readonly stats: RingStats = { fetched: 0, empty: 0, wraps: 0, released: 0, errors: 0 };
  private readonly spec: RingSpec<F>;
  private readonly owned: number;
  private readonly released: number;
  private baseAddr = 0;
  private cur = 0;
  private index = 0;
  private busy = false;
  private epoch = 0;

  constructor(
    readonly env: DeviceEnv,
    spec: RingSpec<F>,
  ) {
    if (!spec.jump && spec.entries === undefined) throw new RangeError(`ring ${spec.name}: give a jump field or a number of entries (how does it wrap?)`);
    if (spec.entries !== undefined && !(Number.isSafeInteger(spec.entries) && spec.entries > 0)) throw new RangeError(`ring ${spec.name}: entries must be a positive integer`);
    this.spec = spec;
    this.name = spec.name;
    this.layout = spec.layout;
    this.stride = spec.stride ?? spec.layout.size;
    this.owned = spec.ownedValue ?? 1;
    this.released = spec.releasedValue ?? 1 - this.owned;
    if (this.stride < spec.layout.size) throw new RangeError(`ring ${spec.name}: stride ${this.stride} is smaller than the ${spec.layout.size}-byte descriptor`);
  }

  get base(): number {
    return this.baseAddr;
  }

  /** Physical address of the next descriptor the card will look at. */
  get cursor(): number {
    return this.cur;
  }

  /** A fetch is in flight. */
  get fetching(): boolean {
    return this.busy;
  }

  /** Software programmed the ring base (or the card reset): start over at `paddr`. Drops a fetch in flight. */
  setBase(paddr: number): void {
    if (!Number.isSafeInteger(paddr) || paddr < 0) throw new RangeError(`ring ${this.name}: base must be an integer >= 0, got ${paddr}`);
    this.baseAddr = paddr;
    this.cur = paddr;
    this.index = 0;
    this.busy = false;
    this.epoch++;
  }

  /** Fetch the descriptor at the cursor (following JUMPs), no earlier than `startAt`. One fetch at a time. */
  fetch(startAt: number, done: (r: FetchResult<F>) => void, req?: number): void {
    if (this.busy) throw new Error(`ring ${this.name}: fetch while a fetch is in flight (serialise fetches, e.g. through one Stage)`);
    this.busy = true;
    const epoch = this.epoch;
    const finish = (r: FetchResult<F>): void => {
      if (epoch !== this.epoch) return; // the ring was reset meanwhile
      this.busy = false;
      if (r.kind === 'error') this.stats.errors++;
      done(r);
    };
    this.readAt(startAt, 0, epoch, finish, req);
  }

  /** Hand a descriptor back to the host: write its ownership field (and `changes`), by DMA. */
  release(d: FetchedDescriptor<F>, changes: Partial<Record<F, number>>, startAt: number, done: (ok: boolean, t: number) => void, req?: number): void {
    this.stats.released++;
    this.writeBack(d, { ...changes, [this.spec.owner]: this.released } as Partial<Record<F, number>>, startAt, done, req);
  }

  /** Write some fields of a descriptor back by DMA (only the words holding them). */
  writeBack(d: FetchedDescriptor<F>, changes: Partial<Record<F, number>>, startAt: number, done: (ok: boolean, t: number) => void, req?: number): void {
    const names = Object.keys(changes) as F[];
    for (const n of names) {
      this.layout.set(d.bytes, n, changes[n]!);
      d.fields[n] = this.layout.get(d.bytes, n);
    }
    const { offset, len } = this.layout.span(names);
    this.spec.dma.write({ paddr: d.paddr + offset, len }, d.bytes.subarray(offset, offset + len), startAt, (c) => done(c.ok, c.t), req);
  }

  private readAt(t: number, jumps: number, epoch: number, finish: (r: FetchResult<F>) => void, req?: number): void {
    const paddr = this.cur;
    const size = this.layout.size;
    this.spec.dma.read({ paddr, len: size }, t, (c) => {
      if (epoch !== this.epoch) return;
      if (!c.ok) return finish({ kind: 'error', paddr, t: c.t, reason: 'dma' });
      const bytes = c.data!;
      const faults = this.env.faults;
      if (faults.any) faults.corruptDescriptor(this.name, paddr, bytes, c.t);
      const fields = this.layout.decode(bytes);
      if (fields[this.spec.owner] !== this.owned) {
        this.stats.empty++;
        return finish({ kind: 'empty', paddr, t: c.t });
      }
      const j = this.spec.jump;
      if (j && fields[j.flag]) {
        if (jumps >= (this.spec.maxJumps ?? 4)) return finish({ kind: 'error', paddr, t: c.t, reason: 'jump-loop' });
        this.cur = fields[j.target]!;
        this.index = 0;
        this.stats.wraps++;
        this.env.note('ring.jump', c.t, { ring: this.name, from: paddr, to: this.cur }, req !== undefined ? { req } : undefined);
        if (!j.release) return this.readAt(c.t, jumps + 1, epoch, finish, req);
        const d: FetchedDescriptor<F> = { kind: 'descriptor', paddr, bytes, fields, t: c.t };
        return this.writeBack(d, { [this.spec.owner]: this.released } as Partial<Record<F, number>>, c.t, (ok, t2) => {
          if (epoch !== this.epoch) return;
          if (!ok) return finish({ kind: 'error', paddr, t: t2, reason: 'dma' });
          this.readAt(t2, jumps + 1, epoch, finish, req);
        }, req);
      }
      this.stats.fetched++;
      this.index++;
      if (this.spec.entries !== undefined && this.index >= this.spec.entries) {
        this.cur = this.baseAddr;
        this.index = 0;
        this.stats.wraps++;
      } else {
        this.cur = paddr + this.stride;
      }
      finish({ kind: 'descriptor', paddr, bytes, fields, t: c.t });
    }, req);
  }
}
