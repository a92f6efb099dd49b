import { describe, expect, it } from 'vitest';
import { DescriptorLayout } from '../../../devices/kit/descriptor.js';

// The Hifn descriptor (reference hw.md §2.4).
const DESC = new DescriptorLayout('hifn_desc', 8, {
  len: { offset: 0, mask: 0x0000ffff },
  valid: { offset: 0, mask: 0x80000000 },
  jump: { offset: 0, mask: 0x40000000 },
  last: { offset: 0, mask: 0x20000000 },
  maskDoneIrq: { offset: 0, mask: 0x02000000 },
  p: { offset: 4 },
});

describe('DescriptorLayout', () => {
  it('encodes and decodes little-endian fields, flags as 0/1', () => {
    const b = DESC.encode({ len: 36, valid: 1, last: 1, p: 0xdeadbeef });
    expect([...b]).toEqual([36, 0, 0, 0xa0, 0xef, 0xbe, 0xad, 0xde]);
    expect(DESC.decode(b)).toEqual({ len: 36, valid: 1, jump: 0, last: 1, maskDoneIrq: 0, p: 0xdeadbeef });
    DESC.set(b, 'valid', 0);
    expect(DESC.get(b, 'valid')).toBe(0);
    expect(DESC.get(b, 'len')).toBe(36);
  });

  it('encodes into a buffer at an offset and gives the span of words holding some fields', () => {
    const ring = new Uint8Array(32);
    DESC.encode({ p: 7 }, ring, 16);
    expect(DESC.get(ring, 'p', 16)).toBe(7);
    expect(DESC.span(['valid', 'len'])).toEqual({ offset: 0, len: 4 });
    expect(DESC.span(['valid', 'p'])).toEqual({ offset: 0, len: 8 });
    const l16 = new DescriptorLayout('d16', 4, { a: { offset: 0, width: 2 }, b: { offset: 2, width: 2, mask: 0xf000 } });
    const x = l16.encode({ a: 0x1234, b: 0xa });
    expect([...x]).toEqual([0x34, 0x12, 0x00, 0xa0]);
  });

  it('rejects fields outside the descriptor or misaligned', () => {
    expect(() => new DescriptorLayout('x', 8, { a: { offset: 6 } })).toThrow(/offset/);
    expect(() => new DescriptorLayout('x', 8, { a: { offset: 2 } })).toThrow(/offset/);
    expect(() => new DescriptorLayout('x', 8, { a: { offset: 0, width: 2, mask: 0x10000 } })).toThrow(/mask/);
  });
});

describe('DescriptorLayout.describe', () => {
  it('lists every field with its offset and mask', () => {
    expect(DESC.describe()).toMatch(/\+0\s+valid\s+0x80000000/);
    expect(DESC.describe()).toMatch(/\+4\s+p\s+0xffffffff/);
  });
});
