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
