import { InvalidArgumentError, parseBoolQuery } from '@shoal/api';
import { parseDockerTimestamp } from '../events/events.query';

/**
 * The query of GET /services/{id}/logs and GET /tasks/{id}/logs, checked before the 200
 * stream starts (dockerd checks the same up front, since it cannot change the status later).
 */
export interface LogQuery {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /**
   * Only lines at or after this time, in ms since the epoch; may carry a fraction of a
   * millisecond. Unset when `since` is absent, empty or 0 (0 is the epoch: every line).
   */
  sinceMs?: number;
  /** The same bound to the nanosecond, for engines that keep nanosecond timestamps. */
  sinceNano?: bigint;
  timestamps: boolean;
  details: boolean;
  /** The last N lines only (0: none); unset for all. */
  tail?: number;
}

/** Docker's text (api/server/router/swarm/helpers.go), which scripts may match on. */
export const NO_STREAM_MESSAGE = 'Bad parameters: you must choose at least one stream';

type Query = Readonly<Record<string, unknown>>;

/**
 * Reads the log query as dockerd does for service and task logs, but strictly:
 * - `follow`, `stdout`, `stderr`, `timestamps`, `details`: booleans as parseBoolQuery takes
 *   them (1/true/yes, 0/false/no/none, any case; empty or absent is false). dockerd reads any
 *   other text as true; Shoal refuses it as a likely typo.
 * - `since`: seconds since the epoch with an optional fraction of up to 9 digits, which is
 *   what the docker CLI sends (it turns `--since 10m` or an RFC 3339 date into this form
 *   itself, and dockerd's service logs accept only this form).
 * - `tail`: `all` (or empty, or absent) for every line, else a non-negative integer.
 * - At least one of stdout and stderr must be chosen, as dockerd requires.
 * Anything else throws InvalidArgumentError naming the parameter and what is accepted.
 * Unknown parameters are ignored, as Docker ignores them.
 */
export function parseLogQuery(query: Query): LogQuery {
  const stdout = parseBoolQuery('stdout', query['stdout']);
  const stderr = parseBoolQuery('stderr', query['stderr']);
  if (!stdout && !stderr) {
    throw new InvalidArgumentError(`${NO_STREAM_MESSAGE} (set stdout=1, stderr=1 or both)`);
  }
  const result: LogQuery = {
    follow: parseBoolQuery('follow', query['follow']),
    stdout,
    stderr,
    timestamps: parseBoolQuery('timestamps', query['timestamps']),
    details: parseBoolQuery('details', query['details']),
  };
  const sinceNano = parseDockerTimestamp('since', single('since', query['since']));
  if (sinceNano !== undefined && sinceNano > 0n) {
    result.sinceNano = sinceNano;
    result.sinceMs = Number(sinceNano / 1_000_000n) + Number(sinceNano % 1_000_000n) / 1e6;
  }
  const tail = parseTail(single('tail', query['tail']));
  if (tail !== undefined) result.tail = tail;
  return result;
}

/** A repeated parameter counts once, by its first value, as parseBoolQuery reads them. */
function single(name: string, raw: unknown): string | undefined {
  const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidArgumentError(`invalid query parameter ${name}: expected a single value`);
}

function parseTail(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === 'all') return undefined;
  const value = /^\+?[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(
      `invalid query parameter tail: expected "all" or a non-negative integer of at most ` +
        `${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
