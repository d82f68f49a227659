import { isDrained, isLostNode } from '../common/node.eligibility';
import { noActions, type ServiceActions, wakeAt } from '../common/orchestrator.types';
import { decideRestart } from '../common/restart.decision';
import { isReplicatedJob, jobIterationOf, replicatedJobLimits } from '../common/service-mode.rules';
import { groupBy, isWanted, pickKeeper } from '../common/task.selection';
import { DEFAULT_RESTART_DELAY_MS } from '../restart/restart.policy';
import { exitedCleanly as succeeded, isTerminalState, latestTask } from '../restart/slot.history';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { splitByIteration } from './job.iteration';

type Node = Pick<OrchestratedNode, 'ID' | 'Status' | 'Spec'>;
type Task = Pick<
  OrchestratedTask,
  | 'ID'
  | 'Slot'
  | 'NodeID'
  | 'DesiredState'
  | 'Status'
  | 'Spec'
  | 'CreatedAt'
  | 'UpdatedAt'
  | 'Version'
  | 'JobIteration'
>;
type Service = Pick<OrchestratedService, 'Spec' | 'JobStatus'>;

type SlotKind = 'done' | 'live' | 'restart' | 'given-up';

/**
 * One reconciliation of a replicated job, as a pure function of the service, its tasks and
 * the nodes. A run (JobIteration) has TotalCompletions slots, 1..N; each slot is done once
 * any of its tasks of this run exits 0, and a done slot never runs again, whatever the
 * RestartPolicy says.
 *
 * - tasks of earlier runs that are still wanted are shut down (an update started a new run);
 * - a slot whose tasks all failed (or sit on a down, removed or drained node) is retried if
 *   the restart supervisor agrees (see shouldRestart: Condition 'on-failure' by default for
 *   jobs, 'any' alike, 'none' never; Delay; MaxAttempts and Window over the slot's tasks of
 *   this run; a lost node's task is not an attempt, a drained node's is moved at once);
 *   otherwise the slot is given up and the run cannot complete;
 * - while fewer than MaxConcurrent slots are live, failed slots are retried first (a retry
 *   waiting out its delay holds its place), then new slots start, lowest first, never
 *   beyond TotalCompletions.
 *
 * A given-up slot does not hold a place in MaxConcurrent (swarmkit's does, forever): the
 * rest of the run goes on. Tasks are desired `complete`; `running` counts as wanted too.
 */
export function reconcileReplicatedJob(
  service: Service,
  tasksOfService: readonly Task[],
  nodes: readonly Node[],
  now: number,
  restartDelayMs: number = DEFAULT_RESTART_DELAY_MS,
): ServiceActions {
  const actions = noActions();
  if (!isReplicatedJob(service)) return actions;

  const iteration = jobIterationOf(service);
  const { maxConcurrent, totalCompletions } = replicatedJobLimits(service);
  const { current, stale } = splitByIteration(tasksOfService, iteration);
  actions.shutdown.push(...stale.map((t) => t.ID));

  const nodeById = new Map(nodes.map((n) => [n.ID, n]));
  const lost = (t: Task) => !!t.NodeID && isLostNode(nodeById.get(t.NodeID));
  const drained = (t: Task) => {
    const node = t.NodeID ? nodeById.get(t.NodeID) : undefined;
    return !!node && isDrained(node);
  };
  const isLive = (t: Task) => !isTerminalState(t.Status?.State) && !lost(t) && !drained(t);

  const bySlot = groupBy(current, (t) => inRange(t.Slot, totalCompletions));
  // Tasks outside 1..TotalCompletions have no place in this run; a success stays as it was.
  for (const t of bySlot.get('') ?? []) {
    if (isWanted(t) && !succeeded(t)) actions.shutdown.push(t.ID);
  }
  bySlot.delete('');

  const kinds = new Map<number, SlotKind>();
  const restarts: { slot: number; wanted: Task[]; due: number }[] = [];
  for (const [key, history] of bySlot) {
    const slot = Number(key);
    const wanted = history.filter(isWanted);
    // A task replaced as lost that finished after all did the slot's work too.
    if (history.some(succeeded)) {
      kinds.set(slot, 'done');
      // A retry started before the success was seen must not run it a second time.
      actions.shutdown.push(
        ...wanted.filter((t) => !isTerminalState(t.Status?.State)).map((t) => t.ID),
      );
      continue;
    }
    // A slot whose tasks were all stopped from outside (the constraint enforcer, or by
    // hand) starts over.
    if (wanted.length === 0) continue;
    const live = wanted.filter(isLive);
    if (live.length > 0) {
      kinds.set(slot, 'live');
      const keep = pickKeeper(live);
      actions.shutdown.push(...wanted.filter((t) => t !== keep).map((t) => t.ID));
      continue;
    }
    const last = latestTask(wanted)!;
    const decision = decideRestart(service, history, last, now, {
      job: true,
      defaultDelayMs: restartDelayMs,
      // Not live and not ended: its node is drained (moved at once) or lost; neither is an
      // attempt of its own.
      cause: isTerminalState(last.Status?.State) ? 'exited' : drained(last) ? 'drain' : 'node-down',
    });
    if (!decision.restart) {
      kinds.set(slot, 'given-up');
      continue;
    }
    kinds.set(slot, 'restart');
    restarts.push({ slot, wanted, due: decision.dueAt! });
  }

  // Retries go before new slots, and both only while MaxConcurrent leaves room.
  let active = 0;
  for (const kind of kinds.values()) if (kind === 'live') active++;
  for (const r of restarts.sort((a, b) => a.slot - b.slot)) {
    if (active >= maxConcurrent) break;
    active++;
    if (r.due <= now) {
      actions.create.push({ slot: r.slot, jobIteration: iteration, restart: true });
      actions.shutdown.push(...r.wanted.map((t) => t.ID));
    } else {
      wakeAt(actions, r.due);
    }
  }
  for (let slot = 1; slot <= totalCompletions && active < maxConcurrent; slot++) {
    if (kinds.has(slot)) continue;
    actions.create.push({ slot, jobIteration: iteration });
    active++;
  }
  actions.create.sort((a, b) => a.slot! - b.slot!);
  return actions;
}

function inRange(slot: number | undefined, total: number): string | undefined {
  return slot !== undefined && Number.isInteger(slot) && slot >= 1 && slot <= total
    ? String(slot)
    : undefined;
}
