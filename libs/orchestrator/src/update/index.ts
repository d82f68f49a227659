export { dirtyCheck } from './task.dirty';
export { isRollback, resolveUpdateConfig, type ResolvedUpdateConfig } from './update.config';
export * from './update.labels';
export {
  DEFAULT_MAX_TASK_WRITES,
  planUpdate,
  type SlotCreate,
  type UpdateInput,
  type UpdateNode,
  type UpdatePlan,
  type UpdateService,
  type UpdateTask,
} from './update.plan';
export { drainingSince } from './update.slots';
export * from './update.status';
export {
  UpdateSupervisor,
  type UpdaterStore,
  type UpdateSupervisorOptions,
} from './update.supervisor';
