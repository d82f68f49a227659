import { describe, expect, it } from 'vitest';
import {
  type Availability,
  IntervalSampler,
  maxGap,
  nextTick,
  type Sample,
  type SamplerClock,
  summarizeAvailability,
} from './availability.sampler';

/** A virtual clock: sleep advances time at once; probes may advance it too. */
function virtualClock(): SamplerClock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
      await Promise.resolve();
    },
  };
  return c;
}

describe('nextTick', () => {
  it('is the next tick when the probe was quick', () => {
    expect(nextTick(0, 30, 100)).toBe(1);
    expect(nextTick(3, 310, 100)).toBe(4);
  });

  it('skips the ticks a slow probe overran', () => {
    expect(nextTick(0, 250, 100)).toBe(3);
    expect(nextTick(2, 200, 100)).toBe(3);
  });
});

describe('maxGap', () => {
  it('is null for fewer than two samples and the largest difference otherwise', () => {
    expect(maxGap([])).toBeNull();
    expect(maxGap([5])).toBeNull();
    expect(maxGap([0, 100, 250, 300])).toBe(150);
  });
});

describe('IntervalSampler', () => {
  it('samples on a fixed schedule from the start, not after each probe', async () => {
    const clock = virtualClock();
    let n = 0;
    const sampler = new IntervalSampler(
      async () => {
        clock.t += 30; // each probe takes 30 ms
        return n++;
      },
      100,
      clock,
    );
    sampler.start();
    while (clock.t < 450) await Promise.resolve();
    const r = await sampler.stop();
    expect(r.samples.map((s) => s.atMs).slice(0, 5)).toEqual([0, 100, 200, 300, 400]);
    expect(r.samples.map((s) => s.value).slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(r.maxGapMs).toBe(100);
    expect(r.errors).toBe(0);
  });

  it('skips overrun ticks, reports the gap, and counts failed probes without recording them', async () => {
    const clock = virtualClock();
    let n = 0;
    const sampler = new IntervalSampler(
      async () => {
        const i = n++;
        if (i === 1) {
          clock.t += 250; // a slow probe: ticks 2 and 3 are missed
          return i;
        }
        clock.t += 10;
        if (i === 3) throw new Error('connection reset');
        return i;
      },
      100,
      clock,
    );
    sampler.start();
    while (clock.t < 650) await Promise.resolve();
    const r = await sampler.stop();
    expect(r.samples.map((s) => s.atMs).slice(0, 4)).toEqual([0, 100, 400, 600]);
    expect(r.samples.map((s) => s.value).slice(0, 4)).toEqual([0, 1, 2, 4]);
    expect(r.errors).toBe(1);
    expect(r.lastError).toBe('connection reset');
    expect(r.maxGapMs).toBe(300);
  });

  it('refuses a non-positive interval and a second start', () => {
    const clock = virtualClock();
    expect(() => new IntervalSampler(async () => 1, 0, clock)).toThrow(RangeError);
    const s = new IntervalSampler(async () => 1, 100, clock);
    s.start();
    expect(() => s.start()).toThrow(/already/);
    return s.stop();
  });
});

describe('summarizeAvailability', () => {
  const at = (atMs: number, engine: number, api: number): Sample<Availability> => ({
    atMs,
    value: { engine, api },
  });

  it('finds the minimum of each view, when the engine first hit it, and the samples below', () => {
    const s = summarizeAvailability(
      [at(0, 20, 20), at(100, 19, 20), at(200, 18, 19), at(300, 18, 18), at(400, 20, 20)],
      20,
    );
    expect(s).toEqual({
      samples: 5,
      desired: 20,
      minEngine: 18,
      minEngineAtMs: 200,
      minApi: 18,
      belowEngine: 3,
      belowApi: 2,
      goalMet: false,
    });
  });

  it('meets the goal when neither view ever drops below the desired count', () => {
    const s = summarizeAvailability([at(0, 20, 20), at(100, 22, 21), at(200, 20, 20)], 20);
    expect(s.minEngine).toBe(20);
    expect(s.minApi).toBe(20);
    expect(s.goalMet).toBe(true);
  });

  it('judges nothing without samples', () => {
    const s = summarizeAvailability([], 20);
    expect(s.minEngine).toBeNull();
    expect(s.goalMet).toBeNull();
  });
});
