export {
  Scheduler,
  type SchedulerOptions,
  type SchedulerStore,
  ASSIGNED_MESSAGE,
  needsScheduling,
} from './scheduler';
export { type SchedulerNode, type SchedulerTask, type PlacedTask } from './scheduler.types';
export { type Filter, readyFilter, availabilityFilter, DEFAULT_FILTERS } from './pipeline/filters';
export { placeTasks, filterNodes, type Placement } from './pipeline/place';
