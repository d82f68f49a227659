export { Scheduler, type SchedulerOptions, type SchedulerStore } from './scheduler';
export { type SchedulerHooks, NO_SCHEDULER_HOOKS } from './scheduler.hooks';
export { type SchedulerNode, type SchedulerService, type SchedulerTask } from './scheduler.types';
export { needsScheduling, isPreassigned, holdsNode, countsAsReplica } from './task.predicates';
export {
  ASSIGNED_MESSAGE,
  CONFIRMED_MESSAGE,
  PENDING_MESSAGE,
  writeBatch,
  type BatchOutcome,
} from './batch.writer';
export {
  MAX_BATCH_TASKS,
  MAX_BATCH_BYTES,
  type BatchBounds,
  pendingGroups,
  batches,
  TaskGroup,
} from './batch.planner';
export { type Filter } from './pipeline/filter.types';
export { DEFAULT_FILTERS, PipelineRun, noSuitableNode } from './pipeline/filter.pipeline';
export { availabilityFilter, readyFilter } from './pipeline/node-state.filter';
export { resourceFilter } from './pipeline/resource.filter';
export { constraintFilter } from './pipeline/constraint.filter';
export { platformFilter } from './pipeline/platform.filter';
export { hostPortFilter } from './pipeline/host-port.filter';
export { maxReplicasFilter } from './pipeline/max-replicas.filter';
export { placeGroup, confirmOnNode, nodeOrder } from './placement/group.placer';
export { ClusterState } from './state/cluster.state';
export { FailureTracker, MAX_FAILURES, FAILURE_WINDOW_MS } from './state/failure.tracker';
