import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { type StoredUpdateStatus } from './update.status';

export type UpdateService = Pick<OrchestratedService, 'ID' | 'Spec' | 'PreviousSpec'> & {
  UpdateStatus?: StoredUpdateStatus;
};
export type UpdateTask = Pick<
  OrchestratedTask,
  | 'ID'
  | 'Slot'
  | 'NodeID'
  | 'DesiredState'
  | 'Status'
  | 'Spec'
  | 'CreatedAt'
  | 'UpdatedAt'
  | 'Labels'
>;
export type UpdateNode = Pick<
  OrchestratedNode,
  'ID' | 'Spec' | 'Status' | 'Description' | 'ManagerStatus'
>;

export interface UpdateInput {
  service: UpdateService;
  /** Every task of the service, history included. */
  tasks: readonly UpdateTask[];
  nodes: readonly UpdateNode[];
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
  maxTaskWrites?: number;
  /**
   * When a task that has ended was last seen to start running, if the caller saw it. Only
   * narrows which failures count (one that ran for longer than Monitor does not); without
   * it, every failure of a task this update made counts, as after a leader change.
   */
  runningSince?: (taskId: string) => number | undefined;
  /**
   * Since when the caller has been watching (its leadership began). A failure it did not see
   * the task run before (runningSince unknown) counts only if it ended since then: one that
   * ended earlier may have come long after Monitor, and a new leader must not pause an
   * update for it. Failures in the gap between two leaders go uncounted, as in swarmkit,
   * whose updater keeps its counts in memory.
   */
  watchingSince?: number;
}

/** A task to create in a slot (replicated) or on a node (global). */
export interface SlotCreate {
  slot?: number;
  nodeId?: string;
  /**
   * Stop-first: the task is created in state `new`, which the scheduler, the dispatcher and
   * the agents leave alone, and promoted to `pending` once the task it replaces has stopped.
   */
  hold: boolean;
}

export interface UpdatePlan {
  /** The service's new UpdateStatus, when it changes. */
  status?: StoredUpdateStatus;
  /** Automatic rollback: Spec becomes PreviousSpec, as swarmkit's rollbackUpdate. */
  rollback: boolean;
  /** Tasks whose DesiredState becomes shutdown. */
  shutdown: string[];
  create: SlotCreate[];
  /** Held tasks (state `new`) to release to the scheduler (state `pending`). */
  promote: string[];
  /**
   * Drain before stop: tasks to mark draining now (label `shoal.draining-since`), which
   * takes them out of load balancing; they are shut down once the drain delay has passed.
   */
  drain: string[];
  /** Tasks whose draining mark goes: no longer being replaced (the spec went back to theirs). */
  undrain: string[];
  /** When a delay, monitor window, drain or canary pause ends, if one is running. */
  nextWakeAt?: number;
  /** The write budget cut the plan short: plan again as soon as it is written. */
  more: boolean;
  /** Slots being replaced or within their Delay (for tests and metrics). */
  inFlight: number;
}
