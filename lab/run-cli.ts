/**
 * `ocfsim run <scenario> [--seed N] [--until T] [--trace out.json] [--svg out.svg] [--json] [--quiet]`:
 * runs a scenario and prints its report; exit status 1 when an expectation fails, 2 for a usage
 * error. `ocfsim run --list` lists the shipped scenarios.
 */
import { writeFileSync } from 'node:fs';
import { toChromeTrace } from './perfetto.js';
import { ProgressBar } from './progress.js';
import { formatReport } from './report-text.js';
import { runScenario } from './run.js';
import { listScenarios, loadScenario } from './scenario-load.js';
import { parseTime } from './scenario-time.js';
import { timelineSvg } from './timeline-svg.js';

export const RUN_USAGE = `usage: ocfsim run <scenario> [options]
       ocfsim run --list

Runs a scenario (a name from the scenarios folder, or a path to a scenario file) and prints a
report per phase: requests, completions, errors by errno, EAGAIN and resubmissions, session
migrations, throughput, p50/p99 latency, CPU per thread, ring occupancy per card.

options:
  --seed N          the machine's seed (default 1); the same seed gives the same trace
  --until T         run the workloads until T (e.g. 10ms, 500us) instead of the scenario's duration
  --trace FILE      write a Chrome trace (open it in https://ui.perfetto.dev)
  --svg FILE        write an SVG timeline of the run
  --json            print the report as JSON
  --quiet           no progress bar (it is drawn only when stderr is a terminal anyway)
  --list            list the shipped scenarios
  -h, --help        this text

exit status: 0 when every expectation holds, 1 when one fails, 2 for a usage error.
`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

interface RunArgs {
  ref?: string;
  seed: number;
  untilPs?: number;
  trace?: string;
  svg?: string;
  json: boolean;
  quiet: boolean;
  list: boolean;
  help: boolean;
}

class UsageError extends Error {}

function parse(args: readonly string[]): RunArgs {
  const a: RunArgs = { seed: 1, json: false, quiet: false, list: false, help: false };
  const value = (i: number, opt: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${opt} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case '--seed': {
        const v = value(i++, arg);
        const n = Number(v);
        if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`--seed needs an integer, got "${v}"`);
        a.seed = n;
        break;
      }
      case '--until': {
        const v = value(i++, arg);
        if (/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--until needs a unit, e.g. ${v}ms`);
        try {
          a.untilPs = parseTime(v, '--until');
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        if (a.untilPs <= 0) throw new UsageError('--until must be > 0');
        break;
      }
      case '--trace':
        a.trace = value(i++, arg);
        break;
      case '--svg':
        a.svg = value(i++, arg);
        break;
      case '--json':
        a.json = true;
        break;
      case '--quiet':
        a.quiet = true;
        break;
      case '--list':
        a.list = true;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        if (a.ref !== undefined) throw new UsageError(`one scenario at a time (got "${a.ref}" and "${arg}")`);
        a.ref = arg;
    }
  }
  return a;
}

/** The `run` command. Resolves with the exit status. */
export async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  let a: RunArgs;
  try {
    a = parse(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`ocfsim run: ${e.message}`);
    io.err(RUN_USAGE.trimEnd());
    return 2;
  }
  if (a.help) {
    io.out(RUN_USAGE.trimEnd());
    return 0;
  }
  if (a.list) {
    for (const name of listScenarios()) {
      const s = await loadScenario(name);
      io.out(`${name.padEnd(26)} ${s.description}`);
    }
    return 0;
  }
  if (a.ref === undefined) {
    io.err('ocfsim run: which scenario? (ocfsim run --list shows them)');
    return 2;
  }
  let scenario;
  try {
    scenario = await loadScenario(a.ref);
  } catch (e) {
    io.err(`ocfsim run: ${(e as Error).message}`);
    return 2;
  }
  const bar = ProgressBar.forStderr({ quiet: a.quiet, label: scenario.name ?? a.ref });
  const { report, machine } = await runScenario(scenario, {
    seed: a.seed,
    trace: a.trace !== undefined || a.svg !== undefined,
    ref: a.ref,
    ...(a.untilPs !== undefined ? { untilPs: a.untilPs } : {}),
    ...(bar ? { onProgress: (p: { nowPs: number; endPs: number; draining: boolean }) => bar.update(p) } : {}),
  });
  bar?.done();
  if (a.trace !== undefined) {
    writeFileSync(a.trace, JSON.stringify(toChromeTrace(machine.trace.all)));
    if (report.trace) report.trace.file = a.trace;
  }
  if (a.svg !== undefined) writeFileSync(a.svg, timelineSvg(machine.trace.all, { title: `${report.scenario}, seed ${report.seed}` }));
  if (a.json) io.out(JSON.stringify(report, null, 2));
  else {
    const lines = formatReport(report);
    const replay = lines.pop()!;
    for (const line of lines) io.out(line);
    if (a.trace !== undefined) io.out(`trace written to ${a.trace}: open it in https://ui.perfetto.dev, or \`ocfsim trace summarize ${a.trace}\``);
    if (a.svg !== undefined) io.out(`timeline written to ${a.svg}`);
    io.out(replay);
  }
  if (!report.ok) {
    for (const e of report.expectations.filter((x) => !x.ok)) io.err(`ocfsim run: expectation failed: ${e.name}: ${e.detail}`);
    return 1;
  }
  return 0;
}
