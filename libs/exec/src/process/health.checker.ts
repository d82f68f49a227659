import { type Logger, nullLogger } from '@shoal/common';
import { type HealthSettings } from './health.config';

/** The timer functions the checker uses; tests pass fakes to run it without real time. */
export interface HealthTimers {
  /** Milliseconds on any monotonic or wall clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realHealthTimers: HealthTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The task's own process is what keeps an agent busy, not its checks.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One check's result: exit code 0 is healthy, anything else (or an error) a failure. */
export interface ProbeResult {
  exitCode: number;
  /** What the check printed, or why it could not run; kept short. */
  output: string;
}

/**
 * Runs the check once. Must end soon after `signal` aborts (the checker aborts it on timeout
 * and on stop()), and should resolve rather than reject; a rejection counts as a failure.
 */
export type HealthProbe = (signal: AbortSignal) => Promise<ProbeResult>;

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

export interface HealthCheckerOptions {
  settings: Pick<
    HealthSettings,
    'intervalMs' | 'timeoutMs' | 'retries' | 'startPeriodMs' | 'startIntervalMs'
  >;
  probe: HealthProbe;
  /** Called once, when the task turns unhealthy; no check runs after it. */
  onUnhealthy: (last: ProbeResult) => void;
  /** Called each time the task turns healthy (from starting, the first success). */
  onHealthy?: () => void;
  timers?: HealthTimers;
  logger?: Logger;
}

/**
 * Schedules a task's health checks with Docker's semantics (daemon/health.go):
 * - the first check runs one interval after start(), each next one an interval after the
 *   previous one ended (checks never overlap); inside the start period, until the first
 *   success, the interval is StartInterval;
 * - a check that has not ended after Timeout is aborted and counts as a failure;
 * - a success resets the failure streak and makes the task healthy (onHealthy() is called
 *   when it was not healthy before); a failure that starts
 *   inside the start period while the task has never been healthy does not count;
 * - `retries` consecutive counted failures make it unhealthy: onUnhealthy() is called and
 *   checking ends.
 * stop() cancels the pending timer and aborts a running check, whose result is then ignored.
 */
export class HealthChecker {
  private readonly timers: HealthTimers;
  private readonly logger: Logger;
  private startedAt = 0;
  private started = false;
  private stopped = false;
  private timer: unknown;
  private interrupt?: () => void;
  private currentStatus: HealthStatus = 'starting';
  private streak = 0;

  constructor(private readonly opts: HealthCheckerOptions) {
    this.timers = opts.timers ?? realHealthTimers;
    this.logger = opts.logger ?? nullLogger;
  }

  get status(): HealthStatus {
    return this.currentStatus;
  }

  /** Consecutive counted failures so far. */
  get failingStreak(): number {
    return this.streak;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startedAt = this.timers.now();
    this.schedule();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.interrupt?.();
  }

  private inStartPeriod(at: number): boolean {
    return (
      this.currentStatus === 'starting' && at - this.startedAt < this.opts.settings.startPeriodMs
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    const { intervalMs, startIntervalMs } = this.opts.settings;
    const delay = this.inStartPeriod(this.timers.now()) ? startIntervalMs : intervalMs;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, delay);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const checkStartedAt = this.timers.now();
    const result = await this.runOnce();
    if (this.stopped) return;
    if (result.exitCode === 0) {
      const turned = this.currentStatus !== 'healthy';
      this.streak = 0;
      this.currentStatus = 'healthy';
      if (turned) {
        this.logger.info('task is healthy');
        this.opts.onHealthy?.();
        if (this.stopped) return;
      }
    } else if (!this.inStartPeriod(checkStartedAt)) {
      this.streak += 1;
      this.logger.warn('health check failed', {
        exitCode: result.exitCode,
        output: result.output,
        failingStreak: this.streak,
        retries: this.opts.settings.retries,
      });
      if (this.streak >= this.opts.settings.retries) {
        this.currentStatus = 'unhealthy';
        this.stopped = true;
        this.opts.onUnhealthy(result);
        return;
      }
    }
    this.schedule();
  }

  private async runOnce(): Promise<ProbeResult> {
    const { timeoutMs } = this.opts.settings;
    const abort = new AbortController();
    let timeout: unknown;
    // Settles on timeout, or at once on stop(), so no timer outlives the checker even when
    // the probe is slow to honour its abort.
    const cutShort = new Promise<ProbeResult>((resolve) => {
      timeout = this.timers.setTimeout(() => {
        abort.abort();
        resolve({ exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` });
      }, timeoutMs);
      this.interrupt = () => {
        abort.abort();
        resolve({ exitCode: -1, output: 'health check stopped' });
      };
    });
    const probed = Promise.resolve()
      .then(() => this.opts.probe(abort.signal))
      .catch((e: unknown): ProbeResult => ({
        exitCode: -1,
        output: `health check could not run: ${e instanceof Error ? e.message : String(e)}`,
      }));
    try {
      return await Promise.race([probed, cutShort]);
    } finally {
      this.timers.clearTimeout(timeout);
      this.interrupt = undefined;
    }
  }
}
