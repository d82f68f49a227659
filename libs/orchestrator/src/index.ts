export * from './replicated/replicated.types';
export {
  DEFAULT_RESTART_DELAY_MS,
  desiredReplicas,
  isReplicatedService,
  isTerminalState,
  reconcileReplicated,
  restartDelayOf,
} from './replicated/replicated.reconcile';
export {
  ReplicatedOrchestrator,
  type OrchestratorStore,
  type ReplicatedOrchestratorOptions,
} from './replicated/replicated.orchestrator';
export { parseRfc3339Ms } from './replicated/task.time';
export {
  acceptsNewTasks,
  isDrained,
  isLostNode,
  matchesConstraints,
  matchesPlatforms,
  nodeFitOf,
  type NodeFit,
} from './common/node.eligibility';
export { type ServiceActions } from './common/orchestrator.types';
export {
  isGlobalJob,
  isGlobalService,
  isJobService,
  isReplicatedJob,
  jobIterationOf,
  replicatedJobLimits,
  serviceModeKind,
  type ServiceModeKind,
} from './common/service-mode.rules';
export { ServiceLoop, type ServiceLoopOptions } from './common/service.loop';
export { NO_RESTART_HOOKS, type RestartHooks } from './restart/restart.hooks';
export {
  DEFAULT_MAX_IN_FLIGHT,
  DirtyServiceLoop,
  type ServiceWrite,
  type StoreLoopOptions,
} from './common/store.loop';
export { newServiceTask, type NewTaskPlan, taskSpecOf } from './common/task.factory';
export { reconcileGlobal } from './global/global.reconcile';
export { GlobalOrchestrator, type GlobalOrchestratorOptions } from './global/global.orchestrator';
export { reconcileGlobalJob } from './jobs/global-job.reconcile';
export { reconcileReplicatedJob } from './jobs/replicated-job.reconcile';
export { JobsOrchestrator, type JobsOrchestratorOptions } from './jobs/jobs.orchestrator';
export { resolveRestartPolicy, type ResolvedRestartPolicy } from './restart/restart.policy';
export {
  restartHistoryToKeep,
  shouldRestart,
  type RestartCause,
  type RestartDecision,
  type RestartOptions,
  type RestartReason,
} from './restart/restart.supervisor';
export {
  compareByAge,
  endedOnItsOwn,
  exitedCleanly,
  type HistoryTask,
  isDesiredToRun,
  latestTask,
  statusTimeOf,
} from './restart/slot.history';
export { madeFromTemplate, taskTemplateKey } from './restart/task-template.key';
export {
  DEFAULT_TASK_HISTORY_RETENTION,
  isTaskOver,
  retentionLimitOf,
  tasksToReap,
  type ReapInput,
  type ReapTask,
} from './task-reaper/reaper.plan';
export {
  DEFAULT_REAPER_BATCH,
  TaskReaper,
  type TaskReaperOptions,
} from './task-reaper/task.reaper';
export {
  noncompliantTasks,
  type CheckedNode,
  type CheckedTask,
} from './constraint-enforcer/compliance.check';
export {
  ConstraintEnforcer,
  type ConstraintEnforcerOptions,
} from './constraint-enforcer/constraint.enforcer';
export {
  DEFAULT_REBALANCE_DELAY_MS,
  REBALANCE_DELAY_LABEL,
  REBALANCE_LABEL,
  REPLACES_LABEL,
  rebalanceSettings,
  type RebalanceSettings,
} from './rebalance/rebalance.labels';
export {
  DEFAULT_MOVE_TIMEOUT_MS,
  planRebalance,
  type RebalanceInput,
  type RebalanceStep,
} from './rebalance/rebalance.plan';
export { ServiceRebalancer, type ServiceRebalancerOptions } from './rebalance/service.rebalancer';
export * from './update';
