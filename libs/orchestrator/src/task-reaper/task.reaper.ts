import { type SwarmSpec } from '@shoal/api/swarm';
import type { Clock, Logger } from '@shoal/common';
import {
  type ReadTx,
  type StoreChangeEvent,
  type StoreEvent,
  type StoredObject,
  type WriteTx,
} from '@shoal/store';
import { type OrchestratorStore } from '../common/orchestrator.types';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { isTerminalState } from '../restart/slot.history';
import { retentionLimitOf, tasksToReap } from './reaper.plan';

/** Deletes per proposal: a few tens of kilobytes of Raft entry at most. */
export const DEFAULT_REAPER_BATCH = 500;

export interface TaskReaperOptions {
  store: OrchestratorStore;
  clock: Clock;
  /** Most task deletions in one proposal. Default DEFAULT_REAPER_BATCH. */
  maxDeletesPerWrite?: number;
  logger?: Logger;
}

type StoredCluster = StoredObject & { Spec?: SwarmSpec };

/**
 * The task reaper (leader-only): keeps each slot's history within the cluster's
 * TaskHistoryRetentionLimit and deletes the tasks of removed services once they are over
 * (see tasksToReap). It follows the store loop: a view and a watch with no gap; task,
 * service, node and cluster events mark services dirty; each commit marker starts a pass
 * that writes the deletions of the dirty services in ONE store.update, at most
 * maxDeletesPerWrite of them; what did not fit stays dirty for the next pass, which runs as
 * soon as that write is done. No timer: swarmkit batches on a 250 ms timer, whereas commit
 * markers already batch here. A failed write leaves its services dirty for the next commit.
 */
export class TaskReaper {
  private readonly store: OrchestratorStore;
  private readonly clock: Clock;
  private readonly batch: number;
  private readonly log?: Logger;

  private cancelWatch?: () => void;
  private running = false;
  private readonly dirty = new Set<string>();
  /** Removed nodes: their tasks are over, which may let their services' histories shrink. */
  private readonly dirtyNodes = new Set<string>();
  private readonly retry = new Set<string>();
  /** Re-examine every service: at start, after a reset, or when the limit changed. */
  private all = false;
  /** A write failed: nothing more until the next commit, so a failure never spins. */
  private waitForCommit = false;
  /** Commit markers seen, to tell whether a failed write raced with one. */
  private commits = 0;
  private pass?: Promise<void>;
  /** Proposals made and tasks deleted, for tests and metrics. */
  readonly stats = { writes: 0, deleted: 0 };

  constructor(opts: TaskReaperOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.batch = Math.max(1, Math.floor(opts.maxDeletesPerWrite ?? DEFAULT_REAPER_BATCH));
    this.log = opts.logger;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { cancel } = this.store.viewAndWatch(
      () => {
        this.all = true;
      },
      (event) => this.onEvent(event),
      {
        kinds: ['task', 'service', 'node', 'cluster'],
        onError: (error) => this.onWatchError(error),
      },
    );
    this.cancelWatch = cancel;
    this.kick();
  }

  /** Stops watching. A pass in flight finishes its write; see settled(). */
  stop(): void {
    this.running = false;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    this.dirty.clear();
    this.dirtyNodes.clear();
    this.retry.clear();
    this.all = false;
    this.waitForCommit = false;
  }

  /** Resolves once no pass is running. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private onEvent(event: StoreEvent): void {
    if (!this.running) return;
    if (event.type === 'reset') {
      this.all = true;
      this.kick();
    } else if (event.type === 'commit') {
      this.commits++;
      this.waitForCommit = false;
      for (const id of this.retry) this.dirty.add(id);
      this.retry.clear();
      this.kick();
    } else {
      this.onChange(event);
    }
  }

  private onChange(e: StoreChangeEvent): void {
    if (e.kind === 'task') {
      if (e.action === 'remove') return;
      const now = e.object as OrchestratedTask;
      const before = e.previous as OrchestratedTask | undefined;
      // A new task lengthens its slot's history; a task that is over may now go.
      const relevant =
        !before ||
        before.DesiredState !== now.DesiredState ||
        isTerminalState(before.Status?.State) !== isTerminalState(now.Status?.State);
      if (relevant && now.ServiceID) this.dirty.add(now.ServiceID);
    } else if (e.kind === 'service') {
      this.dirty.add(e.object.ID);
    } else if (e.kind === 'node') {
      if (e.action === 'remove') this.dirtyNodes.add(e.object.ID);
    } else if (e.kind === 'cluster') {
      const before = e.previous as StoredCluster | undefined;
      if (retentionLimitOf(before) !== retentionLimitOf(e.object as StoredCluster)) {
        this.all = true;
      }
    }
  }

  private onWatchError(error: unknown): void {
    this.log?.error('task reaper lost its watch; re-reading', { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  private kick(): void {
    if (this.pass || !this.running || this.waitForCommit) return;
    if (!this.all && this.dirty.size === 0 && this.dirtyNodes.size === 0) return;
    // Deferred a turn, so a pass never starts inside a store delivery.
    this.pass = Promise.resolve()
      .then(() => this.runPasses())
      .finally(() => {
        this.pass = undefined;
        this.kick();
      });
  }

  private async runPasses(): Promise<void> {
    while (this.running && (this.all || this.dirty.size > 0 || this.dirtyNodes.size > 0)) {
      const seen = this.commits;
      if (!(await this.runPass())) {
        // The write we lost to committed while ours was in flight: retry on what it wrote.
        if (this.commits !== seen && this.running) {
          for (const id of this.retry) this.dirty.add(id);
          this.retry.clear();
          continue;
        }
        this.waitForCommit = true;
        return;
      }
    }
  }

  /** One write. False if it failed, its services then waiting in `retry`. */
  private async runPass(): Promise<boolean> {
    let taken: string[] = [];
    let deleted = 0;
    try {
      await this.store.update((tx) => {
        taken = this.takeDirty(tx);
        const left = this.reap(tx, taken);
        deleted = left.deleted;
        // Whatever did not fit in this write is dirty again, for the next pass.
        for (const id of left.rest) this.dirty.add(id);
        const rest = new Set(left.rest);
        taken = taken.filter((id) => !rest.has(id));
      });
      if (deleted > 0) {
        this.stats.writes++;
        this.stats.deleted += deleted;
      }
      return true;
    } catch (error) {
      if (!this.running) return false;
      for (const id of taken) this.retry.add(id);
      this.log?.warn('task reaper: write failed; retrying', {
        error: `${error}`,
      });
      return false;
    }
  }

  private takeDirty(tx: ReadTx): string[] {
    if (this.all) {
      this.all = false;
      for (const s of tx.list('service')) this.dirty.add(s.ID);
      for (const t of tx.tasksByDesiredState<OrchestratedTask>('remove')) {
        if (t.ServiceID) this.dirty.add(t.ServiceID);
      }
    }
    for (const nodeId of this.dirtyNodes) {
      for (const t of tx.tasksByNode<OrchestratedTask>(nodeId)) {
        if (t.ServiceID) this.dirty.add(t.ServiceID);
      }
    }
    this.dirtyNodes.clear();
    const ids = [...this.dirty];
    this.dirty.clear();
    return ids;
  }

  /** Deletes within the batch; returns the services it did not finish. */
  private reap(tx: WriteTx, serviceIds: readonly string[]): { deleted: number; rest: string[] } {
    const retentionLimit = retentionLimitOf(tx.list<StoredCluster>('cluster')[0]);
    const nodeExists = (id: string) => tx.get<OrchestratedNode>('node', id) !== undefined;
    const now = this.clock.now();
    let deleted = 0;
    for (let i = 0; i < serviceIds.length; i++) {
      const id = serviceIds[i]!;
      const doomed = tasksToReap({
        service: tx.get<OrchestratedService>('service', id),
        tasks: tx.tasksByService<OrchestratedTask>(id),
        nodeExists,
        retentionLimit,
        now,
      });
      const room = this.batch - deleted;
      for (const taskId of doomed.slice(0, room)) tx.remove('task', taskId);
      deleted += Math.min(room, doomed.length);
      if (doomed.length > room) return { deleted, rest: serviceIds.slice(i) };
      if (deleted === this.batch) return { deleted, rest: serviceIds.slice(i + 1) };
    }
    return { deleted, rest: [] };
  }
}
