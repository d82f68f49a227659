import { TASK_STATE_ORDER, type Task, type TaskState, type TaskStatus } from '@shoal/api';
import { type Clock, type Logger } from '@shoal/common';
import { TaskController, isTerminal, type Executor, type TaskStatusReport } from '@shoal/exec';
import { type AssignmentMessage } from '@shoal/dispatcher';
import { type AgentStateStore, type SavedTask } from './agent-state.store';

/** Docker's default StopGracePeriod. */
const DEFAULT_STOP_GRACE_MS = 10_000;

const COMPLETE = TASK_STATE_ORDER.complete;
const STARTING = TASK_STATE_ORDER.starting;
const RUNNING = TASK_STATE_ORDER.running;

interface Entry {
  task: Task;
  status?: TaskStatus;
  controller: TaskController;
  started: boolean;
  stopping?: Promise<unknown>;
  removing?: Promise<void>;
}

export interface TaskWorkerOptions {
  executor: Executor;
  state: AgentStateStore;
  clock: Clock;
  /** Every status change of every task, for the status reporter. */
  report: (taskId: string, status: TaskStatus) => void;
  /** A task left the node's assignments: nothing more is to be reported about it. */
  forget?: (taskId: string) => void;
  logger: Logger;
}

function stopGraceMs(task: Task): number {
  const ns = task.Spec?.ContainerSpec?.StopGracePeriod;
  return typeof ns === 'number' && Number.isFinite(ns) && ns >= 0
    ? ns / 1e6
    : DEFAULT_STOP_GRACE_MS;
}

function toTaskStatus(r: TaskStatusReport): TaskStatus {
  return {
    State: r.state,
    Message: r.message,
    Timestamp: r.timestamp,
    ...(r.err ? { Err: r.err } : {}),
    ...(r.exitCode !== undefined ? { ContainerStatus: { ExitCode: r.exitCode } } : {}),
  };
}

/**
 * The agent's half of the assignment protocol (after swarmkit's agent worker): it turns the
 * node's assignments into one TaskController per task, honours each task's DesiredState, and
 * keeps the assignments and statuses in the agent's state dir so that a restarted agent
 * re-adopts what still runs instead of starting it again.
 *
 * - A task is run once: desired `running` or `complete` (a job's) and not yet run.
 * - Desired `shutdown` or beyond stops it (StopSignal, then kill after StopGracePeriod).
 * - Desired `remove`, or a task no longer assigned, is stopped and its engine resources are
 *   removed; a task no longer assigned is forgotten too.
 */
export class TaskWorker {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly o: TaskWorkerOptions) {}

  /**
   * After a restart: re-adopt every saved task that had started (it may still run, whatever
   * its desired state: one being stopped must be found to be stopped). Tasks that had not
   * started wait for the manager's first complete set, which may have shut them down meanwhile.
   */
  async restore(): Promise<void> {
    const saved = await this.o.state.load();
    for (const s of saved) {
      const entry = this.track(s.task, s.status);
      const state = s.status?.State;
      if (state === undefined || isTerminal(state)) continue;
      if (TASK_STATE_ORDER[state] >= STARTING) this.reconcile(entry, { resumed: true });
    }
    this.o.logger.info('agent state restored', { tasks: saved.length });
  }

  /** Applies one assignments message; `complete` replaces the whole set. */
  apply(msg: AssignmentMessage): void {
    if (this.stopped) return;
    if (msg.type === 'complete') {
      const ids = new Set(msg.updated.map((t) => t.ID!));
      for (const id of [...this.entries.keys()]) if (!ids.has(id)) this.unassign(id);
    }
    for (const id of msg.removed) this.unassign(id);
    for (const task of msg.updated) {
      const entry = this.entries.get(task.ID!);
      if (entry) entry.task = { ...entry.task, DesiredState: task.DesiredState };
      this.reconcile(entry ?? this.track(task, undefined), {});
    }
    this.persist();
  }

  /** The tasks this agent runs, with their last status. */
  tasks(): SavedTask[] {
    return [...this.entries.values()].map((e) => ({
      task: e.task,
      ...(e.status ? { status: e.status } : {}),
    }));
  }

  /** A fresh executor controller for `taskId` (for logs), if the task is known. */
  taskOf(taskId: string): Task | undefined {
    return this.entries.get(taskId)?.task;
  }

  /**
   * Stops tracking without touching the tasks: they keep running for the next agent to adopt
   * (an agent restart or upgrade must not restart workloads).
   */
  detach(): void {
    this.stopped = true;
  }

  /** Stops every task and removes its resources (`swarm leave`). */
  async stopAll(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries.keys()].map((id) => this.unassign(id)));
  }

  private track(task: Task, status: TaskStatus | undefined): Entry {
    const entry: Entry = {
      task,
      ...(status ? { status } : {}),
      started: false,
      controller: new TaskController({
        executor: this.o.executor,
        clock: this.o.clock,
        report: (r) => {
          if (this.entries.get(task.ID!) !== entry) return; // unassigned meanwhile
          const s = toTaskStatus(r);
          // An adopted task has been running since before the restart: keep that time.
          if (r.message === 'adopted' && entry.status?.State === 'running') {
            s.Timestamp = entry.status.Timestamp ?? s.Timestamp;
          }
          entry.status = s;
          if (this.stopped) return;
          this.o.report(task.ID!, s);
          this.persist();
        },
      }),
    };
    this.entries.set(task.ID!, entry);
    return entry;
  }

  private reconcile(entry: Entry, opts: { resumed?: boolean }): void {
    const desired: TaskState = entry.task.DesiredState ?? 'running';
    if (opts.resumed) this.run(entry, { resumed: true }); // adopts, or reports it gone
    // Desired `complete` (a job's task) means run to the end, like `running`.
    if (TASK_STATE_ORDER[desired] <= COMPLETE) {
      this.run(entry, {});
      return;
    }
    this.stop(entry);
    if (desired === 'remove') void this.removeResources(entry);
  }

  /** Runs the task's controller, once. */
  private run(entry: Entry, opts: { resumed?: boolean }): void {
    if (entry.started) return;
    const state = entry.status?.State;
    if (!opts.resumed && state !== undefined && isTerminal(state)) return;
    entry.started = true;
    // Saved before running (starting, say): an adopted workload may not be healthy yet.
    const healthPending =
      opts.resumed === true && state !== undefined && TASK_STATE_ORDER[state] < RUNNING;
    entry.controller.run(entry.task, { ...opts, healthPending }).catch((err: Error) => {
      this.o.logger.error('task controller failed', { task: entry.task.ID, err: err.message });
    });
  }

  private stop(entry: Entry): Promise<unknown> {
    entry.stopping ??= entry.controller.stop(stopGraceMs(entry.task)).catch((err: Error) => {
      entry.stopping = undefined; // let the next reconcile try again
      this.o.logger.warn('task did not stop', { task: entry.task.ID, err: err.message });
    });
    return entry.stopping;
  }

  private removeResources(entry: Entry): Promise<void> {
    entry.removing ??= (async () => {
      await this.stop(entry);
      await this.o.executor
        .controller(entry.task)
        .remove()
        .catch((err: Error) =>
          this.o.logger.warn('task resources not removed', {
            task: entry.task.ID,
            err: err.message,
          }),
        );
    })();
    return entry.removing;
  }

  private async unassign(taskId: string): Promise<void> {
    const entry = this.entries.get(taskId);
    if (!entry) return;
    this.entries.delete(taskId);
    this.o.forget?.(taskId);
    await this.removeResources(entry);
    this.persist();
  }

  private persist(): void {
    this.o.state
      .save(() => this.tasks())
      .catch((err: Error) => this.o.logger.warn('agent state not saved', { err: err.message }));
  }
}
