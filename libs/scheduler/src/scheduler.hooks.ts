import { type SchedulerTask } from './scheduler.types';

/**
 * What the scheduler tells an observer (the leader's metrics), without depending on one.
 * Called after the batch's write has committed, so only assignments that took effect are
 * reported; an implementation must be cheap and must not throw.
 */
export interface SchedulerHooks {
  /**
   * `task` (as read before the write: its CreatedAt says when it was created) became
   * `assigned` (or was confirmed on its preassigned node) by a write stamped `assignedAt`
   * (ms since the epoch, the scheduler's clock). Creation to assignment is their difference;
   * the observer parses CreatedAt, as this pure core has no date parser of its own.
   */
  taskAssigned(task: SchedulerTask, assignedAt: number): void;
}

export const NO_SCHEDULER_HOOKS: SchedulerHooks = Object.freeze({
  taskAssigned: () => undefined,
});
