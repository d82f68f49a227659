import { type WriteTx } from '@shoal/store';
import {
  type BatchBounds,
  batches,
  MAX_BATCH_BYTES,
  MAX_BATCH_TASKS,
  pendingGroups,
} from '../batch.planner';
import { writeBatch } from '../batch.writer';
import { DEFAULT_FILTERS } from '../pipeline/filter.pipeline';
import { type Filter } from '../pipeline/filter.types';
import { type SchedulerTask } from '../scheduler.types';
import { type ClusterState } from '../state/cluster.state';

/**
 * The Scheduler's pass without a store: batches go through writeBatch against a map of
 * tasks, and each batch's writes come back to the state as events, as commits would.
 */
export class ClusterRunner {
  readonly tasks = new Map<string, SchedulerTask>();
  proposals = 0;
  /** Group slices decided (each runs the filters over every node once). */
  parts = 0;

  constructor(
    readonly state: ClusterState,
    tasks: Iterable<SchedulerTask>,
    private readonly bounds: BatchBounds = { maxTasks: MAX_BATCH_TASKS, maxBytes: MAX_BATCH_BYTES },
    private readonly filters: readonly Filter[] = DEFAULT_FILTERS,
  ) {
    for (const t of tasks) this.tasks.set(t.ID, t);
  }

  pass(now = 0): void {
    for (const parts of batches(pendingGroups(this.state), this.bounds)) {
      const writes: SchedulerTask[] = [];
      const tx = {
        get: (_kind: string, id: string) => this.tasks.get(id),
        update: (_kind: string, t: SchedulerTask) => (writes.push(t), t),
      } as unknown as WriteTx;
      writeBatch(tx, this.state, this.filters, parts, now);
      this.parts += parts.length;
      if (writes.length > 0) this.proposals++;
      for (const t of writes) this.put(t, now);
    }
  }

  /** A task written by someone (the scheduler, an agent's report, the orchestrator). */
  put(t: SchedulerTask, now = 0): void {
    const previous = this.tasks.get(t.ID);
    this.tasks.set(t.ID, t);
    this.state.apply({
      type: 'change',
      kind: 'task',
      action: previous ? 'update' : 'create',
      object: t,
      ...(previous ? { previous } : {}),
      index: 0,
      time: now,
    });
  }

  list(): SchedulerTask[] {
    return [...this.tasks.values()];
  }
}
