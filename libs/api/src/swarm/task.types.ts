import { type GenericResources, type Labels, type ObjectVersion } from './common.types';
import { type Network } from './network.types';
import { type EndpointPortConfig } from './service.types';
import { type TaskSpec } from './task-spec.types';

export type TaskState =
  | 'new'
  | 'allocated'
  | 'pending'
  | 'assigned'
  | 'accepted'
  | 'preparing'
  | 'ready'
  | 'starting'
  | 'running'
  | 'complete'
  | 'shutdown'
  | 'failed'
  | 'rejected'
  | 'remove'
  | 'orphaned';

/**
 * Each state's rank, with swarmkit's numbering (gaps left for states added later). A task
 * only moves forward: when two reports disagree, the higher state wins, and every state from
 * `complete` up is terminal.
 */
export const TASK_STATE_ORDER: Readonly<Record<TaskState, number>> = Object.freeze({
  new: 0,
  pending: 64,
  allocated: 128,
  assigned: 192,
  accepted: 256,
  preparing: 320,
  ready: 384,
  starting: 448,
  running: 512,
  complete: 576,
  shutdown: 640,
  failed: 704,
  rejected: 768,
  remove: 800,
  orphaned: 832,
});

/** Every TaskState, lowest rank first. */
export const TASK_STATES: readonly TaskState[] = Object.freeze(
  (Object.keys(TASK_STATE_ORDER) as TaskState[]).sort(
    (a, b) => TASK_STATE_ORDER[a] - TASK_STATE_ORDER[b],
  ),
);

export interface ContainerStatus {
  ContainerID?: string;
  PID?: number;
  ExitCode?: number;
}

export interface PortStatus {
  Ports?: EndpointPortConfig[];
}

export interface TaskStatus {
  Timestamp?: string;
  State?: TaskState;
  Message?: string;
  Err?: string;
  ContainerStatus?: ContainerStatus;
  PortStatus?: PortStatus;
}

export interface NetworkAttachment {
  Network?: Network;
  /** CIDR addresses of the task on that network. */
  Addresses?: string[];
}

export interface Task {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Name?: string;
  Labels?: Labels;
  Spec?: TaskSpec;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  AssignedGenericResources?: GenericResources;
  Status?: TaskStatus;
  DesiredState?: TaskState;
  JobIteration?: ObjectVersion;
  NetworksAttachments?: NetworkAttachment[];
}
