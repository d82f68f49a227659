import { TASK_STATE_ORDER, type ServiceSpec, type SwarmSpec } from '@shoal/api/swarm';
import { SWARM_DEFAULTS } from '@shoal/api/validation/swarm-defaults';
import { restartHistoryToKeep } from '../restart/restart.supervisor';
import {
  compareByAge,
  type HistoryTask,
  isDesiredToRun,
  isTerminalState,
  latestTask,
} from '../restart/slot.history';
import { madeFromTemplate } from '../restart/task-template.key';

export interface ReapTask extends HistoryTask {
  Slot?: number;
  NodeID?: string;
}

export interface ReapInput {
  /** The tasks' service; undefined once it is removed. */
  service: { Spec: ServiceSpec } | undefined;
  /** Every task of the service. */
  tasks: readonly ReapTask[];
  nodeExists: (nodeId: string) => boolean;
  /** The cluster's TaskHistoryRetentionLimit (see retentionLimitOf). */
  retentionLimit: number;
  now: number;
}

/** Swarm's default TaskHistoryRetentionLimit. */
export const DEFAULT_TASK_HISTORY_RETENTION = SWARM_DEFAULTS.TaskHistoryRetentionLimit;

/**
 * The cluster's Spec.Orchestration.TaskHistoryRetentionLimit, 5 when unset. As in swarmkit,
 * a negative limit keeps every task (the API refuses one, but a stored spec may have it) and
 * 0 keeps no history: only the slot's current task.
 */
export function retentionLimitOf(cluster: { Spec?: SwarmSpec } | undefined): number {
  const n = cluster?.Spec?.Orchestration?.TaskHistoryRetentionLimit;
  return n === undefined || !Number.isFinite(n) ? DEFAULT_TASK_HISTORY_RETENTION : Math.floor(n);
}

/**
 * Whether a task is over for good: the managers no longer want it to run (DesiredState
 * above running) and it can neither run nor report again. That is a terminal state, or no
 * node ever took it, or its node was removed. A task still running on a down node is kept:
 * if the node comes back, its agent must find the task to learn that it has to stop.
 */
export function isTaskOver(task: ReapTask, nodeExists: (nodeId: string) => boolean): boolean {
  if (isDesiredToRun(task)) return false;
  if (isTerminalState(task.Status?.State)) return true;
  if (!task.NodeID)
    return TASK_STATE_ORDER[task.Status?.State ?? 'new'] < TASK_STATE_ORDER.assigned;
  return !nodeExists(task.NodeID);
}

/**
 * The tasks of one service to delete, after swarmkit's task reaper:
 * - every finished task whose DesiredState is 'remove' (a removed service's, which the
 *   orchestrators mark so);
 * - in each slot (replicated services) or node (global services), the oldest finished
 *   tasks beyond the retention limit, counting every task of the slot. Never the slot's
 *   current task, never one that is not finished (see isTaskOver), and never one that the
 *   restart policy still counts toward MaxAttempts (see restartHistoryToKeep): MaxAttempts
 *   is counted from the tasks in the store, so deleting them would reset it. swarmkit keeps
 *   MaxAttempts + 1 tasks per slot for the same reason.
 * Jobs keep their history: their finished tasks are the completions they count.
 * Oldest first within each slot.
 */
export function tasksToReap(input: ReapInput): string[] {
  const { service, tasks, nodeExists, retentionLimit, now } = input;
  const out: string[] = [];
  const rest: ReapTask[] = [];
  for (const t of tasks) {
    // Tasks marked for removal are no slot's history: they go as soon as they are over.
    if (t.DesiredState !== 'remove') rest.push(t);
    else if (isTaskOver(t, nodeExists)) out.push(t.ID);
  }
  if (!service || retentionLimit < 0) return out;
  const keyOf = historyKeyOf(service.Spec);
  if (!keyOf) return out;

  const groups = new Map<string, ReapTask[]>();
  for (const t of rest) {
    const key = keyOf(t);
    if (key === undefined) continue;
    const list = groups.get(key);
    if (list) list.push(t);
    else groups.set(key, [t]);
  }
  const policy = service.Spec.TaskTemplate?.RestartPolicy;
  const counts = madeFromTemplate(service.Spec.TaskTemplate);
  for (const group of groups.values()) {
    if (group.length <= retentionLimit) continue;
    const latest = latestTask(group);
    const needed = restartHistoryToKeep(policy, group, now, counts);
    let size = group.length;
    for (const t of [...group].sort(compareByAge)) {
      if (size <= retentionLimit) break;
      if (t === latest || needed.has(t.ID) || !isTaskOver(t, nodeExists)) continue;
      out.push(t.ID);
      size--;
    }
  }
  return out;
}

/** How a service's tasks form histories: by slot, by node (global), or not at all (jobs). */
function historyKeyOf(spec: ServiceSpec): ((t: ReapTask) => string | undefined) | undefined {
  const mode = spec.Mode;
  if (mode?.ReplicatedJob || mode?.GlobalJob) return undefined;
  if (mode?.Global) return (t) => t.NodeID || undefined;
  return (t) => (t.Slot !== undefined && t.Slot >= 1 ? String(t.Slot) : undefined);
}
