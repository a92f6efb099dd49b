/**
 * Clock domains: convert cycle counts at a frequency to picoseconds, exactly.
 *
 * A frequency is a rational number of hertz (numerator / denominator) so that the nominal
 * PCI clock of 33⅓ MHz (period 30 ns) and a 266⅔ MHz core are represented without rounding.
 * `cyclesToPs(n)` is floor(n · 10^12 · den / num), computed in integers: it never drifts, so
 * 10^9 cycles take exactly 10^9 periods.
 *
 * @example
 *   const pci = ClockDomain.PCI33;
 *   pci.cyclesToPs(4); // 120000 (4 × 30 ns)
 */

const PS_PER_S = 1_000_000_000_000;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export class ClockDomain {
  /** Nominal 33 MHz PCI: 100/3 MHz, a 30 ns period. */
  static readonly PCI33 = new ClockDomain('pci33', 100_000_000, 3);
  /** 66 MHz PCI: 200/3 MHz, a 15 ns period. */
  static readonly PCI66 = new ClockDomain('pci66', 200_000_000, 3);
  /** A 266⅔ MHz card core clock (3.75 ns period). */
  static readonly CORE266 = new ClockDomain('core266', 800_000_000, 3);
  /** A 2.4 GHz host CPU. */
  static readonly CPU2400 = new ClockDomain('cpu2400', 2_400_000_000);

  readonly name: string;
  /** Frequency in Hz, as the exact fraction hzNum / hzDen. */
  readonly hzNum: bigint;
  readonly hzDen: bigint;
  /** Whole picoseconds per cycle and the remainder fraction remNum / remDen. */
  private readonly wholePs: number;
  private readonly remNum: number;
  private readonly remDen: number;
  private readonly remNumBig: bigint;
  private readonly remDenBig: bigint;

  constructor(name: string, hzNumerator: number, hzDenominator = 1) {
    if (!Number.isSafeInteger(hzNumerator) || hzNumerator <= 0) {
      throw new RangeError(`ClockDomain ${name}: hzNumerator must be a positive integer, got ${hzNumerator}`);
    }
    if (!Number.isSafeInteger(hzDenominator) || hzDenominator <= 0) {
      throw new RangeError(`ClockDomain ${name}: hzDenominator must be a positive integer, got ${hzDenominator}`);
    }
    this.name = name;
    const g0 = gcd(BigInt(hzNumerator), BigInt(hzDenominator));
    this.hzNum = BigInt(hzNumerator) / g0;
    this.hzDen = BigInt(hzDenominator) / g0;
    // period in ps = 10^12 · den / num = whole + rem / num
    const periodNum = BigInt(PS_PER_S) * this.hzDen;
    const whole = periodNum / this.hzNum;
    let rem = periodNum % this.hzNum;
    let den = this.hzNum;
    const g = gcd(rem, den);
    if (g > 1n) {
      rem /= g;
      den /= g;
    }
    this.wholePs = Number(whole);
    this.remNumBig = rem;
    this.remDenBig = den;
    this.remNum = Number(rem);
    this.remDen = Number(den);
  }

  /** Frequency in Hz as a (possibly inexact) number, for reports. */
  get hz(): number {
    return Number(this.hzNum) / Number(this.hzDen);
  }

  /** Exact length of one period in picoseconds as a number (may be fractional). */
  get periodPs(): number {
    return this.wholePs + this.remNum / this.remDen;
  }

  /** Time taken by `cycles` whole cycles, in picoseconds (rounded down, never drifting). */
  cyclesToPs(cycles: number): number {
    if (!Number.isSafeInteger(cycles) || cycles < 0) {
      throw new RangeError(`${this.name}.cyclesToPs: cycles must be a non-negative integer, got ${cycles}`);
    }
    if (this.remNum === 0) return cycles * this.wholePs;
    const frac = cycles * this.remNum;
    if (frac <= Number.MAX_SAFE_INTEGER) {
      return cycles * this.wholePs + Math.floor(frac / this.remDen);
    }
    return cycles * this.wholePs + Number((BigInt(cycles) * this.remNumBig) / this.remDenBig);
  }

  /** Whole cycles completed in `ps` picoseconds (rounded down). */
  psToCycles(ps: number): number {
    if (!Number.isSafeInteger(ps) || ps < 0) {
      throw new RangeError(`${this.name}.psToCycles: ps must be a non-negative integer, got ${ps}`);
    }
    return Number((BigInt(ps) * this.hzNum) / (BigInt(PS_PER_S) * this.hzDen));
  }

  /** The first clock edge at or after time `ps` (edges at cyclesToPs(k)). */
  nextEdge(ps: number): number {
    const k = this.psToCycles(ps);
    const t = this.cyclesToPs(k);
    return t >= ps ? t : this.cyclesToPs(k + 1);
  }
}
