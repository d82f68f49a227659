import { type Task, type TaskState } from '@shoal/api';
import { type Clock } from '@shoal/common';
import {
  type AgentTaskState,
  type Controller,
  type Executor,
  type ExitStatus,
  TaskExitError,
} from '../executor.port';
import { TaskStateRegressionError, advance, isTerminal } from '../state/task-state.machine';

/** One status report, as the agent's status reporter sends it on to the dispatcher. */
export interface TaskStatusReport {
  state: AgentTaskState;
  message: string;
  err?: string;
  exitCode?: number;
  /** ISO 8601, from the injected clock. */
  timestamp: string;
}

export interface TaskControllerDeps {
  executor: Executor;
  clock: Clock;
  /** Called once per state change, in strictly increasing order. Must not throw. */
  report: (status: TaskStatusReport) => void;
}

/** The error of a started task found gone when the agent came back. */
export const ENDED_WHILE_AWAY =
  'task: its workload ended while the agent was not running (exit status unknown)';

/** A failed task's Err for how its workload ended. */
function exitMessage(exit: ExitStatus): string {
  return new TaskExitError(exit).message;
}

function exitCodeOf(e: unknown): number | undefined {
  return e instanceof TaskExitError ? e.status.exitCode : undefined;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Drives one task through accepted → preparing → ready → starting → running → complete,
 * failed or shutdown, with the executor's Controller (issue 5, "one controller per task").
 * Every report goes through advance(), so a backwards move throws instead of being sent.
 *
 * The caller drives the desired state: run() once when the task is assigned, stop() when its
 * DesiredState becomes shutdown or remove. Engine errors become a `failed` report, never a
 * rejection. The task's engine resources are left for the caller to remove().
 */
export class TaskController {
  private state: TaskState = 'assigned';
  private last: TaskStatusReport | undefined;
  private controller: Controller | undefined;
  private runCalled = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private readonly engineStarted: Promise<boolean>;
  private settleEngine!: (started: boolean) => void;
  private readonly finished: Promise<TaskStatusReport>;
  private settleFinished!: (s: TaskStatusReport) => void;

  constructor(private readonly deps: TaskControllerDeps) {
    this.engineStarted = new Promise((resolve) => (this.settleEngine = resolve));
    this.finished = new Promise((resolve) => (this.settleFinished = resolve));
  }

  /** The last state reported ('assigned' before the first report). */
  get currentState(): TaskState {
    return this.state;
  }

  /** The last status reported, if any. */
  get lastStatus(): TaskStatusReport | undefined {
    return this.last;
  }

  /**
   * Runs the task to its end and resolves with the final status. If the executor's controller
   * adopts a task still running from before an agent restart, prepare() and start() are
   * skipped and `running` is reported at once, or, with `healthPending` (it had not passed
   * its first healthcheck then), once it does. With `resumed` (the agent restarted and its
   * saved state says the task had started), a task that cannot be adopted is not started
   * again: its workload ended while the agent was away, so it is reported failed. May be
   * called only once.
   */
  async run(
    task: Task,
    opts: { resumed?: boolean; healthPending?: boolean } = {},
  ): Promise<TaskStatusReport> {
    if (this.runCalled) throw new Error('TaskController.run() may be called only once');
    this.runCalled = true;
    if (isTerminal(this.state)) return this.finished; // stopped before it ran
    const c = this.deps.executor.controller(task);
    this.controller = c;
    try {
      if (c.adopt && (await c.adopt())) {
        this.settleEngine(true);
        // It was still waiting for its first healthy check when the last agent stopped: it
        // counts as running only once healthy, as a started one does.
        let healthy = true;
        if (opts.healthPending && c.awaitHealthy) {
          try {
            await c.awaitHealthy();
          } catch (e) {
            if (this.stopRequested && !(e instanceof TaskStateRegressionError)) {
              return this.stopped('shutdown', exitCodeOf(e));
            }
            throw e;
          }
          healthy = !this.stopRequested; // stopped while it waited: never counted running
        }
        if (healthy) this.emit('running', 'adopted');
      } else if (opts.resumed) {
        return this.finish('failed', 'failed', { err: ENDED_WHILE_AWAY });
      } else {
        this.emit('accepted', 'accepted');
        if (this.stopRequested) return this.stopped('stopped before preparing');
        this.emit('preparing', 'preparing');
        await c.prepare();
        this.emit('ready', 'prepared');
        if (this.stopRequested) return this.stopped('stopped before starting');
        this.emit('starting', 'starting');
        // From here stop() shuts the workload down even while start() still waits for the
        // first healthy check, which may take long; the controller copes (see Controller).
        this.settleEngine(true);
        try {
          await c.start();
        } catch (e) {
          if (this.stopRequested && !(e instanceof TaskStateRegressionError)) {
            return this.stopped('shutdown', exitCodeOf(e));
          }
          throw e;
        }
        if (!this.stopRequested) this.emit('running', 'started');
      }
      const exit = await c.wait();
      if (this.stopRequested) return this.stopped('shutdown', exit.exitCode);
      if (exit.exitCode === 0 && !exit.unhealthy) {
        return this.finish('complete', 'finished', { exitCode: 0 });
      }
      return this.finish('failed', 'failed', {
        err: exitMessage(exit),
        exitCode: exit.exitCode,
      });
    } catch (e) {
      if (e instanceof TaskStateRegressionError) throw e; // a bug, not an engine error
      if (e instanceof TaskExitError) {
        return this.finish('failed', 'failed', { err: e.message, exitCode: e.status.exitCode });
      }
      return this.finish('failed', 'failed', { err: errorMessage(e) });
    }
  }

  /**
   * Stops the task because its desired state is now shutdown or remove, and resolves once the
   * final state is reported. A started task gets controller.shutdown(gracePeriodMs), which
   * escalates to a kill itself; so does one whose start() is still in flight (waiting for its
   * first healthy check, say); one not started yet is not started. The final state is
   * `shutdown`, unless the task had already ended (or ends with an engine error).
   * If shutdown() fails, stop() rejects and may be called again.
   */
  async stop(gracePeriodMs: number): Promise<TaskStatusReport> {
    if (isTerminal(this.state)) return this.finished;
    this.stopRequested = true;
    if (!this.runCalled) return this.stopped('shutdown before start');
    if (await this.engineStarted) {
      if (!isTerminal(this.state)) await this.shutdownOnce(gracePeriodMs);
    }
    return this.finished;
  }

  private shutdownOnce(gracePeriodMs: number): Promise<void> {
    const c = this.controller;
    if (!c) return Promise.resolve();
    this.stopping ??= c.shutdown(gracePeriodMs).catch((e: unknown) => {
      this.stopping = undefined;
      throw e;
    });
    return this.stopping;
  }

  private stopped(message: string, exitCode?: number): TaskStatusReport {
    return this.finish('shutdown', message, exitCode === undefined ? {} : { exitCode });
  }

  private finish(
    state: AgentTaskState,
    message: string,
    extra: Pick<TaskStatusReport, 'err' | 'exitCode'>,
  ): TaskStatusReport {
    this.settleEngine(false); // no-op when it already started
    const status = this.emit(state, message, extra);
    this.settleFinished(status);
    return status;
  }

  private emit(
    state: AgentTaskState,
    message: string,
    extra: Pick<TaskStatusReport, 'err' | 'exitCode'> = {},
  ): TaskStatusReport {
    this.state = advance(this.state, state);
    const status: TaskStatusReport = {
      state,
      message,
      ...extra,
      timestamp: new Date(this.deps.clock.now()).toISOString(),
    };
    this.last = status;
    this.deps.report(status);
    return status;
  }
}
