import type { Logger } from '@shoal/common';
import { type StoreChangeEvent, type StoreEvent, type WriteTx } from '@shoal/store';
import { type OrchestratorStore } from '../common/orchestrator.types';
import { type OrchestratedNode, type OrchestratedTask } from '../replicated/replicated.types';
import { noncompliantTasks } from './compliance.check';

export interface ConstraintEnforcerOptions {
  store: OrchestratorStore;
  logger?: Logger;
}

/**
 * The constraint enforcer (leader-only), after swarmkit's: when a node changes so that tasks
 * on it no longer satisfy their placement constraints or no longer fit in its resources, it
 * shuts those tasks down (DesiredState shutdown) and their orchestrator replaces them
 * elsewhere (see noncompliantTasks for which tasks). swarmkit marks such tasks rejected
 * instead; here only agents write a task's Status, and the replicated orchestrator replaces
 * at once a slot whose task a manager shut down.
 *
 * It checks every node when it starts, then each node whose Spec (labels, role,
 * availability), Description (resources, engine labels) or state changes, in the store
 * loop: events mark nodes dirty; each commit marker starts one store.update for all of them.
 * It does not look at task placements: a task placed on a node that stopped suiting it just
 * before is caught at that node's next change (as in swarmkit), and a scheduler that checks
 * less than this enforcer cannot make the two fight over every placement.
 */
export class ConstraintEnforcer {
  private readonly store: OrchestratorStore;
  private readonly log?: Logger;
  private cancelWatch?: () => void;
  private running = false;
  private readonly dirty = new Set<string>();
  private readonly retry = new Set<string>();
  private pass?: Promise<void>;
  /** Commit markers seen, to tell whether a failed write raced with one. */
  private commits = 0;
  /** Proposals made and tasks shut down, for tests and metrics. */
  readonly stats = { writes: 0, shutdown: 0 };

  constructor(opts: ConstraintEnforcerOptions) {
    this.store = opts.store;
    this.log = opts.logger;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { cancel } = this.store.viewAndWatch(
      (tx) => {
        for (const n of tx.list('node')) this.dirty.add(n.ID);
      },
      (event) => this.onEvent(event),
      { kinds: ['node'], onError: (error) => this.onWatchError(error) },
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
    this.retry.clear();
  }

  /** Resolves once no pass is running. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private onEvent(event: StoreEvent): void {
    if (!this.running) return;
    if (event.type === 'reset') {
      this.store.view((tx) => {
        for (const n of tx.list('node')) this.dirty.add(n.ID);
      });
      this.kick();
    } else if (event.type === 'commit') {
      this.commits++;
      for (const id of this.retry) this.dirty.add(id);
      this.retry.clear();
      this.kick();
    } else if (changedFit(event)) {
      this.dirty.add(event.object.ID);
    }
  }

  private onWatchError(error: unknown): void {
    this.log?.error('constraint enforcer lost its watch; re-reading', { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  private kick(): void {
    if (this.pass || !this.running || this.dirty.size === 0) return;
    // Deferred a turn, so a pass never starts inside a store delivery.
    this.pass = Promise.resolve()
      .then(() => this.runPasses())
      .finally(() => {
        this.pass = undefined;
        this.kick();
      });
  }

  private async runPasses(): Promise<void> {
    while (this.running && this.dirty.size > 0) {
      const nodeIds = [...this.dirty];
      this.dirty.clear();
      let stopped: Map<string, string[]> = new Map();
      const seen = this.commits;
      try {
        await this.store.update((tx) => {
          stopped = new Map();
          for (const id of nodeIds) {
            const ids = this.enforce(tx, id);
            if (ids.length > 0) stopped.set(id, ids);
          }
        });
      } catch (error) {
        if (!this.running) return;
        this.log?.warn('constraint enforcer: write failed; retrying', { error: `${error}` });
        // Most likely an agent's report raced with us. If it has committed, retry on it now;
        // otherwise at the next commit, so that a failing write never spins.
        if (this.commits !== seen) {
          for (const id of nodeIds) this.dirty.add(id);
          continue;
        }
        for (const id of nodeIds) this.retry.add(id);
        return;
      }
      if (stopped.size === 0) continue;
      this.stats.writes++;
      for (const [nodeId, tasks] of stopped) {
        this.stats.shutdown += tasks.length;
        this.log?.info('constraint enforcer: node no longer suits tasks; shut down', {
          nodeId,
          tasks,
        });
      }
    }
  }

  /** Shuts down, in `tx`, the tasks the node no longer suits; returns their IDs. */
  private enforce(tx: WriteTx, nodeId: string): string[] {
    const node = tx.get<OrchestratedNode>('node', nodeId);
    if (!node) return [];
    const tasks = tx.tasksByNode<OrchestratedTask>(nodeId);
    const doomed = new Set(noncompliantTasks(node, tasks));
    for (const t of tasks) {
      if (doomed.has(t.ID)) tx.update<OrchestratedTask>('task', { ...t, DesiredState: 'shutdown' });
    }
    return [...doomed];
  }
}

/** A node change that may make tasks on it unsuitable. */
function changedFit(e: StoreChangeEvent): boolean {
  if (e.kind !== 'node' || e.action !== 'update') return false;
  const now = e.object as OrchestratedNode;
  const before = e.previous as OrchestratedNode | undefined;
  return (
    !before ||
    before.Status?.State !== now.Status?.State ||
    JSON.stringify(before.Spec) !== JSON.stringify(now.Spec) ||
    JSON.stringify(before.Description) !== JSON.stringify(now.Description)
  );
}
