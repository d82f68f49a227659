import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { formatLoadResult, runLoad, type OpResult } from './load.harness';

describe('runLoad', () => {
  it('keeps exactly `concurrency` ops in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const r = await runLoad({
      concurrency: 8,
      durationMs: 100,
      op: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(2);
        inFlight--;
      },
    });
    expect(peak).toBe(8);
    expect(inFlight).toBe(0);
    expect(r.errors).toBe(0);
    expect(r.ops).toBeGreaterThan(8);
    expect(r.concurrency).toBe(8);
  });

  it('measures latency from the op, not from the scheduler', async () => {
    const r = await runLoad({ concurrency: 4, durationMs: 200, op: () => sleep(10) });
    // Timers can fire late, never early.
    expect(r.p50Ms).toBeGreaterThanOrEqual(9.5);
    expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
    expect(r.maxMs).toBeGreaterThanOrEqual(r.p99Ms);
    // Closed loop: throughput ≈ concurrency / latency.
    expect(r.opsPerSec).toBeLessThanOrEqual((4 / 0.0095) * 1.05);
    expect(r.opsPerSec).toBeGreaterThan(4 / 0.1);
  });

  it('counts errors instead of throwing, and reports their kinds', async () => {
    const r = await runLoad({
      concurrency: 2,
      durationMs: 100,
      errorBackoffMs: 1,
      op: async (_w, seq) => {
        await sleep(1);
        if (seq % 2 === 1) throw new Error('boom');
      },
    });
    expect(r.errors).toBeGreaterThan(0);
    expect(r.errorKinds['Error: boom']).toBe(r.errors);
    expect(formatLoadResult('x', r)).toContain(`WITH ${r.errors} ERRORS`);
  });

  it('does not record warm-up ops but reports them to onResult', async () => {
    const seen: OpResult[] = [];
    const r = await runLoad({
      concurrency: 1,
      durationMs: 60,
      warmupMs: 60,
      op: () => sleep(5),
      onResult: (x) => seen.push(x),
    });
    const warm = seen.filter((x) => !x.measured);
    expect(warm.length).toBeGreaterThan(0);
    expect(r.latency.count).toBe(seen.length - warm.length);
    // seq runs on across warm-up into the window, per worker.
    expect(seen.map((x) => x.seq)).toEqual(seen.map((_, i) => i));
  });

  it('stops issuing ops on abort and lets in-flight ones finish', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const t0 = Date.now();
    const r = await runLoad({
      concurrency: 4,
      durationMs: 10_000,
      signal: ac.signal,
      op: () => sleep(5),
    });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(r.windowMs).toBeLessThan(1_000);
    expect(r.ops).toBeGreaterThan(0);
  });

  it('does not starve the event loop when ops never touch I/O', async () => {
    let timerFired = false;
    setTimeout(() => (timerFired = true), 5);
    const r = await runLoad({ concurrency: 2, durationMs: 50, op: async () => {} });
    expect(timerFired).toBe(true);
    expect(r.ops).toBeGreaterThan(1000);
  });

  it('keeps samples on request and rejects bad options', async () => {
    const r = await runLoad({
      concurrency: 1,
      durationMs: 20,
      keepSamples: true,
      op: () => sleep(1),
    });
    expect(r.samplesMs?.length).toBe(r.latency.count);
    await expect(runLoad({ concurrency: 0, durationMs: 1, op: async () => {} })).rejects.toThrow(
      RangeError,
    );
  });
});
