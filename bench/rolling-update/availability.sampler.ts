/**
 * Samples a probe on a fixed schedule (every `intervalMs` from the start, like a metronome,
 * not `intervalMs` after the previous probe ended) until stopped, and sums up what was seen.
 * A probe that takes longer than the interval skips the ticks it overran rather than
 * bunching samples afterwards; the largest gap between two samples is reported so a reader
 * can tell whether the schedule held. A probe that fails is counted, not recorded.
 */

export interface SamplerClock {
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Sample<T> {
  /** When the probe was sent, ms after the sampler started. */
  atMs: number;
  value: T;
}

export interface SamplerResult<T> {
  samples: Sample<T>[];
  errors: number;
  lastError?: string;
  /** Largest time between two consecutive samples; null with fewer than two. */
  maxGapMs: number | null;
}

export class IntervalSampler<T> {
  private readonly samples: Sample<T>[] = [];
  private errors = 0;
  private lastError?: string;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly probe: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly clock: SamplerClock,
  ) {
    if (!(intervalMs > 0)) throw new RangeError(`interval must be > 0, got ${intervalMs}`);
  }

  /** Takes the first sample at once, then one per tick. */
  start(): void {
    if (this.loop) throw new Error('sampler already started');
    this.loop = this.run();
  }

  /** Stops after the probe in flight (if any) and returns everything sampled. */
  async stop(): Promise<SamplerResult<T>> {
    this.stopped = true;
    await this.loop;
    return {
      samples: [...this.samples],
      errors: this.errors,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      maxGapMs: maxGap(this.samples.map((s) => s.atMs)),
    };
  }

  private async run(): Promise<void> {
    const t0 = this.clock.now();
    let tick = 0;
    while (!this.stopped) {
      const at = this.clock.now() - t0;
      try {
        const value = await this.probe();
        this.samples.push({ atMs: at, value });
      } catch (err) {
        this.errors++;
        this.lastError = (err as Error).message;
      }
      if (this.stopped) break;
      const elapsed = this.clock.now() - t0;
      tick = nextTick(tick, elapsed, this.intervalMs);
      await this.clock.sleep(tick * this.intervalMs - elapsed);
    }
  }
}

/** The next tick after `tick` that has not passed at `elapsedMs` (ticks overrun are skipped). */
export function nextTick(tick: number, elapsedMs: number, intervalMs: number): number {
  return Math.max(tick + 1, Math.floor(elapsedMs / intervalMs) + 1);
}

export function maxGap(times: readonly number[]): number | null {
  if (times.length < 2) return null;
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

/** One availability sample: replicas the engine serves, and the API's count. */
export interface Availability {
  /** Containers of the service running (and healthy, with a healthcheck). */
  engine: number;
  /** Tasks desired running that report running. */
  api: number;
}

export interface AvailabilitySummary {
  samples: number;
  desired: number;
  minEngine: number | null;
  /** When the engine's minimum was first seen, ms after the update request. */
  minEngineAtMs: number | null;
  minApi: number | null;
  /** Samples in which the view was below `desired`. */
  belowEngine: number;
  belowApi: number;
  /** Never below desired in either view; null without samples. */
  goalMet: boolean | null;
}

export function summarizeAvailability(
  samples: readonly Sample<Availability>[],
  desired: number,
): AvailabilitySummary {
  let minEngine: number | null = null;
  let minEngineAtMs: number | null = null;
  let minApi: number | null = null;
  let belowEngine = 0;
  let belowApi = 0;
  for (const s of samples) {
    if (minEngine === null || s.value.engine < minEngine) {
      minEngine = s.value.engine;
      minEngineAtMs = s.atMs;
    }
    if (minApi === null || s.value.api < minApi) minApi = s.value.api;
    if (s.value.engine < desired) belowEngine++;
    if (s.value.api < desired) belowApi++;
  }
  return {
    samples: samples.length,
    desired,
    minEngine,
    minEngineAtMs,
    minApi,
    belowEngine,
    belowApi,
    goalMet: samples.length === 0 ? null : belowEngine === 0 && belowApi === 0,
  };
}
