import { TASK_STATE_ORDER } from '@shoal/api/swarm';
import { acceptsNewTasks, isLostNode, type NodeFit, nodeFitOf } from '../common/node.eligibility';
import { desiredReplicas, isReplicatedService } from '../replicated/replicated.reconcile';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { parseRfc3339Ms } from '../replicated/task.time';
import { compareByAge, isTerminalState } from '../restart/slot.history';
import { rebalanceSettings, REPLACES_LABEL } from './rebalance.labels';

export type RebalanceService = Pick<
  OrchestratedService,
  'ID' | 'Spec' | 'Version' | 'UpdateStatus'
>;
export type RebalanceTask = Pick<
  OrchestratedTask,
  'ID' | 'Slot' | 'NodeID' | 'DesiredState' | 'Status' | 'Labels'
> &
  Partial<Pick<OrchestratedTask, 'CreatedAt' | 'UpdatedAt'>>;
export type RebalanceNode = Pick<
  OrchestratedNode,
  'ID' | 'Spec' | 'Description' | 'Status' | 'ManagerStatus' | 'Version'
>;

/**
 * A move whose new task has not started this long after it was created is given up: the old
 * task never stopped, so this only bounds how long a stuck pull or start keeps the service
 * from being rebalanced further.
 */
export const DEFAULT_MOVE_TIMEOUT_MS = 5 * 60_000;

export interface RebalanceInput {
  service: RebalanceService;
  /** All the service's tasks. */
  tasks: readonly RebalanceTask[];
  nodes: readonly RebalanceNode[];
  now: number;
  /** When the rebalancer last wrote for this service (start, finish or cancel of a move). */
  lastMoveAt?: number;
  /** The holdKey recorded when a move was last given up, if it was. */
  heldKey?: string;
  moveTimeoutMs?: number;
}

export type WaitReason =
  /** The service lacks the opt-in label. */
  | 'not-opted-in'
  | 'not-replicated'
  /** Balance under placement preferences is per branch; see planRebalance. */
  | 'preferences'
  /** A rolling update (issue #7) is replacing the tasks. */
  | 'updating'
  /** Not every replica runs yet, or some slot holds two tasks. */
  | 'converging'
  /** A replaced task has not stopped yet. */
  | 'stopping'
  /** A move is in flight: its new task has not started. */
  | 'moving'
  /** The delay since the last move has not passed. */
  | 'rate'
  | 'balanced'
  /** A move was given up and neither the nodes nor the service changed since. */
  | 'held';

export type CancelReason =
  /** The new task ended before it ran. */
  | 'failed'
  /** The new task's node went down or was removed. */
  | 'lost'
  /** No node could take the new task. */
  | 'unplaced'
  /** The new task did not start within the move timeout. */
  | 'timeout'
  /** The new task runs, but where it gains nothing (see planRebalance). */
  | 'futile';

export type RebalanceStep =
  | { action: 'none'; reason: WaitReason; nextLookAt?: number }
  /** Create a task in `slot`, labelled as replacing `replaces` (on node `from`). */
  | { action: 'start'; slot: number; replaces: string; from: string; to: string }
  /** The new task `task` runs on `to`: shut down the tasks it replaces. */
  | { action: 'finish'; slot: number; task: string; to: string; shutdown: string[] }
  /** Shut the new task down and keep the old one; hold until `holdKey` changes. */
  | {
      action: 'cancel';
      slot: number;
      task: string;
      why: CancelReason;
      shutdown: string[];
      holdKey: string;
    };

const RUNNING = TASK_STATE_ORDER.running;

/**
 * One decision of the rebalancer for one replicated service, as a pure function of the
 * store's contents plus two facts the leader keeps in memory (when it last moved a task of
 * the service, and which move it gave up). A move is start-first, within the slot model:
 *
 * 1. start: when the service is steady (each of its N slots holds exactly one task, running,
 *    on a ready node that is not drained, and no replaced task is still stopping), the delay
 *    since the last move has passed, and an eligible node (ready, active, matching the
 *    placement constraints and platforms, under Placement.MaxReplicas) holds at least two
 *    replicas fewer than another eligible node: a second task is created in a slot of the
 *    busiest node's youngest task. The scheduler places it as any pending task, by spread,
 *    while the old task still counts on its node, so it goes to the least loaded node it
 *    admits.
 * 2. finish: once the new task runs on node L, the old one (on F) is shut down, provided L is
 *    eligible and the move helps: L now holds at most one replica fewer than F, so before
 *    the move it held at least two fewer. Every finished move lowers the sum of the squared
 *    replica counts per node, which is why a sequence of moves ends.
 * 3. cancel: otherwise the new task is shut down and the old one keeps running: the
 *    scheduler placed it where it gains nothing (the predicted node lacked resources or a
 *    free host port, or this version keeps failing there), it failed, its node was lost,
 *    no node took it, or it did not start within the timeout. The service is then held
 *    until a node or the service changes, so a move the scheduler will not make is not
 *    retried every few seconds.
 *
 * The service never runs fewer than its N replicas because of a move; it briefly runs N+1,
 * which needs room for one more task on the target node. Moves in flight are finished or
 * cancelled even when the label has gone, but only a labelled service starts one.
 *
 * Services with placement preferences are not rebalanced: the scheduler balances them per
 * branch of the preference tree, and a move that evens out nodes could unbalance branches,
 * so the scheduler would place the new task where the plan did not expect it.
 */
export function planRebalance(input: RebalanceInput): RebalanceStep {
  const { service, tasks, now } = input;
  const nodes = new Map(input.nodes.map((n) => [n.ID, n]));
  const fit = nodeFitOf(service.Spec);
  const counts = liveCounts(tasks, nodes);

  const inFlight = movesInFlight(tasks);
  if (inFlight.length > 0) {
    return resolveMove(inFlight[0]!, { ...input, nodes, fit, counts });
  }

  const settings = rebalanceSettings(service.Spec.Labels);
  if (!settings.enabled) return { action: 'none', reason: 'not-opted-in' };
  if (!isReplicatedService(service)) return { action: 'none', reason: 'not-replicated' };
  const placement = service.Spec.TaskTemplate?.Placement;
  if ((placement?.Preferences?.length ?? 0) > 0) return { action: 'none', reason: 'preferences' };
  if (service.UpdateStatus?.State === 'updating') return { action: 'none', reason: 'updating' };

  const steadiness = steadyState(tasks, nodes, desiredReplicas(service));
  if (steadiness !== 'steady') return { action: 'none', reason: steadiness };

  const maxReplicas = placement?.MaxReplicas ?? 0;
  const eligible = [...nodes.values()]
    .filter((n) => acceptsNewTasks(n) && fit(n))
    .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  const count = (n: RebalanceNode) => counts.get(n.ID) ?? 0;
  let from: RebalanceNode | undefined;
  let to: RebalanceNode | undefined;
  for (const n of eligible) {
    if (count(n) > 0 && (!from || count(n) > count(from))) from = n;
    const hasRoom = maxReplicas <= 0 || count(n) < maxReplicas;
    if (hasRoom && (!to || count(n) < count(to))) to = n;
  }
  if (!from || !to || count(from) - count(to) < 2) return { action: 'none', reason: 'balanced' };

  if (input.lastMoveAt !== undefined && now < input.lastMoveAt + settings.delayMs) {
    return { action: 'none', reason: 'rate', nextLookAt: input.lastMoveAt + settings.delayMs };
  }
  if (input.heldKey !== undefined && input.heldKey === holdKey(service, input.nodes)) {
    return { action: 'none', reason: 'held' };
  }

  // The youngest: replacing it loses the least warmed-up state.
  const victim = tasks
    .filter((t) => t.DesiredState === 'running' && t.NodeID === from.ID)
    .reduce((a, b) => (compareByAge(b, a) > 0 ? b : a));
  return { action: 'start', slot: victim.Slot!, replaces: victim.ID, from: from.ID, to: to.ID };
}

/**
 * What a given-up move is held against: the service's version and every node's. Node objects
 * change only on joins, state changes and operator edits (heartbeats do not write them).
 */
export function holdKey(
  service: Pick<RebalanceService, 'Version'>,
  nodes: readonly Pick<RebalanceNode, 'ID' | 'Version'>[],
): string {
  const parts = nodes.map((n) => `${n.ID}@${n.Version.Index}`).sort();
  return `${service.Version.Index}|${parts.join(',')}`;
}

/**
 * Replicas of the service per node, as the scheduler spreads them: tasks the managers want
 * running that have not ended, on a node that is not lost. Both tasks of a move count.
 */
export function liveCounts(
  tasks: readonly RebalanceTask[],
  nodes: ReadonlyMap<string, RebalanceNode>,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tasks) {
    if (t.DesiredState !== 'running' || isTerminalState(t.Status?.State) || !t.NodeID) continue;
    if (isLostNode(nodes.get(t.NodeID))) continue;
    counts.set(t.NodeID, (counts.get(t.NodeID) ?? 0) + 1);
  }
  return counts;
}

interface Move {
  task: RebalanceTask;
  replaced: RebalanceTask;
}

/** Our new tasks whose old task is still wanted running. */
export function movesInFlight(tasks: readonly RebalanceTask[]): Move[] {
  const byId = new Map(tasks.map((t) => [t.ID, t]));
  const out: Move[] = [];
  for (const task of tasks) {
    const replacesId = task.Labels?.[REPLACES_LABEL];
    if (!replacesId || task.DesiredState !== 'running') continue;
    const replaced = byId.get(replacesId);
    if (replaced?.DesiredState === 'running') out.push({ task, replaced });
  }
  return out;
}

interface Context extends Omit<RebalanceInput, 'nodes'> {
  nodes: ReadonlyMap<string, RebalanceNode>;
  fit: NodeFit;
  counts: ReadonlyMap<string, number>;
}

function resolveMove(move: Move, ctx: Context): RebalanceStep {
  const { task, replaced } = move;
  const slot = task.Slot ?? replaced.Slot ?? 0;
  const cancel = (why: CancelReason): RebalanceStep => ({
    action: 'cancel',
    slot,
    task: task.ID,
    why,
    shutdown: [task.ID],
    holdKey: holdKey(ctx.service, [...ctx.nodes.values()]),
  });
  const state = task.Status?.State;
  if (isTerminalState(state)) return cancel('failed');
  if (task.NodeID && isLostNode(ctx.nodes.get(task.NodeID))) return cancel('lost');
  if (state === 'pending' && task.Status?.Err) return cancel('unplaced');
  if (state !== 'running') {
    const deadline =
      (parseRfc3339Ms(task.CreatedAt) ?? ctx.now) + (ctx.moveTimeoutMs ?? DEFAULT_MOVE_TIMEOUT_MS);
    if (ctx.now >= deadline) return cancel('timeout');
    return { action: 'none', reason: 'moving', nextLookAt: deadline };
  }

  const to = task.NodeID;
  if (!to) return cancel('lost');
  const finish: RebalanceStep = {
    action: 'finish',
    slot,
    task: task.ID,
    to,
    shutdown: [replaced.ID],
  };
  // The old task ended or lost its node meanwhile: the new one is simply the slot's task now.
  const oldNode = replaced.NodeID;
  if (isTerminalState(replaced.Status?.State) || !oldNode || isLostNode(ctx.nodes.get(oldNode))) {
    return finish;
  }
  const target = ctx.nodes.get(to)!;
  const maxReplicas = ctx.service.Spec.TaskTemplate?.Placement?.MaxReplicas ?? 0;
  const onTarget = ctx.counts.get(to) ?? 0;
  const helps =
    to !== oldNode &&
    acceptsNewTasks(target) &&
    ctx.fit(target) &&
    (maxReplicas <= 0 || onTarget <= maxReplicas) &&
    onTarget <= (ctx.counts.get(oldNode) ?? 0) - 1;
  return helps ? finish : cancel('futile');
}

/**
 * Steady: N slots, each with exactly one task wanted running, which runs on a ready node that
 * is not drained (the orchestrator would move it), and no task told to stop still running
 * on a node that can still report it.
 */
function steadyState(
  tasks: readonly RebalanceTask[],
  nodes: ReadonlyMap<string, RebalanceNode>,
  replicas: number,
): 'steady' | 'converging' | 'stopping' {
  const slots = new Set<number>();
  let stopping = false;
  for (const t of tasks) {
    const desired = TASK_STATE_ORDER[t.DesiredState ?? 'running'];
    if (desired > RUNNING) {
      const node = t.NodeID ? nodes.get(t.NodeID) : undefined;
      if (node && !isLostNode(node) && !isTerminalState(t.Status?.State)) stopping = true;
      continue;
    }
    if (desired < RUNNING || t.Slot === undefined || slots.has(t.Slot)) return 'converging';
    slots.add(t.Slot);
    const node = t.NodeID ? nodes.get(t.NodeID) : undefined;
    const placed = node?.Status?.State === 'ready' && node.Spec?.Availability !== 'drain';
    if (t.Status?.State !== 'running' || !placed) return 'converging';
  }
  if (slots.size !== replicas) return 'converging';
  return stopping ? 'stopping' : 'steady';
}
