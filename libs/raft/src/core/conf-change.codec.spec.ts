import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange } from './conf-change.codec';
import { ConfChangeType } from './types';

describe('conf change codec', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ConfChangeType.AddVoter,
          ConfChangeType.AddLearner,
          ConfChangeType.RemoveNode,
        ),
        fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
        fc.uint8Array({ maxLength: 300 }),
        (type, nodeId, context) => {
          const cc = { type, nodeId, context };
          expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
        },
      ),
    );
  });

  it('is compact', () => {
    const b = encodeConfChange({
      type: ConfChangeType.AddVoter,
      nodeId: 'n1',
      context: new Uint8Array(3),
    });
    expect(b.byteLength).toBe(2 + 1 + 2 + 1 + 3);
  });

  it('rejects malformed input', () => {
    const good = encodeConfChange({
      type: ConfChangeType.RemoveNode,
      nodeId: 'node',
      context: new Uint8Array([1, 2]),
    });
    expect(() => decodeConfChange(good.slice(0, good.length - 1))).toThrow(RangeError);
    expect(() => decodeConfChange(new Uint8Array([...good, 0]))).toThrow(RangeError);
    expect(() => decodeConfChange(new Uint8Array([9, ...good.slice(1)]))).toThrow(RangeError);
    const badType = good.slice();
    badType[1] = 7;
    expect(() => decodeConfChange(badType)).toThrow(RangeError);
    expect(() =>
      decodeConfChange(new Uint8Array([1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
    ).toThrow(RangeError);
  });

  it('never throws anything but RangeError on garbage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          decodeConfChange(b);
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError);
        }
      }),
    );
  });
});
