import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { matchLabelFilter, parseFilters, SERVICE_FILTERS } from './filters.parser';

describe('parseFilters', () => {
  it('reads the current {"value": true} form', () => {
    const filters = parseFilters(
      '{"name":{"web":true,"db":true},"label":{"a=b":true}}',
      SERVICE_FILTERS,
    );
    expect(filters).toEqual(
      new Map([
        ['name', ['web', 'db']],
        ['label', ['a=b']],
      ]),
    );
  });

  it('counts a value even when its boolean is false, as dockerd does', () => {
    expect(parseFilters('{"id":{"abc":false}}', SERVICE_FILTERS).get('id')).toEqual(['abc']);
  });

  it('reads the legacy array form and drops repeats', () => {
    expect(parseFilters('{"name":["web","web","db"]}', SERVICE_FILTERS).get('name')).toEqual([
      'web',
      'db',
    ]);
  });

  it('treats absent, empty and null as no filters', () => {
    for (const raw of [undefined, '', '  ', '{}', 'null']) {
      expect(parseFilters(raw, SERVICE_FILTERS).size).toBe(0);
    }
  });

  it('names an unknown filter and lists the accepted ones', () => {
    expect(() => parseFilters('{"foo":{"x":true}}', SERVICE_FILTERS)).toThrow(
      new InvalidArgumentError("invalid filter 'foo' (accepted: id, label, mode, name)"),
    );
    expect(() => parseFilters('{"foo":[]}', [])).toThrow("invalid filter 'foo' (accepted: none)");
  });

  it.each(['{', '[]', '"name"', '42', '{"name":"web"}', '{"name":[1]}', '{"name":{"web":"yes"}}'])(
    'rejects %s',
    (raw) => {
      expect(() => parseFilters(raw, SERVICE_FILTERS)).toThrow(InvalidArgumentError);
      expect(() => parseFilters(raw, SERVICE_FILTERS)).toThrow(/^invalid filter/);
    },
  );
});

describe('matchLabelFilter', () => {
  const labels = { env: 'prod', tier: '', 'com.example': 'a=b' };

  it('matches everything when there is no label filter', () => {
    expect(matchLabelFilter(undefined, undefined)).toBe(true);
    expect(matchLabelFilter(labels, [])).toBe(true);
  });

  it('label=key wants the label to exist, whatever its value', () => {
    expect(matchLabelFilter(labels, ['tier'])).toBe(true);
    expect(matchLabelFilter(labels, ['owner'])).toBe(false);
  });

  it('label=key=value wants that exact value', () => {
    expect(matchLabelFilter(labels, ['env=prod'])).toBe(true);
    expect(matchLabelFilter(labels, ['env=dev'])).toBe(false);
    expect(matchLabelFilter(labels, ['tier='])).toBe(true);
    expect(matchLabelFilter(labels, ['com.example=a=b'])).toBe(true);
  });

  it('wants every filter to match', () => {
    expect(matchLabelFilter(labels, ['env=prod', 'tier'])).toBe(true);
    expect(matchLabelFilter(labels, ['env=prod', 'owner'])).toBe(false);
  });

  it('does not match an object without labels, nor inherited properties', () => {
    expect(matchLabelFilter(undefined, ['env'])).toBe(false);
    expect(matchLabelFilter({}, ['toString'])).toBe(false);
  });
});
