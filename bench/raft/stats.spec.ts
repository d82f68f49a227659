import { describe, expect, it } from 'vitest';
import { median, percentile, percentileSorted, round, SampleBuffer, summarize } from './stats';

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('returns observed values at the usual ranks', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 0.5)).toBe(1);
  });

  it('sorts numerically, not lexicographically', () => {
    expect(percentile([10, 9, 100, 2], 50)).toBe(9);
    expect(percentile([10, 9, 100, 2], 100)).toBe(100);
  });

  it('handles a single sample and small counts', () => {
    expect(percentile([7], 99)).toBe(7);
    // p99 of 10 samples is the maximum: ceil(0.99 × 10) = 10.
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });

  it('is NaN for no samples and rejects out-of-range p', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentileSorted([1], 101)).toThrow(RangeError);
    expect(() => percentileSorted([1], -1)).toThrow(RangeError);
    expect(() => percentileSorted([1], NaN)).toThrow(RangeError);
  });

  it('does not mutate its input', () => {
    const input = [3, 1, 2];
    percentile(input, 50);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('computes min/mean/percentiles/max', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toEqual({ count: 5, min: 1, mean: 3, p50: 3, p90: 5, p99: 5, p999: 5, max: 5 });
  });

  it('is all-NaN for no samples', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('median', () => {
  it('takes the middle of an odd count and averages an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('round', () => {
  it('rounds finite values and maps non-finite ones to null', () => {
    expect(round(1.23456)).toBe(1.23);
    expect(round(1.23456, 3)).toBe(1.235);
    expect(round(NaN)).toBeNull();
    expect(round(Infinity)).toBeNull();
  });
});

describe('SampleBuffer', () => {
  it('grows past its initial capacity and keeps order', () => {
    const b = new SampleBuffer(2);
    for (let i = 0; i < 10; i++) b.push(i);
    expect(b.length).toBe(10);
    expect(Array.from(b.values())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
