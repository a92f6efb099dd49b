/**
 * The calibration targets of the Hifn timing tables (docs/devices/hifn.md), checked so that a
 * change to a constant that breaks them fails loudly.
 */
import { describe, expect, it } from 'vitest';
import { HIFN_BENCH_ALGS, hifn3desPeakMbps, hifnKeromytis, hifnMachine, hifnMiltchev, hifnThroughput } from '../../../bench/hifn.bench.js';

describe('Hifn timing calibration', () => {
  it('Miltchev 2002: for 40-byte packets, setup, PCI transfer and interrupt cost about as much as software crypto did', () => {
    const r = hifnMiltchev('7751');
    expect(r.overheadUs / r.softwareUs).toBeGreaterThan(0.5);
    expect(r.overheadUs / r.softwareUs).toBeLessThan(2);
    // ... and it dominates a small packet: the engine's own part is the smaller one.
    expect(r.overheadUs).toBeGreaterThan(r.engineUs);
  });

  it('Keromytis 2003: several cards reach about 95% of their 3DES peak on large packets and more than 800 Mbit/s together', () => {
    const eight7751 = hifnKeromytis('7751', 8);
    expect(eight7751.aggregateMbps).toBeGreaterThan(800);
    expect(eight7751.fraction).toBeGreaterThan(0.9);
    const four7956 = hifnKeromytis('7956', 4);
    expect(four7956.aggregateMbps).toBeGreaterThan(800);
    expect(four7956.fraction).toBeGreaterThan(0.9);
    expect(four7956.fraction).toBeLessThan(0.97);
  }, 120_000);

  it('throughput grows with packet size towards the engine peak (per-operation overhead dominates small packets)', () => {
    const alg = HIFN_BENCH_ALGS.find((a) => a.name === '3des-cbc')!;
    const mbps = [64, 1024, 8192].map((size) => {
      const { m, devs } = hifnMachine(['7956']);
      return hifnThroughput(m, devs, alg, size, size > 4096 ? 30 : 100).mbps;
    });
    expect(mbps[0]!).toBeLessThan(0.4 * hifn3desPeakMbps('7956'));
    expect(mbps[1]!).toBeGreaterThan(mbps[0]!);
    expect(mbps[2]!).toBeGreaterThan(0.95 * hifn3desPeakMbps('7956'));
  }, 120_000);
});
