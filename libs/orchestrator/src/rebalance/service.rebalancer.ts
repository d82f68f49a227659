import { TASK_STATE_ORDER } from '@shoal/api/swarm';
import type { Clock, IdGenerator, Logger } from '@shoal/common';
import { type ReadTx, type StoreChangeEvent, type StoreEvent, type WriteTx } from '@shoal/store';
import { newServiceTask } from '../common/task.factory';
import { type OrchestratorStore } from '../common/orchestrator.types';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { rebalanceSettings, REPLACES_LABEL } from './rebalance.labels';
import { planRebalance, type RebalanceStep } from './rebalance.plan';

export interface ServiceRebalancerOptions {
  store: OrchestratorStore;
  clock: Clock;
  /** IDs of new tasks. Default: the store assigns them. */
  newId?: IdGenerator;
  /** Default DEFAULT_MOVE_TIMEOUT_MS. */
  moveTimeoutMs?: number;
  logger?: Logger;
}

/** What the leader remembers of one service between decisions; see planRebalance. */
interface Memory {
  lastMoveAt?: number;
  heldKey?: string;
}

/**
 * The opt-in rebalancer (leader-only): moves replicas of services labelled
 * `shoal.rebalance=true` from the busiest eligible node to one with at least two fewer, one
 * move in flight per service, start-first, at most one move per `shoal.rebalance.delay`
 * (default 5 s). The decisions are planRebalance's; this class runs them on the store loop
 * like the orchestrators: a view and a watch with no gap, events mark services dirty, each
 * commit marker plans the dirty ones, each in ONE store.update that reads and writes the
 * same view. The rate limit is not timed here: the daemon calls tick().
 *
 * Memory (the last move's time, a given-up move's hold) is this leader's only: a new leader
 * may move one task sooner than the delay, or retry a move once. A move in flight lives in
 * the store (the new task's REPLACES_LABEL), so any leader finishes or cancels it.
 */
export class ServiceRebalancer {
  private readonly store: OrchestratorStore;
  private readonly clock: Clock;
  private readonly newId?: IdGenerator;
  private readonly moveTimeoutMs?: number;
  private readonly log?: Logger;

  private cancelWatch?: () => void;
  private running = false;
  /** Services with the opt-in label. */
  private readonly optedIn = new Set<string>();
  /** Services with a move in flight, labelled or not: theirs must be finished either way. */
  private readonly moving = new Set<string>();
  private readonly dirty = new Set<string>();
  /** A node changed: every service of ours may gain or lose a target. */
  private allDirty = false;
  private readonly retry = new Set<string>();
  private readonly wakeAt = new Map<string, number>();
  private readonly memory = new Map<string, Memory>();
  /** Per service, the unparsable delay label value already logged. */
  private readonly warnedDelay = new Map<string, string>();
  private pass?: Promise<void>;

  /** Moves started, finished and cancelled: for tests and metrics. */
  readonly stats = { started: 0, finished: 0, cancelled: 0 };

  constructor(opts: ServiceRebalancerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.newId = opts.newId;
    this.moveTimeoutMs = opts.moveTimeoutMs;
    this.log = opts.logger;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { cancel } = this.store.viewAndWatch(
      (tx) => this.markAll(tx),
      (event) => this.onEvent(event),
      { kinds: ['service', 'task', 'node'], onError: (error) => this.onWatchError(error) },
    );
    this.cancelWatch = cancel;
    this.kick();
  }

  /** Stops watching. A pass in flight finishes its write; see settled(). */
  stop(): void {
    this.running = false;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    this.optedIn.clear();
    this.moving.clear();
    this.dirty.clear();
    this.allDirty = false;
    this.retry.clear();
    this.wakeAt.clear();
    this.memory.clear();
  }

  /** Looks again at the services whose delay or move timeout is over, and retries writes. */
  tick(now: number = this.clock.now()): Promise<void> {
    if (!this.running) return Promise.resolve();
    for (const [id, at] of this.wakeAt) {
      if (at <= now) {
        this.wakeAt.delete(id);
        this.dirty.add(id);
      }
    }
    for (const id of this.retry) this.dirty.add(id);
    this.retry.clear();
    this.kick();
    return this.settled();
  }

  /** The earliest pending wake-up, so the daemon can time its next tick. */
  nextWakeAt(): number | undefined {
    let min: number | undefined;
    for (const at of this.wakeAt.values()) min = min === undefined ? at : Math.min(min, at);
    return min;
  }

  /** Resolves once no pass is running. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private markAll(tx: ReadTx): void {
    this.optedIn.clear();
    for (const s of tx.list<OrchestratedService>('service')) {
      if (rebalanceSettings(s.Spec.Labels).enabled) {
        this.optedIn.add(s.ID);
        this.dirty.add(s.ID);
      }
    }
    for (const t of tx.tasksByDesiredState<OrchestratedTask>('running')) {
      if (t.ServiceID && t.Labels?.[REPLACES_LABEL]) {
        this.moving.add(t.ServiceID);
        this.dirty.add(t.ServiceID);
      }
    }
  }

  private onEvent(event: StoreEvent): void {
    if (!this.running) return;
    if (event.type === 'reset') {
      this.store.view((tx) => this.markAll(tx));
      this.kick();
    } else if (event.type === 'commit') {
      for (const id of this.retry) this.dirty.add(id);
      this.retry.clear();
      this.kick();
    } else {
      this.onChange(event);
    }
  }

  private onChange(e: StoreChangeEvent): void {
    if (e.kind === 'service') {
      const service = e.object as OrchestratedService;
      if (e.action !== 'remove' && rebalanceSettings(service.Spec.Labels).enabled) {
        this.optedIn.add(service.ID);
        this.dirty.add(service.ID);
      } else {
        this.optedIn.delete(service.ID);
        this.memory.delete(service.ID);
        this.wakeAt.delete(service.ID);
        if (this.moving.has(service.ID)) this.dirty.add(service.ID);
      }
    } else if (e.kind === 'task') {
      const now = e.object as OrchestratedTask;
      const id = now.ServiceID;
      if (!id) return;
      if (now.Labels?.[REPLACES_LABEL] && now.DesiredState === 'running') this.moving.add(id);
      if (!this.optedIn.has(id) && !this.moving.has(id)) return;
      if (taskChangeMatters(e.previous as OrchestratedTask | undefined, now, e.action)) {
        this.dirty.add(id);
      }
    } else if (e.kind === 'node') {
      if (nodeChangeMatters(e.previous as OrchestratedNode | undefined, e.object, e.action)) {
        this.allDirty = true;
      }
    }
  }

  private onWatchError(error: unknown): void {
    // The listener threw, so the store unsubscribed it and an event may be lost: re-read.
    this.log?.error('rebalancer lost its watch; re-reading', { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  /** Starts a pass unless one runs; a running pass picks up whatever is dirty when it loops. */
  private kick(): void {
    if (this.pass || !this.running) return;
    if (this.dirty.size === 0 && !this.allDirty) return;
    // Deferred a turn, so a pass never starts inside a store delivery.
    this.pass = Promise.resolve()
      .then(() => this.runPasses())
      .finally(() => {
        this.pass = undefined;
        this.kick();
      });
  }

  private async runPasses(): Promise<void> {
    while (this.running && (this.dirty.size > 0 || this.allDirty)) {
      if (this.allDirty) {
        this.allDirty = false;
        for (const id of this.optedIn) this.dirty.add(id);
        for (const id of this.moving) this.dirty.add(id);
      }
      const ids = [...this.dirty];
      this.dirty.clear();
      // Services in parallel: each writes only its own tasks.
      await Promise.all(ids.map((id) => this.rebalance(id)));
    }
  }

  private async rebalance(serviceId: string): Promise<void> {
    let step: RebalanceStep | undefined;
    let at = 0;
    try {
      await this.store.update((tx) => {
        at = this.clock.now();
        step = this.write(tx, serviceId, at);
      });
    } catch (error) {
      if (!this.running) return;
      this.retry.add(serviceId);
      this.log?.warn('rebalancer: write failed; retrying at the next commit', {
        serviceId,
        error: `${error}`,
      });
      return;
    }
    if (this.running) this.remember(serviceId, step, at);
  }

  /** One decision for one service, written into `tx`; undefined if the service is gone. */
  private write(tx: WriteTx, serviceId: string, now: number): RebalanceStep | undefined {
    const service = tx.get<OrchestratedService>('service', serviceId);
    if (!service) return undefined;
    const tasks = tx.tasksByService<OrchestratedTask>(serviceId);
    const memory = this.memory.get(serviceId);
    const step = planRebalance({
      service,
      tasks,
      nodes: tx.list<OrchestratedNode>('node'),
      now,
      lastMoveAt: memory?.lastMoveAt,
      heldKey: memory?.heldKey,
      moveTimeoutMs: this.moveTimeoutMs,
    });
    this.warnBadDelay(service);
    if (step.action === 'start') {
      const task = newServiceTask(service, { slot: step.slot }, now, this.newId?.());
      task.Labels = { [REPLACES_LABEL]: step.replaces };
      tx.create<OrchestratedTask>('task', task);
    } else if (step.action === 'finish' || step.action === 'cancel') {
      const byId = new Map(tasks.map((t) => [t.ID, t]));
      for (const id of step.shutdown) {
        const t = byId.get(id)!;
        if (TASK_STATE_ORDER[t.DesiredState ?? 'running'] < TASK_STATE_ORDER.shutdown) {
          tx.update<OrchestratedTask>('task', { ...t, DesiredState: 'shutdown' });
        }
      }
    }
    return step;
  }

  /** Takes in a decision once its write has committed. */
  private remember(serviceId: string, step: RebalanceStep | undefined, now: number): void {
    if (!step) {
      this.optedIn.delete(serviceId);
      this.moving.delete(serviceId);
      this.memory.delete(serviceId);
      this.wakeAt.delete(serviceId);
      return;
    }
    if (step.action === 'none') {
      if (step.nextLookAt === undefined) this.wakeAt.delete(serviceId);
      else this.wakeAt.set(serviceId, step.nextLookAt);
      if (step.reason !== 'moving') this.moving.delete(serviceId);
      return;
    }
    this.wakeAt.delete(serviceId);
    const memory = this.memory.get(serviceId) ?? {};
    memory.lastMoveAt = now;
    if (step.action === 'start') {
      this.moving.add(serviceId);
      this.stats.started++;
      this.log?.info('rebalancer: moving a task', {
        serviceId,
        slot: step.slot,
        replaces: step.replaces,
        from: step.from,
        toward: step.to,
      });
    } else if (step.action === 'finish') {
      memory.heldKey = undefined;
      this.stats.finished++;
      this.log?.info('rebalancer: task moved', {
        serviceId,
        slot: step.slot,
        task: step.task,
        to: step.to,
      });
    } else {
      memory.heldKey = step.holdKey;
      this.stats.cancelled++;
      this.log?.info('rebalancer: move given up; holding until a node or the service changes', {
        serviceId,
        slot: step.slot,
        task: step.task,
        why: step.why,
      });
    }
    this.memory.set(serviceId, memory);
  }

  private warnBadDelay(service: OrchestratedService): void {
    const { invalidDelay } = rebalanceSettings(service.Spec.Labels);
    if (invalidDelay === undefined || this.warnedDelay.get(service.ID) === invalidDelay) return;
    this.warnedDelay.set(service.ID, invalidDelay);
    this.log?.warn('rebalancer: shoal.rebalance.delay is not a duration; using the default', {
      serviceId: service.ID,
      value: invalidDelay,
    });
  }
}

/** What a decision reads of a task: where it is, what it is told, whether it runs or failed. */
function taskChangeMatters(
  before: OrchestratedTask | undefined,
  now: OrchestratedTask,
  action: StoreChangeEvent['action'],
): boolean {
  return (
    action !== 'update' ||
    !before ||
    before.DesiredState !== now.DesiredState ||
    before.NodeID !== now.NodeID ||
    before.Slot !== now.Slot ||
    before.Status?.State !== now.Status?.State ||
    before.Status?.Err !== now.Status?.Err
  );
}

/** Eligibility depends on state, availability, labels, role, platform and hostname. */
function nodeChangeMatters(
  before: OrchestratedNode | undefined,
  now: { ID: string },
  action: StoreChangeEvent['action'],
): boolean {
  if (action !== 'update' || !before) return true;
  const node = now as OrchestratedNode;
  return (
    before.Status?.State !== node.Status?.State ||
    JSON.stringify(before.Spec) !== JSON.stringify(node.Spec) ||
    JSON.stringify(before.Description) !== JSON.stringify(node.Description)
  );
}
