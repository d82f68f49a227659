import { type RestartPolicy } from '@shoal/api/swarm';
import { type ResolvedRestartPolicy, resolveRestartPolicy } from './restart.policy';
import {
  endedOnItsOwn,
  exitedCleanly,
  type HistoryTask,
  isTerminalState,
  latestTask,
  statusTimeOf,
} from './slot.history';

/**
 * Why a slot (or, for global services, a node) has no running task:
 * - 'exited': its task stopped on its own (complete, failed, rejected, or shut down
 *   unasked);
 * - 'node-down': its task's node is down or was removed, so the task is lost, not failed;
 * - 'drain': its task's node was drained, and the operator wants every task moved off it.
 */
export type RestartCause = 'exited' | 'node-down' | 'drain';

export type RestartReason =
  /** The policy calls for a restart, after Delay. */
  | 'restart'
  /** A lost task is replaced after Delay; the loss does not count as an attempt. */
  | 'node-down'
  /** A drained node's task is moved at once, whatever the policy. */
  | 'drain'
  | 'condition-none'
  /** Condition on-failure, and the task completed with exit code 0. */
  | 'clean-exit'
  | 'max-attempts';

export interface RestartDecision {
  restart: boolean;
  /** When the replacement may be created (ms since the epoch); set when restart is true. */
  dueAt?: number;
  reason: RestartReason;
  /** The attempts counted against MaxAttempts, when they were counted. */
  attempts?: number;
}

export interface RestartOptions {
  /** Default 'exited'. */
  cause?: RestartCause;
  /** Delay when the policy sets none. Default Swarm's 5 s. */
  defaultDelayMs?: number;
  /**
   * Which of the history's tasks may count as attempts. The orchestrators pass "made from
   * the current task template", so that updating a service starts its count afresh, as
   * swarmkit does when a task's SpecVersion changes. Default: all.
   */
  counts?: (task: HistoryTask) => boolean;
}

/**
 * The restart supervisor's decision for one slot whose task (`lastTask`, part of
 * `slotHistory`) no longer runs. Pure: the answer depends on the store's contents only,
 * never on memory of earlier decisions, so a new leader decides as the old one did.
 *
 * - Condition: 'none' never restarts; 'on-failure' restarts unless the task completed with
 *   exit code 0; 'any' always. Defaults as Swarm: any, 5 s, unlimited, no window.
 * - MaxAttempts: the slot's earlier tasks that ended on their own (see endedOnItsOwn) are its
 *   past attempts; a restart is refused once MaxAttempts of them are counted. With a Window,
 *   only the attempts that ended within Window before `lastTask` ended count. The count is
 *   taken at that instant, not at `now`, so the decision never changes while it waits: a
 *   refusal is final, as in Swarm ("the number of restarts before giving up"), until the
 *   service's task template changes.
 * - Delay: counted from `lastTask`'s Status.Timestamp (when it ended, or for a lost task
 *   when it last reported), so a task lost long after it started is replaced at once.
 * - Causes other than 'exited' (see RestartCause) are not failures of the task: they are
 *   never counted as attempts nor refused for MaxAttempts. A lost task still obeys
 *   Condition 'none', so that a partitioned node's task never runs twice; a drained node's
 *   task is moved whatever the policy, because its old task is told to stop.
 */
export function shouldRestart(
  policy: RestartPolicy | undefined,
  slotHistory: readonly HistoryTask[],
  lastTask: HistoryTask,
  now: number,
  opts: RestartOptions = {},
): RestartDecision {
  const cause = opts.cause ?? 'exited';
  if (cause === 'drain') return { restart: true, dueAt: now, reason: 'drain' };
  const p = resolveRestartPolicy(policy, opts.defaultDelayMs);
  if (p.condition === 'none') return { restart: false, reason: 'condition-none' };
  const since = statusTimeOf(lastTask);
  const dueAt = since === undefined ? now : since + p.delayMs;
  if (cause === 'node-down') return { restart: true, dueAt, reason: 'node-down' };
  if (p.condition === 'on-failure' && exitedCleanly(lastTask)) {
    return { restart: false, reason: 'clean-exit' };
  }
  if (p.maxAttempts === 0) return { restart: true, dueAt, reason: 'restart' };
  const attempts = pastAttempts(p, slotHistory, lastTask, since ?? now, opts.counts).length;
  if (attempts >= p.maxAttempts) return { restart: false, reason: 'max-attempts', attempts };
  return { restart: true, dueAt, reason: 'restart', attempts };
}

/**
 * The tasks of a slot that the restart policy may still count, which the task reaper must
 * therefore keep: the MaxAttempts most recent attempts that have not left the Window (seen
 * from the slot's current task's end, or from `now` while it still runs; later decisions look
 * from later instants). Empty when MaxAttempts is unlimited. The slot's current task is not
 * included: it is never reaped anyway.
 */
export function restartHistoryToKeep(
  policy: RestartPolicy | undefined,
  slotHistory: readonly HistoryTask[],
  now: number,
  counts?: (task: HistoryTask) => boolean,
): Set<string> {
  const p = resolveRestartPolicy(policy);
  if (p.maxAttempts === 0 || p.condition === 'none') return new Set();
  const latest = latestTask(slotHistory);
  if (!latest) return new Set();
  const from = isTerminalState(latest.Status?.State) ? (statusTimeOf(latest) ?? now) : now;
  const attempts = pastAttempts(p, slotHistory, latest, from, counts);
  attempts.sort((a, b) => (statusTimeOf(b) ?? Infinity) - (statusTimeOf(a) ?? Infinity));
  return new Set(attempts.slice(0, p.maxAttempts).map((t) => t.ID));
}

/**
 * The slot's attempts before `last`: its other tasks that ended on their own in a way the
 * condition restarts, and within the Window before `at`. An attempt without a timestamp
 * counts: never knowing when it ended, it cannot be shown to be outside the Window.
 */
function pastAttempts(
  p: ResolvedRestartPolicy,
  slotHistory: readonly HistoryTask[],
  last: HistoryTask,
  at: number,
  counts: ((task: HistoryTask) => boolean) | undefined,
): HistoryTask[] {
  return slotHistory.filter((t) => {
    if (t.ID === last.ID || !endedOnItsOwn(t)) return false;
    if (p.condition === 'on-failure' && exitedCleanly(t)) return false;
    if (p.windowMs > 0) {
      const ended = statusTimeOf(t);
      if (ended !== undefined && ended <= at - p.windowMs) return false;
    }
    return counts ? counts(t) : true;
  });
}
