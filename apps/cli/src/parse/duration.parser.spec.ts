import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { DURATION_SYNTAX, formatDuration, parseDuration, parseDurationNs } from './duration.parser';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

describe('parseDuration (Go time.ParseDuration syntax)', () => {
  it.each([
    ['0', 0],
    ['10ns', 10],
    ['1us', 1_000],
    ['1\u00b5s', 1_000],
    ['1\u03bcs', 1_000],
    ['300ms', 300_000_000],
    ['1.5s', 1_500_000_000],
    ['.5s', 500_000_000],
    ['2.s', 2_000_000_000],
    ['1m', 60_000_000_000],
    ['1h2m3.5s', 3_723_500_000_000],
    ['2160h', 7_776_000_000_000_000],
    ['1h1h', 7_200_000_000_000],
    ['+5s', 5_000_000_000],
    ['-1.5h', -5_400_000_000_000],
    ['0.000000001s', 1],
    ['0.0000000019s', 1], // truncated to whole nanoseconds, like Go
  ])('%s is %d ns', (input, ns) => {
    expect(parseDuration(input)).toBe(ns);
  });

  it('accepts the full int64 range and refuses one past it', () => {
    expect(parseDurationNs('2562047h47m16.854775807s')).toBe(INT64_MAX);
    expect(parseDurationNs('-2562047h47m16.854775808s')).toBe(INT64_MIN);
    expect(() => parseDurationNs('2562047h47m16.854775808s')).toThrow(/overflows/);
    expect(() => parseDurationNs('9999999999999999999h')).toThrow(/overflows/);
  });

  it.each([
    ['', /empty value/],
    ['10', /missing unit/],
    ['1x', /unknown unit "x"/],
    ['s', /unexpected "s"/],
    ['.s', /needs digits/],
    ['1h-2m', /unknown unit "h-"/], // the unit runs up to the next digit, as in Go
    ['1 s', /unknown unit " s"/],
    ['-', /empty value/],
    ['1.2.3s', /missing unit/],
  ])('refuses %j with a usage error that names the syntax', (input, why) => {
    let error: unknown;
    try {
      parseDuration(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain(`invalid duration ${JSON.stringify(input)}`);
    expect((error as Error).message).toContain(DURATION_SYNTAX);
  });
});

describe('formatDuration (Go Duration.String)', () => {
  it.each([
    [0, '0s'],
    [10, '10ns'],
    [1_000, '1\u00b5s'],
    [1_500, '1.5\u00b5s'],
    [300_000_000, '300ms'],
    [1_500_000_000, '1.5s'],
    [60_000_000_000, '1m0s'],
    [3_723_500_000_000, '1h2m3.5s'],
    [7_200_000_000_000, '2h0m0s'],
    [7_776_000_000_000_000, '2160h0m0s'],
    [-5_400_000_000_000, '-1h30m0s'],
    [1_000_000_001, '1.000000001s'],
  ])('%d ns is %s', (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it('formats the int64 extremes like Go', () => {
    expect(formatDuration(INT64_MAX)).toBe('2562047h47m16.854775807s');
    expect(formatDuration(INT64_MIN)).toBe('-2562047h47m16.854775808s');
  });
});

describe('duration properties', () => {
  it('parse(format(d)) == d over the whole int64 range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (d) => {
        expect(parseDurationNs(formatDuration(d))).toBe(d);
      }),
      { numRuns: 2000 },
    );
  });

  it('parse(format(d)) == d for durations a user types (as numbers)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (d) => {
        expect(parseDuration(formatDuration(d))).toBe(d);
      }),
    );
  });

  // Strings drawn from the grammar's own alphabet reach deep into the parser; arbitrary
  // unicode covers everything else. Either way the only failure allowed is a UsageError.
  const durationAlphabet = fc.constantFrom(...'0123456789.+-hmsnuµμ x'.split(''));
  const anyString = fc.oneof(
    fc.string({ unit: durationAlphabet, maxLength: 20 }),
    fc.string(),
    fc.string({ unit: 'binary' }),
  );

  it('never throws anything but a UsageError, and what parses is a valid int64', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        try {
          const ns = parseDurationNs(input);
          expect(ns >= INT64_MIN && ns <= INT64_MAX).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message).toContain(DURATION_SYNTAX);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('what parses re-formats to a canonical string that parses to the same value', () => {
    fc.assert(
      fc.property(fc.string({ unit: durationAlphabet, maxLength: 20 }), (input) => {
        let ns: bigint;
        try {
          ns = parseDurationNs(input);
        } catch {
          return;
        }
        expect(parseDurationNs(formatDuration(ns))).toBe(ns);
      }),
      { numRuns: 3000 },
    );
  });
});
