import { describe, expect, it } from 'vitest';
import { formatMs, formatTable, summarizeTrials, verdict } from './report';

describe('summarizeTrials', () => {
  it('gives the median as p50 and the nearest-rank p99 (the max below 100 trials)', () => {
    expect(summarizeTrials([500, 900, 700, 600])).toEqual({
      n: 4,
      p50Ms: 650,
      p99Ms: 900,
      maxMs: 900,
      minMs: 500,
    });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarizeTrials(hundred).p99Ms).toBe(99);
  });

  it('rounds, and keeps a missing figure as null rather than 0', () => {
    expect(summarizeTrials([1.26, 1.24], 1).p50Ms).toBe(1.3);
    expect(summarizeTrials([])).toEqual({
      n: 0,
      p50Ms: null,
      p99Ms: null,
      maxMs: null,
      minMs: null,
    });
  });
});

describe('formatting', () => {
  it('writes durations in ms or s with sensible precision', () => {
    expect(formatMs(52.34)).toBe('52.3 ms');
    expect(formatMs(612.4)).toBe('612 ms');
    expect(formatMs(1836)).toBe('1.84 s');
    expect(formatMs(12_345)).toBe('12.3 s');
    expect(formatMs(null)).toBe('–');
    expect(formatMs(NaN)).toBe('–');
  });

  it('judges goals, and says so when there is nothing to judge', () => {
    expect(verdict(true)).toBe('met');
    expect(verdict(false)).toBe('NOT met');
    expect(verdict(null)).toBe('–');
  });

  it('aligns columns under a ruled header', () => {
    expect(formatTable(['a', 'bb'], [['xxx', 'y'], ['z']])).toBe(
      ['a    bb', '---  --', 'xxx  y', 'z'].join('\n'),
    );
  });
});
