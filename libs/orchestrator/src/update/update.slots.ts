import { TASK_STATE_ORDER } from '@shoal/api/swarm';
import { parseRfc3339Ms } from '../replicated/task.time';
import { isTerminalState, statusTimeOf } from '../restart/slot.history';
import { DRAINING_SINCE_LABEL } from './update.labels';
import { type UpdateTask } from './update.types';

/** A slot number (replicated) or a node (global) with its tasks. */
export type Slot = {
  key: string;
  slot?: number;
  nodeId?: string;
  /** Tasks desired running (swarmkit's slot). */
  wanted: UpdateTask[];
  /** Every task of the slot, history included. */
  all: UpdateTask[];
};

/** A failure: failed, rejected, or exited (a service's task is not meant to end). */
export const FAILED_STATES = new Set(['failed', 'rejected', 'complete']);

/** When the task was marked draining (DRAINING_SINCE_LABEL), if it was. */
export function drainingSince(task: Pick<UpdateTask, 'Labels'>): number | undefined {
  return parseRfc3339Ms(task.Labels?.[DRAINING_SINCE_LABEL]);
}

/** The slot's clean task to judge: running first, then not ended, then the newest. */
export function pickCurrent(tasks: readonly UpdateTask[]): UpdateTask {
  const score = (t: UpdateTask) =>
    t.Status?.State === 'running' ? 2 : isTerminalState(t.Status?.State) ? 0 : 1;
  return tasks.reduce((a, b) => {
    const d = score(b) - score(a);
    if (d !== 0) return d > 0 ? b : a;
    return (parseRfc3339Ms(b.CreatedAt) ?? 0) > (parseRfc3339Ms(a.CreatedAt) ?? 0) ? b : a;
  });
}

export interface FailureQuery {
  now: number;
  monitorMs: number;
  isDirty: (t: UpdateTask) => boolean;
  ours: (t: UpdateTask) => boolean;
  runningSince?: (taskId: string) => number | undefined;
  /** See UpdateInput.watchingSince. */
  watchingSince?: number;
  /** Only failures that ended at or after this time (the canary pause's start). */
  endedSince?: number;
}

/**
 * Slots with a failure of this update: a task from the current spec, created since the
 * update started, that failed, was rejected or exited, before running or within Monitor
 * (or, with endedSince, at any time since then).
 */
export function countFailures(
  slots: readonly Slot[],
  q: FailureQuery,
): { slots: Set<string>; last?: UpdateTask } {
  const failed = new Set<string>();
  let last: UpdateTask | undefined;
  let lastAt = -Infinity;
  for (const slot of slots) {
    for (const t of slot.all) {
      if (!FAILED_STATES.has(t.Status?.State ?? '') || q.isDirty(t) || !q.ours(t)) continue;
      const ended = statusTimeOf(t) ?? q.now;
      if (q.endedSince !== undefined) {
        if (ended < q.endedSince) continue;
      } else {
        const ran = q.runningSince?.(t.ID);
        if (ran !== undefined && ended - ran > q.monitorMs) continue;
        if (ran === undefined && q.watchingSince !== undefined && ended < q.watchingSince) continue;
      }
      failed.add(slot.key);
      if (ended > lastAt || (ended === lastAt && last && t.ID > last.ID)) {
        last = t;
        lastAt = ended;
      }
    }
  }
  return { slots: failed, last };
}

/**
 * Whether every task is past the window since it started running (or has ended); else when
 * the first window ends, if one is running.
 */
export function settledFor(
  tasks: readonly UpdateTask[],
  windowMs: number,
  now: number,
): { settled: boolean; wake?: number } {
  let settled = true;
  let wake: number | undefined;
  for (const t of tasks) {
    const state = t.Status?.State;
    if (state === 'running') {
      const since = statusTimeOf(t) ?? now;
      if (since + windowMs > now) {
        settled = false;
        wake = wake === undefined ? since + windowMs : Math.min(wake, since + windowMs);
      }
    } else if (!isTerminalState(state)) {
      settled = false;
    }
  }
  return wake === undefined ? { settled } : { settled, wake };
}

/** Tasks grouped by Slot (replicated) or NodeID (global), in slot or node order. */
export function slotsOf(tasks: readonly UpdateTask[], global: boolean): Slot[] {
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

export function rank(state: string | undefined): number {
  return state === undefined ? 0 : ((TASK_STATE_ORDER as Record<string, number>)[state] ?? 0);
}
