import { describe, expect, it } from 'vitest';
import { HealthChecker, type HealthTimers, type ProbeResult } from './health.checker';
import { healthSettings } from './health.config';

/** Timers that move only when advance() is called; nothing here waits on real time. */
class FakeTimers implements HealthTimers {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get pendingCount(): number {
    return this.pending.size;
  }
  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = [...this.pending.entries()]
        .filter(([, v]) => v.at <= end)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A probe whose answers the test scripts; each call is recorded with the time it began. */
function scriptedProbe(timers: FakeTimers, answers: Array<number | 'hang'>) {
  const calls: number[] = [];
  const aborted: number[] = [];
  const probe = (signal: AbortSignal): Promise<ProbeResult> => {
    calls.push(timers.now());
    const answer = answers.shift() ?? 0;
    if (answer === 'hang') {
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => {
          aborted.push(timers.now());
          resolve({ exitCode: 137, output: '' });
        }),
      );
    }
    return Promise.resolve({ exitCode: answer, output: `exit ${answer}` });
  };
  return { probe, calls, aborted };
}

const settings = {
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 3,
  startPeriodMs: 0,
  startIntervalMs: 5000,
};

function checker(
  timers: FakeTimers,
  answers: Array<number | 'hang'>,
  over: Partial<typeof settings> = {},
) {
  const p = scriptedProbe(timers, answers);
  const unhealthy: ProbeResult[] = [];
  const c = new HealthChecker({
    settings: { ...settings, ...over },
    probe: p.probe,
    onUnhealthy: (r) => unhealthy.push(r),
    timers,
  });
  return { c, unhealthy, ...p };
}

describe('HealthChecker', () => {
  it('checks one interval after start, then an interval after each check', async () => {
    const timers = new FakeTimers();
    const { c, calls } = checker(timers, [0, 0, 0]);
    c.start();
    await timers.advance(999);
    expect(calls).toEqual([]);
    await timers.advance(2001);
    expect(calls).toEqual([1000, 2000, 3000]);
    expect(c.status).toBe('healthy');
    c.stop();
    expect(timers.pendingCount).toBe(0);
  });

  it('turns unhealthy after `retries` consecutive failures, once, and stops checking', async () => {
    const timers = new FakeTimers();
    const { c, calls, unhealthy } = checker(timers, [1, 1, 0, 1, 1, 1, 0]);
    c.start();
    await timers.advance(5000);
    expect(c.failingStreak).toBe(2);
    expect(unhealthy).toEqual([]);
    await timers.advance(1000);
    expect(c.status).toBe('unhealthy');
    expect(unhealthy).toEqual([{ exitCode: 1, output: 'exit 1' }]);
    await timers.advance(10_000);
    expect(calls).toHaveLength(6);
    expect(unhealthy).toHaveLength(1);
    expect(timers.pendingCount).toBe(0);
  });

  it('aborts a check that outlives its timeout and counts it as a failure', async () => {
    const timers = new FakeTimers();
    const { c, aborted, unhealthy } = checker(timers, ['hang'], { retries: 1 });
    c.start();
    await timers.advance(1499);
    expect(aborted).toEqual([]);
    await timers.advance(1);
    expect(aborted).toEqual([1500]);
    expect(unhealthy).toEqual([{ exitCode: -1, output: 'Health check exceeded timeout (500ms)' }]);
  });

  it('counts a probe that throws as a failure', async () => {
    const timers = new FakeTimers();
    const unhealthy: ProbeResult[] = [];
    const c = new HealthChecker({
      settings: { ...settings, retries: 1 },
      probe: () => {
        throw new Error('boom');
      },
      onUnhealthy: (r) => unhealthy.push(r),
      timers,
    });
    c.start();
    await timers.advance(1000);
    expect(unhealthy).toEqual([{ exitCode: -1, output: 'health check could not run: boom' }]);
  });

  it('ignores failures inside the start period until the first success', async () => {
    const timers = new FakeTimers();
    // Start period 3500 ms with a 1000 ms start interval: checks at 1000, 2000, 3000 fail
    // uncounted; the one at 4000 (outside) counts.
    const { c, calls, unhealthy } = checker(timers, [1, 1, 1, 1, 1], {
      startPeriodMs: 3500,
      startIntervalMs: 1000,
      intervalMs: 2000,
      retries: 2,
    });
    c.start();
    await timers.advance(3000);
    expect(calls).toEqual([1000, 2000, 3000]);
    expect(c.failingStreak).toBe(0);
    expect(c.status).toBe('starting');
    await timers.advance(3000);
    expect(calls).toEqual([1000, 2000, 3000, 4000, 6000]);
    expect(unhealthy).toHaveLength(1);
  });

  it('counts failures inside the start period once the task has been healthy', async () => {
    const timers = new FakeTimers();
    const { c, unhealthy } = checker(timers, [0, 1, 1], {
      startPeriodMs: 60_000,
      startIntervalMs: 1000,
      retries: 2,
    });
    c.start();
    await timers.advance(3000);
    expect(unhealthy).toHaveLength(1);
  });

  it('calls onHealthy at each turn to healthy, not at every passing check', async () => {
    const timers = new FakeTimers();
    const p = scriptedProbe(timers, [1, 0, 0, 1, 0, 0]);
    const turns: number[] = [];
    const c = new HealthChecker({
      settings: { ...settings, retries: 3 },
      probe: p.probe,
      onUnhealthy: () => undefined,
      onHealthy: () => turns.push(timers.now()),
      timers,
    });
    c.start();
    await timers.advance(1000);
    expect(turns).toEqual([]);
    expect(c.status).toBe('starting');
    await timers.advance(5000);
    // Healthy at 2000; the failure at 4000 leaves it healthy (retries 3), so no second turn.
    expect(turns).toEqual([2000]);
    c.stop();
  });

  it('stop() from onHealthy ends the checks', async () => {
    const timers = new FakeTimers();
    const p = scriptedProbe(timers, [0, 0]);
    const c: HealthChecker = new HealthChecker({
      settings,
      probe: p.probe,
      onUnhealthy: () => undefined,
      onHealthy: () => c.stop(),
      timers,
    });
    c.start();
    await timers.advance(5000);
    expect(p.calls).toEqual([1000]);
    expect(timers.pendingCount).toBe(0);
  });

  it('stop() cancels the timer and a running check, and ignores its result', async () => {
    const timers = new FakeTimers();
    const { c, aborted, unhealthy } = checker(timers, ['hang'], { retries: 1 });
    c.start();
    await timers.advance(1100);
    c.stop();
    await timers.advance(0);
    expect(aborted).toEqual([1100]);
    expect(timers.pendingCount).toBe(0);
    await timers.advance(10_000);
    expect(unhealthy).toEqual([]);
    c.start(); // no restart after stop
    expect(timers.pendingCount).toBe(0);
  });
});

describe('healthSettings', () => {
  it('is undefined with no Test, an empty one or NONE', () => {
    expect(healthSettings(undefined)).toBeUndefined();
    expect(healthSettings({})).toBeUndefined();
    expect(healthSettings({ Test: [] })).toBeUndefined();
    expect(healthSettings({ Test: ['NONE'], Interval: 1e9 })).toBeUndefined();
  });

  it("applies Docker's defaults and converts nanoseconds", () => {
    expect(healthSettings({ Test: ['CMD', 'true', 'x'] })).toEqual({
      command: { kind: 'exec', program: 'true', args: ['x'] },
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
      startIntervalMs: 5000,
    });
    expect(
      healthSettings({
        Test: ['CMD-SHELL', 'exit 0'],
        Interval: 2e9,
        Timeout: 5e8,
        Retries: 5,
        StartPeriod: 1e10,
        StartInterval: 1e8,
      }),
    ).toEqual({
      command: { kind: 'shell', args: ['exit 0'] },
      intervalMs: 2000,
      timeoutMs: 500,
      retries: 5,
      startPeriodMs: 10_000,
      startIntervalMs: 100,
    });
  });

  it('caps durations that setTimeout cannot hold and ignores nonsense numbers', () => {
    const s = healthSettings({
      Test: ['CMD', 'true'],
      Interval: 1e20,
      Timeout: Number.NaN,
      Retries: -2,
    });
    expect(s).toMatchObject({ intervalMs: 2 ** 31 - 1, timeoutMs: 30_000, retries: 3 });
  });

  it.each([[['CMD']], [['CMD', '']], [['CMD-SHELL']], [['SHELL', 'x']], [[1, 2]]])(
    'refuses Test %j naming the accepted forms',
    (test) => {
      expect(() => healthSettings({ Test: test as string[] })).toThrow(
        /Healthcheck\.Test .*(expected \["NONE"\]|must be an array of strings)/,
      );
    },
  );
});
