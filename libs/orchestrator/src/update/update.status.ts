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

/**
 * The canary step's progress, kept in the store beside UpdateStatus's Docker fields (the API
 * drops it: toApiService), so a new leader resumes the pause where it was: when it began
 * and whether it was promoted. A new `service update` clears it with the status.
 */
export interface CanaryMarker {
  /** When the canary slots had run for Monitor and the update paused (RFC 3339). */
  PausedAt?: string;
  /** When `shoal service promote` (or the end of the pause) let the update go on. */
  PromotedAt?: string;
}

/** UpdateStatus as the store holds it: Docker's fields plus Shoal's canary marker. */
export type StoredUpdateStatus = ServiceUpdateStatus & { ShoalCanary?: CanaryMarker };

/** `paused`, waiting for promotion (or for the end of the canary pause, `until`). */
export function canaryPausedMessage(updated: number, total: number, until?: string): string {
  const wait = until ? `waiting for promotion or until ${until}` : 'waiting for promotion';
  return `canary: ${updated} of ${total} tasks updated; ${wait}`;
}

export function canaryRolledBackMessage(taskId: string): string {
  return `canary failed: ${rolledBackMessage(taskId)}`;
}

/** The update is paused in its canary step (not a FailureAction pause). */
export function isCanaryPause(status: StoredUpdateStatus | undefined): boolean {
  return (
    status?.State === 'paused' &&
    status.ShoalCanary?.PausedAt !== undefined &&
    status.ShoalCanary.PromotedAt === undefined
  );
}

/** What promotion (or the end of the pause) writes: the update goes on, StartedAt kept. */
export function promotedStatus(current: StoredUpdateStatus, at: string): StoredUpdateStatus {
  return {
    ...current,
    State: 'updating',
    Message: UPDATE_IN_PROGRESS,
    ShoalCanary: { ...current.ShoalCanary, PromotedAt: at },
  };
}

/** A status without the canary marker (a rollback is never a canary). */
export function withoutCanary(status: StoredUpdateStatus): StoredUpdateStatus {
  const { ShoalCanary: _dropped, ...rest } = status;
  return rest;
}
