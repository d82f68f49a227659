/**
 * The text of one service or task log line as dockerd writes it (api/server/httputils,
 * WriteLogStream), before any stream framing:
 *
 *     [<timestamp> ][<details> ]<line>
 *
 * - `<timestamp>` (when `timestamps`): RFC 3339 with exactly nine fraction digits, Go's
 *   RFC3339NanoFixed, e.g. `2024-05-01T10:00:00.120000000Z`.
 * - `<details>` (when `details`): the line's attributes sorted by key, each `key=value` with
 *   both sides escaped as Go's url.QueryEscape does (so no space, comma or `=` is left inside),
 *   joined by commas. For swarm logs dockerd adds `com.docker.swarm.node.id`,
 *   `com.docker.swarm.service.id` and `com.docker.swarm.task.id` to the attributes, and the
 *   docker CLI, which always asks for details unless `--raw`, refuses a line without these
 *   three. With no attributes at all, the details are empty and the line starts with a space.
 * - `<line>`: the output line as the task wrote it, with its newline when it had one.
 *
 * This module has no dependencies, so the CLI can use the parsing half as is.
 */

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** One line of output, with its newline when it had one. */
  data: Buffer | string;
  /** RFC 3339, any number of fraction digits; what the engine recorded. */
  timestamp?: string;
  /** Attributes shown with `details`; the swarm context (see swarmLogDetails()) and any others. */
  details?: Readonly<Record<string, string>>;
}

export interface LogLineFormat {
  timestamps: boolean;
  details: boolean;
}

/**
 * Go's zero time in RFC3339NanoFixed: what dockerd prints for a message that carries no
 * timestamp, and what is printed here for a missing or unreadable one.
 */
export const ZERO_TIMESTAMP = '0001-01-01T00:00:00.000000000Z';

export const SWARM_NODE_ID = 'com.docker.swarm.node.id';
export const SWARM_SERVICE_ID = 'com.docker.swarm.service.id';
export const SWARM_TASK_ID = 'com.docker.swarm.task.id';

/** The three attributes dockerd adds to every swarm log line, and the docker CLI needs. */
export function swarmLogDetails(ctx: {
  nodeId: string;
  serviceId: string;
  taskId: string;
}): Record<string, string> {
  return {
    [SWARM_NODE_ID]: ctx.nodeId,
    [SWARM_SERVICE_ID]: ctx.serviceId,
    [SWARM_TASK_ID]: ctx.taskId,
  };
}

/** The payload of one log message: prefixes as asked for, then the line. */
export function formatLogLine(line: LogLine, format: LogLineFormat): Buffer {
  const data = typeof line.data === 'string' ? Buffer.from(line.data, 'utf8') : line.data;
  let prefix = '';
  if (format.timestamps) prefix += `${dockerTimestamp(line.timestamp)} `;
  if (format.details) prefix += `${formatLogDetails(line.details ?? {})} `;
  return prefix === '' ? data : Buffer.concat([Buffer.from(prefix, 'utf8'), data]);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 timestamp in Go's RFC3339NanoFixed form: the fraction padded or cut to nine
 * digits, the zone kept (Z or ±hh:mm). Other text Date.parse understands is converted to UTC
 * to the millisecond; anything else, and no timestamp, gives ZERO_TIMESTAMP, since a log
 * stream that has started can no longer report an error for one line.
 */
export function dockerTimestamp(ts: string | undefined): string {
  if (ts === undefined) return ZERO_TIMESTAMP;
  const m = RFC3339.exec(ts);
  if (m) {
    const zone = m[4]!.toUpperCase();
    return `${m[1]}T${m[2]}.${(m[3] ?? '').slice(0, 9).padEnd(9, '0')}${zone}`;
  }
  const ms = Date.parse(ts);
  if (!Number.isFinite(ms)) return ZERO_TIMESTAMP;
  const iso = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, -1)}000000Z`;
}

/** Attributes as dockerd prints them with `details`: sorted, escaped, comma-separated. */
export function formatLogDetails(attrs: Readonly<Record<string, string>>): string {
  // Go sorts the keys' bytes; for UTF-16 strings that differs outside the BMP.
  return Object.entries(attrs)
    .map(([k, v]) => [Buffer.from(k, 'utf8'), k, v] as const)
    .sort((a, b) => Buffer.compare(a[0], b[0]))
    .map(([, k, v]) => `${goQueryEscape(k)}=${goQueryEscape(String(v))}`)
    .join(',');
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/**
 * Go's url.QueryEscape: letters, digits and `-_.~` stay, a space becomes `+`, every other
 * UTF-8 byte becomes %XX (upper case). A lone surrogate is encoded as U+FFFD.
 */
export function goQueryEscape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Thrown for a log payload that does not have the prefixes the request asked for. */
export class LogLineParseError extends Error {
  override readonly name = 'LogLineParseError';
}

/** Go's url.QueryUnescape: `+` is a space, %XX a byte; a malformed escape throws. */
export function goQueryUnescape(text: string): string {
  const bytes: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    if (ch === '+') {
      bytes.push(0x20);
      i += 1;
    } else if (ch === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new LogLineParseError(
          `invalid escape ${JSON.stringify(text.slice(i, i + 3))} in log details; expected %XX with two hex digits`,
        );
      }
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `k=v,k2=v2` (escaped) back into attributes; an empty text has none. */
export function parseLogDetails(text: string): Record<string, string> {
  if (text === '') return {};
  const entries = text.split(',').map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    if (eq < 0) {
      throw new LogLineParseError(
        `invalid log details ${JSON.stringify(text)}: ${JSON.stringify(pair)} is not key=value`,
      );
    }
    return [goQueryUnescape(pair.slice(0, eq)), goQueryUnescape(pair.slice(eq + 1))];
  });
  return Object.fromEntries(entries);
}

export interface ParsedLogLine {
  /** As sent (RFC3339NanoFixed), when the request asked for timestamps. */
  timestamp?: string;
  /** When the request asked for details. */
  details?: Record<string, string>;
  data: Buffer;
}

/**
 * Splits a payload written with `format` back into its parts: the inverse of formatLogLine()
 * (with the timestamp normalised). Throws LogLineParseError when a prefix is missing.
 */
export function parseLogLine(payload: Buffer, format: LogLineFormat): ParsedLogLine {
  let rest = payload;
  const field = (what: string): string => {
    const space = rest.indexOf(0x20);
    if (space < 0) {
      throw new LogLineParseError(
        `log line has no ${what} prefix: expected "<${what}> " before the line, got ${JSON.stringify(
          rest.subarray(0, 80).toString('utf8'),
        )}`,
      );
    }
    const text = rest.subarray(0, space).toString('utf8');
    rest = rest.subarray(space + 1);
    return text;
  };
  const parsed: ParsedLogLine = { data: payload };
  if (format.timestamps) parsed.timestamp = field('timestamp');
  if (format.details) parsed.details = parseLogDetails(field('details'));
  parsed.data = rest;
  return parsed;
}
