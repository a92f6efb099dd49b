/**
 * `ocfsim cryptocheck` run in-process: the whole matrix on cryptosoft0 agrees with OpenSSL; a new
 * card is checked by adding nothing but the card (its unsupported algorithms are skipped); a card
 * that corrupts a byte is caught with the operation and the byte; the exit codes, the --json
 * document and the usage errors.
 */
import { describe, expect, it } from 'vitest';
import { CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC } from '../../framework/constants.js';
import { Machine } from '../../lab/machine.js';
import { AEADS, BLKCIPHERS, HMACS, allSizes, cryptocheck, type CaseResult } from '../../lab/cryptocheck.js';
import { TestCard } from '../framework/cryptodev/helpers.js';

function run(argv: string[], machine?: (seed: number) => Machine): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = cryptocheck(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, machine ? { machine } : {});
  return { code, out, err };
}

interface Report {
  seed: number;
  sizes: number[];
  drivers: { crid: number; name: string }[];
  cases: CaseResult[];
  summary: { total: number; ok: number; fail: number; skipped: number };
  violations: string[];
}

const json = (argv: string[], machine?: (seed: number) => Machine): { code: number; report: Report } => {
  const r = run([...argv, '--json'], machine);
  return { code: r.code, report: JSON.parse(r.out.join('\n')) as Report };
};

/** A machine with cryptosoft0 and a hardware card doing AES-CBC and HMAC-SHA2-256 only. */
const withCard = (options: ConstructorParameters<typeof TestCard>[1] = {}) => (seed: number) => {
  const m = new Machine({ seed });
  new TestCard(m, { delayPs: 2_000_000, algs: [CRYPTO_AES_CBC, CRYPTO_SHA2_256_HMAC], ...options }).attach();
  return m;
};

describe('ocfsim cryptocheck', () => {
  it('-a all -d cryptosoft0 with a small size set: every case agrees with OpenSSL, one line each, exit 0.', () => {
    const { code, out } = run(['-a', 'all', '-d', 'cryptosoft0', '--sizes', '16,64']);
    const algs = HMACS.length + BLKCIPHERS.length + BLKCIPHERS.length * HMACS.length + AEADS.length;
    const caseLines = out.filter((l) => /\s(ok|FAIL|skipped:)/.test(l) && !l.startsWith('cryptocheck:'));
    expect(caseLines).toHaveLength(algs * 2);
    expect(caseLines.filter((l) => !l.endsWith(' ok')), 'nothing but ok').toEqual([]);
    expect(out.at(-1)).toBe(`cryptocheck: ${algs * 2} cases on 1 driver(s): ${algs * 2} ok, 0 FAIL, 0 skipped`);
    expect(code).toBe(0);
  });

  it('a new card gets the same matrix: its algorithms are checked, the rest skipped as unsupported.', () => {
    const { code, report } = json(['-a', 'blkcipher', '--sizes', '32'], withCard());
    expect(report.drivers.map((d) => d.name)).toEqual(['cryptosoft0', 'testcard0']);
    const card = report.cases.filter((c) => c.driver === 'testcard0');
    expect(card).toHaveLength(BLKCIPHERS.length);
    expect(card.filter((c) => c.status === 'ok').map((c) => c.alg)).toEqual(['aes-cbc', 'aes-cbc192', 'aes-cbc256']);
    const skipped = card.find((c) => c.alg === 'des-cbc')!;
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'unsupported by testcard0 (CIOCGSESSION2: EINVAL)' });
    expect(report.cases.filter((c) => c.driver === 'cryptosoft0').every((c) => c.status === 'ok')).toBe(true);
    expect(report.summary).toEqual({ total: 2 * BLKCIPHERS.length, ok: BLKCIPHERS.length + 3, fail: 0, skipped: BLKCIPHERS.length - 3 });
    expect(code).toBe(0);
  });

  it('a card that corrupts a byte fails with the operation and the first differing byte, exit 1.', () => {
    const { code, out } = run(['-a', 'aes-cbc', '-d', 'testcard', '--sizes', '64'], withCard({ corrupt: 5 }));
    expect(out.find((l) => l.startsWith('aes-cbc'))).toMatch(/aes-cbc\s+64\s+testcard0\s+FAIL encrypt: first difference at byte 5 of 64 \(expected 0x[0-9a-f]{2}, got 0x[0-9a-f]{2}\)/);
    expect(out.at(-1)).toMatch(/1 FAIL/);
    expect(code).toBe(1);
    const { report } = json(['-a', 'aes-cbc+sha256hmac', '-d', 'testcard0', '--sizes', '64'], withCard({ corrupt: 5 }));
    expect(report.cases[0]).toMatchObject({ status: 'fail', op: 'encrypt', offset: 5, driver: 'testcard0' });
    expect(report.cases[0]!.expected).not.toBe(report.cases[0]!.actual);
  });

  it('--json: one document with the seed, sizes, drivers, one entry per case and a summary.', () => {
    const { code, report } = json(['-a', 'sha1hmac', '--sizes', '0,16,100', '--seed', '7']);
    expect(code).toBe(0);
    expect(report).toMatchObject({ seed: 7, sizes: [0, 16, 100], drivers: [{ crid: 0, name: 'cryptosoft0' }], violations: [] });
    expect(report.cases.map((c) => [c.alg, c.size, c.driver, c.crid, c.status])).toEqual([
      ['sha1hmac', 0, 'cryptosoft0', 0, 'ok'],
      ['sha1hmac', 16, 'cryptosoft0', 0, 'ok'],
      ['sha1hmac', 100, 'cryptosoft0', 0, 'ok'],
    ]);
    expect(report.summary).toEqual({ total: 3, ok: 3, fail: 0, skipped: 0 });
  });

  it('skips sizes a cipher cannot take, and runs empty data where it is legal (MACs, GCM).', () => {
    const { code, report } = json(['-a', 'aes-cbc', '--sizes', '0,12,16']);
    expect(report.cases.map((c) => c.status)).toEqual(['skipped', 'skipped', 'ok']);
    expect(report.cases[0]!.reason).toMatch(/size 0/);
    expect(report.cases[1]!.reason).toBe('size 12 is not a multiple of the block size 16');
    expect(code).toBe(0);
    expect(json(['-a', 'aes-gcm256', '--sizes', '0,1,17', '-A', '13']).report.summary).toMatchObject({ ok: 3, fail: 0 });
    expect(json(['-a', 'rc4', '--sizes', '1,7']).report.summary).toMatchObject({ ok: 2 });
  });

  it('-z follows FreeBSD: 16, 32, ... 128 KiB, then 240 KiB.', () => {
    expect(allSizes()).toEqual([16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 245760]);
    const { code, report } = json(['-a', 'aes-ctr256', '-z']);
    expect(report.sizes).toEqual(allSizes());
    expect(report.summary).toMatchObject({ ok: allSizes().length, fail: 0 });
    expect(code).toBe(0);
  });

  it('is deterministic for a seed.', () => {
    const a = run(['-a', 'aes-xts256', '--sizes', '32,48', '--json', '--seed', '3']).out.join('\n');
    const b = run(['-a', 'aes-xts256', '--sizes', '32,48', '--json', '--seed', '3']).out.join('\n');
    expect(a).toBe(b);
  });

  it.each([
    [['-d', 'all'], /an algorithm is required/],
    [['-a', 'rot13'], /unknown algorithm "rot13"/],
    [['-a', 'aes-cbc+rot13'], /unknown HMAC "rot13"/],
    [['-a', 'sha1hmac+sha1hmac'], /unknown block cipher "sha1hmac"/],
    [['-a', 'aes-cbc', '-d', 'hifn0'], /unknown driver "hifn0" \(attached: cryptosoft0, or all\)/],
    [['-a', 'aes-cbc', '--frobnicate'], /unknown option "--frobnicate"/],
    [['-a', 'aes-cbc', '-z', '--sizes', '16'], /exclude each other/],
    [['-a', 'aes-cbc', '--sizes', '16,262141'], /--sizes 262141 is outside 0..262140/],
    [['-a', 'aes-cbc', '--sizes', '16,x'], /--sizes needs an integer, got "x"/],
    [['-a', 'aes-cbc', '--seed'], /--seed needs an integer, got nothing/],
    [['-a'], /-a needs an algorithm/],
  ])('%j is a usage error: exit 2 with a clear message and the usage text', (argv, message) => {
    const { code, out, err } = run(argv);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(message);
    expect(err.join('\n')).toMatch(/usage: ocfsim cryptocheck/);
  });

  it('takes --sizes=LIST and case-insensitive algorithm names.', () => {
    const { code, report } = json(['-a', 'AES-CBC', '--sizes=32']);
    expect(report.cases.map((c) => c.alg)).toEqual(['aes-cbc']);
    expect(code).toBe(0);
  });
});
