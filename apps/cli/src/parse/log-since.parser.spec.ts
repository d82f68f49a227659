import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/cli.errors';
import { parseLogSince, parseLogTail } from './log-since.parser';

const NOW = new Date('2024-05-01T12:00:00.750Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

describe('parseLogSince', () => {
  it('counts a Go duration back from now, in whole seconds', () => {
    expect(parseLogSince('10m', NOW)).toBe(String(NOW_S - 600));
    expect(parseLogSince('1h30m', NOW)).toBe(String(NOW_S - 5400));
    expect(parseLogSince('1.5s', NOW)).toBe(String(Math.floor(NOW.getTime() / 1000 - 1.5)));
  });

  it('passes Unix seconds through as typed', () => {
    expect(parseLogSince('0', NOW)).toBe('0');
    expect(parseLogSince('1714557600', NOW)).toBe('1714557600');
    expect(parseLogSince('1714557600.123456789', NOW)).toBe('1714557600.123456789');
  });

  it('turns RFC 3339 dates and times into seconds with nine fraction digits', () => {
    expect(parseLogSince('2024-05-01T10:00:00Z', NOW)).toBe('1714557600.000000000');
    expect(parseLogSince('2024-05-01T10:00:00.5Z', NOW)).toBe('1714557600.500000000');
    expect(parseLogSince('2024-05-01T12:00:00+02:00', NOW)).toBe('1714557600.000000000');
    // Without a zone, local time, as docker reads it.
    const local = Math.floor(new Date(2024, 4, 1, 10, 0, 0).getTime() / 1000);
    expect(parseLogSince('2024-05-01T10:00:00', NOW)).toBe(`${local}.000000000`);
    const midnight = Math.floor(new Date(2024, 4, 1).getTime() / 1000);
    expect(parseLogSince('2024-05-01', NOW)).toBe(`${midnight}.000000000`);
  });

  it.each(['yesterday', '10x', '2024-13-01', '2024-05-01T10:00:00Q', ''])(
    'refuses %j, saying what it accepts',
    (value) => {
      expect(() => parseLogSince(value, NOW)).toThrow(UsageError);
      expect(() => parseLogSince(value, NOW)).toThrow(/invalid --since .*expected a duration/);
    },
  );
});

describe('parseLogTail', () => {
  it('takes all or a line count', () => {
    expect(parseLogTail('all')).toBe('all');
    expect(parseLogTail('0')).toBe('0');
    expect(parseLogTail('25')).toBe('25');
  });

  it.each(['-1', 'ten', '1.5'])('refuses %j', (value) => {
    expect(() => parseLogTail(value)).toThrow(/invalid --tail .*expected "all" or a non-negative/);
  });
});
