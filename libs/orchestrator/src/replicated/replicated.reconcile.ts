import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
  type ReplicatedActions,
} from './replicated.types';
import { parseRfc3339Ms } from './task.time';

/** Swarm's default RestartPolicy.Delay. */
export const DEFAULT_RESTART_DELAY_MS = 5_000;

type Node = Pick<OrchestratedNode, 'ID' | 'Status'>;
type Task = Pick<
  OrchestratedTask,
  'ID' | 'Slot' | 'NodeID' | 'DesiredState' | 'Status' | 'UpdatedAt' | 'Version'
>;
type Service = Pick<OrchestratedService, 'Spec'>;

/** No Mode means replicated with one replica, as in Docker. */
export function isReplicatedService(service: Service): boolean {
  const mode = service.Spec.Mode;
  if (!mode) return true;
  return mode.Replicated !== undefined && !mode.Global && !mode.ReplicatedJob && !mode.GlobalJob;
}

export function desiredReplicas(service: Service): number {
  const n = service.Spec.Mode?.Replicated?.Replicas ?? 1;
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

/** complete, shutdown, failed, rejected, remove and orphaned: the task will not run again. */
export function isTerminalState(state: TaskState | undefined): boolean {
  return state !== undefined && TASK_STATE_ORDER[state] >= TASK_STATE_ORDER.complete;
}

/** RestartPolicy.Delay (ns) in ms; `fallbackMs` when unset. */
export function restartDelayOf(service: Service, fallbackMs: number): number {
  const ns = service.Spec.TaskTemplate?.RestartPolicy?.Delay;
  return ns === undefined || !Number.isFinite(ns) || ns < 0 ? fallbackMs : ns / 1e6;
}

type SlotKind = 'live' | 'restart' | 'finished';

interface SlotState {
  slot: number;
  /** The slot's tasks whose DesiredState is running. */
  tasks: Task[];
  kind: SlotKind;
  /** The node of the live task, if assigned. */
  node?: string;
  /** For 'restart': when the replacement is due. */
  dueAt?: number;
}

/**
 * One reconciliation of a replicated service, as a pure function of the service, its tasks
 * and the nodes. Only tasks with DesiredState 'running' count; a slot is one Slot number.
 *
 * - live slot: it has a task whose state is not terminal, on a node that is not down (or on
 *   no node yet);
 * - a slot with no live task is replaced after the restart delay if the RestartPolicy says
 *   so ('any' by default; 'on-failure' unless the task completed with exit code 0; 'none'
 *   never), counted from the newest of its tasks' Status.Timestamp. The old tasks get
 *   DesiredState shutdown in the same write that creates the replacement, so a slot always
 *   keeps its history and a task is never stopped without a replacement (a task on a down
 *   node that is not restarted keeps running if the node comes back: nothing runs twice).
 *   A slot that will not be restarted still counts as one of the N.
 * - scale down removes slots with no live task first, then unassigned ones, then those on
 *   the nodes with the most live tasks of this service (recounted after each pick), ties by
 *   the highest slot;
 * - scale up fills the lowest free slot numbers.
 *
 * Services that are not replicated (global, jobs) get no actions. Tasks on a node missing
 * from `nodes` count as on a down node (a force-removed node). MaxAttempts and Window are
 * not applied yet (the full restart supervisor is the next issue).
 */
export function reconcileReplicated(
  service: Service,
  tasksOfService: readonly Task[],
  nodes: readonly Node[],
  now: number,
  restartDelayMs: number = DEFAULT_RESTART_DELAY_MS,
): ReplicatedActions {
  const actions: ReplicatedActions = { create: [], shutdown: [] };
  if (!isReplicatedService(service)) return actions;

  const nodeState = new Map(nodes.map((n) => [n.ID, n.Status?.State]));
  const onDownNode = (t: Task) =>
    !!t.NodeID && (!nodeState.has(t.NodeID) || nodeState.get(t.NodeID) === 'down');
  const isLive = (t: Task) => !isTerminalState(t.Status?.State) && !onDownNode(t);

  const bySlot = new Map<number, Task[]>();
  for (const t of tasksOfService) {
    if (t.DesiredState !== 'running' || t.Slot === undefined || t.Slot < 1) continue;
    const list = bySlot.get(t.Slot) ?? [];
    list.push(t);
    bySlot.set(t.Slot, list);
  }

  const delay = restartDelayOf(service, restartDelayMs);
  const slots: SlotState[] = [];
  for (const [slot, tasks] of bySlot) {
    const live = tasks.find(isLive);
    if (live) {
      slots.push({ slot, tasks, kind: 'live', node: live.NodeID || undefined });
      continue;
    }
    const last = newest(tasks);
    if (!shouldRestart(service, last)) {
      slots.push({ slot, tasks, kind: 'finished' });
      continue;
    }
    const since = parseRfc3339Ms(last.Status?.Timestamp) ?? parseRfc3339Ms(last.UpdatedAt);
    slots.push({ slot, tasks, kind: 'restart', dueAt: since === undefined ? now : since + delay });
  }

  const want = desiredReplicas(service);
  const removed = new Set(pickSlotsToRemove(slots, slots.length - want));
  for (const s of slots) {
    if (removed.has(s.slot)) {
      for (const t of s.tasks) actions.shutdown.push(t.ID);
    } else if (s.kind === 'restart') {
      if (s.dueAt! <= now) {
        actions.create.push(s.slot);
        for (const t of s.tasks) actions.shutdown.push(t.ID);
      } else {
        actions.nextWakeAt = Math.min(actions.nextWakeAt ?? Infinity, s.dueAt!);
      }
    }
  }

  let missing = want - (slots.length - removed.size);
  const taken = new Set(slots.filter((s) => !removed.has(s.slot)).map((s) => s.slot));
  for (let slot = 1; missing > 0; slot++) {
    if (taken.has(slot)) continue;
    actions.create.push(slot);
    missing--;
  }
  actions.create.sort((a, b) => a - b);
  return actions;
}

function shouldRestart(service: Service, task: Task): boolean {
  const condition = service.Spec.TaskTemplate?.RestartPolicy?.Condition ?? 'any';
  if (condition === 'none') return false;
  if (condition === 'on-failure') {
    const exit = task.Status?.ContainerStatus?.ExitCode ?? 0;
    return !(task.Status?.State === 'complete' && exit === 0);
  }
  return true;
}

/** The task that ended last: the latest Status.Timestamp, then the highest Version. */
function newest(tasks: readonly Task[]): Task {
  const key = (t: Task) => parseRfc3339Ms(t.Status?.Timestamp) ?? -Infinity;
  return tasks.reduce((a, b) => {
    const d = key(b) - key(a);
    return d > 0 || (d === 0 && b.Version.Index > a.Version.Index) ? b : a;
  });
}

/**
 * The slots to remove when there are `excess` too many: dead slots first (highest first),
 * then unassigned ones, then one at a time from the node with the most live slots left.
 */
function pickSlotsToRemove(slots: readonly SlotState[], excess: number): number[] {
  if (excess <= 0) return [];
  const byHighest = (a: SlotState, b: SlotState) => b.slot - a.slot;
  const dead = slots.filter((s) => s.kind !== 'live').sort(byHighest);
  const unassigned = slots.filter((s) => s.kind === 'live' && !s.node).sort(byHighest);
  const picked = [...dead, ...unassigned].slice(0, excess).map((s) => s.slot);

  const onNodes = slots.filter((s) => s.kind === 'live' && s.node);
  const count = new Map<string, number>();
  for (const s of onNodes) count.set(s.node!, (count.get(s.node!) ?? 0) + 1);
  const left = new Set(onNodes);
  while (picked.length < excess && left.size > 0) {
    let best: SlotState | undefined;
    for (const s of left) {
      if (!best) best = s;
      else {
        const d = count.get(s.node!)! - count.get(best.node!)!;
        if (d > 0 || (d === 0 && s.slot > best.slot)) best = s;
      }
    }
    left.delete(best!);
    count.set(best!.node!, count.get(best!.node!)! - 1);
    picked.push(best!.slot);
  }
  return picked;
}
