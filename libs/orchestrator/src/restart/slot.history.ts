import { TASK_STATE_ORDER, type TaskSpec, type TaskState, type TaskStatus } from '@shoal/api/swarm';
import { parseRfc3339Ms } from '../replicated/task.time';

/**
 * What the restart supervisor and the task reaper read of a task. A slot's history is its
 * tasks as the store holds them: tasks are one-shot, so every attempt is a task of its own.
 */
export interface HistoryTask {
  ID: string;
  DesiredState?: TaskState;
  Status?: TaskStatus;
  Spec?: TaskSpec;
  CreatedAt?: string;
  UpdatedAt?: string;
  Version?: { Index: number };
}

function rank(state: TaskState | undefined): number {
  return state === undefined ? 0 : TASK_STATE_ORDER[state];
}

/** complete, shutdown, failed, rejected, remove and orphaned: the task will not run again. */
export function isTerminalState(state: TaskState | undefined): boolean {
  return state !== undefined && rank(state) >= TASK_STATE_ORDER.complete;
}

/** DesiredState at most running: the managers still want the task to run (or to start). */
export function isDesiredToRun(task: Pick<HistoryTask, 'DesiredState'>): boolean {
  return rank(task.DesiredState ?? 'running') <= TASK_STATE_ORDER.running;
}

/**
 * The task stopped without being told to: it completed, failed, or its node refused it.
 * 'shutdown' is what an agent reports for a task it was asked to stop, and a task whose node
 * vanished never reports at all, so neither is an attempt the restart policy counts.
 */
export function endedOnItsOwn(task: Pick<HistoryTask, 'Status'>): boolean {
  const state = task.Status?.State;
  return state === 'complete' || state === 'failed' || state === 'rejected';
}

/** Completed with exit code 0: the one ending `on-failure` does not restart. */
export function exitedCleanly(task: Pick<HistoryTask, 'Status'>): boolean {
  return task.Status?.State === 'complete' && (task.Status.ContainerStatus?.ExitCode ?? 0) === 0;
}

/**
 * When the task's status last changed, which for a terminal task is when it ended; the
 * store's UpdatedAt when the agent gave no timestamp.
 */
export function statusTimeOf(task: Pick<HistoryTask, 'Status' | 'UpdatedAt'>): number | undefined {
  return parseRfc3339Ms(task.Status?.Timestamp) ?? parseRfc3339Ms(task.UpdatedAt);
}

/**
 * Oldest first: by CreatedAt, then status time, then ID. CreatedAt, not Version, since a
 * replaced task is rewritten (DesiredState shutdown, then its agent's last report) after its
 * replacement is created.
 */
export function compareByAge(a: HistoryTask, b: HistoryTask): number {
  const d = (parseRfc3339Ms(a.CreatedAt) ?? -Infinity) - (parseRfc3339Ms(b.CreatedAt) ?? -Infinity);
  if (d !== 0 && !Number.isNaN(d)) return d;
  const s = (statusTimeOf(a) ?? -Infinity) - (statusTimeOf(b) ?? -Infinity);
  if (s !== 0 && !Number.isNaN(s)) return s;
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/**
 * The slot's current task: one the managers still want running if there is one (a
 * replacement created in the same millisecond as the failure it replaces must still win),
 * else the youngest.
 */
export function latestTask<T extends HistoryTask>(tasks: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const t of tasks) {
    if (!best) {
      best = t;
      continue;
    }
    const wants = Number(isDesiredToRun(t)) - Number(isDesiredToRun(best));
    if (wants > 0 || (wants === 0 && compareByAge(t, best) > 0)) best = t;
  }
  return best;
}
