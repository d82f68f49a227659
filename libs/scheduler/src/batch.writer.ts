import { rfc3339Nano, type WriteTx } from '@shoal/store';
import { type BatchPart } from './batch.planner';
import { type Filter } from './pipeline/filter.types';
import { confirmOnNode, placeGroup } from './placement/group.placer';
import { type SchedulerTask } from './scheduler.types';
import { type ClusterState } from './state/cluster.state';
import { claimsToResources } from './state/generic.resources';
import { type Holding } from './state/node.info';
import { isPreassigned, needsScheduling } from './task.predicates';

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';
export const CONFIRMED_MESSAGE = 'scheduler confirmed task can run on preassigned node';
/** What Swarm shows for a task waiting for a node (its allocator's words). */
export const PENDING_MESSAGE = 'pending task scheduling';

export interface BatchOutcome {
  assigned: number;
  /** The tasks assigned (or confirmed), as read before the write. */
  placed: SchedulerTask[];
  /** Tasks left pending, whether their reason had to be rewritten or not. */
  waiting: number;
  writes: number;
}

/**
 * Decides one batch against the transaction's view and writes the outcome into it: placed
 * tasks become `assigned` on their node, the others get the reason in Status.Err, written
 * only when it changes (rewriting it on every pass would feed the loop its own events).
 * Tasks are re-read here: the queue may be a few commits old, and the writes carry the
 * versions read, so a task changed meanwhile makes the proposal fail and the pass retry.
 */
export function writeBatch(
  tx: WriteTx,
  state: ClusterState,
  filters: readonly Filter[],
  parts: readonly BatchPart[],
  now: number,
): BatchOutcome {
  const out = new TaskWrites(tx, rfc3339Nano(now));
  try {
    for (const { group, tasks } of parts) {
      const fresh = tasks.flatMap((p) => {
        const t = tx.get<SchedulerTask>('task', p.id);
        return t ? [t] : [];
      });
      const demand = group.demand;
      for (const task of fresh.filter(isPreassigned)) {
        const node = state.nodes.get(task.NodeID!);
        // Its node is gone: the orchestrator replaces the task; nothing to confirm.
        if (!node) continue;
        const r = confirmOnNode(state, filters, demand, task.ID, node);
        if ('holding' in r) out.assign(task, node.id, r.holding, CONFIRMED_MESSAGE);
        else out.wait(task, r.reason);
      }
      const open = fresh.filter(needsScheduling);
      const ids = open.map((t) => t.ID);
      const { placed, reason } = placeGroup(state, filters, demand, ids, now);
      for (const task of open) {
        const p = placed.get(task.ID);
        if (p) out.assign(task, p.node.id, p.holding, ASSIGNED_MESSAGE);
        else out.wait(task, reason);
      }
    }
  } finally {
    // The committed tasks come back as events and are counted then.
    state.dropTentative();
  }
  return out.outcome;
}

class TaskWrites {
  readonly outcome: BatchOutcome = { assigned: 0, placed: [], waiting: 0, writes: 0 };

  constructor(
    private readonly tx: WriteTx,
    private readonly stamp: string,
  ) {}

  assign(task: SchedulerTask, nodeId: string, h: Holding, message: string): void {
    // Destructured, not deleted: `delete` drops the object into V8's slow dictionary mode.
    const { Err: _cleared, ...status } = task.Status ?? {};
    const next: SchedulerTask = {
      ...task,
      NodeID: nodeId,
      Status: { ...status, State: 'assigned', Message: message, Timestamp: this.stamp },
    };
    if (h.generic.length > 0) next.AssignedGenericResources = claimsToResources(h.generic);
    this.tx.update('task', next);
    this.outcome.placed.push(task);
    this.outcome.assigned++;
    this.outcome.writes++;
  }

  wait(task: SchedulerTask, reason: string): void {
    this.outcome.waiting++;
    if (task.Status?.Err === reason) return;
    const Status = {
      ...task.Status,
      State: 'pending' as const,
      Message: PENDING_MESSAGE,
      Err: reason,
      Timestamp: this.stamp,
    };
    this.tx.update<SchedulerTask>('task', { ...task, Status });
    this.outcome.writes++;
  }
}
