import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../lab/run-cli.js';
import { traceCommand } from '../../lab/report-trace.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('ocfsim run', () => {
  it('exits 1 and names the failed expectation with its numbers', async () => {
    const c = io();
    expect(await runCommand([fixture('too-demanding'), '--quiet'], c.io)).toBe(1);
    const failed = c.err.find((l) => l.includes('expectation failed'))!;
    expect(failed).toMatch(/throughput of esp in phase only >= 1000000 ops\/s: got \d+ ops\/s/);
    expect(c.out.join('\n')).toMatch(/FAIL {2}throughput of esp/);
    expect(c.out.join('\n')).toMatch(/ok {4}no lost requests/);
    expect(c.out[c.out.length - 1]).toMatch(/^replay: ocfsim run .*too-demanding\.ts --seed 1$/);
  });

  it('prints the report as JSON with --json', async () => {
    const c = io();
    expect(await runCommand([fixture('too-demanding'), '--json', '--seed', '3'], c.io)).toBe(1);
    const r = JSON.parse(c.out.join('\n'));
    expect(r.seed).toBe(3);
    expect(r.ok).toBe(false);
    expect(r.phases[0].name).toBe('only');
    expect(r.phases[0].workloads.esp.drivers).toEqual({ cryptosoft0: expect.any(Number) });
  });

  it('refuses unknown options, stray arguments and bad values with exit status 2', async () => {
    for (const args of [['back-pressure', '--bogus'], ['back-pressure', 'two-cards-balance'], ['back-pressure', '--seed', 'x'], ['back-pressure', '--until', '5'], []]) {
      const c = io();
      expect(await runCommand(args, c.io)).toBe(2);
      expect(c.err.join('\n')).toMatch(/ocfsim run: /);
    }
    const c = io();
    expect(await runCommand(['no-such-scenario'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/no scenario called "no-such-scenario" \(known: .*hot-eject-during-ipsec/);
  });

  it('lists every option with --help and the scenarios with --list', async () => {
    const c = io();
    expect(await runCommand(['--help'], c.io)).toBe(0);
    for (const opt of ['--seed', '--until', '--trace', '--svg', '--json', '--quiet', '--list']) expect(c.out.join('\n')).toContain(opt);
    const l = io();
    expect(await runCommand(['--list'], l.io)).toBe(0);
    expect(l.out.map((x) => x.split(' ')[0])).toEqual(['back-pressure', 'hot-eject-during-ipsec', 'keying-offload', 'two-cards-balance']);
  });

  it('writes a Chrome trace and an SVG timeline that `ocfsim trace` reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocfsim-run-'));
    const trace = join(dir, 'trace.json');
    const svg = join(dir, 'timeline.svg');
    const c = io();
    expect(await runCommand(['two-cards-balance', '--until', '11ms', '--trace', trace, '--svg', svg, '--quiet'], c.io)).toBe(0);
    expect(c.out.join('\n')).toContain(`trace written to ${trace}`);
    expect(JSON.parse(readFileSync(trace, 'utf8')).traceEvents.length).toBeGreaterThan(1000);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*two cards[\s\S]*hifn1[\s\S]*<\/svg>\n$/);

    const s = io();
    expect(traceCommand(['summarize', trace], s.io)).toBe(0);
    const text = s.out.join('\n');
    expect(text).toMatch(/session migrations/);
    expect(text).toMatch(/hot-plug: 2 inserted, 0 pulled \(surprise\), 1 ejected \(orderly\), 1 removed/);
    expect(text).toMatch(/eject hifn1 \(orderly\)/);
    const j = io();
    expect(traceCommand(['summarize', trace, '--json'], j.io)).toBe(0);
    expect(JSON.parse(j.out.join('\n')).framework.migrations).toBe(4);
    const out = join(dir, 'again.svg');
    expect(traceCommand(['svg', trace, '-o', out], io().io)).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('`ocfsim trace` refuses unknown subcommands and options', () => {
    const a = io();
    expect(traceCommand(['explain', 'x.json'], a.io)).toBe(2);
    const b = io();
    expect(traceCommand(['summarize', 'x.json', '--bogus'], b.io)).toBe(2);
    expect(b.err[0]).toMatch(/unknown option --bogus/);
    const h = io();
    expect(traceCommand(['--help'], h.io)).toBe(0);
    expect(h.out.join('\n')).toMatch(/summarize[\s\S]*svg/);
  });
});
