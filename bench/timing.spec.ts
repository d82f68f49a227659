import { describe, expect, it } from 'vitest';
import { poll, step } from './timing';

describe('step', () => {
  it('passes the value through', async () => {
    await expect(step('s', 1_000, () => Promise.resolve(7))).resolves.toBe(7);
  });

  it('names the step when it fails or overruns', async () => {
    await expect(
      step('restart m1', 1_000, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('restart m1: boom');
    await expect(step('kill → update', 10, () => new Promise(() => {}))).rejects.toThrow(
      'kill → update: not done within 10 ms',
    );
  });
});

describe('poll', () => {
  it('probes until a value comes back, treating errors as "not yet"', async () => {
    let calls = 0;
    const v = await poll(
      'x',
      async () => {
        calls++;
        if (calls === 1) throw new Error('ECONNREFUSED');
        return calls === 3 ? 'up' : undefined;
      },
      { timeoutMs: 1_000, intervalMs: 1 },
    );
    expect(v).toBe('up');
    expect(calls).toBe(3);
  });

  it('gives up at the deadline naming the last error, or when aborted', async () => {
    await expect(
      poll('Reachable', () => Promise.reject(new Error('503')), { timeoutMs: 5, intervalMs: 1 }),
    ).rejects.toThrow(/Reachable: not within 5 ms \(last error: 503\)/);
    const ac = new AbortController();
    ac.abort(new Error('interrupted'));
    await expect(
      poll('x', () => Promise.resolve(undefined), {
        timeoutMs: 1_000,
        intervalMs: 1,
        signal: ac.signal,
      }),
    ).rejects.toThrow('interrupted');
  });
});
