import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson, deepFreeze } from './store.objects';

const jsonRoundTrip = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe('cloneJson', () => {
  it('gives exactly what a JSON round trip gives, for any object', () => {
    const value = fc.oneof(
      fc.object({ withNullPrototype: true, withSparseArray: true, withBoxedValues: true }),
      fc.array(fc.anything({ withDate: true, withMap: true, withObjectString: true })),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(cloneJson(v)).toStrictEqual(jsonRoundTrip(v));
      }),
    );
  });

  it('drops undefined and function properties and nulls them in arrays, as JSON does', () => {
    const input = {
      a: undefined,
      b: () => 1,
      c: [undefined, NaN, Infinity, 1, -0],
      d: new Date(0),
    };
    expect(cloneJson(input)).toStrictEqual({
      c: [null, null, null, 1, 0],
      d: '1970-01-01T00:00:00.000Z',
    });
  });

  it('keeps a __proto__ key as a key, never as the prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as object;
    const copy = cloneJson({ wrapper: input });
    expect(Object.getPrototypeOf(copy.wrapper)).toBe(Object.prototype);
    expect(copy).toStrictEqual(jsonRoundTrip({ wrapper: input }));
  });

  it('shares the subtrees the store froze and copies the rest', () => {
    const spec = deepFreeze({ Image: 'busybox', Args: ['sleep', '1'] });
    const input = { Spec: spec, Status: { State: 'running' } };
    const copy = cloneJson(input);
    expect(copy.Spec).toBe(spec);
    expect(copy.Status).not.toBe(input.Status);
    expect(copy).toStrictEqual(input);
  });

  it('throws on a BigInt, as JSON does', () => {
    expect(() => cloneJson({ n: 1n })).toThrow(TypeError);
  });
});
