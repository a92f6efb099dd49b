/**
 * bus_dma strict mode: the discipline a non-coherent machine punishes, checked on this coherent one.
 *
 * On an x86 PC a driver that forgets a bus_dmamap_sync usually gets away with it, because the CPU
 * caches snoop DMA; on an ARM or MIPS board, or as soon as a map bounces, the same driver reads
 * stale bytes. The checker keeps, for every loaded map, what the device is entitled to see and
 * what the CPU is entitled to read, and reports the first byte that breaks the rules:
 *
 * - dma-outside-map: a device touches bytes that no map loaded for it covers (including a map
 *   that was unloaded, so "DMA after unload" is this kind too);
 * - dma-read-before-prewrite: a device reads a map never synced BUS_DMASYNC_PREWRITE since load;
 * - dma-read-stale: a device reads bytes the CPU changed after the last PREWRITE. At PREWRITE the
 *   map's bytes are snapshotted, and a device read compares its range with the snapshot, so every
 *   CPU store counts, not only those made through the buffer helpers;
 * - cpu-read-before-postread: the CPU (through mbuf, uio and crypto_copydata, which report to
 *   PhysMemory.noteCpu) reads bytes a device wrote before the map that covers them was synced
 *   BUS_DMASYNC_POSTREAD. Bytes still pending when their map is unloaded stay watched until the
 *   CPU overwrites them or another map loads them, since the usual bug is "forgot POSTREAD, then
 *   unloaded, then the consumer read the result".
 *
 * Addresses: a device sees bus addresses (the segments, which may be bounce pages); the CPU sees
 * the client buffer. Everything the CPU side tracks is kept in client addresses.
 *
 * Where several loaded maps of one device cover a byte (the same buffer loaded twice), a read is
 * fine if any of them allows it.
 */
import type { PhysMemory } from './memory.js';
import type { Violation } from './violations.js';
import type { BusDmaMap } from './busdma.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Disjoint, sorted, non-touching half-open ranges [s, e), flat in one array: s0, e0, s1, e1, ... */
export class RangeSet {
  private r: number[] = [];

  get empty(): boolean {
    return this.r.length === 0;
  }

  clear(): void {
    this.r.length = 0;
  }

  /** Index (of a start) of the first range whose end is > x (or >= x when `touching`). */
  private firstEndingAfter(x: number, touching: boolean): number {
    const r = this.r;
    let lo = 0;
    let hi = r.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = r[2 * mid + 1]!;
      if (e > x || (touching && e === x)) hi = mid;
      else lo = mid + 1;
    }
    return 2 * lo;
  }

  add(s: number, e: number): void {
    if (s >= e) return;
    const r = this.r;
    const i = this.firstEndingAfter(s, true);
    let j = i;
    while (j < r.length && r[j]! <= e) j += 2;
    if (i === j) {
      r.splice(i, 0, s, e);
      return;
    }
    const ns = Math.min(s, r[i]!);
    const ne = Math.max(e, r[j - 1]!);
    r.splice(i, j - i, ns, ne);
  }

  addAll(o: RangeSet): void {
    for (let i = 0; i < o.r.length; i += 2) this.add(o.r[i]!, o.r[i + 1]!);
  }

  subtract(s: number, e: number): void {
    if (s >= e || this.r.length === 0) return;
    const r = this.r;
    const i = this.firstEndingAfter(s, false);
    let j = i;
    while (j < r.length && r[j]! < e) j += 2;
    if (i === j) return;
    const keep: number[] = [];
    if (r[i]! < s) keep.push(r[i]!, s);
    if (r[j - 1]! > e) keep.push(e, r[j - 1]!);
    r.splice(i, j - i, ...keep);
  }

  /** First address in [s, e) inside the set, or -1. */
  firstIn(s: number, e: number): number {
    if (s >= e) return -1;
    const r = this.r;
    const i = this.firstEndingAfter(s, false);
    return i < r.length && r[i]! < e ? Math.max(s, r[i]!) : -1;
  }

  /** First address in [s, e) outside the set, or -1. */
  firstOutside(s: number, e: number): number {
    if (s >= e) return -1;
    const r = this.r;
    const i = this.firstEndingAfter(s, false);
    if (i >= r.length || r[i]! > s) return s;
    return r[i + 1]! < e ? r[i + 1]! : -1;
  }

  has(x: number): boolean {
    return this.firstIn(x, x + 1) >= 0;
  }
}

/** One loaded segment as the device sees it. */
interface Mapping {
  /** Bus addresses [start, end). */
  start: number;
  end: number;
  map: BusDmaMap;
  /** Client address of `start`. */
  client: number;
  /** Offset of `start` in the map's PREWRITE snapshot. */
  snapOff: number;
}

/** Per-map sync bookkeeping, attached to a map while strict mode is on. */
export class MapSyncState {
  prewritten = false;
  /** The map's bytes at the last PREWRITE, segments end to end; reused across loads. */
  snapshot: Uint8Array | null = null;
  snapshotLen = 0;
  /** Client bytes the device wrote since the last PREWRITE: they need not match the snapshot. */
  readonly deviceWritten = new RangeSet();
  /** Client bytes the device wrote since the last POSTREAD: the CPU must not read them yet. */
  readonly pendingPostread = new RangeSet();
  mappings: Mapping[] = [];
}

/**
 * The loaded segments of one device, sorted by bus address. Segments of different maps may
 * overlap, so a lookup searches from `start - maxLen`, the furthest back an overlapping segment can
 * begin, instead of keeping an interval tree for what is in practice a handful of maps.
 */
class DeviceIndex {
  private starts: number[] = [];
  private items: Mapping[] = [];
  private maxLen = 0;

  get size(): number {
    return this.items.length;
  }

  private lowerBound(x: number): number {
    const a = this.starts;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(m: Mapping): void {
    const i = this.lowerBound(m.start + 1);
    this.starts.splice(i, 0, m.start);
    this.items.splice(i, 0, m);
    if (m.end - m.start > this.maxLen) this.maxLen = m.end - m.start;
  }

  remove(m: Mapping): void {
    let i = this.lowerBound(m.start);
    while (i < this.items.length && this.items[i] !== m) i++;
    if (i === this.items.length) throw new Error(`bus_dma strict: segment at ${hex(m.start)} missing from its device index`);
    this.starts.splice(i, 1);
    this.items.splice(i, 1);
    if (this.items.length === 0) this.maxLen = 0;
  }

  /** Segments overlapping [a, b), by ascending start, appended to `out`. */
  overlapping(a: number, b: number, out: Mapping[]): void {
    const items = this.items;
    for (let i = this.lowerBound(a - this.maxLen + 1); i < items.length && items[i]!.start < b; i++) {
      if (items[i]!.end > a) out.push(items[i]!);
    }
  }
}

type Report = (v: Violation) => void;

export class StrictChecker {
  private readonly byDevice = new Map<string, DeviceIndex>();
  /** Maps with device-written bytes not yet synced POSTREAD. */
  private readonly pending = new Set<BusDmaMap>();
  /** Bytes still pending POSTREAD when their map was unloaded, by device. */
  private readonly orphans = new Map<string, RangeSet>();
  private readonly hits: Mapping[] = [];

  constructor(
    private readonly mem: PhysMemory,
    private readonly report: Report,
    private readonly now: () => number,
  ) {}

  loaded(map: BusDmaMap): void {
    const st = (map.sync ??= new MapSyncState());
    st.prewritten = false;
    st.deviceWritten.clear();
    st.pendingPostread.clear();
    const device = map.tag.owner;
    let index = this.byDevice.get(device);
    if (!index) this.byDevice.set(device, (index = new DeviceIndex()));
    let off = 0;
    st.mappings = map.segs.map((seg, i) => {
      const m: Mapping = { start: seg.ds_addr, end: seg.ds_addr + seg.ds_len, map, client: map.segClient[i]!, snapOff: off };
      off += seg.ds_len;
      index.insert(m);
      if (this.orphans.size > 0) this.forgetOrphans(m.client, m.client + seg.ds_len);
      return m;
    });
    st.snapshotLen = off;
  }

  unloaded(map: BusDmaMap): void {
    const st = map.sync;
    if (!st) return;
    const index = this.byDevice.get(map.tag.owner);
    for (const m of st.mappings) index!.remove(m);
    st.mappings = [];
    if (!st.pendingPostread.empty) {
      let set = this.orphans.get(map.tag.owner);
      if (!set) this.orphans.set(map.tag.owner, (set = new RangeSet()));
      set.addAll(st.pendingPostread);
      st.pendingPostread.clear();
    }
    this.pending.delete(map);
  }

  /** After the bounce copies of bus_dmamap_sync: PREWRITE starts a new snapshot, POSTREAD releases device writes. */
  synced(map: BusDmaMap, prewrite: boolean, postread: boolean): void {
    const st = map.sync!;
    if (prewrite) {
      if (!st.snapshot || st.snapshot.length < st.snapshotLen) st.snapshot = new Uint8Array(st.snapshotLen);
      const bytes = this.mem.bytes;
      for (const m of st.mappings) st.snapshot.set(bytes.subarray(m.client, m.client + (m.end - m.start)), m.snapOff);
      st.prewritten = true;
      st.deviceWritten.clear();
    }
    if (postread) {
      st.pendingPostread.clear();
      this.pending.delete(map);
    }
  }

  deviceAccess(device: string, kind: 'read' | 'write', paddr: number, len: number, t: number): void {
    if (len <= 0) return;
    const end = paddr + len;
    const hits = this.hits;
    hits.length = 0;
    const index = this.byDevice.get(device);
    index?.overlapping(paddr, end, hits);
    let covered = paddr;
    for (const h of hits) {
      if (h.start > covered) break;
      if (h.end > covered) covered = h.end;
      if (covered >= end) break;
    }
    if (covered < end) {
      const what = !index || index.size === 0 ? `no map is loaded for ${device}` : `it lies outside every map loaded for ${device}`;
      this.report({
        kind: 'dma-outside-map',
        t,
        device,
        address: covered,
        operation: kind,
        message: `${device} ${kind === 'read' ? 'read' : 'wrote'} ${len} bytes at ${hex(paddr)}; byte ${hex(covered)} is not mapped: ${what}`,
      });
      return;
    }
    if (kind === 'write') {
      for (const h of hits) {
        const lo = Math.max(paddr, h.start);
        const c = h.client + (lo - h.start);
        const n = Math.min(end, h.end) - lo;
        const st = h.map.sync!;
        st.deviceWritten.add(c, c + n);
        st.pendingPostread.add(c, c + n);
        this.pending.add(h.map);
      }
      return;
    }
    for (const h of hits) {
      const hi = Math.min(end, h.end);
      let x = this.firstBadRead(h, Math.max(paddr, h.start), hi);
      while (x >= 0 && hits.length > 1 && this.vouched(h, x)) x = this.firstBadRead(h, x + 1, hi);
      if (x >= 0) {
        this.reportRead(device, h, x, paddr, len, t);
        return;
      }
    }
  }

  /** PhysMemory CPU access hook. Costs one size check per access while nothing is pending. */
  readonly cpuAccess = (kind: 'read' | 'write', paddr: number, len: number): void => {
    if (kind === 'write') {
      if (this.orphans.size > 0) this.forgetOrphans(paddr, paddr + len);
      return;
    }
    if (this.pending.size > 0) {
      for (const map of this.pending) {
        const x = map.sync!.pendingPostread.firstIn(paddr, paddr + len);
        if (x >= 0) {
          this.reportCpuRead(map.tag.owner, x, paddr, len, `through ${map.name}, which has not been synced BUS_DMASYNC_POSTREAD since`);
          return;
        }
      }
    }
    for (const [device, set] of this.orphans) {
      const x = set.firstIn(paddr, paddr + len);
      if (x >= 0) {
        this.reportCpuRead(device, x, paddr, len, 'and its map was unloaded without a BUS_DMASYNC_POSTREAD after');
        return;
      }
    }
  };

  private forgetOrphans(s: number, e: number): void {
    for (const [device, set] of this.orphans) {
      set.subtract(s, e);
      if (set.empty) this.orphans.delete(device);
    }
  }

  /** First bus address in [lo, hi) of mapping `h` that the device may not read yet, or -1. */
  private firstBadRead(h: Mapping, lo: number, hi: number): number {
    if (lo >= hi) return -1;
    const st = h.map.sync!;
    const c0 = h.client + (lo - h.start);
    const n = hi - lo;
    if (!st.prewritten) {
      const c = st.deviceWritten.firstOutside(c0, c0 + n);
      return c < 0 ? -1 : lo + (c - c0);
    }
    const bytes = this.mem.bytes;
    const snap = st.snapshot!;
    const s0 = h.snapOff + (lo - h.start);
    for (let k = 0; k < n; k++) {
      if (bytes[c0 + k] !== snap[s0 + k] && !st.deviceWritten.has(c0 + k)) return lo + k;
    }
    return -1;
  }

  /** Whether another map of the same device covering bus address x lets the device read it. */
  private vouched(h: Mapping, x: number): boolean {
    for (const o of this.hits) {
      if (o.map !== h.map && o.start <= x && x < o.end && this.firstBadRead(o, x, x + 1) < 0) return true;
    }
    return false;
  }

  private reportRead(device: string, h: Mapping, x: number, paddr: number, len: number, t: number): void {
    const st = h.map.sync!;
    const client = h.client + (x - h.start);
    const where = client === x ? hex(x) : `${hex(x)} (bounce page for client byte ${hex(client)})`;
    const stale = st.prewritten;
    this.report({
      kind: stale ? 'dma-read-stale' : 'dma-read-before-prewrite',
      t,
      device,
      address: x,
      operation: 'read',
      message: stale
        ? `${device} read ${len} bytes at ${hex(paddr)} through ${h.map.name}; byte ${where} was changed by the CPU after the last BUS_DMASYNC_PREWRITE`
        : `${device} read ${len} bytes at ${hex(paddr)} through ${h.map.name}, byte ${where}, but the map was never synced BUS_DMASYNC_PREWRITE since bus_dmamap_load`,
    });
  }

  private reportCpuRead(device: string, x: number, paddr: number, len: number, why: string): void {
    this.report({
      kind: 'cpu-read-before-postread',
      t: this.now(),
      device,
      address: x,
      operation: 'cpu-read',
      message: `the CPU read ${len} bytes at ${hex(paddr)}; byte ${hex(x)} was written by ${device} ${why} the device wrote it`,
    });
  }
}
