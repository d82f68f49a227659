import { TASK_STATE_ORDER, type ServiceUpdateStatus } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { acceptsNewTasks, isDrained, isLostNode, nodeFitOf } from '../common/node.eligibility';
import { serviceModeKind } from '../common/service-mode.rules';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { parseRfc3339Ms } from '../replicated/task.time';
import { isTerminalState, statusTimeOf } from '../restart/slot.history';
import { dirtyCheck } from './task.dirty';
import { resolveUpdateConfig, type ResolvedUpdateConfig } from './update.config';
import {
  completedStatus,
  isActive,
  isPaused,
  NO_PREVIOUS_SPEC,
  pausedStatus,
  rollbackPausedMessage,
  rolledBackMessage,
  startedStatus,
  updatePausedMessage,
} from './update.status';

export type UpdateService = Pick<
  OrchestratedService,
  'ID' | 'Spec' | 'PreviousSpec' | 'UpdateStatus'
>;
export type UpdateTask = Pick<
  OrchestratedTask,
  'ID' | 'Slot' | 'NodeID' | 'DesiredState' | 'Status' | 'Spec' | 'CreatedAt' | 'UpdatedAt'
>;
export type UpdateNode = Pick<
  OrchestratedNode,
  'ID' | 'Spec' | 'Status' | 'Description' | 'ManagerStatus'
>;

/** Most task writes (creations, shutdowns, promotions) one plan asks for: one Raft entry. */
export const DEFAULT_MAX_TASK_WRITES = 500;

export interface UpdateInput {
  service: UpdateService;
  /** Every task of the service, history included. */
  tasks: readonly UpdateTask[];
  nodes: readonly UpdateNode[];
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
  maxTaskWrites?: number;
  /**
   * When a task that has ended was last seen to start running, if the caller saw it. Only
   * narrows which failures count (one that ran for longer than Monitor does not); without
   * it, every failure of a task this update made counts, as after a leader change.
   */
  runningSince?: (taskId: string) => number | undefined;
}

/** A task to create in a slot (replicated) or on a node (global). */
export interface SlotCreate {
  slot?: number;
  nodeId?: string;
  /**
   * Stop-first: the task is created in state `new`, which the scheduler, the dispatcher and
   * the agents leave alone, and promoted to `pending` once the task it replaces has stopped.
   */
  hold: boolean;
}

export interface UpdatePlan {
  /** The service's new UpdateStatus, when it changes. */
  status?: ServiceUpdateStatus;
  /** Automatic rollback: Spec becomes PreviousSpec, as swarmkit's rollbackUpdate. */
  rollback: boolean;
  /** Tasks whose DesiredState becomes shutdown. */
  shutdown: string[];
  create: SlotCreate[];
  /** Held tasks (state `new`) to release to the scheduler (state `pending`). */
  promote: string[];
  /** When a delay or monitor window ends, if one is running. */
  nextWakeAt?: number;
  /** The write budget cut the plan short: plan again as soon as it is written. */
  more: boolean;
  /** Slots being replaced or within their Delay (for tests and metrics). */
  inFlight: number;
}

type Slot = {
  key: string;
  slot?: number;
  nodeId?: string;
  /** Tasks desired running (swarmkit's slot). */
  wanted: UpdateTask[];
  /** Every task of the slot, history included. */
  all: UpdateTask[];
};

type SlotState =
  | { kind: 'skip' }
  | { kind: 'clean'; current?: UpdateTask }
  | { kind: 'dirty'; slot: Slot }
  | { kind: 'busy'; until?: number };

const FAILED_STATES = new Set(['failed', 'rejected', 'complete']);

/**
 * The rolling updater's decision for one replicated or global service, as a pure function
 * of the store: the service (Spec, PreviousSpec, UpdateStatus), its tasks and the nodes.
 * Nothing else is remembered between calls, so a new leader carries on where the old one
 * stopped. See docs/architecture.md ("Rolling updates") for the full design.
 *
 * A slot (a Slot number; a node for global services) is dirty when its live tasks desired
 * running are all made from another spec than the service's (see dirtyCheck). Per slot:
 * - stop-first: the old tasks are shut down and a replacement is created held (state `new`)
 *   in the same write; it is promoted to `pending` once they have stopped (a terminal
 *   state, never assigned, or their node lost). The slot always has exactly one task desired
 *   running, so the replicated orchestrator counts it as filled and creates nothing.
 * - start-first (replicated only): the replacement is created `pending` next to the old task;
 *   once it runs, the old one is shut down. If it fails first, it is shut down instead and
 *   the slot is tried again after Delay.
 * - a slot is in flight from then until its new task has been running for Delay (or ended
 *   Delay ago): at most Parallelism slots are in flight.
 * Failures: slots whose task made by this update (from the current spec, created since
 * StartedAt) failed, was rejected or exited, before running or within Monitor of it. When
 * failures / slots in the update > MaxFailureRatio, FailureAction applies. The update
 * completes once no slot is dirty or in flight and every new task has run for Monitor (or
 * Delay + 1 s when Delay >= Monitor, as swarmkit).
 */
export function planUpdate(input: UpdateInput): UpdatePlan {
  const plan: UpdatePlan = {
    rollback: false,
    shutdown: [],
    create: [],
    promote: [],
    more: false,
    inFlight: 0,
  };
  const { service, now } = input;
  const mode = serviceModeKind(service);
  if (mode !== 'replicated' && mode !== 'global') return plan;
  const global = mode === 'global';
  const status = service.UpdateStatus;
  const rollingBack = status?.State === 'rollback_started' || status?.State === 'rollback_paused';
  const cfg = resolveUpdateConfig(service.Spec, rollingBack);
  const order = global ? 'stop-first' : cfg.order;
  const startedAt = parseRfc3339Ms(status?.StartedAt) ?? now;
  const budget = Math.max(1, input.maxTaskWrites ?? DEFAULT_MAX_TASK_WRITES);
  let writes = 0;

  const nodes = new Map(input.nodes.map((n) => [n.ID, n]));
  const dirtyOf = dirtyCheck(service.Spec.TaskTemplate);
  const isDirty = (t: UpdateTask) => dirtyOf(t, t.NodeID ? nodes.get(t.NodeID) : undefined);
  const ours = (t: UpdateTask) => (parseRfc3339Ms(t.CreatedAt) ?? -Infinity) >= startedAt;
  const fits = nodeFitOf(service.Spec);
  const ctx: SlotContext = { cfg, order, now, nodes, isDirty, ours, plan };

  const slots = slotsOf(input.tasks, global);
  const dirty: Slot[] = [];
  const inUpdate = new Set<string>();
  const current: UpdateTask[] = [];
  let wake: number | undefined;
  for (const slot of slots) {
    const state = evaluateSlot(slot, ctx);
    if (state.kind === 'dirty') {
      const node = slot.nodeId ? nodes.get(slot.nodeId) : undefined;
      // A global task is replaced only where a new one may start; the global orchestrator
      // deals with nodes that are drained or no longer fit.
      if (global && !(node && acceptsNewTasks(node) && fits(node) && !isDrained(node))) continue;
      dirty.push(slot);
      inUpdate.add(slot.key);
    } else if (state.kind === 'busy') {
      plan.inFlight++;
      inUpdate.add(slot.key);
      if (state.until !== undefined) wake = min(wake, state.until);
    } else if (state.kind === 'clean' && state.current) {
      inUpdate.add(slot.key);
      current.push(state.current);
    }
  }

  // Writes that finish slots in flight come first; past the budget, the rest waits.
  writes = plan.shutdown.length + plan.promote.length;
  if (writes > budget) {
    plan.shutdown = plan.shutdown.slice(0, budget);
    plan.promote = plan.promote.slice(0, budget - plan.shutdown.length);
    plan.more = true;
    writes = budget;
  }
  if (status === undefined && dirty.length > 0) plan.status = startedStatus(rfc3339Nano(now));

  // Failures of this update's tasks, one per slot.
  if (isActive(status) && cfg.failureAction !== 'continue') {
    const failure = countFailures(input, slots, ctx);
    for (const key of failure.slots) inUpdate.add(key);
    if (failure.last && failure.slots.size / Math.max(1, inUpdate.size) > cfg.maxFailureRatio) {
      const id = failure.last.ID;
      if (cfg.failureAction === 'rollback' && !rollingBack) {
        if (service.PreviousSpec) {
          // Only the service is written: the next pass rolls back with RollbackConfig.
          return {
            ...plan,
            shutdown: [],
            promote: [],
            rollback: true,
            status: { ...status!, State: 'rollback_started', Message: rolledBackMessage(id) },
          };
        }
        plan.status = pausedStatus(status!, NO_PREVIOUS_SPEC);
      } else {
        const message =
          cfg.failureAction === 'rollback' ? rollbackPausedMessage(id) : updatePausedMessage(id);
        plan.status = pausedStatus(status!, message);
      }
      // Paused: slots in flight are finished (held tasks promoted, old tasks of started
      // replacements stopped), but no new slot is started.
      return finish(plan, wake);
    }
  }

  // Paused: nothing new until the service is updated again (which clears the status). A
  // completed status with dirty slots (not a spec change) rolls them without a new status.
  if (isPaused(status) || plan.more) return finish(plan, wake);

  // Start new slots, lowest slot (or node ID) first.
  let capacity = cfg.parallelism - plan.inFlight;
  for (const slot of dirty) {
    if (capacity <= 0) break;
    const needed = order === 'stop-first' ? slot.wanted.length + 1 : 1;
    if (writes + needed > budget) {
      plan.more = true;
      break;
    }
    writes += needed;
    capacity--;
    plan.inFlight++;
    const where = global ? { nodeId: slot.nodeId } : { slot: slot.slot };
    if (order === 'stop-first') {
      for (const t of slot.wanted) plan.shutdown.push(t.ID);
      plan.create.push({ ...where, hold: true });
    } else {
      plan.create.push({ ...where, hold: false });
    }
  }

  if (dirty.length === 0 && plan.inFlight === 0 && isActive(status)) {
    // Complete once every new task has run for the monitor window.
    const window = cfg.delayMs >= cfg.monitorMs ? cfg.delayMs + 1000 : cfg.monitorMs;
    let settled = true;
    for (const t of current) {
      const state = t.Status?.State;
      if (state === 'running') {
        const since = statusTimeOf(t) ?? now;
        if (since + window > now) {
          settled = false;
          wake = min(wake, since + window);
        }
      } else if (!isTerminalState(state)) {
        settled = false;
      }
    }
    if (settled) plan.status = completedStatus(status!, rfc3339Nano(now));
  }
  return finish(plan, wake);
}

interface SlotContext {
  cfg: ResolvedUpdateConfig;
  order: 'stop-first' | 'start-first';
  now: number;
  nodes: Map<string, UpdateNode>;
  isDirty: (t: UpdateTask) => boolean;
  ours: (t: UpdateTask) => boolean;
  plan: UpdatePlan;
}

/** One slot's state, adding the writes that finish a slot in flight to the plan. */
function evaluateSlot(slot: Slot, ctx: SlotContext): SlotState {
  const { plan, isDirty, now, cfg } = ctx;
  if (slot.wanted.length === 0) return { kind: 'skip' };
  const lost = (t: UpdateTask) => !!t.NodeID && isLostNode(ctx.nodes.get(t.NodeID));
  const stopped = (t: UpdateTask) =>
    isTerminalState(t.Status?.State) ||
    !t.NodeID ||
    rank(t.Status?.State) < TASK_STATE_ORDER.assigned ||
    lost(t);

  // Stop-first in flight: a held replacement waits for the tasks it replaces to stop.
  const held = slot.wanted.find((t) => t.Status?.State === 'new' && !isDirty(t));
  if (held) {
    const others = slot.wanted.filter((t) => t !== held && isDirty(t));
    for (const t of others) plan.shutdown.push(t.ID);
    const waiting = slot.all.some((t) => t !== held && !stopped(t) && t.DesiredState !== 'running');
    if (!waiting && others.every(stopped)) plan.promote.push(held.ID);
    return { kind: 'busy' };
  }

  const clean = slot.wanted.filter((t) => !isDirty(t) && t.Status?.State !== 'new');
  if (clean.length > 0) {
    const c = pickCurrent(clean);
    const old = slot.wanted.filter((t) => t !== c && isDirty(t));
    const state = c.Status?.State;
    const since = statusTimeOf(c) ?? now;
    if (old.length > 0) {
      // Start-first in flight. The slot stays in flight for this pass whatever it writes:
      // the next pass judges it again from what was written.
      if (state === 'running') {
        for (const t of old) plan.shutdown.push(t.ID);
      } else if (isTerminalState(state)) {
        // The replacement failed before it ran: it goes, and the slot is tried again.
        plan.shutdown.push(c.ID);
      }
      const until = since + cfg.delayMs;
      return { kind: 'busy', until: until > now ? until : undefined };
    }
    if (!ctx.ours(c)) return { kind: 'clean' };
    if (state === 'running' || isTerminalState(state)) {
      const busy = busyUntil(since + cfg.delayMs, now);
      return busy.kind === 'busy' ? busy : { kind: 'clean', current: c };
    }
    return { kind: 'busy' };
  }

  // Every task desired running is from another spec. If none is live, the replicated
  // orchestrator restarts the slot, with the current spec.
  const live = slot.wanted.filter((t) => !isTerminalState(t.Status?.State) && !lost(t));
  const drained = (t: UpdateTask) => !!t.NodeID && isDrained(ctx.nodes.get(t.NodeID) ?? {});
  if (live.length === 0 || live.every(drained)) return { kind: 'skip' };
  return { kind: 'dirty', slot };
}

function busyUntil(until: number, now: number): SlotState {
  return until > now ? { kind: 'busy', until } : { kind: 'clean' };
}

/** The slot's clean task to judge: running first, then not ended, then the newest. */
function pickCurrent(tasks: readonly UpdateTask[]): UpdateTask {
  const score = (t: UpdateTask) =>
    t.Status?.State === 'running' ? 2 : isTerminalState(t.Status?.State) ? 0 : 1;
  return tasks.reduce((a, b) => {
    const d = score(b) - score(a);
    if (d !== 0) return d > 0 ? b : a;
    return (parseRfc3339Ms(b.CreatedAt) ?? 0) > (parseRfc3339Ms(a.CreatedAt) ?? 0) ? b : a;
  });
}

/**
 * Slots with a failure of this update: a task from the current spec, created since the
 * update started, that failed, was rejected or exited, before running or within Monitor.
 */
function countFailures(
  input: UpdateInput,
  slots: readonly Slot[],
  ctx: SlotContext,
): { slots: Set<string>; last?: UpdateTask } {
  const failed = new Set<string>();
  let last: UpdateTask | undefined;
  let lastAt = -Infinity;
  for (const slot of slots) {
    for (const t of slot.all) {
      if (!FAILED_STATES.has(t.Status?.State ?? '') || ctx.isDirty(t) || !ctx.ours(t)) continue;
      const ended = statusTimeOf(t) ?? ctx.now;
      const ran = input.runningSince?.(t.ID);
      if (ran !== undefined && ended - ran > ctx.cfg.monitorMs) continue;
      failed.add(slot.key);
      if (ended > lastAt || (ended === lastAt && last && t.ID > last.ID)) {
        last = t;
        lastAt = ended;
      }
    }
  }
  return { slots: failed, last };
}

/** Tasks grouped by Slot (replicated) or NodeID (global), in slot or node order. */
function slotsOf(tasks: readonly UpdateTask[], global: boolean): Slot[] {
  const byKey = new Map<string, Slot>();
  for (const t of tasks) {
    let key: string;
    let where: Pick<Slot, 'slot' | 'nodeId'>;
    if (global) {
      if (!t.NodeID) continue;
      key = t.NodeID;
      where = { nodeId: t.NodeID };
    } else {
      if (t.Slot === undefined || t.Slot < 1) continue;
      key = String(t.Slot);
      where = { slot: t.Slot };
    }
    let slot = byKey.get(key);
    if (!slot) {
      slot = { key, ...where, wanted: [], all: [] };
      byKey.set(key, slot);
    }
    slot.all.push(t);
    if (t.DesiredState === 'running') slot.wanted.push(t);
  }
  const list = [...byKey.values()];
  return global
    ? list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    : list.sort((a, b) => a.slot! - b.slot!);
}

function rank(state: string | undefined): number {
  return state === undefined ? 0 : ((TASK_STATE_ORDER as Record<string, number>)[state] ?? 0);
}

function min(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}

function finish(plan: UpdatePlan, wake: number | undefined): UpdatePlan {
  if (wake !== undefined) plan.nextWakeAt = wake;
  return plan;
}
