import { TASK_STATE_ORDER, type TaskState } from '@shoal/api';

/** The states a task never leaves, except for a higher terminal one (the higher state wins). */
const TERMINAL_FROM = TASK_STATE_ORDER.complete;

/** A task asked to move to a lower state. States only move forward, so this is a bug. */
export class TaskStateRegressionError extends Error {
  constructor(
    readonly from: TaskState,
    readonly to: TaskState,
  ) {
    super(`task state cannot move backwards: ${from} (${rank(from)}) -> ${to} (${rank(to)})`);
    this.name = 'TaskStateRegressionError';
  }
}

function rank(state: TaskState): number {
  const r = TASK_STATE_ORDER[state];
  if (r === undefined) throw new TypeError(`unknown task state: ${String(state)}`);
  return r;
}

/** True for complete, shutdown, failed, rejected, remove and orphaned. */
export function isTerminal(state: TaskState): boolean {
  return rank(state) >= TERMINAL_FROM;
}

/**
 * The state after a transition from `from` to `to`: `to` when it ranks higher (any forward
 * jump is allowed, so terminal states only ever move to a higher terminal state), `from` when
 * they are equal (a no-op). A lower `to` throws {@link TaskStateRegressionError}.
 */
export function advance(from: TaskState, to: TaskState): TaskState {
  const a = rank(from);
  const b = rank(to);
  if (b === a) return from;
  if (b < a) throw new TaskStateRegressionError(from, to);
  return to;
}
