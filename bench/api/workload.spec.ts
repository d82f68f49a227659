import { describe, expect, it } from 'vitest';
import {
  fillCheckpoints,
  fillWouldOverrun,
  newRunId,
  randomIndices,
  runFilter,
  seededRandom,
  serviceName,
  serviceSpec,
} from './workload';

describe('service specs', () => {
  it('names are unique per index, valid for Docker and well under 63 characters', () => {
    const id = newRunId();
    expect(id).toMatch(/^[0-9a-f]{6}$/);
    const name = serviceName(id, 99_999);
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9-]*$/);
    expect(name.length).toBeLessThan(63);
    expect(serviceName(id, 1)).not.toBe(serviceName(id, 2));
  });

  it('asks for zero replicas of busybox:local and carries the run label', () => {
    const spec = serviceSpec('abc123', 7) as {
      Name: string;
      Labels: Record<string, string>;
      Mode: unknown;
      TaskTemplate: { ContainerSpec: { Image: string } };
    };
    expect(spec.Name).toBe('bench-abc123-7');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 0 } });
    expect(spec.TaskTemplate.ContainerSpec.Image).toBe('busybox:local');
    expect(spec.Labels['shoal.bench.run']).toBe('abc123');
    expect(JSON.parse(decodeURIComponent(runFilter('abc123')))).toEqual({
      label: ['shoal.bench.run=abc123'],
    });
  });
});

describe('seeded randomness', () => {
  it('repeats for a seed, differs across seeds and stays in [0, 1)', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(seededRandom(2)()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws indices in range, covering it', () => {
    const idx = randomIndices(2000, 10, 5);
    expect(idx).toHaveLength(2000);
    expect(new Set(idx)).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i)));
    expect(randomIndices(5, 10, 5)).toEqual(idx.slice(0, 5));
    expect(() => randomIndices(1, 0, 1)).toThrow(RangeError);
  });
});

describe('fillCheckpoints', () => {
  it('keeps the planned counts between the existing count and the target, then the target', () => {
    expect(fillCheckpoints([2000, 5000], 1100, 10_000)).toEqual([2000, 5000, 10_000]);
    expect(fillCheckpoints([5000, 2000, 2000, 10_000, 20_000], 1100, 10_000)).toEqual([
      2000, 5000, 10_000,
    ]);
    expect(fillCheckpoints([500, 2000], 1100, 3000)).toEqual([2000, 3000]);
    expect(fillCheckpoints([2000], 1100, 1100)).toEqual([]);
  });
});

describe('fillWouldOverrun', () => {
  const base = { elapsedSec: 10, createdSoFar: 1000, current: 2000, budgetSec: 300 };

  it('projects from the rate so far', () => {
    // 100/s: 8000 more take 80 s, 10 + 80 < 300.
    expect(fillWouldOverrun({ ...base, nextTarget: 10_000 })).toBe(false);
    // 30,000 more take 300 s, 10 + 300 > 300.
    expect(fillWouldOverrun({ ...base, nextTarget: 32_000 })).toBe(true);
  });

  it('goes on when there is no rate yet', () => {
    expect(fillWouldOverrun({ ...base, elapsedSec: 0, createdSoFar: 0, nextTarget: 1e9 })).toBe(
      false,
    );
  });
});
