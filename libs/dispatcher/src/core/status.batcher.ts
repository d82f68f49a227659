import { TASK_STATE_ORDER, type TaskState, type TaskStatus } from '@shoal/api/swarm';

/**
 * Status reports waiting to be written, merged per task. Bounds (issue 5 asks to name them):
 * a batch is written once it holds `maxBatch` tasks (200) or `maxDelayMs` (25 ms) after its
 * first report, whichever comes first. 200 tasks keep one Raft entry well under 1 MiB; 25 ms
 * is short next to the 1 s heartbeat and long enough to gather a node's burst of reports.
 */
export interface StatusBatchBounds {
  maxBatch: number;
  maxDelayMs: number;
}

export const DEFAULT_STATUS_BATCH_BOUNDS: StatusBatchBounds = { maxBatch: 200, maxDelayMs: 25 };

export interface PendingStatus {
  nodeId: string;
  status: TaskStatus;
}

function rank(state: TaskState | undefined): number {
  return state === undefined ? -1 : TASK_STATE_ORDER[state];
}

export class StatusBatcher {
  private pending = new Map<string, PendingStatus>();
  private firstAt: number | undefined;

  constructor(readonly bounds: StatusBatchBounds = DEFAULT_STATUS_BATCH_BOUNDS) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Adds a report. Of two for one task the later state wins (the higher one; on a tie, the
   * newer report), as states only move forward.
   */
  add(taskId: string, report: PendingStatus, now: number): void {
    const prev = this.pending.get(taskId);
    if (!prev || rank(report.status.State) >= rank(prev.status.State)) {
      this.pending.set(taskId, report);
    }
    this.firstAt ??= now;
  }

  /** When the current batch must be written (undefined when empty). */
  dueAt(): number | undefined {
    if (this.pending.size === 0) return undefined;
    if (this.pending.size >= this.bounds.maxBatch) return this.firstAt!;
    return this.firstAt! + this.bounds.maxDelayMs;
  }

  /** Takes up to maxBatch reports (the oldest first) for one write. */
  take(): Map<string, PendingStatus> {
    const out = new Map<string, PendingStatus>();
    for (const [id, s] of this.pending) {
      if (out.size >= this.bounds.maxBatch) break;
      out.set(id, s);
    }
    for (const id of out.keys()) this.pending.delete(id);
    this.firstAt = this.pending.size > 0 ? this.firstAt : undefined;
    return out;
  }
}
