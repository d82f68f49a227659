import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rfc3339Nano } from './store.time';

describe('rfc3339Nano', () => {
  it('prints Docker-style nanosecond timestamps', () => {
    expect(rfc3339Nano(Date.UTC(2026, 10, 22, 8, 0, 0, 123))).toBe(
      '2026-11-22T08:00:00.123000000Z',
    );
    expect(rfc3339Nano(0)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(rfc3339Nano(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe(
      '2024-02-29T23:59:59.999000000Z',
    );
  });

  it('agrees with Date for any millisecond from 1970 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        expect(rfc3339Nano(ms)).toBe(new Date(ms).toISOString().replace('Z', '000000Z'));
      }),
      { numRuns: 2000 },
    );
  });

  it('drops sub-millisecond fractions', () => {
    expect(rfc3339Nano(1.9)).toBe('1970-01-01T00:00:00.001000000Z');
  });
});
