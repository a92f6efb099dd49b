/**
 * crypto_copydata / crypto_copyback / crypto_apply (criov.c) over contiguous buffers, mbuf chains
 * and uios, chosen by crp_flags.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTO_F_IMBUF, CRYPTO_F_IOV } from '../../framework/constants.js';
import { crypto_apply, crypto_bufcheck, crypto_buflen, crypto_bufkind, crypto_copyback, crypto_copydata } from '../../framework/criov.js';
import type { crypto_buf } from '../../framework/structs.js';
import { PhysMemory, M_WAITOK } from '../../sim/memory.js';
import { m_fromBytes, m_length, m_toBytes, type mbuf } from '../../sim/mbuf.js';
import { uio_fromBytes, type uio } from '../../sim/uio.js';

const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 7 + 3) & 0xff);

interface Kind {
  name: string;
  make(mem: PhysMemory): { flags: number; buf: crypto_buf; read(): Uint8Array };
}

const KINDS: Kind[] = [
  { name: 'a contiguous buffer', make: () => { const b = data.slice(); return { flags: 0, buf: b, read: () => b.slice() }; } },
  {
    name: 'an mbuf chain with empty mbufs',
    make: (mem) => { const m = m_fromBytes(mem, data, { segments: [3, 0, 10, 0, 0, 1, 40] }); return { flags: CRYPTO_F_IMBUF, buf: m, read: () => m_toBytes(m) }; },
  },
  {
    name: 'a uio with empty iovecs',
    make: (mem) => {
      const { uio: u } = uio_fromBytes(mem, data, [0, 17, 0, 5, 33]);
      return { flags: CRYPTO_F_IOV, buf: u, read: () => { const out = new Uint8Array(100); crypto_copydata(CRYPTO_F_IOV, u, 0, 100, out); return out; } };
    },
  },
];

describe.each(KINDS)('criov over $name', (kind) => {
  it('copies any range out with crypto_copydata', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const b = kind.make(mem);
    expect(crypto_buflen(b.flags, b.buf)).toBe(100);
    for (const [off, len] of [[0, 100], [2, 17], [13, 0], [99, 1], [50, 50]] as const) {
      const out = new Uint8Array(len);
      crypto_copydata(b.flags, b.buf, off, len, out);
      expect([...out]).toEqual([...data.subarray(off, off + len)]);
    }
  });

  it('copies back in place with crypto_copyback, touching nothing else', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const b = kind.make(mem);
    const patch = Uint8Array.from({ length: 30 }, (_, i) => 0xa0 + i);
    crypto_copyback(b.flags, b.buf, 11, 30, patch);
    const want = data.slice();
    want.set(patch, 11);
    expect([...b.read()]).toEqual([...want]);
  });

  it('hands crypto_apply the range piece by piece, in order, and stops at a non-zero result', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const b = kind.make(mem);
    const seen: number[] = [];
    expect(crypto_apply(b.flags, b.buf, 1, 60, (p) => (seen.push(...p), 0))).toBe(0);
    expect(seen).toEqual([...data.subarray(1, 61)]);
    let calls = 0;
    expect(crypto_apply(b.flags, b.buf, 0, 100, () => (++calls, 7))).toBe(7);
    expect(calls).toBe(1);
  });

  it('throws a RangeError past the end of the buffer', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const b = kind.make(mem);
    expect(() => crypto_copydata(b.flags, b.buf, 90, 11, new Uint8Array(11))).toThrow(RangeError);
    if (b.flags !== CRYPTO_F_IMBUF) expect(() => crypto_copyback(b.flags, b.buf, 95, 6, new Uint8Array(6))).toThrow(RangeError);
    expect(() => crypto_apply(b.flags, b.buf, 0, 101, () => 0)).toThrow(RangeError);
  });
});

describe('criov dispatches on crp_flags', () => {
  it('lets crypto_copyback extend an mbuf chain (m_copyback) but never a uio', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const m: mbuf = m_fromBytes(mem, data.subarray(0, 10));
    crypto_copyback(CRYPTO_F_IMBUF, m, 8, 6, Uint8Array.of(1, 2, 3, 4, 5, 6));
    expect(m_length(m)).toBe(14);
    const { uio: u }: { uio: uio } = uio_fromBytes(mem, data.subarray(0, 10));
    expect(() => crypto_copyback(CRYPTO_F_IOV, u, 8, 6, new Uint8Array(6))).toThrow(RangeError);
  });

  it('reports a buffer that is not of the kind the flags announce', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const contig = new Uint8Array(4);
    expect(crypto_bufkind(CRYPTO_F_IMBUF | CRYPTO_F_IOV)).toBe('mbuf');
    expect(crypto_bufcheck(CRYPTO_F_IMBUF, contig)).toMatch(/not an mbuf/);
    expect(crypto_bufcheck(CRYPTO_F_IOV, contig)).toMatch(/not a uio/);
    expect(crypto_bufcheck(0, m_fromBytes(mem, contig))).toMatch(/not a contiguous/);
    expect(crypto_bufcheck(0, null)).toMatch(/NULL/);
    expect(crypto_bufcheck(0, contig)).toBeNull();
    expect(() => crypto_copydata(CRYPTO_F_IMBUF, contig, 0, 1, new Uint8Array(1))).toThrow(TypeError);
  });

  it('reports CPU accesses to a contiguous buffer that lives in machine memory, and only then', () => {
    const mem = new PhysMemory({ size: 1 << 20 });
    const block = mem.malloc(64, M_WAITOK, 'test')!;
    const seen: string[] = [];
    mem.addCpuAccessHook((k, p, len) => seen.push(`${k} ${p - block.paddr} ${len}`));
    crypto_copydata(0, block.bytes, 4, 8, new Uint8Array(8), mem);
    crypto_copyback(0, block.bytes.subarray(16), 2, 3, new Uint8Array(3), mem);
    crypto_apply(0, block.bytes, 1, 2, () => 0, mem);
    crypto_copydata(0, new Uint8Array(64), 0, 8, new Uint8Array(8), mem);
    crypto_copydata(0, block.bytes, 0, 8, new Uint8Array(8));
    expect(seen).toEqual(['read 4 8', 'write 18 3', 'read 1 2']);
  });
});
