/**
 * Runs one command line and returns the process exit code, reporting errors the way docker
 * does: usage errors (bad flags, unknown commands, invalid values) exit 125; daemon errors
 * print "Error response from daemon: ..." and exit 1.
 */
import { CommanderError } from 'commander';
import type { CliContext } from './cli.context';
import {
  CommandFailedError,
  ConnectionError,
  DaemonError,
  FAILURE_EXIT_CODE,
  PartialFailureError,
  USAGE_EXIT_CODE,
  UsageError,
} from './errors/cli.errors';
import { buildProgram } from './program.builder';

// Help and version output are successful runs even though commander reports them by throwing.
const SUCCESSFUL_COMMANDER_EXITS = new Set([
  'commander.helpDisplayed',
  'commander.help',
  'commander.version',
]);

export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, ctx);
  }
}

function reportError(err: unknown, ctx: CliContext): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (and the "See ... --help" hint).
    return SUCCESSFUL_COMMANDER_EXITS.has(err.code) ? 0 : USAGE_EXIT_CODE;
  }
  if (err instanceof UsageError) {
    ctx.stderr.write(`${err.message}\n`);
    return USAGE_EXIT_CODE;
  }
  if (err instanceof DaemonError) {
    ctx.stderr.write(`Error response from daemon: ${err.message}\n`);
    return FAILURE_EXIT_CODE;
  }
  if (err instanceof PartialFailureError) return FAILURE_EXIT_CODE; // already reported per item
  if (err instanceof ConnectionError || err instanceof CommandFailedError) {
    ctx.stderr.write(`${err.message}\n`);
    return FAILURE_EXIT_CODE;
  }
  // A bug in the CLI itself: say so, with the stack, rather than hide it.
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  ctx.stderr.write(`shoal: unexpected error: ${detail}\n`);
  return FAILURE_EXIT_CODE;
}
