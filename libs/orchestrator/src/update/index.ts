export { dirtyCheck } from './task.dirty';
export { isRollback, resolveUpdateConfig, type ResolvedUpdateConfig } from './update.config';
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
export * from './update.status';
export {
  UpdateSupervisor,
  type UpdaterStore,
  type UpdateSupervisorOptions,
} from './update.supervisor';
