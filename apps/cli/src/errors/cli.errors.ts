/**
 * The CLI's error taxonomy. Every failure the user can cause or meet maps to one of these, and
 * the runner turns each into a message on stderr and an exit code, the way docker does:
 * 125 for a command line the CLI cannot accept, 1 for anything the daemon (or reaching it) fails.
 */

/** docker exits 125 when the command line itself is wrong; scripts rely on telling the two apart. */
export const USAGE_EXIT_CODE = 125;
/** Daemon errors and connection failures. */
export const FAILURE_EXIT_CODE = 1;

/**
 * What every CLI error shares: the exit code it maps to, and `name` set to its class's name so
 * stack traces and `String(err)` say which kind it is. The runner still dispatches on the
 * concrete classes (each prints differently), so this base is not exported.
 */
abstract class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A flag value, argument or combination the CLI refuses before talking to the daemon. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, USAGE_EXIT_CODE);
  }
}

/** The daemon answered with an error status; `message` is the body's `message` field. */
export class DaemonError extends CliError {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message, FAILURE_EXIT_CODE);
  }
}

/** The daemon could not be reached at all (no socket, refused, permission denied...). */
export class ConnectionError extends CliError {
  constructor(message: string) {
    super(message, FAILURE_EXIT_CODE);
  }
}

/**
 * A command that ran against several objects (rm, scale...) and failed on some of them. Each
 * failure has already been reported as it happened, so the runner only sets the exit code.
 */
export class PartialFailureError extends CliError {
  constructor(readonly failures: number) {
    super(`${failures} operation(s) failed`, FAILURE_EXIT_CODE);
  }
}

/** A command that cannot proceed given what the daemon returned (e.g. no previous spec). */
export class CommandFailedError extends CliError {
  constructor(message: string) {
    super(message, FAILURE_EXIT_CODE);
  }
}
