import { TASK_STATE_ORDER, type Task, type TaskState } from '@shoal/api/swarm';
import { type StoreEvent } from '@shoal/store';

const ASSIGNED = TASK_STATE_ORDER.assigned;
const RUNNING = TASK_STATE_ORDER.running;

const rankOf = (t: Task | undefined): number => {
  const s = t?.Status?.State as TaskState | undefined;
  return s === undefined ? -1 : TASK_STATE_ORDER[s];
};

/** When each milestone was first reached, on the caller's clock (ms). */
export interface Milestones {
  firstTaskCreated?: number;
  allTasksCreated?: number;
  firstAssigned?: number;
  allAssigned?: number;
  firstRunning?: number;
  allRunning?: number;
}

/**
 * Counts tasks through the leader's store events: created, reached `assigned` (or beyond)
 * and reached `running` (or beyond), each counted once, from the event's previous state, so
 * nothing is kept per task. A milestone is stamped at the commit marker of the batch that
 * completes it: that is when a reader of the store could first see it.
 */
export class PlacementTally {
  created = 0;
  assigned = 0;
  running = 0;
  /** Commits that moved at least one task to `assigned`: the scheduler's batches. */
  assignCommits = 0;
  /** Commits that moved at least one task to `running`: status writes that finished a task. */
  runningCommits = 0;
  readonly at: Milestones = {};
  private assignedInBatch = 0;
  private runningInBatch = 0;

  constructor(
    readonly target: number,
    private readonly now: () => number,
  ) {}

  get done(): boolean {
    return this.at.allRunning !== undefined;
  }

  onEvent(e: StoreEvent): void {
    if (e.type === 'reset') throw new Error('the store was reset from a snapshot mid-run');
    if (e.type === 'commit') return this.onCommit();
    if (e.kind !== 'task' || e.action === 'remove') return;
    const before = e.action === 'create' ? -1 : rankOf(e.previous as Task | undefined);
    const after = rankOf(e.object as Task);
    if (e.action === 'create') this.created++;
    if (before < ASSIGNED && after >= ASSIGNED) this.assignedInBatch++;
    if (before < RUNNING && after >= RUNNING) this.runningInBatch++;
  }

  private onCommit(): void {
    const t = this.now();
    const at = this.at;
    if (this.created > 0) at.firstTaskCreated ??= t;
    if (this.created >= this.target) at.allTasksCreated ??= t;
    if (this.assignedInBatch > 0) {
      this.assignCommits++;
      this.assigned += this.assignedInBatch;
      this.assignedInBatch = 0;
      at.firstAssigned ??= t;
      if (this.assigned >= this.target) at.allAssigned ??= t;
    }
    if (this.runningInBatch > 0) {
      this.runningCommits++;
      this.running += this.runningInBatch;
      this.runningInBatch = 0;
      at.firstRunning ??= t;
      if (this.running >= this.target) at.allRunning ??= t;
    }
  }
}

/**
 * The next task created for one service, followed to `assigned` and to `running`: one
 * sample of incremental scheduling.
 */
export class NewTaskWatch {
  taskId: string | undefined;
  assignedAt: number | undefined;
  runningAt: number | undefined;
  private sawAssigned = false;
  private sawRunning = false;

  constructor(
    private readonly serviceId: string,
    private readonly now: () => number,
  ) {}

  get done(): boolean {
    return this.runningAt !== undefined;
  }

  onEvent(e: StoreEvent): void {
    if (e.type === 'commit') {
      const t = this.now();
      if (this.sawAssigned) this.assignedAt ??= t;
      if (this.sawRunning) this.runningAt ??= t;
      return;
    }
    if (e.type !== 'change' || e.kind !== 'task') return;
    const task = e.object as Task;
    if (this.taskId === undefined) {
      if (e.action !== 'create' || task.ServiceID !== this.serviceId) return;
      this.taskId = task.ID;
    }
    if (task.ID !== this.taskId) return;
    const rank = rankOf(task);
    if (rank >= ASSIGNED) this.sawAssigned = true;
    if (rank >= RUNNING) this.sawRunning = true;
  }
}
