#!/usr/bin/env node
/**
 * The `ocfsim` command line.
 */
import { runDemo } from './demo.js';

const USAGE = `usage: ocfsim <command> [options]

commands:
  demo [--seed N]     a tour of the simulated machine with the toy bus-master card
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

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case 'demo':
      return runDemo(console.log, parseSeed(rest));
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

process.exitCode = main(process.argv.slice(2));
