/**
 * The values of `service logs --since` and `--tail`, turned into what the Engine API takes,
 * the way the docker CLI turns them (api/types/time.GetTimestamp).
 */
import { UsageError } from '../errors/cli.errors';
import { parseDurationNs } from './duration.parser';

const SINCE_SYNTAX =
  'a duration before now ("10m", "1h30m"), an RFC 3339 date or time ("2024-05-01", ' +
  '"2024-05-01T10:00:00Z"; without a zone it is local time) or Unix seconds ("1714557600.5")';

const UNIX_SECONDS = /^\d+(\.\d{1,9})?$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * `--since` (or another time flag, e.g. `events --until`, named by `flag` in errors) as the
 * API's `since`: seconds since the epoch, with nine fraction digits when
 * the input had a time of day to the second or finer. A duration counts back from `now` in
 * whole seconds, as docker does.
 */
export function parseLogSince(value: string, now: Date, flag = '--since'): string {
  const text = value.trim();
  if (!UNIX_SECONDS.test(text)) {
    let ns: bigint | undefined;
    try {
      ns = parseDurationNs(text);
    } catch {
      ns = undefined;
    }
    if (ns !== undefined) {
      const nowNs = BigInt(now.getTime()) * 1_000_000n;
      const at = nowNs - ns;
      // Go's Unix(): floor towards minus infinity, not towards zero.
      const seconds = at / 1_000_000_000n - (at % 1_000_000_000n < 0n ? 1n : 0n);
      return String(seconds);
    }
  }
  if (UNIX_SECONDS.test(text)) return text;
  const m = DATE_TIME.exec(text);
  if (!m) {
    throw new UsageError(
      `invalid ${flag} ${JSON.stringify(value)}: failed to parse it as a time or duration; expected ${SINCE_SYNTAX}`,
    );
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction, zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)] as const;
  let ms: number;
  if (zone === undefined) {
    ms = new Date(...fields).getTime();
  } else {
    ms = Date.UTC(...fields);
    if (zone !== 'Z' && zone !== 'z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
  }
  if (!Number.isFinite(ms) || Number(mo) > 12 || Number(d) > 31) {
    throw new UsageError(
      `invalid ${flag} ${JSON.stringify(value)}: not a valid date; expected ${SINCE_SYNTAX}`,
    );
  }
  const seconds = Math.floor(ms / 1000);
  return `${seconds}.${(fraction ?? '').padEnd(9, '0')}`;
}

/** `--tail`: `all`, or how many lines per task from the end. */
export function parseLogTail(value: string): string {
  const text = value.trim();
  if (text === 'all' || (/^\d+$/.test(text) && Number.isSafeInteger(Number(text)))) return text;
  throw new UsageError(
    `invalid --tail ${JSON.stringify(value)}: expected "all" or a non-negative number of lines`,
  );
}
