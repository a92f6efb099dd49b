import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runLabCheck, type LabReport } from '../../lab/labcheck.js';
import { loadLabModule } from '../../lab/labcheck-load.js';
import * as lab1 from '../../labs/solutions/01-follow-one-request/follow.js';
import * as lab2 from '../../labs/solutions/02-polling/driver.js';
import * as lab3 from '../../labs/solutions/03-interrupts/driver.js';
import * as lab4 from '../../labs/solutions/04-ring/driver.js';
import * as lab5 from '../../labs/solutions/05-eject/driver.js';
import * as lab6 from '../../labs/solutions/06-keys/driver.js';
import { WRONG } from './wrong.js';

const run = promisify(execFile);
const SOLUTIONS: Record<number, unknown> = { 1: lab1, 2: lab2, 3: lab3, 4: lab4, 5: lab5, 6: lab6 };
const STARTERS: Record<number, string> = {
  1: 'labs/01-follow-one-request/follow.ts',
  2: 'labs/02-polling/driver.ts',
  3: 'labs/03-interrupts/driver.ts',
  4: 'labs/04-ring/driver.ts',
  5: 'labs/05-eject/driver.ts',
  6: 'labs/06-keys/driver.ts',
};
/** A failing check each starter must show, with the hint it must give. */
const STARTER_HINTS: Record<number, RegExp> = {
  1: /done\(\) was never called/,
  2: /not enabled \(EDU_CTRL\.ENABLE is 0\)/,
  3: /interrupt not acknowledged: storm after \d+ assertions/,
  4: /never called crypto_unblock/,
  5: /no request was completed with EAGAIN by detach/,
  6: /crypto_newsession for session 8 \(AES-CBC\) failed with ENOBUFS/,
};
const WRONG_DIR = join('test', 'labs', `.wrong-${process.pid}`);

function failing(r: LabReport): string {
  return r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`).join('\n');
}

describe('the labs: reference solutions, starters and the grader', () => {
  beforeAll(() => mkdirSync(WRONG_DIR, { recursive: true }));
  afterAll(() => rmSync(WRONG_DIR, { recursive: true, force: true }));

  for (const n of [1, 2, 3, 4, 5, 6]) {
    it(`the reference solution of lab ${n} gets full marks`, () => {
      const r = runLabCheck(n, SOLUTIONS[n], { seeds: [1, 2] });
      expect(failing(r)).toBe('');
      expect(r.fullMarks).toBe(true);
      expect(r.failingTrace).toBeNull();
    });
  }

  for (const n of [1, 2, 3, 4, 5, 6]) {
    it(`the starter of lab ${n}, loaded by path, fails with a helpful message`, async () => {
      const r = runLabCheck(n, await loadLabModule(STARTERS[n]!), { seeds: [1] });
      expect(r.fullMarks).toBe(false);
      expect(failing(r)).toMatch(STARTER_HINTS[n]!);
      expect(r.failingTrace?.length ?? 0).toBeGreaterThan(0);
    });
  }

  for (const [i, w] of WRONG.entries()) {
    it(`lab ${w.lab}: a solution that ${w.name} is caught`, async () => {
      let src = readFileSync(w.from, 'utf8');
      for (const [a, b] of w.patch) {
        expect(src.includes(a), `patch target missing in ${w.from}: ${a}`).toBe(true);
        src = src.replace(a, b);
      }
      const file = join(WRONG_DIR, `wrong-${i}.ts`);
      writeFileSync(file, src);
      const r = runLabCheck(w.lab, await loadLabModule(file), { seeds: [1, 2] });
      expect(r.fullMarks).toBe(false);
      const bad = r.checks.filter((c) => !c.passed && w.check.test(c.name));
      expect(bad.length, failing(r)).toBeGreaterThanOrEqual(1);
      expect(bad[0]!.detail).toMatch(w.detail);
    });
  }

  it('a module without the expected export is told what to export', () => {
    const r = runLabCheck(3, { somethingElse: 1 }, { seeds: [1] });
    expect(r.checks).toEqual([{ name: 'the module exports eduDriver', passed: false, detail: expect.stringMatching(/eduDriver\(options\)/) }]);
  });

  it('`ocfsim lab check` exits 0 on full marks and 1 otherwise, and --trace writes the failing run', async () => {
    const ok = await run('npx', ['tsx', 'lab/cli.ts', 'lab', 'check', '2', 'labs/solutions/02-polling/driver.ts', '--seed', '3']);
    expect(ok.stdout).toMatch(/score: 5\/5 — full marks/);
    const trace = join(WRONG_DIR, 'trace.json');
    const bad = await run('npx', ['tsx', 'lab/cli.ts', 'lab', 'check', '4', 'labs/04-ring/driver.ts', '--seed', '1', '--trace', trace]).catch((e: { code: number; stdout: string }) => e);
    expect('code' in bad ? bad.code : 0).toBe(1);
    expect(bad.stdout).toMatch(/FAIL {2}ring full: ERESTART, then crypto_unblock/);
    expect(existsSync(trace)).toBe(true);
    const json = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { name: string }[] };
    expect(json.traceEvents.some((e) => e.name === 'stage.engine')).toBe(true);
  });
});
