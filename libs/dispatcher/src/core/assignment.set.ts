import { TASK_STATE_ORDER, type Task } from '@shoal/api/swarm';

/** What goes to an agent: a complete set, or the changes since the message it follows. */
export interface AssignmentMessage {
  type: 'complete' | 'incremental';
  sequence: number;
  /** The sequence this message follows (incremental only; 0 for complete). */
  appliesTo: number;
  updated: Task[];
  removed: string[];
}

/** A task is the node's to run from the moment the scheduler assigns it there. */
export function isAssignedTo(task: Task, nodeId: string): boolean {
  const state = task.Status?.State;
  return (
    task.NodeID === nodeId &&
    state !== undefined &&
    TASK_STATE_ORDER[state] >= TASK_STATE_ORDER.assigned
  );
}

/**
 * What one agent session has been sent, to turn the node's current tasks into the next
 * message. A task is re-sent only when what the agent acts on changes: its DesiredState. A
 * task's spec never changes (tasks are one-shot, BRIEF decision 2), and its Status is written
 * by the agent itself, so echoing status changes back would only double the traffic.
 */
export class AssignmentSet {
  private sent = new Map<string, string>();
  private sequence = 0;

  /** The first message: every task assigned to the node. */
  complete(tasks: readonly Task[]): AssignmentMessage {
    this.sent = new Map(tasks.map((t) => [t.ID!, t.DesiredState ?? '']));
    this.sequence++;
    return {
      type: 'complete',
      sequence: this.sequence,
      appliesTo: 0,
      updated: [...tasks],
      removed: [],
    };
  }

  /** The changes since the last message, from all of the node's tasks; undefined if none. */
  next(tasks: readonly Task[]): AssignmentMessage | undefined {
    const updated: Task[] = [];
    const seen = new Set<string>();
    for (const t of tasks) {
      seen.add(t.ID!);
      if (this.markSent(t)) updated.push(t);
    }
    const removed = [...this.sent.keys()].filter((id) => !seen.has(id));
    for (const id of removed) this.sent.delete(id);
    return this.incremental(updated, removed);
  }

  /**
   * The changes since the last message, from only the tasks that may have changed: each ID
   * with the task if it is assigned to the node now, or undefined if it is not (moved,
   * finished with, deleted). A commit touches a few of a node's tasks, and walking all of
   * them for every commit cost the leader more than the writes (issue 6's benchmark).
   */
  changed(tasks: ReadonlyMap<string, Task | undefined>): AssignmentMessage | undefined {
    const updated: Task[] = [];
    const removed: string[] = [];
    for (const [id, t] of tasks) {
      if (t) {
        if (this.markSent(t)) updated.push(t);
      } else if (this.sent.delete(id)) {
        removed.push(id);
      }
    }
    updated.sort((a, b) => (a.ID! < b.ID! ? -1 : a.ID! > b.ID! ? 1 : 0));
    return this.incremental(updated, removed);
  }

  /** Records what the agent is sent of `t`; false if it has that already. */
  private markSent(t: Task): boolean {
    const desired = t.DesiredState ?? '';
    if (this.sent.get(t.ID!) === desired) return false;
    this.sent.set(t.ID!, desired);
    return true;
  }

  private incremental(updated: Task[], removed: string[]): AssignmentMessage | undefined {
    if (updated.length === 0 && removed.length === 0) return undefined;
    const appliesTo = this.sequence++;
    return {
      type: 'incremental',
      sequence: this.sequence,
      appliesTo,
      updated,
      removed: removed.sort(),
    };
  }
}
