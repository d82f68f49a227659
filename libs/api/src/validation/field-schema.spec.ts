import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import {
  arrayOf,
  describeValue,
  emptyObject,
  fieldPath,
  integer,
  nonEmptyString,
  number,
  object,
  oneOf,
  required,
  string,
  stringMap,
} from './field-schema';

interface Thing {
  Name?: string;
  Count?: number;
  Tags?: string[];
}

const thing = object<Thing>({
  Name: required(nonEmptyString),
  Count: integer(0, 10),
  Tags: arrayOf(string),
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

describe('object', () => {
  it('returns the fields it knows, in the shape order', () => {
    expect(Object.keys(thing({ Tags: ['a'], Count: 2, Name: 'x' }, 'Thing'))).toEqual([
      'Name',
      'Count',
      'Tags',
    ]);
  });

  it('matches field names case-insensitively and answers with the declared spelling', () => {
    expect(thing({ name: 'x', COUNT: 1 }, 'Thing')).toEqual({ Name: 'x', Count: 1 });
  });

  it('refuses the same field under two spellings', () => {
    expect(messageOf(() => thing({ Name: 'x', name: 'y' }, 'Thing'))).toBe(
      'invalid Thing.Name: given twice, as Name and name',
    );
  });

  it('treats null as absent, as Go clients send null for nil', () => {
    expect(thing({ Name: 'x', Count: null, Tags: null }, 'Thing')).toEqual({ Name: 'x' });
  });

  it('names unknown fields and lists the accepted ones', () => {
    expect(messageOf(() => thing({ Name: 'x', Colour: 'red' }, 'Thing'))).toBe(
      'unknown field Thing.Colour (accepted: Name, Count, Tags)',
    );
  });

  it('says which required field is missing and what it takes', () => {
    expect(messageOf(() => thing({}, 'Thing'))).toBe(
      'invalid Thing.Name: missing, expected a non-empty string',
    );
    expect(messageOf(() => thing({ Name: null }, 'Thing'))).toContain(
      'invalid Thing.Name: missing',
    );
  });

  it('refuses non-objects', () => {
    for (const value of [null, [], 'x', 1, true]) {
      expect(messageOf(() => thing(value, 'Thing'))).toMatch(/^invalid Thing: expected an object/);
    }
  });

  it('gives paths down into arrays', () => {
    expect(messageOf(() => thing({ Name: 'x', Tags: ['a', 2] }, 'Thing'))).toBe(
      'invalid Thing.Tags[1]: expected a string, got 2',
    );
  });

  it('runs the cross-field rule on the typed result', () => {
    const pair = object<{ A?: number; B?: number }>(
      { A: integer(0, 9), B: integer(0, 9) },
      (v, p) => {
        if ((v.A ?? 0) > (v.B ?? 0)) throw new InvalidArgumentError(`invalid ${p}: A > B`);
      },
    );
    expect(pair({ A: 1, B: 2 }, 'P')).toEqual({ A: 1, B: 2 });
    expect(messageOf(() => pair({ A: 3, B: 2 }, 'P'))).toBe('invalid P: A > B');
  });

  it('does not let keys named like Object.prototype members through', () => {
    expect(messageOf(() => thing({ Name: 'x', constructor: 1 }, 'Thing'))).toContain(
      'unknown field Thing.constructor',
    );
    expect(messageOf(() => thing(JSON.parse('{"Name":"x","__proto__":{}}'), 'Thing'))).toContain(
      'unknown field Thing.__proto__',
    );
  });
});

describe('scalars', () => {
  it('integer refuses fractions, strings and out-of-range values', () => {
    const port = integer(1, 65535);
    expect(port(80, 'P')).toBe(80);
    for (const bad of [0, 65536, 1.5, '80', Number.NaN]) {
      expect(messageOf(() => port(bad, 'P'))).toMatch(
        /^invalid P: expected an integer from 1 to 65535/,
      );
    }
  });

  it('number refuses non-finite values', () => {
    const ratio = number(0, 1);
    expect(ratio(0.5, 'R')).toBe(0.5);
    expect(() => ratio(Number.POSITIVE_INFINITY, 'R')).toThrow(InvalidArgumentError);
    expect(() => ratio(1.01, 'R')).toThrow(InvalidArgumentError);
  });

  it('oneOf folds case, as dockerd upper-cases enums before looking them up', () => {
    const mode = oneOf(['vip', 'dnsrr']);
    expect(mode('DNSRR', 'M')).toBe('dnsrr');
    expect(messageOf(() => mode('rr', 'M'))).toBe(
      'invalid M: expected one of vip, dnsrr, got "rr"',
    );
    expect(messageOf(() => oneOf(['a', ''])('b', 'E'))).toContain('one of a, ""');
  });

  it('stringMap keeps any key, even __proto__, as an ordinary field', () => {
    const map = stringMap(JSON.parse('{"__proto__":"x","a.b":"y"}'), 'L');
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.keys(map)).toEqual(['__proto__', 'a.b']);
    expect(messageOf(() => stringMap({ 'a.b': 1 }, 'L'))).toBe(
      'invalid L["a.b"]: expected a string, got 1',
    );
  });

  it('emptyObject takes only {}', () => {
    expect(emptyObject({}, 'G')).toEqual({});
    expect(messageOf(() => emptyObject({ x: 1 }, 'G'))).toBe('unknown field G.x (accepted: none)');
  });
});

describe('messages', () => {
  it('cuts long values', () => {
    expect(describeValue('x'.repeat(100))).toHaveLength(60);
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(10n)).toBe('bigint');
  });

  it('quotes keys that would not read as a path segment', () => {
    expect(fieldPath('L', 'plain_Key1')).toBe('L.plain_Key1');
    expect(fieldPath('L', 'com.example')).toBe('L["com.example"]');
    expect(fieldPath('L', '')).toBe('L[""]');
  });
});
