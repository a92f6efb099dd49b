/**
 * `ocfsim lab check <N> <file.ts> [--seed N] [--trace out.json]` (and `ocfsim lab list`): load a
 * student's module, grade it (labcheck.ts), print the report. Exit status 0 only on full marks,
 * 1 when a check failed, 2 for a usage error or a module that does not load.
 */
import { LAB_TITLES, formatLabReport, runLabCheck } from './labcheck.js';
import { loadLabModule } from './labcheck-load.js';

export const LAB_USAGE = `usage: ocfsim lab check <N> <file.ts> [--seed N] [--trace out.json]
       ocfsim lab list`;

export interface LabCliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

function option(args: string[], name: string): string | undefined | null {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v ?? null;
}

export async function labCommand(argv: readonly string[], io: LabCliIo): Promise<number> {
  const args = [...argv];
  const sub = args.shift();
  if (sub === 'list') {
    for (const [n, t] of Object.entries(LAB_TITLES)) io.out(`${n}  ${t}  (docs/labs/, labs/)`);
    return 0;
  }
  if (sub !== 'check') {
    io.err(LAB_USAGE);
    return 2;
  }
  const seed = option(args, '--seed');
  const trace = option(args, '--trace');
  const [labArg, file, ...extra] = args;
  const lab = Number(labArg);
  if (seed === null || trace === null || (seed !== undefined && !Number.isSafeInteger(Number(seed))) || !LAB_TITLES[lab] || !file || extra.length > 0) {
    io.err(LAB_USAGE);
    return 2;
  }
  let mod: unknown;
  try {
    mod = await loadLabModule(file);
  } catch (e) {
    io.err(`ocfsim lab check: cannot load ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const report = runLabCheck(lab, mod, { ...(seed !== undefined ? { seeds: [Number(seed)] } : {}), ...(trace ? { tracePath: trace } : {}) });
  io.out(formatLabReport(report));
  return report.fullMarks ? 0 : 1;
}
