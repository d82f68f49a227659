import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runFixed } from './fixed-load';

describe('runFixed', () => {
  it('runs every index exactly once with at most `concurrency` in flight', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const r = await runFixed({
      count: 50,
      concurrency: 4,
      op: async (i) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(1);
        seen.push(i);
        inFlight--;
      },
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(maxInFlight).toBe(4);
    expect(r).toMatchObject({ issued: 50, ok: 50, errors: 0, concurrency: 4 });
    expect(r.latency.count).toBe(50);
    expect(r.samplesMs).toHaveLength(50);
    expect(r.latency.min).toBeGreaterThan(0);
    expect(r.opsPerSec).toBeGreaterThan(0);
  });

  it('counts errors by kind instead of throwing, and leaves them out of the latency', async () => {
    const r = await runFixed({
      count: 10,
      concurrency: 2,
      op: async (i) => {
        if (i % 3 === 0) throw new Error('boom');
      },
    });
    expect(r.errors).toBe(4);
    expect(r.ok).toBe(6);
    expect(r.errorKinds).toEqual({ 'Error: boom': 4 });
    expect(r.latency.count).toBe(6);
  });

  it('starts nothing after the deadline but finishes what is in flight', async () => {
    const deadlineNs = process.hrtime.bigint() + 30_000_000n;
    let finished = 0;
    const r = await runFixed({
      count: 1_000,
      concurrency: 2,
      deadlineNs,
      op: async () => {
        await sleep(10);
        finished++;
      },
    });
    expect(r.issued).toBeLessThan(1_000);
    expect(r.issued).toBe(finished);
    expect(r.ok).toBe(finished);
  });

  it('starts nothing once the signal is aborted', async () => {
    const ac = new AbortController();
    const r = await runFixed({
      count: 100,
      concurrency: 1,
      signal: ac.signal,
      op: async (i) => {
        if (i === 4) ac.abort();
      },
    });
    expect(r.issued).toBe(5);
  });

  it('handles zero ops and rejects bad arguments', async () => {
    const r = await runFixed({ count: 0, concurrency: 3, op: async () => undefined });
    expect(r).toMatchObject({ issued: 0, ok: 0, errors: 0 });
    expect(r.latency.p50).toBeNaN();
    await expect(runFixed({ count: 1, concurrency: 0, op: async () => undefined })).rejects.toThrow(
      RangeError,
    );
    await expect(
      runFixed({ count: -1, concurrency: 1, op: async () => undefined }),
    ).rejects.toThrow(RangeError);
  });
});
