import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import {
  parseBoolQuery,
  parseIntQuery,
  parseServiceUpdateQuery,
  parseSwarmUpdateQuery,
} from './query.parser';

describe('parseBoolQuery', () => {
  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['0', false],
    ['false', false],
    ['no', false],
    ['none', false],
    ['', false],
  ])('reads %j as %s', (raw, value) => {
    expect(parseBoolQuery('force', raw)).toBe(value);
  });

  it('returns the default when absent, and takes the first of repeated values', () => {
    expect(parseBoolQuery('force', undefined)).toBe(false);
    expect(parseBoolQuery('force', undefined, true)).toBe(true);
    expect(parseBoolQuery('force', ['1', '0'])).toBe(true);
  });

  it('refuses anything else with a clear message', () => {
    expect(() => parseBoolQuery('force', 'ture')).toThrow(
      new InvalidArgumentError(
        'invalid query parameter force: expected a boolean (1, true, yes or 0, false, no), got "ture"',
      ),
    );
    expect(() => parseBoolQuery('force', { a: '1' })).toThrow(
      'invalid query parameter force: expected a single value',
    );
  });
});

describe('parseIntQuery', () => {
  it('reads decimal integers', () => {
    expect(parseIntQuery('version', '12')).toBe(12);
    expect(parseIntQuery('version', ' 7 ')).toBe(7);
    expect(parseIntQuery('tail', '-1', { min: -1 })).toBe(-1);
  });

  it('requires the parameter unless there is a default', () => {
    expect(() => parseIntQuery('version', undefined)).toThrow(
      'missing query parameter version: expected a non-negative integer',
    );
    expect(() => parseIntQuery('version', '')).toThrow('missing query parameter version');
    expect(parseIntQuery('n', undefined, { defaultValue: 3 })).toBe(3);
  });

  it.each(['abc', '1.5', '1e3', '0x10', '-1', '99999999999999999999'])('refuses %j', (raw) => {
    expect(() => parseIntQuery('version', raw)).toThrow(
      `invalid query parameter version: expected a non-negative integer, got ${JSON.stringify(raw)}`,
    );
  });

  it('states a custom range', () => {
    expect(() => parseIntQuery('n', '11', { min: 1, max: 10 })).toThrow(
      'expected an integer from 1 to 10, got "11"',
    );
  });
});

describe('endpoint queries', () => {
  it('parses the query of /swarm/update', () => {
    expect(parseSwarmUpdateQuery({ version: '5', rotateWorkerToken: 'true' })).toEqual({
      version: 5,
      rotateWorkerToken: true,
      rotateManagerToken: false,
      rotateManagerUnlockKey: false,
    });
    expect(() => parseSwarmUpdateQuery({})).toThrow('missing query parameter version');
  });

  it('parses the query of /services/{id}/update', () => {
    expect(parseServiceUpdateQuery({ version: '3' })).toEqual({
      version: 3,
      registryAuthFrom: 'spec',
      rollback: false,
    });
    expect(
      parseServiceUpdateQuery({
        version: '3',
        registryAuthFrom: 'previous-spec',
        rollback: 'previous',
      }),
    ).toEqual({ version: 3, registryAuthFrom: 'previous-spec', rollback: true });
    expect(() => parseServiceUpdateQuery({ version: '3', rollback: 'yes' })).toThrow(
      'invalid query parameter rollback',
    );
    expect(() => parseServiceUpdateQuery({ version: '3', registryAuthFrom: 'x' })).toThrow(
      'invalid query parameter registryAuthFrom',
    );
  });
});
