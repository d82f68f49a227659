import { InvalidArgumentError } from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_STREAM_MESSAGE, parseLogQuery } from './log-query.parser';

describe('parseLogQuery', () => {
  it('reads what the docker CLI sends for `docker service logs -f -t --since 10m -n 20`', () => {
    expect(
      parseLogQuery({
        stdout: '1',
        stderr: '1',
        follow: '1',
        timestamps: '1',
        details: '1',
        since: '1700000000.123456789',
        tail: '20',
      }),
    ).toEqual({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      details: true,
      sinceMs: 1_700_000_000_123.4568,
      sinceNano: 1_700_000_000_123_456_789n,
      tail: 20,
    });
  });

  it('defaults: no follow, timestamps, details, since or tail', () => {
    expect(parseLogQuery({ stdout: 'true' })).toEqual({
      follow: false,
      stdout: true,
      stderr: false,
      timestamps: false,
      details: false,
    });
  });

  it.each(['1', 'true', 'True', 'TRUE', 'yes'])('takes %j as true', (v) => {
    expect(parseLogQuery({ stderr: v, follow: v }).follow).toBe(true);
  });

  it.each(['0', 'false', 'False', 'no', ''])('takes %j as false', (v) => {
    expect(parseLogQuery({ stdout: '1', details: v }).details).toBe(false);
  });

  it('reads since in whole seconds or with a fraction; 0 and empty mean every line', () => {
    expect(parseLogQuery({ stdout: '1', since: '1700000000' }).sinceMs).toBe(1_700_000_000_000);
    expect(parseLogQuery({ stdout: '1', since: '1700000000.5' }).sinceMs).toBe(1_700_000_000_500);
    expect(parseLogQuery({ stdout: '1', since: '0' })).not.toHaveProperty('sinceMs');
    expect(parseLogQuery({ stdout: '1', since: '' })).not.toHaveProperty('sinceMs');
  });

  it('reads tail as all, empty or a non-negative integer', () => {
    expect(parseLogQuery({ stdout: '1', tail: 'all' })).not.toHaveProperty('tail');
    expect(parseLogQuery({ stdout: '1', tail: '' })).not.toHaveProperty('tail');
    expect(parseLogQuery({ stdout: '1', tail: '0' }).tail).toBe(0);
    expect(parseLogQuery({ stdout: '1', tail: '+7' }).tail).toBe(7);
  });

  it('takes the first of a repeated parameter', () => {
    expect(parseLogQuery({ stdout: ['1', '0'], tail: ['3', 'x'] })).toMatchObject({
      stdout: true,
      tail: 3,
    });
  });

  it("refuses a request for neither stream with dockerd's words", () => {
    expect(() => parseLogQuery({})).toThrow(InvalidArgumentError);
    expect(() => parseLogQuery({ stdout: '0', stderr: 'false' })).toThrow(NO_STREAM_MESSAGE);
  });

  it.each([
    [{ stdout: 'ture' }, /invalid query parameter stdout: expected a boolean/],
    [{ stdout: '1', follow: 'maybe' }, /follow: expected a boolean \(1, true, yes or 0/],
    [{ stdout: '1', tail: '-1' }, /tail: expected "all" or a non-negative integer/],
    [{ stdout: '1', tail: 'ten' }, /tail: expected "all" .* got "ten"/],
    [{ stdout: '1', tail: '99999999999999999999' }, /tail: expected "all"/],
    [{ stdout: '1', since: '10m' }, /"since": "10m" is not a timestamp; use seconds since/],
    [{ stdout: '1', since: '2024-01-01T00:00:00Z' }, /"since".* is not a timestamp/],
    [{ stdout: '1', since: '-5' }, /"since".* is not a timestamp/],
    [{ stdout: '1', tail: { a: '1' } }, /tail: expected a single value/],
    [{ stdout: '1', since: ['x'] }, /"since": "x" is not a timestamp/],
  ])('refuses %j naming the parameter and what it accepts', (query, message) => {
    expect(() => parseLogQuery(query)).toThrow(InvalidArgumentError);
    expect(() => parseLogQuery(query)).toThrow(message);
  });

  it('throws nothing but InvalidArgumentError, whatever the query holds', () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('1', '0', 'true', 'all', '', '12', '1700000000.5'),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.anything(),
    );
    const key = fc.constantFrom(
      'stdout',
      'stderr',
      'follow',
      'timestamps',
      'details',
      'since',
      'tail',
      'until',
      '__proto__',
    );
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(key, fc.string()), value), (query) => {
        try {
          const q = parseLogQuery(query);
          expect(q.stdout || q.stderr).toBe(true);
          if (q.tail !== undefined) expect(Number.isSafeInteger(q.tail) && q.tail >= 0).toBe(true);
          if (q.sinceMs !== undefined) expect(q.sinceMs).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidArgumentError);
          expect((e as Error).message).toMatch(
            /stream|stdout|stderr|follow|timestamps|details|since|tail/,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });
});
