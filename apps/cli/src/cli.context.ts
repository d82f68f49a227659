/**
 * What a command may touch outside itself: input and output streams, the environment and the
 * clock. Injected rather than read from `process` so tests run the real program against
 * captured output, canned input, a fake environment and a fixed "now" (for "Running 5
 * minutes ago").
 */

/** The CLI's version; cli.context.spec.ts checks it against package.json. */
export const CLI_VERSION = '0.1.0';

export interface CliWriter {
  write(text: string): unknown;
  /** True on a terminal: service progress is then redrawn in place. */
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
}

/**
 * Standard input, as far as the CLI reads it (`swarm unlock` takes its key there): a byte
 * stream that may be a terminal. process.stdin fits; tests pass a PassThrough.
 */
export interface CliInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  /** Present on terminals only: raw mode turns off echo, so a typed key stays off screen. */
  setRawMode?(mode: boolean): unknown;
  /** Present on pipes and terminals: lets the process exit while the other end stays open. */
  unref?(): unknown;
}

export interface CliContext {
  stdin: CliInput;
  stdout: CliWriter;
  stderr: CliWriter;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
  /** "linux/amd64": Go's names, as docker prints them, for `shoal version`. */
  platform: string;
  nodeVersion: string;
  /**
   * For commands that wait (service progress). All optional: a context without them waits on
   * real timers and is not interrupted. `sleep` resolves after `ms`, or early once `signal`
   * aborts; `clock` is monotonic milliseconds; `onInterrupt` calls `handler` on Ctrl-C until
   * the function it returns is called.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  clock?: () => number;
  onInterrupt?: (handler: () => void) => () => void;
}

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
};

/** The context of a real run: the process's streams, environment and wall clock. */
export function processContext(): CliContext {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
    nodeVersion: process.version,
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}
