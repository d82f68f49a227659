import { type Clock } from '@shoal/common';
import { type MemoryStore, StoreError, type StoreEvent } from '@shoal/store';
import {
  type BatchBounds,
  batches,
  MAX_BATCH_BYTES,
  MAX_BATCH_TASKS,
  pendingGroups,
} from './batch.planner';
import { type BatchOutcome, writeBatch } from './batch.writer';
import { NO_SCHEDULER_HOOKS, type SchedulerHooks } from './scheduler.hooks';
import { DEFAULT_FILTERS } from './pipeline/filter.pipeline';
import { type Filter } from './pipeline/filter.types';
import { ClusterState } from './state/cluster.state';
import { FailureTracker } from './state/failure.tracker';

/** What the scheduler needs of the store. */
export type SchedulerStore = Pick<MemoryStore, 'viewAndWatch' | 'update'>;

export interface SchedulerOptions {
  store: SchedulerStore;
  clock: Clock;
  /** Default: DEFAULT_FILTERS, in swarmkit's order. */
  filters?: readonly Filter[];
  /** Default: MAX_BATCH_TASKS and MAX_BATCH_BYTES. */
  batch?: Partial<BatchBounds>;
  /**
   * Errors other than a lost race (proposal failures, a lost watch): the work stays dirty and
   * is retried on the next commit. Default: ignored.
   */
  onError?: (error: unknown) => void;
  /** Default: none. */
  hooks?: SchedulerHooks;
}

/**
 * The leader-only scheduler (BRIEF decisions 4 and 5). It builds its ClusterState from a
 * consistent view and watches from exactly there; node, service and task events keep that
 * state current and mark work dirty when they may let a queued task be placed. On each
 * commit marker, if dirty, a pass takes the queue as groups (one service version each),
 * cuts them into bounded batches and writes each batch in ONE store.update, that is one Raft
 * proposal per batch. Writes carry the versions read, so a batch built on a stale view is
 * rejected; the pass then ends, the work stays dirty and is retried on the next commit. One
 * pass runs at a time; events during it make it run again.
 */
export class Scheduler {
  private readonly store: SchedulerStore;
  private readonly clock: Clock;
  private readonly filters: readonly Filter[];
  private readonly bounds: BatchBounds;
  private readonly onError: (error: unknown) => void;
  private readonly hooks: SchedulerHooks;
  private cancel: (() => void) | undefined;
  private state = new ClusterState();
  /** Kept across rebuilds of the state, for as long as this scheduler (a leadership term). */
  private readonly failures = new FailureTracker();
  private dirty = false;
  /** Index of the last commit marker seen, to tell whether a lost race is worth retrying. */
  private seenIndex = 0;
  private loop: Promise<void> | undefined;

  /** Proposals made (batches with writes), tasks assigned, lost races: for tests and metrics. */
  readonly stats = { proposals: 0, assigned: 0, conflicts: 0 };

  constructor(opts: SchedulerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.filters = opts.filters ?? DEFAULT_FILTERS;
    this.bounds = {
      maxTasks: Math.max(1, opts.batch?.maxTasks ?? MAX_BATCH_TASKS),
      maxBytes: Math.max(1, opts.batch?.maxBytes ?? MAX_BATCH_BYTES),
    };
    this.onError = opts.onError ?? (() => undefined);
    this.hooks = opts.hooks ?? NO_SCHEDULER_HOOKS;
  }

  get running(): boolean {
    return this.cancel !== undefined;
  }

  /** Subscribes (no gap between the view and the watch) and schedules what is queued. */
  start(): void {
    if (this.cancel) return;
    this.subscribe();
  }

  /**
   * Unsubscribes at once; no new batch starts. Resolves when one in flight has ended (its
   * proposal may still commit: the store's version checks keep that safe).
   */
  async stop(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    this.dirty = false;
    await this.loop;
  }

  /** Resolves when no pass is in flight (for tests and orderly shutdown). */
  async settled(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private subscribe(): void {
    const { value, cancel } = this.store.viewAndWatch(
      (tx) => ({ index: tx.lastIndex, state: ClusterState.fromView(tx, this.failures) }),
      (event) => this.onEvent(event),
      {
        kinds: ['node', 'service', 'task'],
        // Our listener missed an event: start over from a fresh view.
        onError: (error) => {
          this.onError(error);
          this.resubscribe();
        },
      },
    );
    this.cancel = cancel;
    this.state = value.state;
    this.seenIndex = Math.max(this.seenIndex, value.index);
    this.dirty = true;
    this.kick();
  }

  private resubscribe(): void {
    if (!this.cancel) return;
    this.cancel();
    this.cancel = undefined;
    this.subscribe();
  }

  private onEvent(event: StoreEvent): void {
    if (!this.cancel) return;
    switch (event.type) {
      case 'reset':
        // Everything was replaced from a snapshot: rebuild from a fresh view.
        this.seenIndex = event.index;
        this.resubscribe();
        return;
      case 'commit':
        this.seenIndex = event.index;
        this.kick();
        return;
      case 'change':
        if (this.state.apply(event)) this.dirty = true;
    }
  }

  /** Starts the loop unless it runs already (then it picks up `dirty` itself). */
  private kick(): void {
    if (!this.dirty || this.loop || !this.cancel) return;
    if (this.state.pending.size === 0) {
      this.dirty = false;
      return;
    }
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
        await this.pass();
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

  /** Every queued task, batch by batch; each batch sees the commits of those before it. */
  private async pass(): Promise<void> {
    const state = this.state;
    state.failures.prune(this.clock.now());
    let assigned = 0;
    let waiting = 0;
    for (const parts of batches(pendingGroups(state), this.bounds)) {
      // Stopped, or rebuilt from a new view: the next pass starts from that.
      if (!this.cancel || this.state !== state) return;
      let outcome: BatchOutcome = { assigned: 0, placed: [], waiting: 0, writes: 0 };
      const at = this.clock.now();
      await this.store.update((tx) => {
        outcome = writeBatch(tx, state, this.filters, parts, at);
      });
      for (const task of outcome.placed) this.hooks.taskAssigned(task, at);
      if (outcome.writes > 0) this.stats.proposals++;
      this.stats.assigned += outcome.assigned;
      assigned += outcome.assigned;
      waiting += outcome.waiting;
    }
    // A reason written early in the pass may be stale by its end (later batches took the
    // room it describes), and our own assignments mark nothing dirty: one more pass
    // brings the reasons up to date. It places nothing unless room was freed meanwhile,
    // so the passes stop.
    if (assigned > 0 && waiting > 0) this.dirty = true;
  }
}
