import { type Task } from '@shoal/api';
import { type Clock } from '@shoal/common';
import {
  type Controller,
  type EngineDescription,
  type Executor,
  type ExitStatus,
  type LogEntry,
  type LogOptions,
  type TaskStatsResult,
} from '@shoal/exec';

/**
 * The executor calls that are timed. wait() and logs() are not: they last as long as the
 * workload or the log stream does, which says nothing about the engine's speed.
 */
export type ExecutorOperation =
  | 'describe'
  | 'stats'
  | 'adopt'
  | 'prepare'
  | 'start'
  | 'await_healthy'
  | 'shutdown'
  | 'terminate'
  | 'remove';

export type OperationOutcome = 'ok' | 'error';

/** Receives one observation per timed call. */
export type ObserveOperation = (
  operation: ExecutorOperation,
  outcome: OperationOutcome,
  seconds: number,
) => void;

/** Monotonic milliseconds with sub-millisecond resolution, for real use. */
export const monotonicClock: Clock = { now: () => performance.now() };

async function timed<T>(
  clock: Clock,
  observe: ObserveOperation,
  operation: ExecutorOperation,
  call: () => Promise<T>,
): Promise<T> {
  const start = clock.now();
  try {
    const value = await call();
    observe(operation, 'ok', (clock.now() - start) / 1000);
    return value;
  } catch (e) {
    observe(operation, 'error', (clock.now() - start) / 1000);
    throw e;
  }
}

class TimedController implements Controller {
  readonly adopt?: () => Promise<boolean>;
  readonly awaitHealthy?: () => Promise<void>;
  readonly logs?: (opts: LogOptions) => AsyncIterable<LogEntry>;

  constructor(
    private readonly inner: Controller,
    private readonly clock: Clock,
    private readonly observe: ObserveOperation,
  ) {
    // Optional capabilities are detected by their presence: keep exactly the inner's.
    if (inner.adopt) this.adopt = () => this.time('adopt', () => inner.adopt!());
    if (inner.awaitHealthy) {
      this.awaitHealthy = () => this.time('await_healthy', () => inner.awaitHealthy!());
    }
    if (inner.logs) this.logs = (opts) => inner.logs!(opts);
  }

  prepare(): Promise<void> {
    return this.time('prepare', () => this.inner.prepare());
  }

  start(): Promise<void> {
    return this.time('start', () => this.inner.start());
  }

  wait(): Promise<ExitStatus> {
    return this.inner.wait();
  }

  shutdown(gracePeriodMs: number): Promise<void> {
    return this.time('shutdown', () => this.inner.shutdown(gracePeriodMs));
  }

  terminate(): Promise<void> {
    return this.time('terminate', () => this.inner.terminate());
  }

  remove(): Promise<void> {
    return this.time('remove', () => this.inner.remove());
  }

  private time<T>(operation: ExecutorOperation, call: () => Promise<T>): Promise<T> {
    return timed(this.clock, this.observe, operation, call);
  }
}

/**
 * The executor with every call the agent makes timed (ok when it resolves, error when it
 * rejects); what the calls do is unchanged. Controllers it makes are wrapped the same way.
 */
export function timedExecutor(
  inner: Executor,
  observe: ObserveOperation,
  clock: Clock = monotonicClock,
): Executor {
  const wrapped: Executor = {
    describe: (): Promise<EngineDescription> =>
      timed(clock, observe, 'describe', () => inner.describe()),
    controller: (task: Task): Controller =>
      new TimedController(inner.controller(task), clock, observe),
  };
  if (inner.stats) {
    wrapped.stats = (tasks, signal): Promise<TaskStatsResult> =>
      timed(clock, observe, 'stats', () => inner.stats!(tasks, signal));
  }
  return wrapped;
}
