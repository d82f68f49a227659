import { acceptsNewTasks, isDrained, nodeFitOf } from '../common/node.eligibility';
import { noActions, type ServiceActions, wakeAt } from '../common/orchestrator.types';
import { decideRestart } from '../common/restart.decision';
import { isGlobalService } from '../common/service-mode.rules';
import { groupBy, isWanted, pickKeeper } from '../common/task.selection';
import { DEFAULT_RESTART_DELAY_MS } from '../restart/restart.policy';
import { isTerminalState, latestTask } from '../restart/slot.history';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';

type Node = Pick<
  OrchestratedNode,
  'ID' | 'Spec' | 'Status' | 'Description' | 'ManagerStatus' | 'CreatedAt'
>;
type Task = Pick<
  OrchestratedTask,
  'ID' | 'NodeID' | 'DesiredState' | 'Status' | 'Spec' | 'CreatedAt' | 'UpdatedAt' | 'Version'
>;
type Service = Pick<OrchestratedService, 'Spec'>;

/**
 * One reconciliation of a global service: one task per node that fits it, as a pure function
 * of the service, its tasks (all of them: a node's past tasks are its restart history) and
 * the nodes. A node's current tasks are those still desired to run.
 *
 * Per node:
 * - it no longer fits (constraints, platforms) or is drained: its tasks are shut down;
 * - it has a live task (not terminal): that one stays, whatever the node's state; extra live
 *   ones (a race) are shut down, keeping the one furthest along. A down node's task stays
 *   too, unlike swarmkit, which shuts it down and starts a new one when the node returns:
 *   there is nowhere else for it to go, and the agent re-adopts it, so a node that comes
 *   back does not restart its global tasks;
 * - it has none and takes new tasks (ready and active): a first task if it never had one;
 *   else the restart supervisor decides (Condition, Delay, MaxAttempts and Window, counted
 *   over the node's history), and the old tasks are shut down in the same write that
 *   creates the replacement, as history;
 * - paused, down or not yet ready: nothing new, and a dead task waits for it.
 *
 * Tasks on nodes missing from `nodes` (removed) or on no node are shut down. Applying the
 * result is a fixed point: reconciling again asks for nothing more, bar restarts still due.
 */
export function reconcileGlobal(
  service: Service,
  tasksOfService: readonly Task[],
  nodes: readonly Node[],
  now: number,
  restartDelayMs: number = DEFAULT_RESTART_DELAY_MS,
): ServiceActions {
  const actions = noActions();
  if (!isGlobalService(service)) return actions;

  const fits = nodeFitOf(service.Spec);
  const historyByNode = groupBy(tasksOfService, (t) => t.NodeID || undefined);
  const byNode = groupBy(tasksOfService.filter(isWanted), (t) => t.NodeID || undefined);
  const shutdown = (tasks: readonly Task[]) => actions.shutdown.push(...tasks.map((t) => t.ID));

  for (const node of nodes) {
    const tasks = byNode.get(node.ID) ?? [];
    byNode.delete(node.ID);
    if (!fits(node) || isDrained(node)) {
      shutdown(tasks);
      continue;
    }
    const live = tasks.filter((t) => !isTerminalState(t.Status?.State));
    if (live.length > 0) {
      const keep = pickKeeper(live);
      shutdown(tasks.filter((t) => t !== keep));
      continue;
    }
    if (!acceptsNewTasks(node)) continue;
    if (tasks.length === 0) {
      actions.create.push({ nodeId: node.ID });
      continue;
    }
    const history = historyByNode.get(node.ID)!;
    const decision = decideRestart(service, history, latestTask(tasks)!, now, {
      job: false,
      defaultDelayMs: restartDelayMs,
    });
    if (!decision.restart) continue;
    if (decision.dueAt! <= now) {
      actions.create.push({ nodeId: node.ID, restart: true });
      shutdown(tasks);
    } else {
      wakeAt(actions, decision.dueAt!);
    }
  }
  for (const tasks of byNode.values()) shutdown(tasks);
  return actions;
}
