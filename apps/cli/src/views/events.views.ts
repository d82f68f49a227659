/** `shoal events` lines, as `docker events` prints them. */

/** An event as /events sends it, with its time kept exact. */
export interface EventLine {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  scope?: string;
  time?: number;
  /** Exact nanoseconds since the epoch, as a decimal string (beyond 2^53). */
  timeNano: string;
  /** The line as the daemon sent it. */
  raw: string;
}

/**
 * Parses one line of the /events stream. timeNano is read from the text, since JSON.parse
 * would round it; a line without one falls back to `time` in seconds.
 */
export function parseEventLine(raw: string): EventLine {
  const parsed = JSON.parse(raw) as Omit<EventLine, 'timeNano' | 'raw'> & { timeNano?: unknown };
  const exact = /"timeNano"\s*:\s*(\d+)/.exec(raw)?.[1];
  const timeNano =
    exact ?? (typeof parsed.time === 'number' ? `${Math.trunc(parsed.time)}000000000` : '0');
  return { ...parsed, timeNano, raw };
}

/**
 * docker's line: `<time> <type> <action> <actor ID> (k=v, ...)`, the time in RFC 3339 with
 * nine fraction digits in local time, the attributes sorted by key. `offsetMinutes` is the
 * local zone's offset east of UTC at that time.
 */
export function renderEventLine(event: EventLine, offsetMinutes: number): string {
  const time = formatTime(event.timeNano, offsetMinutes);
  const attributes = Object.entries(event.Actor?.Attributes ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  const tail = attributes.length > 0 ? ` (${attributes.join(', ')})` : '';
  return `${time} ${event.Type ?? ''} ${event.Action ?? ''} ${event.Actor?.ID ?? ''}${tail}\n`;
}

/** The local-zone offset (minutes east of UTC) in force at `timeNano`. */
export function localOffsetMinutes(timeNano: string): number {
  const ms = Number(BigInt(timeNano) / 1_000_000n);
  return -new Date(ms).getTimezoneOffset();
}

/** Go's RFC3339NanoFixed: 2006-01-02T15:04:05.000000000Z07:00. */
function formatTime(timeNano: string, offsetMinutes: number): string {
  const nano = BigInt(timeNano);
  const seconds = nano / 1_000_000_000n;
  const fraction = String(nano % 1_000_000_000n).padStart(9, '0');
  const local = new Date((Number(seconds) + offsetMinutes * 60) * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const clock = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const abs = Math.abs(offsetMinutes);
  const zone =
    offsetMinutes === 0
      ? 'Z'
      : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${date}T${clock}.${fraction}${zone}`;
}
