/**
 * Parsed flag values of `service create` and `service update`, as commander hands them over
 * after each flag's parser ran (durations already in nanoseconds, sizes in bytes, ports and
 * mounts already structured). A field is undefined exactly when the user did not set the flag,
 * which is what lets the builders send only what the user asked for.
 */
import type { EndpointPortConfig, Mount, UpdateConfig } from '../api/swarm.types';

export const SERVICE_MODES = ['replicated', 'global', 'replicated-job', 'global-job'] as const;
export type ServiceModeName = (typeof SERVICE_MODES)[number];

export const RESTART_CONDITIONS = ['none', 'on-failure', 'any'] as const;
export const UPDATE_FAILURE_ACTIONS = ['pause', 'continue', 'rollback'] as const;
export const ROLLBACK_FAILURE_ACTIONS = ['pause', 'continue'] as const;
export const UPDATE_ORDERS = ['stop-first', 'start-first'] as const;

/** Flags both commands take with the same meaning: each sets one field of the spec. */
export interface CommonServiceFlags {
  replicas?: number;
  maxConcurrent?: number;
  reserveCpu?: number;
  reserveMemory?: number;
  limitCpu?: number;
  limitMemory?: number;
  restartCondition?: (typeof RESTART_CONDITIONS)[number];
  restartDelay?: number;
  restartMaxAttempts?: number;
  restartWindow?: number;
  updateParallelism?: number;
  updateDelay?: number;
  updateFailureAction?: UpdateConfig['FailureAction'];
  updateMonitor?: number;
  updateMaxFailureRatio?: number;
  updateOrder?: UpdateConfig['Order'];
  rollbackParallelism?: number;
  rollbackDelay?: number;
  rollbackFailureAction?: (typeof ROLLBACK_FAILURE_ACTIONS)[number];
  rollbackMonitor?: number;
  rollbackMaxFailureRatio?: number;
  rollbackOrder?: UpdateConfig['Order'];
  healthCmd?: string;
  healthInterval?: number;
  healthTimeout?: number;
  healthRetries?: number;
  healthStartPeriod?: number;
  /** commander's `--no-healthcheck`: false when given, true (or absent) otherwise. */
  healthcheck?: boolean;
  stopGracePeriod?: number;
  init?: boolean;
  readOnly?: boolean;
  workdir?: string;
  user?: string;
  hostname?: string;
}

export interface CreateServiceFlags extends CommonServiceFlags {
  name?: string;
  mode?: ServiceModeName;
  env?: string[];
  label?: string[];
  containerLabel?: string[];
  constraint?: string[];
  placementPref?: string[];
  publish?: EndpointPortConfig[];
  mount?: Mount[];
  detach?: boolean;
  quiet?: boolean;
}

export interface UpdateServiceFlags extends CommonServiceFlags {
  image?: string;
  envAdd?: string[];
  envRm?: string[];
  labelAdd?: string[];
  labelRm?: string[];
  containerLabelAdd?: string[];
  containerLabelRm?: string[];
  constraintAdd?: string[];
  constraintRm?: string[];
  placementPrefAdd?: string[];
  placementPrefRm?: string[];
  publishAdd?: EndpointPortConfig[];
  /** Target ports (with protocol) whose published mapping goes away. */
  publishRm?: EndpointPortConfig[];
  mountAdd?: Mount[];
  /** Container paths whose mount goes away. */
  mountRm?: string[];
  force?: boolean;
  rollback?: boolean;
  detach?: boolean;
  quiet?: boolean;
}
