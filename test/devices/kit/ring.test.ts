import { describe, expect, it } from 'vitest';
import { DescriptorLayout } from '../../../devices/kit/descriptor.js';
import { DmaEngine } from '../../../devices/kit/dma.js';
import { DescriptorRing, type FetchResult, type RingSpec } from '../../../devices/kit/ring.js';
import { bench, PCI_CYCLE_PS, type Bench } from './harness.js';

// The Hifn descriptor (reference hw.md §2.4).
const DESC = new DescriptorLayout('hifn_desc', 8, {
  len: { offset: 0, mask: 0x0000ffff },
  valid: { offset: 0, mask: 0x80000000 },
  jump: { offset: 0, mask: 0x40000000 },
  last: { offset: 0, mask: 0x20000000 },
  maskDoneIrq: { offset: 0, mask: 0x02000000 },
  p: { offset: 4 },
});
type F = (typeof DESC.fieldNames)[number];

interface RingRig extends Bench {
  ring: DescriptorRing<F>;
  dma: DmaEngine;
  base: number;
}

function rig(spec: Partial<RingSpec<F>> = {}, entries = 3, o: { strict?: boolean } = {}): RingRig {
  const b = bench(o);
  const dma = new DmaEngine(b.env, { channel: 'desc' });
  const ring = new DescriptorRing(b.env, { name: 'cmd', layout: DESC, dma, owner: 'valid', jump: { flag: 'jump', target: 'p', release: true }, ...spec });
  const block = b.sys.mem.malloc((entries + 1) * 8)!;
  block.bytes.fill(0);
  ring.setBase(block.paddr);
  return { ...b, ring, dma, base: block.paddr };
}

/** The host side: fill `n` entries, then arm the jump slot back to the base. */
function post(r: RingRig, entries: number, first: number): void {
  const bytes = r.sys.mem.bytes;
  for (let i = 0; i < entries; i++) DESC.encode({ valid: 1, last: 1, len: 16, p: first + i }, bytes, r.base + 8 * i);
  DESC.encode({ valid: 1, jump: 1, maskDoneIrq: 1, p: r.base }, bytes, r.base + 8 * entries);
}

/** The card side: fetch and release until the ring is empty. */
function drain(r: RingRig, seen: number[], results: FetchResult<F>[] = []): void {
  const step = (t: number): void =>
    r.ring.fetch(t, (res) => {
      results.push(res);
      if (res.kind !== 'descriptor') return;
      seen.push(res.fields.p);
      r.ring.release(res, {}, res.t, (ok, t2) => {
        expect(ok).toBe(true);
        step(t2);
      });
    });
  r.sys.engine.schedule(r.sys.now, () => step(r.sys.now));
  r.sys.run();
}

describe('DescriptorRing', () => {
  it('wraps through a JUMP descriptor more than ten times, clearing VALID on every slot including the jump', () => {
    const entries = 3;
    const r = rig({}, entries);
    const seen: number[] = [];
    for (let round = 0; round < 13; round++) {
      post(r, entries, round * entries);
      drain(r, seen);
      // Every descriptor, the jump slot too, has been handed back; the cursor is at the base again.
      for (let i = 0; i <= entries; i++) expect(DESC.get(r.sys.mem.bytes, 'valid', r.base + 8 * i)).toBe(0);
      expect(r.ring.cursor).toBe(r.base);
    }
    expect(seen).toEqual(Array.from({ length: 39 }, (_, i) => i));
    expect(r.ring.stats).toEqual({ fetched: 39, empty: 13, wraps: 13, released: 39, errors: 0 });
  });

  it('without release, the card leaves the jump slot armed', () => {
    const r = rig({ jump: { flag: 'jump', target: 'p', release: false } });
    post(r, 3, 0);
    drain(r, []);
    expect(DESC.get(r.sys.mem.bytes, 'valid', r.base + 24)).toBe(1);
    expect(r.ring.stats.wraps).toBe(1);
  });

  it('a count-wrapped ring goes back to its base after `entries` descriptors', () => {
    const r = rig({ jump: undefined, entries: 3 });
    const seen: number[] = [];
    for (let round = 0; round < 11; round++) {
      for (let i = 0; i < 3; i++) DESC.encode({ valid: 1, p: round * 3 + i }, r.sys.mem.bytes, r.base + 8 * i);
      drain(r, seen);
      expect(r.ring.cursor).toBe(r.base);
    }
    expect(seen).toHaveLength(33);
    expect(r.ring.stats.wraps).toBe(11);
  });

  it('an unowned descriptor means empty: the cursor stays', () => {
    const r = rig();
    const results: FetchResult<F>[] = [];
    drain(r, [], results);
    expect(results).toMatchObject([{ kind: 'empty', paddr: r.base }]);
    expect(r.ring.cursor).toBe(r.base);
  });

  it('fetches by DMA through the port: an 8-byte fetch is one bus transfer of setup + one burst', () => {
    const r = rig();
    post(r, 1, 42);
    let res: FetchResult<F> | undefined;
    r.sys.engine.schedule(0, () => r.ring.fetch(0, (x) => (res = x)));
    r.sys.run();
    // dmaSetupCycles 4 + (2 data phases + 4 burst overhead) on 32-bit 33 MHz PCI.
    expect(res).toMatchObject({ kind: 'descriptor', paddr: r.base, t: 10 * PCI_CYCLE_PS, fields: { p: 42, valid: 1 } });
    expect(r.sys.bus.dmaStats().devices[0]!.bytesRead).toBe(8);
  });

  it('bus_dma strict mode sees the fetch: a ring outside every loaded map is a named violation', () => {
    const r = rig({}, 3, { strict: true });
    post(r, 1, 0);
    drain(r, []);
    const v = r.sys.violations.all.find((x) => x.kind === 'dma-outside-map');
    expect(v?.device).toBe(r.fn.name);
    expect(v?.address).toBe(r.base);
  });

  it('writeBack writes only the words holding the fields it changes', () => {
    const r = rig();
    post(r, 1, 0x1111);
    r.sys.engine.schedule(0, () =>
      r.ring.fetch(0, (res) => {
        if (res.kind !== 'descriptor') throw new Error('expected a descriptor');
        DESC.set(r.sys.mem.bytes, 'p', 0x2222, r.base); // the host changes the other word meanwhile
        r.ring.writeBack(res, { len: 5 }, res.t, () => undefined);
      }),
    );
    r.sys.run();
    expect(DESC.get(r.sys.mem.bytes, 'len', r.base)).toBe(5);
    expect(DESC.get(r.sys.mem.bytes, 'p', r.base)).toBe(0x2222);
  });

  it('reports a JUMP loop as an error instead of spinning', () => {
    const r = rig({ jump: { flag: 'jump', target: 'p', release: false } });
    DESC.encode({ valid: 1, jump: 1, p: r.base }, r.sys.mem.bytes, r.base);
    const results: FetchResult<F>[] = [];
    drain(r, [], results);
    expect(results).toMatchObject([{ kind: 'error', reason: 'jump-loop' }]);
    expect(r.ring.stats.errors).toBe(1);
  });

  it('refuses a second fetch while one is in flight, and forgets a fetch when the base is reprogrammed', () => {
    const r = rig();
    post(r, 1, 0);
    let called = 0;
    r.sys.engine.schedule(0, () => {
      r.ring.fetch(0, () => called++);
      expect(() => r.ring.fetch(0, () => called++)).toThrow(/in flight/);
      r.ring.setBase(r.base);
    });
    r.sys.run();
    expect(called).toBe(0);
    expect(r.ring.fetching).toBe(false);
  });
});
