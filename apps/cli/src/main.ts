#!/usr/bin/env node
/**
 * `shoal`, the command-line client of shoald. This file only wires the process to the CLI:
 * importing it has no side effects, so tests import the program builder and runner directly.
 *
 *   npx tsx apps/cli/src/main.ts swarm init
 */
import { processContext } from './cli.context';
import { runCli } from './cli.runner';

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runCli(argv, processContext());
}

if (require.main === module) {
  // exitCode rather than process.exit(): let stdout drain when piped into another program.
  void main().then((code) => {
    process.exitCode = code;
  });
}
