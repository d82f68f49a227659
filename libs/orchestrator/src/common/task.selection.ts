import { TASK_STATE_ORDER, type Task } from '@shoal/api/swarm';
import { type OrchestratedTask } from '../replicated/replicated.types';

type TaskLike = Pick<Task, 'Status'> & { ID: string; Version: { Index: number } };

/** Groups by a key; items whose key is undefined go under ''. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined) {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item) ?? '';
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Of several live tasks where one belongs, the one to keep: the furthest along (a running
 * task beats one still preparing), then the oldest, so a duplicate never displaces the task
 * that was there first.
 */
export function pickKeeper<T extends TaskLike>(live: readonly T[]): T {
  const rank = (t: T) => TASK_STATE_ORDER[t.Status?.State ?? 'new'];
  return live.reduce((a, b) => {
    const d = rank(b) - rank(a);
    if (d !== 0) return d > 0 ? b : a;
    if (b.Version.Index !== a.Version.Index) return b.Version.Index < a.Version.Index ? b : a;
    return b.ID < a.ID ? b : a;
  });
}

/** Whether the task is still meant to run (DesiredState running, or complete for jobs). */
export function isWanted(task: Pick<Task, 'DesiredState'>): boolean {
  const desired = task.DesiredState ?? 'running';
  return TASK_STATE_ORDER[desired] <= TASK_STATE_ORDER.complete;
}

/**
 * Whether a task change moved what every orchestrator decides from: the task is new or gone,
 * or its desired state, node or slot changed. Loops add the status changes they read.
 */
export function taskMoved(
  before: Pick<OrchestratedTask, 'DesiredState' | 'NodeID' | 'Slot'> | undefined,
  now: Pick<OrchestratedTask, 'DesiredState' | 'NodeID' | 'Slot'>,
  action: 'create' | 'update' | 'remove',
): boolean {
  return (
    action !== 'update' ||
    !before ||
    before.DesiredState !== now.DesiredState ||
    before.NodeID !== now.NodeID ||
    before.Slot !== now.Slot
  );
}
