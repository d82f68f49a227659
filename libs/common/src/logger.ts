import pino from 'pino';

/** The logging port every library takes; pino behind it, nothing else in the libs knows pino. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

// Field names whose values must never reach a log line, whatever object they sit in.
const REDACTED_PATHS = ['secret', '*.secret', 'token', '*.token', 'privateKey', '*.privateKey'];

/** Structured JSON logs on stderr, so stdout stays free for command output. */
export function createLogger(opts: {
  name: string;
  level?: LogLevel;
  destination?: pino.DestinationStream;
}): Logger {
  const base = pino(
    {
      name: opts.name,
      level: opts.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    opts.destination ?? pino.destination(2),
  );
  return wrap(base);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (bindings) => wrap(p.child(bindings)),
  };
}

export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
