import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm/task.types';
import { type SchedulerTask } from './scheduler.types';

const PENDING = TASK_STATE_ORDER.pending;
const RUNNING = TASK_STATE_ORDER.running;
const COMPLETE = TASK_STATE_ORDER.complete;

export function stateRank(state: TaskState | undefined): number {
  return state === undefined ? 0 : TASK_STATE_ORDER[state];
}

/**
 * A task waiting for the scheduler. Desired `complete` (job tasks) and `ready` (swarmkit's
 * stop-first updates stage new tasks there) are scheduled too: what matters is that the task
 * is still meant to start.
 */
export function awaitsScheduler(task: SchedulerTask): boolean {
  return (
    task.Status?.State === 'pending' &&
    task.DesiredState !== undefined &&
    stateRank(task.DesiredState) <= COMPLETE
  );
}

/** A pending task on no node yet: the scheduler picks one. */
export function needsScheduling(task: SchedulerTask): boolean {
  return awaitsScheduler(task) && !task.NodeID;
}

/**
 * A pending task created on a node (swarmkit's "preassigned" tasks): the scheduler only
 * confirms that the node can take it, or says why not.
 */
export function isPreassigned(task: SchedulerTask): boolean {
  return awaitsScheduler(task) && !!task.NodeID;
}

/**
 * The task holds its node's reservations and host ports: it was placed there and has not
 * stopped. The desired state does not matter, because a task told to shut down keeps its
 * container, and with it the memory and the bound port, until it reports that it stopped.
 * A pending task on a node (preassigned) holds nothing until it is confirmed.
 */
export function holdsNode(task: SchedulerTask): boolean {
  const state = stateRank(task.Status?.State);
  return !!task.NodeID && state > PENDING && state <= RUNNING;
}

/**
 * The task counts as one of its service's replicas on the node, for spreading and for
 * Placement.MaxReplicas: it holds the node and is still meant to run (or, for jobs, to
 * complete). A task being shut down no longer counts, so its replacement may take its place.
 */
export function countsAsReplica(task: SchedulerTask): boolean {
  return holdsNode(task) && stateRank(task.DesiredState) <= COMPLETE;
}

/** A transition into failed or rejected: one failure of the task's service version on its node. */
export function justFailed(previous: SchedulerTask | undefined, task: SchedulerTask): boolean {
  const state = task.Status?.State;
  if (state !== 'failed' && state !== 'rejected') return false;
  return !!previous && stateRank(previous.Status?.State) <= RUNNING && !!task.NodeID;
}
