import { type MemoryStore } from '@shoal/store';
import { type NewTaskPlan } from './task.factory';

/** What the leader's store loops need of the store. */
export type OrchestratorStore = Pick<MemoryStore, 'view' | 'update' | 'viewAndWatch'>;

/** What one reconciliation of one global service or job asks for. */
export interface ServiceActions {
  /** Tasks to create, one per plan. */
  create: NewTaskPlan[];
  /** IDs of tasks whose DesiredState becomes 'shutdown'. */
  shutdown: string[];
  /** The earliest time (ms since the epoch) a delayed restart becomes due, if any waits. */
  nextWakeAt?: number;
}

export function noActions(): ServiceActions {
  return { create: [], shutdown: [] };
}

export function wakeAt(actions: ServiceActions, at: number): void {
  actions.nextWakeAt = Math.min(actions.nextWakeAt ?? Infinity, at);
}
