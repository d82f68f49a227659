import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm/task.types';
import { type Clock } from '@shoal/common';
import {
  type MemoryStore,
  type ReadTx,
  rfc3339Nano,
  StoreError,
  type StoreEvent,
  type WriteTx,
} from '@shoal/store';
import { DEFAULT_FILTERS, type Filter } from './pipeline/filters';
import { placeTasks } from './pipeline/place';
import { type PlacedTask, type SchedulerNode, type SchedulerTask } from './scheduler.types';

/** What the scheduler needs of the store. */
export type SchedulerStore = Pick<MemoryStore, 'viewAndWatch' | 'update'>;

export interface SchedulerOptions {
  store: SchedulerStore;
  clock: Clock;
  /** Default: DEFAULT_FILTERS (ready, then active). */
  filters?: readonly Filter[];
  /**
   * Errors other than a lost race (proposal failures, a lost watch): the work stays dirty and
   * is retried on the next commit. Default: ignored.
   */
  onError?: (error: unknown) => void;
}

export const ASSIGNED_MESSAGE = 'scheduler assigned task to node';

const RUNNING = TASK_STATE_ORDER.running;

function rank(state: TaskState | undefined): number {
  return state === undefined ? 0 : TASK_STATE_ORDER[state];
}

/** A task the scheduler must place: meant to run, pending, on no node yet. */
export function needsScheduling(task: SchedulerTask): boolean {
  return task.DesiredState === 'running' && task.Status?.State === 'pending' && !task.NodeID;
}

/** A task that occupies its node for ranking: it runs or will run there. */
function occupies(task: SchedulerTask): boolean {
  return rank(task.DesiredState) <= RUNNING && rank(task.Status?.State) <= RUNNING;
}

/** Deterministic order: by service, then slot, then ID. */
function byServiceSlotId(a: SchedulerTask, b: SchedulerTask): number {
  const sa = a.ServiceID ?? '';
  const sb = b.ServiceID ?? '';
  if (sa !== sb) return sa < sb ? -1 : 1;
  const slot = (a.Slot ?? 0) - (b.Slot ?? 0);
  if (slot !== 0) return slot;
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/**
 * The leader-only scheduler (BRIEF decisions 4 and 5): it reads a consistent view and watches
 * from exactly there, lets node and task events mark work dirty, and on each commit marker,
 * if dirty, reconciles: every pending task is placed (see placeTasks) and ALL the resulting
 * writes go out in ONE store.update, that is one Raft proposal per reconcile (simpler than
 * swarmkit's per-service batches, and never more proposals). Writes carry the versions read,
 * so a proposal built on a stale view is rejected; the work then stays dirty and is retried
 * on the next commit. One reconcile runs at a time; events during it make it run again.
 */
export class Scheduler {
  private readonly store: SchedulerStore;
  private readonly clock: Clock;
  private readonly filters: readonly Filter[];
  private readonly onError: (error: unknown) => void;
  private cancel: (() => void) | undefined;
  private dirty = false;
  /** Index of the last commit marker seen, to tell whether a lost race is worth retrying. */
  private seenIndex = 0;
  private loop: Promise<void> | undefined;

  /** Proposals made (reconciles with writes), tasks assigned, lost races: for tests and metrics. */
  readonly stats = { proposals: 0, assigned: 0, conflicts: 0 };

  constructor(opts: SchedulerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.filters = opts.filters ?? DEFAULT_FILTERS;
    this.onError = opts.onError ?? (() => undefined);
  }

  get running(): boolean {
    return this.cancel !== undefined;
  }

  /** Subscribes (no gap between the view and the watch) and schedules what is pending. */
  start(): void {
    if (this.cancel) return;
    this.subscribe();
  }

  /**
   * Unsubscribes at once; no new reconcile starts. Resolves when one in flight has ended
   * (its proposal may still commit: the store's version checks keep that safe).
   */
  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    this.dirty = false;
    await this.loop;
  }

  /** Resolves when no reconcile is in flight (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private subscribe(): void {
    const { value, cancel } = this.store.viewAndWatch(
      (tx) => ({ index: tx.lastIndex, pending: this.pendingTasks(tx).length > 0 }),
      (event) => this.onEvent(event),
      {
        kinds: ['node', 'task'],
        // Our listener missed an event: start over from a fresh view.
        onError: (error) => {
          this.onError(error);
          if (!this.cancel) return;
          this.cancel = undefined;
          this.subscribe();
        },
      },
    );
    this.cancel = cancel;
    this.seenIndex = Math.max(this.seenIndex, value.index);
    if (value.pending) {
      this.dirty = true;
      this.kick();
    }
  }

  private onEvent(event: StoreEvent): void {
    if (!this.cancel) return;
    switch (event.type) {
      case 'reset':
        this.dirty = true;
        this.seenIndex = event.index;
        this.kick();
        return;
      case 'commit':
        this.seenIndex = event.index;
        this.kick();
        return;
      case 'change':
        // Any node change may open or close a node; a task change matters if it is pending.
        if (event.kind === 'node' || needsScheduling(event.object as SchedulerTask))
          this.dirty = true;
    }
  }

  /** Starts the reconcile loop unless it runs already (then it picks up `dirty` itself). */
  private kick(): void {
    if (!this.dirty || this.loop || !this.cancel) return;
    // Run after the current apply has finished publishing, never inside it.
    this.loop = Promise.resolve()
      .then(() => this.run())
      .finally(() => (this.loop = undefined));
  }

  private async run(): Promise<void> {
    while (this.dirty && this.cancel) {
      this.dirty = false;
      const startedAt = this.seenIndex;
      try {
        let outcome = { assigned: 0, writes: 0 };
        await this.store.update((tx) => {
          outcome = this.reconcile(tx);
        });
        if (outcome.writes > 0) {
          this.stats.proposals++;
          this.stats.assigned += outcome.assigned;
        }
      } catch (error) {
        this.dirty = true;
        const lostRace =
          error instanceof StoreError &&
          (error.code === 'VersionConflict' || error.code === 'NotFound');
        if (lostRace) this.stats.conflicts++;
        else this.onError(error);
        // Retry on the next commit. If one arrived while we were in flight (the write we
        // raced with), that is now: the state has moved, so this is no spin.
        if (this.seenIndex === startedAt) return;
      }
    }
  }

  private pendingTasks(tx: ReadTx): SchedulerTask[] {
    return tx.tasksByDesiredState<SchedulerTask>('running').filter(needsScheduling);
  }

  /** Plans against the transaction's view and writes the outcome into it. */
  private reconcile(tx: WriteTx): { assigned: number; writes: number } {
    let writes = 0;
    const pending = this.pendingTasks(tx).sort(byServiceSlotId);
    if (pending.length === 0) return { assigned: 0, writes };
    const nodes = tx.list<SchedulerNode>('node');
    const tasksByNode = new Map<string, PlacedTask[]>();
    for (const node of nodes)
      tasksByNode.set(node.ID, tx.tasksByNode<SchedulerTask>(node.ID).filter(occupies));

    const { assignments, unschedulable } = placeTasks(pending, nodes, tasksByNode, this.filters);
    const now = rfc3339Nano(this.clock.now());
    for (const task of pending) {
      const nodeId = assignments.get(task.ID);
      const reason = unschedulable.get(task.ID);
      if (nodeId !== undefined) {
        const next = structuredClone(task) as SchedulerTask;
        next.NodeID = nodeId;
        next.Status = {
          ...next.Status,
          State: 'assigned',
          Message: ASSIGNED_MESSAGE,
          Timestamp: now,
        };
        delete next.Status.Err;
        tx.update('task', next);
        writes++;
      } else if (reason !== undefined && task.Status?.Message !== reason) {
        // Only when the reason changes: rewriting it on every commit would loop.
        const next = structuredClone(task) as SchedulerTask;
        next.Status = { ...next.Status, State: 'pending', Message: reason, Timestamp: now };
        tx.update('task', next);
        writes++;
      }
    }
    return { assigned: assignments.size, writes };
  }
}
