import { DEFAULT_RESTART_DELAY_MS, resolveRestartPolicy } from '../restart/restart.policy';
import { type RestartCause, shouldRestart } from '../restart/restart.supervisor';
import { isTerminalState } from '../restart/slot.history';
import { madeFromTemplate } from '../restart/task-template.key';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
  type ReplicatedActions,
} from './replicated.types';
import { parseRfc3339Ms } from './task.time';

export { DEFAULT_RESTART_DELAY_MS, isTerminalState };

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

/** RestartPolicy.Delay (ns) in ms; `fallbackMs` when unset. */
export function restartDelayOf(service: Service, fallbackMs: number): number {
  return resolveRestartPolicy(service.Spec.TaskTemplate?.RestartPolicy, fallbackMs).delayMs;
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
  /** For 'live': other tasks of the slot that must stop. */
  strays?: Task[];
}

/**
 * One reconciliation of a replicated service, as a pure function of the service, its tasks
 * (all of them: a slot's past tasks are its restart history) and the nodes. A slot is one
 * Slot number; its current tasks are those with DesiredState 'running'.
 *
 * - live slot: it has a task whose state is not terminal, on a node that is up, present and
 *   not drained (or on no node yet); a paused node's tasks stay live;
 * - any other slot goes to the restart supervisor (see shouldRestart), with the cause:
 *   'drain' if its task is on a drained node (moved at once, whatever the policy), else
 *   'node-down' if on a down or missing node (a force-removed node), else 'exited'. The old
 *   tasks get DesiredState shutdown in the same write that creates the replacement, so a
 *   slot always keeps its history and a task is never stopped without a replacement (a task
 *   on a down node that is not restarted keeps running if the node comes back: nothing runs
 *   twice). A slot that will not be restarted still counts as one of the N.
 * - scale down removes slots with no live task first, then unassigned ones (for instance
 *   those no node can take under Placement.MaxReplicas), then those on the nodes with the
 *   most live tasks of this service (recounted after each pick), ties by the highest slot;
 * - scale up fills the lowest free slot numbers, and so does a slot whose task another
 *   manager component shut down (the constraint enforcer): its replacement is immediate.
 *
 * Services that are not replicated (global, jobs) get no actions.
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

  const byId = new Map(nodes.map((n) => [n.ID, n]));
  const onDownNode = (t: Task) =>
    !!t.NodeID && (!byId.has(t.NodeID) || byId.get(t.NodeID)!.Status?.State === 'down');
  const onDrainedNode = (t: Task) =>
    !!t.NodeID && byId.get(t.NodeID)?.Spec?.Availability === 'drain';
  const isLive = (t: Task) =>
    !isTerminalState(t.Status?.State) && !onDownNode(t) && !onDrainedNode(t);

  const bySlot = new Map<number, Task[]>();
  const historyBySlot = new Map<number, Task[]>();
  for (const t of tasksOfService) {
    if (t.Slot === undefined || t.Slot < 1) continue;
    push(historyBySlot, t.Slot, t);
    if (t.DesiredState === 'running') push(bySlot, t.Slot, t);
  }

  const template = service.Spec.TaskTemplate;
  const counts = madeFromTemplate(template);
  const slots: SlotState[] = [];
  for (const [slot, tasks] of bySlot) {
    const live = tasks.find(isLive);
    if (live) {
      // A duplicate on a drained node must go too, or it would run there for good.
      const strays = tasks.filter((t) => onDrainedNode(t) && !isTerminalState(t.Status?.State));
      slots.push({ slot, tasks, kind: 'live', node: live.NodeID || undefined, strays });
      continue;
    }
    const last = newest(tasks);
    const cause: RestartCause = isTerminalState(last.Status?.State)
      ? 'exited'
      : onDrainedNode(last)
        ? 'drain'
        : 'node-down';
    const decision = shouldRestart(template?.RestartPolicy, historyBySlot.get(slot)!, last, now, {
      cause,
      defaultDelayMs: restartDelayMs,
      counts,
    });
    slots.push(
      decision.restart
        ? { slot, tasks, kind: 'restart', dueAt: decision.dueAt }
        : { slot, tasks, kind: 'finished' },
    );
  }

  const want = desiredReplicas(service);
  const removed = new Set(pickSlotsToRemove(slots, slots.length - want));
  for (const s of slots) {
    if (removed.has(s.slot)) {
      for (const t of s.tasks) actions.shutdown.push(t.ID);
    } else if (s.kind === 'live') {
      for (const t of s.strays ?? []) actions.shutdown.push(t.ID);
    } else if (s.kind === 'restart') {
      if (s.dueAt! <= now) {
        actions.create.push(s.slot);
        (actions.restarts ??= []).push(s.slot);
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

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
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
