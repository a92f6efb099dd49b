#!/usr/bin/env node
/**
 * The `ocfsim` command line.
 */
import { runDemo } from './demo.js';
import { cryptocheck } from './cryptocheck.js';
import { labCommand } from './labcheck-cli.js';
import { runCommand } from './run-cli.js';
import { traceCommand } from './report-trace.js';

const USAGE = `usage: ocfsim <command> [options]

commands:
  demo [--seed N]     a tour of the simulated machine with the toy bus-master card
  cryptocheck -a ALG|all [-d DRIVER|all] [-z] [--sizes 16,64,...] [--seed N] [--json]
                      check every crypto driver against OpenSSL through /dev/crypto
  lab check <N> <file.ts> [--seed N] [--trace out.json]
                      grade a teaching lab (docs/labs/); exit 0 only on full marks
  lab list            the labs
  run <scenario> [--seed N] [--until T] [--trace out.json] [--svg out.svg] [--json] [--quiet]
                      run a hot-plug scenario and report each phase (ocfsim run --list)
  trace summarize FILE [--json] | trace svg FILE [-o OUT]
                      key figures or the timeline of a trace written by run --trace
  help                this text
`;

function parseSeed(args: string[]): number {
  const i = args.indexOf('--seed');
  if (i < 0) return 1;
  const v = args[i + 1];
  const n = Number(v);
  if (v === undefined || !Number.isSafeInteger(n)) {
    process.stderr.write(`ocfsim: --seed needs an integer, got ${v ?? 'nothing'}\n`);
    process.exit(2);
  }
  return n;
}

function main(argv: string[]): number | Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
      process.stderr.write(USAGE);
      return 2;
    case 'demo':
      return runDemo(console.log, parseSeed(rest));
    case 'cryptocheck':
      return cryptocheck(rest, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
    case 'lab':
      return labCommand(rest, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
    case 'run':
      return runCommand(rest, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
    case 'trace':
      return traceCommand(rest, { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`ocfsim: unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}

void Promise.resolve(main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
