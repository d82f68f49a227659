import { type Task, type TaskState } from '@shoal/api';

/**
 * The engines behind an agent (BRIEF decision 7, after swarmkit's agent/exec split): an
 * Executor describes the node's engine and makes one Controller per task; the Controller
 * drives that task on the engine. The agent's TaskController (task.controller.ts) calls these
 * in order and owns the state machine; executors never decide task states themselves.
 */
export interface Executor {
  /** What the node reports: engine name and version, labels, resources it can see. */
  describe(): Promise<EngineDescription>;
  /** A controller for one task. Cheap: nothing happens on the engine until prepare(). */
  controller(task: Task): Controller;
  /**
   * Resource usage of the workloads of `tasks` (optional capability, for the agent's
   * metrics). One call for many tasks, so an engine that must look at all its processes does
   * so once. A task whose workload is not found (not started, or gone) is in neither list;
   * an error for one task is reported in `errors` and does not fail the others. Stops early,
   * leaving the unfinished tasks out, when `signal` aborts.
   */
  stats?(tasks: readonly Task[], signal?: AbortSignal): Promise<TaskStatsResult>;
}

/** What one task's workload uses now. */
export interface TaskStats {
  /**
   * CPU time (user + system) since the workload started, in seconds. It may go down (a
   * process of the task left its group and took its time along): consumers keep it monotonic.
   */
  cpuSeconds: number;
  /** Memory it holds now, in bytes (resident set, page cache it could drop excluded). */
  memoryBytes: number;
}

export interface TaskStatsResult {
  /** By task ID. */
  stats: Map<string, TaskStats>;
  errors: { taskId: string; error: Error }[];
}

export interface EngineDescription {
  /** "docker" or "process". */
  executor: string;
  engineVersion: string;
  labels: Record<string, string>;
  nanoCpus: number;
  memoryBytes: number;
}

/** What wait() reports once the task's process or container has exited. */
export interface ExitStatus {
  exitCode: number;
  /** Set when the engine, not the workload, ended it (killed by a signal, OOM...). */
  reason?: string;
  /**
   * Set when the controller stopped it because its healthcheck found it unhealthy: the task
   * fails then, whatever the exit code (`reason` is {@link UNHEALTHY_REASON}).
   */
  unhealthy?: boolean;
}

/**
 * Why a task whose healthcheck failed was stopped, in swarmkit's words (its dockerexec
 * ErrContainerUnhealthy), so that the task's Err reads as under Swarm:
 * `task: non-zero exit (137): dockerexec: unhealthy container`.
 */
export const UNHEALTHY_REASON = 'dockerexec: unhealthy container';

/** The Err of a task whose workload exited non-zero (swarmkit's exitError). */
export function nonZeroExitMessage(exitCode: number, reason?: string): string {
  return `task: non-zero exit (${exitCode})${reason ? `: ${reason}` : ''}`;
}

/**
 * start() rejects with this when the workload ended (or was stopped as unhealthy) before it
 * counted as running, so the task's status keeps the exit code as well as the message.
 */
export class TaskExitError extends Error {
  override readonly name = 'TaskExitError';
  constructor(readonly status: ExitStatus) {
    super(
      status.exitCode === 0 && status.reason
        ? status.reason
        : nonZeroExitMessage(status.exitCode, status.reason),
    );
  }
}

export interface Controller {
  /** Pull the image / check the command, create the container or the process's files. */
  prepare(): Promise<void>;
  /**
   * Start it. Resolves once it is started, not when it ends. When the task has a healthcheck
   * (not `NONE`), resolves only once the first check has passed, as swarmkit's Start does: the
   * task stays `starting` until then. If the workload turns unhealthy first, the controller
   * stops it and rejects with a {@link TaskExitError} whose status has `unhealthy` set; if it
   * exits non-zero first, with a TaskExitError of that exit.
   *
   * shutdown() and terminate() may be called while start() is in flight: the controller then
   * stops the workload, or does not leave one running if it was not launched yet, and start()
   * settles soon after (rejecting, or resolving with wait() reporting the exit).
   */
  start(): Promise<void>;
  /**
   * Resolves when it exits, with its status. A workload that turns unhealthy while running is
   * stopped by the controller, and wait() reports its exit with `unhealthy` set.
   */
  wait(): Promise<ExitStatus>;
  /** Graceful stop: the stop signal, then kill after the grace period. */
  shutdown(gracePeriodMs: number): Promise<void>;
  /** Kill at once. */
  terminate(): Promise<void>;
  /** Remove everything it left behind (container, log files...). Idempotent. */
  remove(): Promise<void>;
  /**
   * Re-attaches to a task that is still running from before an agent restart, if there is
   * one; true when adopted (then wait() follows it and start() must not be called).
   */
  adopt?(): Promise<boolean>;
  /**
   * For an adopted task that had not passed its first healthcheck before the agent restarted:
   * resolves once it passes (at once if it has no healthcheck or has passed already), and
   * rejects as start() does when the workload turns unhealthy or ends first.
   */
  awaitHealthy?(): Promise<void>;
  /**
   * The task's output, oldest first (optional capability, detected at run time). Works for a
   * task that has ended too, as long as remove() has not run. Ends when the output ends, or,
   * with `follow`, when the task ends or `signal` aborts.
   */
  logs?(opts: LogOptions): AsyncIterable<LogEntry>;
}

export interface LogOptions {
  /** Keep streaming new output until the task ends or `signal` aborts. */
  follow: boolean;
  /** Only the last N lines (per task, both streams together); all when undefined. */
  tail?: number;
  /** Only entries at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Whether entries must carry their timestamp. */
  timestamps: boolean;
  signal: AbortSignal;
}

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** One line, with its newline when it had one. */
  data: Buffer;
  /** RFC 3339 with nanoseconds, when the engine records one. */
  timestamp?: string;
}

/**
 * Thrown by logs() for an option the engine cannot honour (the process executor keeps no
 * per-line timestamps), so the API can answer 400 with the reason.
 */
export class LogOptionUnsupportedError extends Error {
  override readonly name = 'LogOptionUnsupportedError';
}

/** The states an agent moves a task through, in order. */
export type AgentTaskState = Extract<
  TaskState,
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'failed'
  | 'shutdown'
  | 'rejected'
>;
