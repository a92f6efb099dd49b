/**
 * Seeded pseudo-random numbers: one root per machine, with named substreams.
 *
 * Every random choice in a simulation (IVs, workload mixes, jitter, fault injection) draws from a
 * substream named after its consumer, derived from the machine seed and the name alone, so adding
 * a new consumer of randomness never perturbs the numbers another consumer sees. The generator is
 * xoshiro128** (Blackman & Vigna, 2018), seeded through SplitMix32 from an FNV-1a hash of the name.
 *
 * @example
 *   const root = new Prng(42);
 *   const jitter = root.stream('edu0.jitter');
 *   jitter.int(0, 100);
 */

function fnv1a(str: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Prng {
  readonly seed: number;
  readonly name: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly children = new Map<string, Prng>();

  constructor(seed: number, name = 'root') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Prng: seed must be an integer, got ${seed}`);
    this.seed = seed;
    this.name = name;
    // Mix both halves of a 53-bit seed so that seeds differing only above bit 32 differ.
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const st = { s: fnv1a(name, (seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d)) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** The substream called `name` (created on first use, the same object afterwards). */
  stream(name: string): Prng {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('Prng.stream: name must be a non-empty string');
    let s = this.children.get(name);
    if (!s) {
      s = new Prng(this.seed, `${this.name}/${name}`);
      this.children.set(name, s);
    }
    return s;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 bits of randomness. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`Prng.int: need integers lo <= hi, got ${lo}, ${hi}`);
    }
    return lo + Math.floor(this.nextFloat() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.nextFloat() < p;
  }

  /** Exponentially distributed value with the given mean (for open-loop arrivals). */
  exponential(mean: number): number {
    return -Math.log(1 - this.nextFloat()) * mean;
  }

  /** Pick one element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: empty array');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Fill `out` with random bytes and return it. */
  fill(out: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const w = this.nextU32();
      out[i] = w;
      out[i + 1] = w >>> 8;
      out[i + 2] = w >>> 16;
      out[i + 3] = w >>> 24;
    }
    if (i < out.length) {
      let w = this.nextU32();
      for (; i < out.length; i++, w >>>= 8) out[i] = w;
    }
    return out;
  }

  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array {
    return this.fill(new Uint8Array(n));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The kernel's `arc4random()`: a 32-bit value from the machine's "arc4random" stream. */
export function arc4random(root: Prng): number {
  return root.stream('arc4random').nextU32();
}

/** The kernel's `read_random(buf, len)`: fills `buf[0..len)` and returns len. */
export function read_random(root: Prng, buf: Uint8Array, len: number = buf.length): number {
  if (!Number.isInteger(len) || len < 0 || len > buf.length) {
    throw new RangeError(`read_random: len must be in 0..${buf.length}, got ${len}`);
  }
  root.stream('read_random').fill(buf.subarray(0, len));
  return len;
}
