/**
 * Raw DEFLATE (framework/xform/deflate.ts) on fflate and node:zlib. Compressed streams are not
 * unique, so the cross-implementation checks are: each side's compressed output inflates to the
 * input under BOTH inflaters, and both inflaters give identical bytes for the same stream.
 */
import { describe, expect, it } from 'vitest';
import { DEFLATE_IMPLEMENTATIONS, DeflateError, compressionUseless, deflateOutcome } from '../../../framework/xform/deflate.js';
import { Prng } from '../../../sim/prng.js';
import { BACKENDS, hex, loadVectors, toHex } from './backends.js';

interface DeflateVector { id: string; input: string; compressed: string }
const vectors = loadVectors<DeflateVector>('deflate');
const INFLATERS = Object.entries(DEFLATE_IMPLEMENTATIONS);

/** Text-like data (words from a small vocabulary) that compresses well. */
function text(rng: Prng, n: number): Uint8Array {
  const words = ['crypto', 'session', 'mbuf', 'the', 'dispatch', 'request', 'of', 'driver', 'key', 'iv', ' ', '\n'];
  const out = new Uint8Array(n);
  for (let i = 0; i < n;) for (const c of Buffer.from(`${rng.pick(words)} `)) if (i < n) out[i++] = c;
  return out;
}

describe.each(BACKENDS)('DEFLATE on the %s backend', (_name, b) => {
  it.each(vectors.map((v) => [v.id, v] as const))('inflates the vector %s', (_id, v) => {
    expect(toHex(b.deflateDecompress(hex(v.compressed)))).toBe(v.input);
  });

  it.each(vectors.filter((v) => v.input !== '').map((v) => [v.id, v] as const))(
    'compresses %s to a stream both inflaters accept',
    (_id, v) => {
      const out = b.deflateCompress(hex(v.input));
      for (const [name, inf] of INFLATERS) expect(toHex(inf.deflateDecompress(out)), name).toBe(v.input);
    },
  );

  it('throws DeflateError("empty-input") for zero-length input in both directions (FreeBSD hung)', () => {
    for (const f of [() => b.deflateCompress(new Uint8Array(0)), () => b.deflateDecompress(new Uint8Array(0))]) {
      expect(f).toThrow(DeflateError);
      expect(f).toThrow(/zero-length input/);
      try {
        f();
      } catch (e) {
        expect((e as DeflateError).code).toBe('empty-input');
      }
    }
  });

  it('throws DeflateError("corrupt") for an invalid or truncated stream', () => {
    for (const bad of ['07', '4b04', 'ff'.repeat(8)]) {
      let err: unknown;
      try {
        b.deflateDecompress(hex(bad));
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(DeflateError);
      expect((err as DeflateError).code).toBe('corrupt');
    }
  });

  it('random data is "useless" to compress, repetitive text is not', () => {
    const rng = new Prng(1).stream('useless');
    const random = rng.bytes(1000);
    const r = deflateOutcome(true, random.length, b.deflateCompress(random));
    expect(r.writeBack).toBe(false);
    expect(r.olen).toBeGreaterThanOrEqual(random.length);
    const t = text(rng, 1000);
    const c = b.deflateCompress(t);
    expect(deflateOutcome(true, t.length, c)).toEqual({ olen: c.length, writeBack: true });
  });
});

describe('DEFLATE helpers', () => {
  it('compressionUseless is "compressed size >= input size" (ocf.md §3.7)', () => {
    expect(compressionUseless(100, 99)).toBe(false);
    expect(compressionUseless(100, 100)).toBe(true);
    expect(compressionUseless(100, 140)).toBe(true);
  });
  it('decompression is always written back, with crp_olen the output size', () => {
    expect(deflateOutcome(false, 10, new Uint8Array(500))).toEqual({ olen: 500, writeBack: true });
  });
});

describe('DEFLATE across implementations (seeded)', () => {
  const rng = new Prng(2024).stream('deflate-diff');
  const inputs = Array.from({ length: 60 }, (_, i) => {
    const n = rng.int(1, i < 50 ? 3000 : 70000);
    return rng.chance(0.5) ? text(rng, n) : rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.int(0, 255));
  });

  it('every compressed stream inflates to its input under both inflaters, with identical output', () => {
    for (const [i, input] of inputs.entries()) {
      for (const [cname, comp] of INFLATERS) {
        const z = comp.deflateCompress(input);
        const outs = INFLATERS.map(([, inf]) => inf.deflateDecompress(z));
        for (const [k, out] of outs.entries()) {
          expect(Buffer.compare(out, input), `input #${i} (${input.length} B) compressed by ${cname}, inflated by ${INFLATERS[k]![0]}`).toBe(0);
        }
      }
    }
  });
});
