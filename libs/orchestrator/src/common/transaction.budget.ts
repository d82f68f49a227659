import { utf8Length } from '@shoal/common';
import { type StoredObject, updateFields } from '@shoal/store';
import { type OrchestratedTask } from '../replicated/replicated.types';
import { type ServiceActions } from './orchestrator.types';
import { type NewTaskPlan } from './task.factory';

/** The most one service's transaction (one Raft entry) may write. */
export interface WriteBudget {
  /** Task writes (creates and updates) per transaction. */
  maxTasks: number;
  /** Estimated encoded proposal bytes per transaction; see estimatedCreateBytes. */
  maxBytes: number;
}

/**
 * Raft refuses entries over maxEntryBytes (1 MiB by default), and a refused entry leaves its
 * service dirty to be refused again, forever. Half of it leaves room for the estimate's
 * error and keeps an entry from filling a whole MsgApp (maxSizePerMsg, also 1 MiB), so
 * smaller entries still batch behind it. 500 tasks is about where typical tasks (~1 KiB
 * encoded) reach that size anyway; it also caps the change events one entry fans out to the
 * watchers and the store's changelog (10,000 events), and the CPU one build takes.
 */
export const DEFAULT_WRITE_BUDGET: Readonly<WriteBudget> = Object.freeze({
  maxTasks: 500,
  maxBytes: 512 * 1024,
});

/**
 * What the store adds around a created object in the proposal (proposal.codec.ts encodes
 * the StoreProposal as JSON): the `{"op":"create","kind":"task","object":…},` wrapper (40),
 * the ID (25 characters, 33 with its key), Version (22) and the CreatedAt/UpdatedAt stamps
 * (45 each). Rounded up.
 */
const CREATE_OVERHEAD_BYTES = 256;
/** requestId, time and the actions array around them. */
const PROPOSAL_OVERHEAD_BYTES = 128;

/** A new task's share of the encoded proposal, in UTF-8 bytes as Raft counts them. */
export function estimatedCreateBytes(task: object): number {
  return utf8Length(JSON.stringify(task)) + CREATE_OVERHEAD_BYTES;
}

/**
 * An updated task's share of the encoded proposal. The store proposes an update as the
 * top-level fields that changed (`{op, kind, id, version, set, unset}`, see
 * WriteTransaction.actions), found by reference as here, so a shutdown costs its
 * DesiredState, not the whole task. Were updates proposed whole again, this would have to
 * count the whole object; the scale specs, which measure the real entries, would catch it.
 */
export function estimatedUpdateBytes(
  before: OrchestratedTask & StoredObject,
  after: OrchestratedTask & StoredObject,
): number {
  const action = { op: 'update', kind: 'task', id: before.ID, version: before.Version.Index };
  // The comma between actions.
  return utf8Length(JSON.stringify({ ...action, ...updateFields(before, after) })) + 1;
}

/**
 * The running total of one transaction. A decision that does not fit is left for the next
 * transaction, except the first: a single decision over the budget is still written (on its
 * own), or it would never be.
 */
export class TransactionBudget {
  private tasks = 0;
  private bytes = PROPOSAL_OVERHEAD_BYTES;

  constructor(private readonly limits: Readonly<WriteBudget>) {}

  /** Counts a decision of `tasks` writes and `bytes` in if it fits; false if it does not. */
  admit(tasks: number, bytes: number): boolean {
    const fits =
      this.tasks + tasks <= this.limits.maxTasks && this.bytes + bytes <= this.limits.maxBytes;
    if (!fits && this.tasks > 0) return false;
    this.tasks += tasks;
    this.bytes += bytes;
    return true;
  }
}

/**
 * Task writes that must commit together. A slot's (or a node's) replacement goes in the same
 * transaction as the shutdown of the task it replaces: written apart, a replacement without
 * its shutdown would leave two tasks desired running in the slot, which the next pass keeps
 * (both look live), and a shutdown without its replacement would be read by the next pass
 * as a slot stopped from outside, replaced at once whatever the restart delay.
 */
export interface Decision {
  stop: OrchestratedTask[];
  create: NewTaskPlan[];
}

/**
 * A reconciliation's actions as whole decisions, in the order they were asked for: tasks
 * and plans are tied by replica slot, else by node (global modes), and a task with neither
 * stands alone.
 */
export function decisionsOf(
  actions: ServiceActions,
  tasks: ReadonlyMap<string, OrchestratedTask>,
): Decision[] {
  const byKey = new Map<string, Decision>();
  const decisionFor = (key: string) => {
    let d = byKey.get(key);
    if (!d) byKey.set(key, (d = { stop: [], create: [] }));
    return d;
  };
  for (const id of new Set(actions.shutdown)) {
    const task = tasks.get(id)!;
    const key =
      task.Slot !== undefined && task.Slot >= 1
        ? `slot:${task.Slot}`
        : task.NodeID
          ? `node:${task.NodeID}`
          : `task:${task.ID}`;
    decisionFor(key).stop.push(task);
  }
  actions.create.forEach((plan, i) => {
    const key =
      plan.slot !== undefined
        ? `slot:${plan.slot}`
        : plan.nodeId
          ? `node:${plan.nodeId}`
          : `new:${i}`;
    decisionFor(key).create.push(plan);
  });
  return [...byKey.values()];
}
