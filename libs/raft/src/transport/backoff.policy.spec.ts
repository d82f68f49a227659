import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.policy';

describe('Backoff', () => {
  it('doubles up to the cap, jittered within the upper half of each window', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    const high = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.999999);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('starts over after reset', () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000 }, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(5);
  });

  it('stays finite however many failures', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 60_000 }, () => 0.5);
    for (let i = 0; i < 5000; i++) expect(b.next()).toBeLessThanOrEqual(60_000);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});
