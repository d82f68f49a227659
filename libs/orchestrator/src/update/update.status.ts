import { type ServiceUpdateStatus } from '@shoal/api/swarm';

/**
 * UpdateStatus.Message texts, word for word as swarmkit's updater writes them, since
 * `docker service inspect` and `docker service update` show them to operators.
 */
export const UPDATE_IN_PROGRESS = 'update in progress';
export const UPDATE_COMPLETED = 'update completed';
export const ROLLBACK_COMPLETED = 'rollback completed';
/** Not a swarmkit text: swarmkit fails the write and logs this instead. */
export const NO_PREVIOUS_SPEC = 'cannot roll back service because no previous spec is available';

export function updatePausedMessage(taskId: string): string {
  return `update paused due to failure or early termination of task ${taskId}`;
}

export function rollbackPausedMessage(taskId: string): string {
  return `rollback paused due to failure or early termination of task ${taskId}`;
}

export function rolledBackMessage(taskId: string): string {
  return `update rolled back due to failure or early termination of task ${taskId}`;
}

/** A rollout is under way: slots are being replaced and failures counted. */
export function isActive(status: ServiceUpdateStatus | undefined): boolean {
  return status?.State === 'updating' || status?.State === 'rollback_started';
}

export function isPaused(status: ServiceUpdateStatus | undefined): boolean {
  return status?.State === 'paused' || status?.State === 'rollback_paused';
}

/** The start of an update: what swarmkit's startUpdate writes. */
export function startedStatus(at: string): ServiceUpdateStatus {
  return { State: 'updating', Message: UPDATE_IN_PROGRESS, StartedAt: at };
}

/** Paused by FailureAction pause (or a rollback that failed): StartedAt kept. */
export function pausedStatus(current: ServiceUpdateStatus, message: string): ServiceUpdateStatus {
  const state = current.State === 'rollback_started' ? 'rollback_paused' : 'paused';
  return { ...current, State: state, Message: message };
}

export function completedStatus(current: ServiceUpdateStatus, at: string): ServiceUpdateStatus {
  return current.State === 'rollback_started'
    ? { ...current, State: 'rollback_completed', Message: ROLLBACK_COMPLETED, CompletedAt: at }
    : { ...current, State: 'completed', Message: UPDATE_COMPLETED, CompletedAt: at };
}
