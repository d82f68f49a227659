/**
 * Go `time.Duration` syntax, the way docker's flags take durations (`--update-delay 10s`,
 * `--cert-expiry 2160h`), converted to the integer nanoseconds the Engine API carries.
 *
 * Arithmetic is done on bigint so that parse and format agree exactly over the whole int64
 * range Go allows (a double loses nanoseconds past ~104 days); callers that put the value in
 * JSON take a number, which is exact for every duration a user realistically types.
 */
import { UsageError } from '../errors/cli.errors';

export const DURATION_SYNTAX =
  'a Go duration such as "300ms", "1.5h" or "1h2m3.5s" (units ns, us, ms, s, m, h)';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN_MAGNITUDE = 1n << 63n;

const NS = 1n;
const US = 1_000n;
const MS = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

// Go accepts both micro signs (U+00B5 and U+03BC) as well as the ASCII "us".
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US],
  ['\u03bcs', US],
  ['ms', MS],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

function invalid(input: string, why: string): UsageError {
  return new UsageError(
    `invalid duration ${JSON.stringify(input)}: ${why}; expected ${DURATION_SYNTAX}`,
  );
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Parses `[-+]?([0-9]*(\.[0-9]*)?[a-zµμ]+)+` (or a bare "0") into nanoseconds. */
export function parseDurationNs(input: string): bigint {
  let s = input;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid(input, 'empty value');

  let total = 0n;
  let i = 0;
  while (i < s.length) {
    if (!(s[i] === '.' || isDigit(s[i])))
      throw invalid(input, `unexpected ${JSON.stringify(s[i])}`);
    const intStart = i;
    while (isDigit(s[i])) i++;
    const intDigits = s.slice(intStart, i);
    let fracDigits = '';
    let hasDot = false;
    if (s[i] === '.') {
      hasDot = true;
      i++;
      const fracStart = i;
      while (isDigit(s[i])) i++;
      fracDigits = s.slice(fracStart, i);
    }
    if (intDigits === '' && fracDigits === '') {
      throw invalid(input, hasDot ? 'a number needs digits around "."' : 'missing number');
    }
    const unitStart = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s[i])) i++;
    const unitText = s.slice(unitStart, i);
    if (unitText === '') throw invalid(input, 'missing unit');
    const unit = UNITS.get(unitText);
    if (unit === undefined) throw invalid(input, `unknown unit ${JSON.stringify(unitText)}`);

    let value = BigInt(intDigits || '0') * unit;
    if (fracDigits !== '') {
      // Exact: fraction * unit / 10^digits, truncated like Go's integer nanoseconds.
      value += (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length);
    }
    total += value;
    if (total > INT64_MIN_MAGNITUDE) throw invalid(input, 'overflows a 64-bit duration');
  }
  if (negative) return -total;
  if (total > INT64_MAX) throw invalid(input, 'overflows a 64-bit duration');
  return total;
}

/** Nanoseconds as a JSON-ready number (exact below 2^53 ns, about 104 days). */
export function parseDuration(input: string): number {
  return Number(parseDurationNs(input));
}

/** Formats nanoseconds the way Go's Duration.String() does: "1h2m3.5s", "300ms", "1µs", "0s". */
export function formatDuration(value: number | bigint): string {
  const d = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  const negative = d < 0n;
  const u = negative ? -d : d;
  const sign = negative ? '-' : '';
  if (u === 0n) return '0s';
  if (u < SECOND) {
    if (u < US) return `${sign}${u}ns`;
    if (u < MS) return `${sign}${fraction(u, US, 3)}\u00b5s`;
    return `${sign}${fraction(u, MS, 6)}ms`;
  }
  const seconds = fraction(u % MINUTE, SECOND, 9);
  const totalMinutes = u / MINUTE;
  if (totalMinutes === 0n) return `${sign}${seconds}s`;
  const hours = totalMinutes / 60n;
  const minutes = totalMinutes % 60n;
  if (hours === 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${hours}h${minutes}m${seconds}s`;
}

/** `value / unit` with up to `digits` decimals, trailing zeros (and a bare ".") dropped. */
function fraction(value: bigint, unit: bigint, digits: number): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return whole.toString();
  const frac = rest.toString().padStart(digits, '0').replace(/0+$/, '');
  return `${whole}.${frac}`;
}
