/**
 * What the orchestrators tell an observer (the leader's metrics) about restarts, without
 * depending on one. Called after the write has committed; an implementation must be cheap
 * and must not throw.
 */
export interface RestartHooks {
  /**
   * The restart supervisor's replacement of one of the service's tasks was written: a task
   * that exited, was lost with its node, or was moved off a drained node. New tasks for a
   * scale-up, a new node or a new job run, and the rolling updater's replacements, are not
   * restarts.
   */
  taskRestarted(serviceId: string, serviceName: string): void;
}

export const NO_RESTART_HOOKS: RestartHooks = Object.freeze({
  taskRestarted: () => undefined,
});
