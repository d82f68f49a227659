import { TASK_STATE_ORDER } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { acceptsNewTasks, isDrained, isLostNode, nodeFitOf } from '../common/node.eligibility';
import { serviceModeKind } from '../common/service-mode.rules';
import { parseRfc3339Ms } from '../replicated/task.time';
import { isTerminalState, statusTimeOf } from '../restart/slot.history';
import { dirtyCheck } from './task.dirty';
import { resolveUpdateConfig, type ResolvedUpdateConfig } from './update.config';
import { updateExtras } from './update.labels';
import {
  countFailures,
  drainingSince,
  pickCurrent,
  rank,
  settledFor,
  type Slot,
  slotsOf,
} from './update.slots';
import {
  canaryPausedMessage,
  canaryRolledBackMessage,
  completedStatus,
  isActive,
  isCanaryPause,
  isPaused,
  NO_PREVIOUS_SPEC,
  pausedStatus,
  promotedStatus,
  rollbackPausedMessage,
  rolledBackMessage,
  startedStatus,
  type StoredUpdateStatus,
  updatePausedMessage,
  withoutCanary,
} from './update.status';
import {
  type SlotCreate,
  type UpdateInput,
  type UpdateNode,
  type UpdatePlan,
  type UpdateTask,
} from './update.types';

export type {
  SlotCreate,
  UpdateInput,
  UpdateNode,
  UpdatePlan,
  UpdateService,
  UpdateTask,
} from './update.types';

/** Most task writes (creations, shutdowns, promotions) one plan asks for: one Raft entry. */
export const DEFAULT_MAX_TASK_WRITES = 500;

type SlotState =
  | { kind: 'skip' }
  | { kind: 'clean'; current?: UpdateTask }
  | { kind: 'dirty'; slot: Slot }
  | { kind: 'busy'; until?: number };

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
 * - drain before stop (label `shoal.update.drain`): the old tasks are first marked draining
 *   (stop-first: that is the slot's first write; start-first: once the new task runs) and
 *   shut down only once the drain delay has passed since the mark.
 * - a slot is in flight from then until its new task has been running for Delay (or ended
 *   Delay ago): at most Parallelism slots are in flight.
 * Failures: slots whose task made by this update (from the current spec, created since
 * StartedAt) failed, was rejected or exited, before running or within Monitor of it. When
 * failures / slots in the update > MaxFailureRatio, FailureAction applies. The update
 * completes once no slot is dirty or in flight and every new task has run for Monitor (or
 * Delay + 1 s when Delay >= Monitor, as swarmkit).
 * Canary (label `shoal.update.canary`): the first N slots, then a pause (status `paused`,
 * marked ShoalCanary) once they have run for that window, until promoted or the end of
 * `shoal.update.canary.pause`; any failure of the canary, before or during the pause, rolls
 * the update back whatever FailureAction says.
 */
export function planUpdate(input: UpdateInput): UpdatePlan {
  const plan: UpdatePlan = {
    rollback: false,
    shutdown: [],
    create: [],
    promote: [],
    drain: [],
    undrain: [],
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
  const extras = updateExtras(service.Spec.Labels);
  const order = global ? 'stop-first' : cfg.order;
  const startedAt = parseRfc3339Ms(status?.StartedAt) ?? now;
  const budget = Math.max(1, input.maxTaskWrites ?? DEFAULT_MAX_TASK_WRITES);
  let writes = 0;

  const nodes = new Map(input.nodes.map((n) => [n.ID, n]));
  const dirtyOf = dirtyCheck(service.Spec.TaskTemplate);
  const isDirty = (t: UpdateTask) => dirtyOf(t, t.NodeID ? nodes.get(t.NodeID) : undefined);
  const ours = (t: UpdateTask) => (parseRfc3339Ms(t.CreatedAt) ?? -Infinity) >= startedAt;
  const fits = nodeFitOf(service.Spec);
  const placeable = (nodeId: string | undefined) => {
    const node = nodeId ? nodes.get(nodeId) : undefined;
    return !!node && acceptsNewTasks(node) && fits(node) && !isDrained(node);
  };
  const ctx: SlotContext = {
    cfg,
    order,
    now,
    nodes,
    isDirty,
    ours,
    plan,
    drainMs: extras.drainMs,
    finishing: [],
    wake: undefined,
  };

  const slots = slotsOf(input.tasks, global);
  const dirty: Slot[] = [];
  const inUpdate = new Set<string>();
  const current: UpdateTask[] = [];
  /** Slots this update has started on: the canary's count. */
  let started = 0;
  for (const slot of slots) {
    if (touchedSince(slot, startedAt, isDirty, ours)) started++;
    const state = evaluateSlot(slot, ctx);
    if (state.kind === 'dirty') {
      // A global task is replaced only where a new one may start; the global orchestrator
      // deals with nodes that are drained or no longer fit.
      if (global && !placeable(slot.nodeId)) continue;
      dirty.push(slot);
      inUpdate.add(slot.key);
    } else if (state.kind === 'busy') {
      plan.inFlight++;
      inUpdate.add(slot.key);
      if (state.until !== undefined) ctx.wake = min(ctx.wake, state.until);
    } else if (state.kind === 'clean' && state.current) {
      inUpdate.add(slot.key);
      current.push(state.current);
    }
  }

  // Writes that finish slots in flight come first; past the budget, the rest waits.
  writes = plan.shutdown.length + plan.promote.length + plan.drain.length + plan.undrain.length;
  if (writes > budget) {
    let left = budget;
    const take = (ids: string[]) => {
      const kept = ids.slice(0, left);
      left -= kept.length;
      return kept;
    };
    plan.shutdown = take(plan.shutdown);
    plan.promote = take(plan.promote);
    plan.drain = take(plan.drain);
    plan.undrain = take(plan.undrain);
    plan.more = true;
    writes = budget;
  }
  // Drained stop-first slots: the old tasks stop and the held replacement comes, together.
  for (const f of ctx.finishing) {
    if (global && !placeable(f.create.nodeId)) continue;
    if (writes + f.shutdown.length + 1 > budget) {
      plan.more = true;
      break;
    }
    writes += f.shutdown.length + 1;
    plan.shutdown.push(...f.shutdown);
    plan.create.push(f.create);
  }
  if (status === undefined && dirty.length > 0) plan.status = startedStatus(rfc3339Nano(now));

  // The canary step: forward updates only, until promoted (or its pause ended).
  const canaryOn = !rollingBack && extras.canary > 0;
  const inCanary =
    canaryOn &&
    status?.ShoalCanary?.PromotedAt === undefined &&
    (status === undefined || status.State === 'updating');
  const failureQuery = { now, monitorMs: cfg.monitorMs, isDirty, ours };

  // Paused in the canary step: a failure rolls back; the pause's end or promotion resumes.
  if (isCanaryPause(status)) {
    const pausedAt = parseRfc3339Ms(status!.ShoalCanary!.PausedAt) ?? now;
    const failure = countFailures(slots, { ...failureQuery, endedSince: pausedAt });
    if (failure.last) return canaryRollback(plan, service, status!, failure.last.ID);
    const until = extras.canaryPauseMs === undefined ? undefined : pausedAt + extras.canaryPauseMs;
    if (!canaryOn || (until !== undefined && until <= now)) {
      plan.status = promotedStatus(status!, rfc3339Nano(now));
    } else if (until !== undefined) {
      ctx.wake = min(ctx.wake, until);
    }
    return finish(plan, ctx.wake);
  }

  // Failures of this update's tasks, one per slot.
  if (isActive(status) && (inCanary || cfg.failureAction !== 'continue')) {
    const failure = countFailures(slots, {
      ...failureQuery,
      runningSince: input.runningSince,
      watchingSince: input.watchingSince,
    });
    for (const key of failure.slots) inUpdate.add(key);
    if (inCanary && failure.last) return canaryRollback(plan, service, status!, failure.last.ID);
    if (
      cfg.failureAction !== 'continue' &&
      failure.last &&
      failure.slots.size / Math.max(1, inUpdate.size) > cfg.maxFailureRatio
    ) {
      const id = failure.last.ID;
      if (cfg.failureAction === 'rollback' && !rollingBack) {
        if (service.PreviousSpec) {
          // Only the service is written: the next pass rolls back with RollbackConfig.
          return rollbackOnly(plan, {
            ...withoutCanary(status!),
            State: 'rollback_started',
            Message: rolledBackMessage(id),
          });
        }
        plan.status = pausedStatus(status!, NO_PREVIOUS_SPEC);
      } else {
        const message =
          cfg.failureAction === 'rollback' ? rollbackPausedMessage(id) : updatePausedMessage(id);
        plan.status = pausedStatus(status!, message);
      }
      // Paused: slots in flight are finished (held tasks promoted, old tasks of started
      // replacements stopped), but no new slot is started.
      return finish(plan, ctx.wake);
    }
  }

  // Paused: nothing new until the service is updated again (which clears the status). A
  // completed status with dirty slots (not a spec change) rolls them without a new status.
  if (isPaused(status) || plan.more) return finish(plan, ctx.wake);

  // Start new slots, lowest slot (or node ID) first; in the canary step, N slots at most.
  let capacity = cfg.parallelism - plan.inFlight;
  if (inCanary) capacity = Math.min(capacity, extras.canary - started);
  const draining = extras.drainMs > 0 && order === 'stop-first';
  for (const slot of dirty) {
    if (capacity <= 0) break;
    const needed = order === 'stop-first' ? slot.wanted.length + (draining ? 0 : 1) : 1;
    if (writes + needed > budget) {
      plan.more = true;
      break;
    }
    writes += needed;
    capacity--;
    plan.inFlight++;
    const where = global ? { nodeId: slot.nodeId } : { slot: slot.slot };
    if (draining) {
      // Out of load balancing first; replaced once the drain delay has passed.
      for (const t of slot.wanted) plan.drain.push(t.ID);
      ctx.wake = min(ctx.wake, now + extras.drainMs);
    } else if (order === 'stop-first') {
      for (const t of slot.wanted) plan.shutdown.push(t.ID);
      plan.create.push({ ...where, hold: true });
    } else {
      plan.create.push({ ...where, hold: false });
    }
  }

  const window = cfg.delayMs >= cfg.monitorMs ? cfg.delayMs + 1000 : cfg.monitorMs;
  if (inCanary && status?.State === 'updating' && dirty.length > 0 && plan.inFlight === 0) {
    // The canary slots have all run for the window: pause for promotion.
    if (started >= extras.canary) {
      const s = settledFor(current, window, now);
      if (s.wake !== undefined) ctx.wake = min(ctx.wake, s.wake);
      if (s.settled) {
        const until = extras.canaryPauseMs === undefined ? undefined : now + extras.canaryPauseMs;
        plan.status = {
          ...status,
          State: 'paused',
          Message: canaryPausedMessage(
            started,
            inUpdate.size,
            until === undefined ? undefined : rfc3339Nano(until),
          ),
          ShoalCanary: { PausedAt: rfc3339Nano(now) },
        };
        if (until !== undefined) ctx.wake = min(ctx.wake, until);
      }
    }
  } else if (dirty.length === 0 && plan.inFlight === 0 && isActive(status)) {
    // Complete once every new task has run for the monitor window.
    const s = settledFor(current, window, now);
    if (s.wake !== undefined) ctx.wake = min(ctx.wake, s.wake);
    if (s.settled) plan.status = completedStatus(status!, rfc3339Nano(now));
  }
  return finish(plan, ctx.wake);
}

interface SlotContext {
  cfg: ResolvedUpdateConfig;
  order: 'stop-first' | 'start-first';
  now: number;
  nodes: Map<string, UpdateNode>;
  isDirty: (t: UpdateTask) => boolean;
  ours: (t: UpdateTask) => boolean;
  plan: UpdatePlan;
  drainMs: number;
  /** Stop-first slots whose drain has ended: old tasks to stop, with their held replacement. */
  finishing: { shutdown: string[]; create: SlotCreate }[];
  wake: number | undefined;
}

/** Whether this update has begun on the slot: a task of its own, or a drain it started. */
function touchedSince(
  slot: Slot,
  startedAt: number,
  isDirty: (t: UpdateTask) => boolean,
  ours: (t: UpdateTask) => boolean,
): boolean {
  if (slot.all.some((t) => ours(t) && !isDirty(t))) return true;
  return slot.wanted.some((t) => (drainingSince(t) ?? -Infinity) >= startedAt);
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
  // A task back on the service's spec (a rollback) is no longer being replaced.
  for (const t of slot.wanted) {
    if (!isDirty(t) && drainingSince(t) !== undefined) plan.undrain.push(t.ID);
  }

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
      let until: number | undefined = since + cfg.delayMs;
      if (state === 'running') {
        // The old tasks drain (if asked) from now on, then stop.
        for (const t of old) {
          const drained = drainThenStop(t, ctx);
          if (drained !== undefined) until = Math.max(until, drained);
        }
      } else if (isTerminalState(state)) {
        // The replacement failed before it ran: it goes, and the slot is tried again.
        plan.shutdown.push(c.ID);
      }
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
  const marks = slot.wanted.map(drainingSince).filter((m): m is number => m !== undefined);
  if (marks.length > 0 && ctx.order === 'stop-first') {
    // Stop-first, draining: replaced (stopped, with a held replacement) once drained.
    const unmarked = slot.wanted.filter((t) => drainingSince(t) === undefined);
    if (unmarked.length > 0) {
      for (const t of unmarked) plan.drain.push(t.ID);
      return { kind: 'busy', until: now + ctx.drainMs };
    }
    const until = Math.max(...marks) + ctx.drainMs;
    if (until > now) return { kind: 'busy', until };
    const where = slot.nodeId !== undefined ? { nodeId: slot.nodeId } : { slot: slot.slot };
    ctx.finishing.push({
      shutdown: slot.wanted.map((t) => t.ID),
      create: { ...where, hold: true },
    });
    return { kind: 'busy' };
  }
  // A replacement this update made that failed is tried again only after Delay.
  const failedAt = slot.all
    .filter((t) => !isDirty(t) && ctx.ours(t) && isTerminalState(t.Status?.State))
    .map((t) => statusTimeOf(t) ?? now);
  const retryAt = failedAt.length > 0 ? Math.max(...failedAt) + cfg.delayMs : now;
  if (retryAt > now) return { kind: 'busy', until: retryAt };
  return { kind: 'dirty', slot };
}

/**
 * Start-first: an old task whose replacement runs is marked draining, then shut down once the
 * drain delay has passed; returns when that is, while it has not.
 */
function drainThenStop(t: UpdateTask, ctx: SlotContext): number | undefined {
  if (ctx.drainMs <= 0) {
    ctx.plan.shutdown.push(t.ID);
    return undefined;
  }
  const since = drainingSince(t);
  if (since === undefined) {
    ctx.plan.drain.push(t.ID);
    return ctx.now + ctx.drainMs;
  }
  if (since + ctx.drainMs <= ctx.now) {
    ctx.plan.shutdown.push(t.ID);
    return undefined;
  }
  return since + ctx.drainMs;
}

function busyUntil(until: number, now: number): SlotState {
  return until > now ? { kind: 'busy', until } : { kind: 'clean' };
}

/** A failure in the canary: back to PreviousSpec, whatever FailureAction says. */
function canaryRollback(
  plan: UpdatePlan,
  service: UpdateInput['service'],
  status: StoredUpdateStatus,
  taskId: string,
): UpdatePlan {
  if (!service.PreviousSpec) {
    return { ...plan, status: pausedStatus(withoutCanary(status), NO_PREVIOUS_SPEC) };
  }
  return rollbackOnly(plan, {
    ...withoutCanary(status),
    State: 'rollback_started',
    Message: canaryRolledBackMessage(taskId),
  });
}

/** Only the service is written (its spec back to PreviousSpec): the next pass rolls back. */
function rollbackOnly(plan: UpdatePlan, status: StoredUpdateStatus): UpdatePlan {
  return {
    ...plan,
    shutdown: [],
    promote: [],
    create: [],
    drain: [],
    undrain: [],
    rollback: true,
    status,
  };
}

function min(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}

function finish(plan: UpdatePlan, wake: number | undefined): UpdatePlan {
  if (wake !== undefined) plan.nextWakeAt = wake;
  return plan;
}
