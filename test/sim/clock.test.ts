import { describe, expect, it } from 'vitest';
import { ClockDomain } from '../../sim/clock.js';

describe('ClockDomain', () => {
  it('gives the 33⅓ MHz PCI clock a 30 ns period exactly', () => {
    expect(ClockDomain.PCI33.cyclesToPs(1)).toBe(30_000);
    expect(ClockDomain.PCI33.cyclesToPs(1_000_000_000)).toBe(30_000_000_000_000);
  });

  it('does not drift over 10^9 cycles at 266⅔ MHz and 2.4 GHz', () => {
    expect(ClockDomain.CORE266.cyclesToPs(1_000_000_000)).toBe(3_750_000_000_000);
    // 2.4 GHz: 10^9 cycles = 10^12/2.4 ps = 416_666_666_666.67 ps, rounded down once, not per cycle.
    expect(ClockDomain.CPU2400.cyclesToPs(1_000_000_000)).toBe(416_666_666_666);
    expect(ClockDomain.CPU2400.cyclesToPs(3)).toBe(1250);
  });

  it('is exact for a frequency whose period has a large remainder (BigInt path)', () => {
    const odd = new ClockDomain('odd', 33_330_000);
    const n = 999_999_937;
    const expected = (BigInt(n) * 1_000_000_000_000n) / 33_330_000n;
    expect(odd.cyclesToPs(n)).toBe(Number(expected));
  });

  it('adds up: cyclesToPs(a + b) is within one picosecond of the parts', () => {
    const c = ClockDomain.CPU2400;
    for (const [a, b] of [[1, 2], [7, 11], [123_456, 654_321]] as const) {
      const whole = c.cyclesToPs(a + b);
      const parts = c.cyclesToPs(a) + c.cyclesToPs(b);
      expect(whole - parts).toBeGreaterThanOrEqual(0);
      expect(whole - parts).toBeLessThanOrEqual(1);
    }
  });

  it('converts picoseconds back to whole cycles and finds the next edge', () => {
    expect(ClockDomain.PCI33.psToCycles(59_999)).toBe(1);
    expect(ClockDomain.PCI33.psToCycles(60_000)).toBe(2);
    expect(ClockDomain.PCI33.nextEdge(30_001)).toBe(60_000);
    expect(ClockDomain.PCI33.nextEdge(60_000)).toBe(60_000);
  });

  it('rejects bad frequencies and cycle counts with the argument named', () => {
    expect(() => new ClockDomain('x', 0)).toThrow(/hzNumerator/);
    expect(() => new ClockDomain('x', 1, 0)).toThrow(/hzDenominator/);
    expect(() => ClockDomain.PCI33.cyclesToPs(-1)).toThrow(/cycles/);
    expect(() => ClockDomain.PCI33.cyclesToPs(1.5)).toThrow(/cycles/);
  });
});
