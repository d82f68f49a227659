import { TASK_STATE_ORDER, type Task } from '@shoal/api/swarm';
import { type StoreChangeEvent } from '@shoal/store';

/**
 * What the dispatcher tells an observer (the leader's metrics), without depending on one.
 * Called synchronously on the dispatcher's path, so an implementation must be cheap and must
 * not throw.
 */
export interface DispatcherHooks {
  /** A heartbeat from a node with a live session was taken. */
  heartbeat(nodeId: string): void;
  /**
   * A task's `running` status was written: `delayMs` is from the write that made it
   * `assigned` to the write that made it `running`, both on the proposer's clock (the store
   * events' times). Only tasks assigned while this dispatcher ran are timed: one assigned
   * under an earlier leader has no assignment time left in the store (later statuses
   * replace Status.Timestamp).
   */
  taskRunning(taskId: string, delayMs: number): void;
}

export const NO_DISPATCHER_HOOKS: DispatcherHooks = Object.freeze({
  heartbeat: () => undefined,
  taskRunning: () => undefined,
});

/**
 * Times each task from the event that made it `assigned` to the one that made it `running`,
 * for DispatcherHooks.taskRunning. Holds one entry per task between the two, dropped when
 * the task runs, ends some other way (a later state) or is removed.
 */
export class RunningDelayTimer {
  private readonly assignedAt = new Map<string, number>();

  constructor(private readonly hooks: DispatcherHooks) {}

  /** A task change event, as the dispatcher's watch delivers it. */
  observe(event: StoreChangeEvent): void {
    const id = event.object.ID;
    const state = event.action === 'remove' ? undefined : (event.object as Task).Status?.State;
    if (state === 'assigned') {
      if (!this.assignedAt.has(id)) this.assignedAt.set(id, event.time);
      return;
    }
    // On its way (accepted ... starting): keep waiting for `running`.
    if (state !== undefined && TASK_STATE_ORDER[state] < TASK_STATE_ORDER.running) return;
    const at = this.assignedAt.get(id);
    if (at === undefined) return;
    this.assignedAt.delete(id);
    if (state === 'running') this.hooks.taskRunning(id, event.time - at);
  }

  /** Forgets every task (the store was replaced, or the dispatcher stopped). */
  clear(): void {
    this.assignedAt.clear();
  }
}
