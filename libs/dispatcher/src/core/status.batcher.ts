import { utf8Length } from '@shoal/common';
import { TASK_STATE_ORDER, type TaskState, type TaskStatus } from '@shoal/api/swarm';

/**
 * Status reports waiting to be written, merged per task. Bounds (issue 5 asks to name them):
 * a batch is written once it holds `maxBatch` tasks (1,000) or `maxBytes` of reports
 * (512 KiB), or `maxDelayMs` (25 ms) after its first report, whichever comes first. A write
 * carries only each task's new Status (the store proposes changed fields), a few hundred
 * bytes, so 1,000 fit one Raft entry with room to spare, and the byte bound keeps reports
 * with long messages under 1 MiB too. The writes are serialized, so their size is the
 * dispatcher's throughput: at 200 tasks a write, status reports were what a 100,000-task
 * placement waited for last (issue 6's benchmark). 25 ms is short next to the 1 s heartbeat
 * and long enough to gather a node's burst of reports.
 */
export interface StatusBatchBounds {
  maxBatch: number;
  maxDelayMs: number;
  /** Estimated encoded bytes of one write's reports. Default 512 KiB. */
  maxBytes?: number;
}

export const DEFAULT_STATUS_BATCH_BOUNDS: StatusBatchBounds = {
  maxBatch: 1_000,
  maxDelayMs: 25,
  maxBytes: 512 * 1024,
};

/** A report's share of the write around its Status: op, kind, task ID, version, keys. */
const REPORT_OVERHEAD_BYTES = 96;

export interface PendingStatus {
  nodeId: string;
  status: TaskStatus;
}

function rank(state: TaskState | undefined): number {
  return state === undefined ? -1 : TASK_STATE_ORDER[state];
}

export class StatusBatcher {
  private pending = new Map<string, PendingStatus & { bytes: number }>();
  private firstAt: number | undefined;
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(readonly bounds: StatusBatchBounds = DEFAULT_STATUS_BATCH_BOUNDS) {
    this.maxBytes = bounds.maxBytes ?? (DEFAULT_STATUS_BATCH_BOUNDS.maxBytes as number);
  }

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
      const bytes = utf8Length(JSON.stringify(report.status)) + REPORT_OVERHEAD_BYTES;
      this.bytes += bytes - (prev?.bytes ?? 0);
      this.pending.set(taskId, { ...report, bytes });
    }
    this.firstAt ??= now;
  }

  /** When the current batch must be written (undefined when empty). */
  dueAt(): number | undefined {
    if (this.pending.size === 0) return undefined;
    if (this.pending.size >= this.bounds.maxBatch || this.bytes >= this.maxBytes) {
      return this.firstAt!;
    }
    return this.firstAt! + this.bounds.maxDelayMs;
  }

  /**
   * Takes up to maxBatch reports and maxBytes (the oldest first; at least one, however
   * large) for one write.
   */
  take(): Map<string, PendingStatus> {
    const out = new Map<string, PendingStatus>();
    let bytes = 0;
    for (const [id, s] of this.pending) {
      if (out.size >= this.bounds.maxBatch) break;
      if (out.size > 0 && bytes + s.bytes > this.maxBytes) break;
      bytes += s.bytes;
      out.set(id, { nodeId: s.nodeId, status: s.status });
    }
    for (const id of out.keys()) this.pending.delete(id);
    this.bytes -= bytes;
    this.firstAt = this.pending.size > 0 ? this.firstAt : undefined;
    return out;
  }
}
