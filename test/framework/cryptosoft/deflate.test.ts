/**
 * CRYPTO_DEFLATE_COMP in cryptosoft (reference/ocf.md §3.7): direction by the low four flag bits,
 * crp_olen, "compression was useless", trimming and growing buffers, zero-length input.
 */
import { describe, expect, it } from 'vitest';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  CRD_F_DSA_SHA_NEEDED,
  CRD_F_ENCRYPT,
  CRD_F_IV_EXPLICIT,
  CRD_F_IV_PRESENT,
  CRD_F_KEY_EXPLICIT,
  CRYPTO_DEFLATE_COMP,
  EINVAL,
} from '../../../framework/constants.js';
import { BACKEND_NAMES, LAYOUTS, PREFIX, concat, dispatch, filler, machine, makeBuffer, session, toHex, type DescSpec } from './helpers.js';
import type { Machine } from '../../../lab/machine.js';
import type { Layout } from './helpers.js';

const TEXT = new TextEncoder().encode('the quick brown fox jumps over the lazy dog; '.repeat(40));
const HEAD = filler(PREFIX, 11);

function once(m: Machine, layout: Layout, sid: bigint, bytes: Uint8Array, d: DescSpec) {
  const b = makeBuffer(m, layout, bytes);
  const out = dispatch(m, sid, b, [d]);
  const after = b.bytes();
  b.free();
  return { ...out, after };
}

describe.each(BACKEND_NAMES)('DEFLATE on the %s backend', (backend) => {
  describe.each(LAYOUTS)('in a $name buffer', (layout) => {
    it('compresses (raw deflate, FreeBSD parameters), sets crp_olen, and decompresses back', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
      const c = once(m, layout, sid, concat(HEAD, TEXT), { alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: TEXT.length, flags: CRD_F_ENCRYPT });
      expect(c.etype).toBe(0);
      const expected = deflateRawSync(TEXT, { level: 6, windowBits: 12, memLevel: 8 });
      expect(c.olen).toBe(expected.length);
      expect(toHex(c.after.subarray(PREFIX, PREFIX + c.olen))).toBe(toHex(expected));
      expect(toHex(c.after.subarray(0, PREFIX))).toBe(toHex(HEAD));
      // mbuf chains and uios are trimmed to the output; a contiguous buffer keeps its size.
      expect(c.after.length).toBe(layout.kind === 'contig' ? PREFIX + TEXT.length : PREFIX + c.olen);
      const src = layout.kind === 'mbuf' ? c.after.subarray(0, PREFIX + c.olen) : concat(c.after.subarray(0, PREFIX + c.olen), new Uint8Array(TEXT.length - c.olen));
      const d = once(m, layout, sid, src, { alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: c.olen });
      expect(d.etype).toBe(0);
      expect(d.olen).toBe(TEXT.length);
      expect(toHex(d.after.subarray(PREFIX, PREFIX + TEXT.length))).toBe(toHex(TEXT));
    });

    it('leaves incompressible data untouched ("compression was useless") but still sets crp_olen', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
      const noise = filler(300, 99);
      const c = once(m, layout, sid, concat(HEAD, noise), { alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: noise.length, flags: CRD_F_ENCRYPT });
      expect(c.etype).toBe(0);
      expect(c.olen).toBeGreaterThanOrEqual(noise.length);
      expect(toHex(c.after)).toBe(toHex(concat(HEAD, noise)));
    });

    it('refuses a zero-length region in either direction (FreeBSD looped forever)', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
      for (const flags of [0, CRD_F_ENCRYPT]) {
        expect(once(m, layout, sid, HEAD, { alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: 0, flags }).etype).toBe(EINVAL);
      }
    });

    it('answers EINVAL for a corrupt stream', () => {
      const m = machine(backend);
      const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
      const junk = concat(HEAD, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
      const r = once(m, layout, sid, junk, { alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: 6 });
      expect(r.etype).toBe(EINVAL);
      expect(toHex(r.after)).toBe(toHex(junk));
    });
  });

  it('compresses when any of the low four flag bits is set (CRD_F_COMP = 0x0f), decompresses otherwise', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
    for (const flags of [CRD_F_ENCRYPT, CRD_F_IV_PRESENT, CRD_F_IV_EXPLICIT, CRD_F_DSA_SHA_NEEDED]) {
      const r = once(m, LAYOUTS[0]!, sid, TEXT, { alg: CRYPTO_DEFLATE_COMP, skip: 0, len: TEXT.length, flags });
      expect(r.olen, `flags ${flags}`).toBeLessThan(TEXT.length);
      expect(toHex(inflateRawSync(r.after.subarray(0, r.olen)))).toBe(toHex(TEXT));
    }
    const r = once(m, LAYOUTS[0]!, sid, TEXT, { alg: CRYPTO_DEFLATE_COMP, skip: 0, len: TEXT.length, flags: CRD_F_KEY_EXPLICIT });
    expect(r.etype).toBe(EINVAL); // text is not a deflate stream: 0x10 alone means "decompress"
  });

  it('grows an mbuf chain for decompressed output, and refuses a contiguous or uio buffer too small for it', () => {
    const m = machine(backend);
    const sid = session(m, { alg: CRYPTO_DEFLATE_COMP });
    const packed = deflateRawSync(TEXT);
    for (const layout of LAYOUTS) {
      const r = once(m, layout, sid, concat(HEAD, packed), { alg: CRYPTO_DEFLATE_COMP, skip: PREFIX, len: packed.length });
      expect(r.olen).toBe(TEXT.length);
      if (layout.kind === 'mbuf') {
        expect(r.etype).toBe(0);
        expect(toHex(r.after)).toBe(toHex(concat(HEAD, TEXT)));
      } else {
        expect(r.etype, layout.name).toBe(EINVAL);
        expect(toHex(r.after)).toBe(toHex(concat(HEAD, packed)));
      }
    }
  });

  it('produces the same compressed bytes and crp_olen whichever backend the machine uses', () => {
    const a = machine('noble');
    const b = machine('openssl');
    const d: DescSpec = { alg: CRYPTO_DEFLATE_COMP, skip: 0, len: TEXT.length, flags: CRD_F_ENCRYPT };
    const ra = once(a, LAYOUTS[0]!, session(a, { alg: CRYPTO_DEFLATE_COMP }), TEXT, d);
    const rb = once(b, LAYOUTS[0]!, session(b, { alg: CRYPTO_DEFLATE_COMP }), TEXT, d);
    expect(ra.olen).toBe(rb.olen);
    expect(toHex(ra.after)).toBe(toHex(rb.after));
  });
});
