/**
 * The CLI's error taxonomy. Every failure the user can cause or meet maps to one of these, and
 * the runner turns each into a message on stderr and an exit code, the way docker does:
 * 125 for a command line the CLI cannot accept, 1 for anything the daemon (or reaching it) fails.
 */

/** docker exits 125 when the command line itself is wrong; scripts rely on telling the two apart. */
export const USAGE_EXIT_CODE = 125;
/** Daemon errors and connection failures. */
export const FAILURE_EXIT_CODE = 1;

/** A flag value, argument or combination the CLI refuses before talking to the daemon. */
export class UsageError extends Error {
  readonly exitCode = USAGE_EXIT_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The daemon answered with an error status; `message` is the body's `message` field. */
export class DaemonError extends Error {
  readonly exitCode = FAILURE_EXIT_CODE;
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'DaemonError';
  }
}

/** The daemon could not be reached at all (no socket, refused, permission denied...). */
export class ConnectionError extends Error {
  readonly exitCode = FAILURE_EXIT_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/**
 * A command that ran against several objects (rm, scale...) and failed on some of them. Each
 * failure has already been reported as it happened, so the runner only sets the exit code.
 */
export class PartialFailureError extends Error {
  readonly exitCode = FAILURE_EXIT_CODE;
  constructor(readonly failures: number) {
    super(`${failures} operation(s) failed`);
    this.name = 'PartialFailureError';
  }
}

/** A command that cannot proceed given what the daemon returned (e.g. no previous spec). */
export class CommandFailedError extends Error {
  readonly exitCode = FAILURE_EXIT_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailedError';
  }
}
