import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renewalDelayMs } from './renewal';

const DAY = 86_400_000;

describe('renewalDelayMs', () => {
  const cert = { notBefore: 0, notAfter: 100 * DAY };

  it('spans 50% to 80% of the lifetime, measured from notBefore', () => {
    expect(renewalDelayMs(cert, 0, () => 0)).toBe(50 * DAY);
    expect(renewalDelayMs(cert, 0, () => 0.5)).toBe(65 * DAY);
    expect(renewalDelayMs(cert, 0, () => 0.25)).toBe(57.5 * DAY);
    expect(renewalDelayMs(cert, 0, () => 1 - 2 ** -40)).toBeLessThan(80 * DAY);
    expect(renewalDelayMs(cert, 0, () => 1 - 2 ** -40)).toBeGreaterThan(80 * DAY - 1000);
    expect(renewalDelayMs(cert, 10 * DAY, () => 0)).toBe(40 * DAY);
  });

  it('accepts Dates as well as milliseconds', () => {
    const start = Date.UTC(2026, 0, 1);
    const dated = { notBefore: new Date(start), notAfter: new Date(start + 10 * DAY) };
    expect(renewalDelayMs(dated, start + DAY, () => 0)).toBe(4 * DAY);
  });

  it('is 0 once the renewal point has passed, or the dates make no sense', () => {
    expect(renewalDelayMs(cert, 60 * DAY, () => 0)).toBe(0);
    expect(renewalDelayMs(cert, 200 * DAY, () => 0.5)).toBe(0);
    expect(renewalDelayMs({ notBefore: 5, notAfter: 5 }, 0, () => 0.5)).toBe(0);
    expect(renewalDelayMs({ notBefore: new Date(NaN), notAfter: 5 }, 0, () => 0.5)).toBe(0);
  });

  it('clamps a misbehaving rng into the window', () => {
    expect(renewalDelayMs(cert, 0, () => -3)).toBe(50 * DAY);
    expect(renewalDelayMs(cert, 0, () => 7)).toBe(80 * DAY);
  });

  it('property: the renewal point always falls within the window and after now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 42 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: -(2 ** 41), max: 2 ** 41 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (notBefore, lifetime, offset, r) => {
          const now = notBefore + offset;
          const delay = renewalDelayMs({ notBefore, notAfter: notBefore + lifetime }, now, () => r);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(Number.isInteger(delay)).toBe(true);
          const at = now + delay;
          if (delay > 0) {
            expect(at).toBeGreaterThanOrEqual(notBefore + 0.5 * lifetime - 1);
            expect(at).toBeLessThanOrEqual(notBefore + 0.8 * lifetime);
          } else {
            expect(now).toBeGreaterThanOrEqual(notBefore + 0.5 * lifetime - 1);
          }
        },
      ),
    );
  });
});
