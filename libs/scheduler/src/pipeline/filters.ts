import { type SchedulerNode, type SchedulerTask } from '../scheduler.types';

/**
 * One placement check, after swarmkit's scheduler filters: `check` says whether `node` may
 * take `task`; `explain` says why `count` nodes were turned away, for the task's status.
 */
export interface Filter {
  readonly name: string;
  check(node: SchedulerNode, task: SchedulerTask): boolean;
  explain(count: number): string;
}

function nodes(count: number): string {
  return count === 1 ? '1 node' : `${count} nodes`;
}

/** Only nodes whose agent is connected and healthy (Status.State 'ready'). */
export const readyFilter: Filter = {
  name: 'ReadyFilter',
  check: (node) => node.Status?.State === 'ready',
  explain: (count) => `${nodes(count)} not ready`,
};

/**
 * Only nodes open for new work: Spec.Availability 'active' (missing counts as active, Docker's
 * default). 'pause' and 'drain' nodes take no new tasks.
 */
export const availabilityFilter: Filter = {
  name: 'AvailabilityFilter',
  check: (node) => (node.Spec.Availability ?? 'active') === 'active',
  explain: (count) => `${nodes(count)} not available for new tasks`,
};

/** The filters every task goes through, in order. */
export const DEFAULT_FILTERS: readonly Filter[] = Object.freeze([readyFilter, availabilityFilter]);
