import { acceptsNewTasks, isDrained, nodeFitOf } from '../common/node.eligibility';
import { noActions, type ServiceActions, wakeAt } from '../common/orchestrator.types';
import { decideRestart } from '../common/restart.decision';
import { isGlobalJob, jobIterationOf } from '../common/service-mode.rules';
import { groupBy, isWanted, pickKeeper } from '../common/task.selection';
import { DEFAULT_RESTART_DELAY_MS } from '../restart/restart.policy';
import { exitedCleanly as succeeded, isTerminalState, latestTask } from '../restart/slot.history';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { parseRfc3339Ms } from '../replicated/task.time';
import { splitByIteration } from './job.iteration';

type Node = Pick<
  OrchestratedNode,
  'ID' | 'Spec' | 'Status' | 'Description' | 'ManagerStatus' | 'CreatedAt'
>;
type Task = Pick<
  OrchestratedTask,
  | 'ID'
  | 'NodeID'
  | 'DesiredState'
  | 'Status'
  | 'Spec'
  | 'CreatedAt'
  | 'UpdatedAt'
  | 'Version'
  | 'JobIteration'
>;
type Service = Pick<OrchestratedService, 'Spec' | 'JobStatus' | 'CreatedAt'>;

/**
 * One reconciliation of a global job: one run per node that fits it, per JobIteration, as
 * a pure function of the service, its tasks and the nodes.
 *
 * - tasks of earlier runs that are still wanted are shut down (an update started a new run);
 * - a node where a task of this run exited 0 is done: never again in this run;
 * - a node that no longer fits or is drained: its unfinished tasks are shut down;
 * - a live task stays (on a down node too, as for global services); extra ones are shut
 *   down;
 * - a node with no task of this run gets one if it takes new tasks (ready, active) and
 *   existed when the run started (Service.JobStatus.LastExecution, else the service's
 *   CreatedAt). As in Docker, nodes that join later do not run a job already started; a
 *   node that was paused or drained at the start runs it once it is active again (which
 *   swarmkit leaves the same way);
 * - a failed task is retried on its node if the restart supervisor agrees (see
 *   shouldRestart: Condition 'on-failure' by default for jobs, Delay, MaxAttempts and
 *   Window over the node's tasks of this run).
 *
 * Tasks on nodes missing from `nodes` (removed) or on no node are shut down unless done.
 */
export function reconcileGlobalJob(
  service: Service,
  tasksOfService: readonly Task[],
  nodes: readonly Node[],
  now: number,
  restartDelayMs: number = DEFAULT_RESTART_DELAY_MS,
): ServiceActions {
  const actions = noActions();
  if (!isGlobalJob(service)) return actions;

  const iteration = jobIterationOf(service);
  const startedAt =
    parseRfc3339Ms(service.JobStatus?.LastExecution) ?? parseRfc3339Ms(service.CreatedAt);
  const { current, stale } = splitByIteration(tasksOfService, iteration);
  const shutdown = (tasks: readonly Task[]) => actions.shutdown.push(...tasks.map((t) => t.ID));
  shutdown(stale);

  const fits = nodeFitOf(service.Spec);
  const byNode = groupBy(current, (t) => t.NodeID || undefined);
  const unfinished = (t: Task) => !succeeded(t);
  const isLive = (t: Task) => !isTerminalState(t.Status?.State);

  for (const node of nodes) {
    const history = byNode.get(node.ID) ?? [];
    byNode.delete(node.ID);
    const wanted = history.filter(isWanted);
    if (!fits(node) || isDrained(node)) {
      shutdown(wanted.filter(unfinished));
      continue;
    }
    if (history.some(succeeded)) {
      shutdown(wanted.filter(isLive));
      continue;
    }
    const live = wanted.filter(isLive);
    if (live.length > 0) {
      const keep = pickKeeper(live);
      shutdown(wanted.filter((t) => t !== keep));
      continue;
    }
    if (!acceptsNewTasks(node)) continue;
    if (wanted.length === 0) {
      // Also a node whose task was stopped (drained, or by hand): it has not run this job.
      if (existedAt(node, startedAt)) {
        actions.create.push({ nodeId: node.ID, jobIteration: iteration });
      }
      continue;
    }
    const decision = decideRestart(service, history, latestTask(wanted)!, now, {
      job: true,
      defaultDelayMs: restartDelayMs,
    });
    if (!decision.restart) continue;
    if (decision.dueAt! <= now) {
      actions.create.push({ nodeId: node.ID, jobIteration: iteration, restart: true });
      shutdown(wanted);
    } else {
      wakeAt(actions, decision.dueAt!);
    }
  }
  for (const tasks of byNode.values()) shutdown(tasks.filter(isWanted).filter(unfinished));
  return actions;
}

/**
 * Whether the node was in the cluster when the run started. Creation times come from the
 * leaders' clocks, so this is best effort, as in swarmkit; a node created in the same
 * millisecond counts as present, and one with no readable time as old.
 */
function existedAt(node: Pick<Node, 'CreatedAt'>, startedAt: number | undefined): boolean {
  const created = parseRfc3339Ms(node.CreatedAt);
  return startedAt === undefined || created === undefined || created <= startedAt;
}
