import { type ContainerSpec, TASK_STATE_ORDER } from '@shoal/api/swarm';
import type { Clock, IdGenerator, Logger } from '@shoal/common';
import {
  type MemoryStore,
  type NewObject,
  rfc3339Nano,
  type ReadTx,
  type StoreChangeEvent,
  type StoreEvent,
  type WriteTx,
} from '@shoal/store';
import {
  DEFAULT_RESTART_DELAY_MS,
  isTerminalState,
  reconcileReplicated,
} from './replicated.reconcile';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from './replicated.types';

/** swarmkit's ContainerSpec.PullOptions: on tasks only, never in the Docker API's shapes. */
interface PullOptions {
  RegistryAuth: string;
}

/** What the orchestrator needs of the store. */
export type OrchestratorStore = Pick<MemoryStore, 'view' | 'update' | 'viewAndWatch'>;

export interface ReplicatedOrchestratorOptions {
  store: OrchestratorStore;
  clock: Clock;
  /** IDs of new tasks. Default: the store assigns them. */
  newId?: IdGenerator;
  /** Restart delay when a service's RestartPolicy.Delay is unset. Default 5 s, as Swarm. */
  restartDelayMs?: number;
  logger?: Logger;
}

/**
 * The replicated orchestrator (leader-only; built on leadership, stopped on step-down). It
 * follows the store loop: a view and a watch with no gap, events mark services dirty, and
 * each commit marker reconciles the dirty services, each in ONE store.update (services in
 * parallel, since their writes do not overlap). Delayed restarts are not timed here: the
 * daemon calls tick() from its timer, and each service's next wake-up is kept until then.
 * A write that fails (a version conflict with a concurrent writer, a lost leadership...)
 * leaves its service dirty for the next commit or tick.
 */
export class ReplicatedOrchestrator {
  private readonly store: OrchestratorStore;
  private readonly clock: Clock;
  private readonly newId?: IdGenerator;
  private readonly restartDelayMs: number;
  private readonly log?: Logger;

  private cancelWatch?: () => void;
  private running = false;
  /** Services to reconcile at the next pass. */
  private readonly dirty = new Set<string>();
  /** Nodes whose state changed; resolved to their tasks' services at the next pass. */
  private readonly dirtyNodes = new Set<string>();
  /** Services whose last write failed: dirty again at the next commit or tick. */
  private readonly retry = new Set<string>();
  /** Per service, when a delayed restart becomes due. */
  private readonly wakeAt = new Map<string, number>();
  private pass?: Promise<void>;

  constructor(opts: ReplicatedOrchestratorOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.newId = opts.newId;
    this.restartDelayMs = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.log = opts.logger;
  }

  /** Reads every service, starts watching from exactly that view and reconciles them all. */
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

  /** Stops watching. A pass in flight finishes its writes; see settled(). */
  stop(): void {
    this.running = false;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    this.dirty.clear();
    this.dirtyNodes.clear();
    this.retry.clear();
    this.wakeAt.clear();
  }

  /**
   * Reconciles the services whose delayed restart is due at `now` (and retries failed
   * writes). The reconciliation itself reads the injected clock.
   */
  tick(now: number = this.clock.now()): Promise<void> {
    if (!this.running) return Promise.resolve();
    for (const [id, at] of this.wakeAt) {
      if (at <= now) {
        this.wakeAt.delete(id);
        this.dirty.add(id);
      }
    }
    this.takeRetries();
    this.kick();
    return this.settled();
  }

  /** The earliest pending wake-up, so the daemon can time its next tick. */
  nextWakeAt(): number | undefined {
    let min: number | undefined;
    for (const at of this.wakeAt.values()) min = min === undefined ? at : Math.min(min, at);
    return min;
  }

  /** Resolves once no reconciliation pass is running. */
  async settled(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private markAll(tx: ReadTx): void {
    for (const s of tx.list('service')) this.dirty.add(s.ID);
    // Tasks left behind by a service removed while no orchestrator ran.
    for (const t of tx.tasksByDesiredState<OrchestratedTask>('running')) {
      if (t.ServiceID) this.dirty.add(t.ServiceID);
    }
    // Job tasks are desired `complete`; stopped ones `shutdown`.
    for (const desired of ['complete', 'shutdown']) {
      for (const t of tx.tasksByDesiredState<OrchestratedTask>(desired)) {
        if (t.ServiceID && !tx.get('service', t.ServiceID)) this.dirty.add(t.ServiceID);
      }
    }
  }

  private onEvent(event: StoreEvent): void {
    if (!this.running) return;
    if (event.type === 'reset') {
      this.store.view((tx) => this.markAll(tx));
      this.kick();
    } else if (event.type === 'commit') {
      this.takeRetries();
      this.kick();
    } else {
      this.onChange(event);
    }
  }

  private onChange(e: StoreChangeEvent): void {
    if (e.kind === 'service') {
      this.dirty.add(e.object.ID);
    } else if (e.kind === 'task') {
      const now = e.object as OrchestratedTask;
      const before = e.previous as OrchestratedTask | undefined;
      if (!now.ServiceID) return;
      const relevant =
        e.action !== 'update' ||
        !before ||
        before.DesiredState !== now.DesiredState ||
        before.NodeID !== now.NodeID ||
        before.Slot !== now.Slot ||
        isTerminalState(before.Status?.State) !== isTerminalState(now.Status?.State);
      if (relevant) this.dirty.add(now.ServiceID);
    } else if (e.kind === 'node') {
      const now = e.object as OrchestratedNode;
      const before = e.previous as OrchestratedNode | undefined;
      // Down and drained nodes lose their tasks; a paused one keeps them.
      if (
        e.action !== 'update' ||
        before?.Status?.State !== now.Status?.State ||
        before?.Spec?.Availability !== now.Spec?.Availability
      ) {
        this.dirtyNodes.add(now.ID);
      }
    }
  }

  private onWatchError(error: unknown): void {
    // The listener threw, so the store unsubscribed it and an event may be lost: re-read.
    this.log?.error('replicated orchestrator lost its watch; re-reading', { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  private takeRetries(): void {
    for (const id of this.retry) this.dirty.add(id);
    this.retry.clear();
  }

  /** Starts a pass unless one runs; a running pass picks up whatever is dirty when it loops. */
  private kick(): void {
    if (this.pass || !this.running) return;
    if (this.dirty.size === 0 && this.dirtyNodes.size === 0) return;
    // Deferred a turn, so a pass never starts inside a store delivery.
    this.pass = Promise.resolve()
      .then(() => this.runPasses())
      .finally(() => {
        this.pass = undefined;
        this.kick();
      });
  }

  private async runPasses(): Promise<void> {
    while (this.running && (this.dirty.size > 0 || this.dirtyNodes.size > 0)) {
      const ids = this.takeDirty();
      await Promise.all(ids.map((id) => this.reconcileService(id)));
    }
  }

  private takeDirty(): string[] {
    if (this.dirtyNodes.size > 0) {
      this.store.view((tx) => {
        for (const nodeId of this.dirtyNodes) {
          for (const t of tx.tasksByNode<OrchestratedTask>(nodeId)) {
            if (t.ServiceID && t.DesiredState === 'running') this.dirty.add(t.ServiceID);
          }
        }
      });
      this.dirtyNodes.clear();
    }
    const ids = [...this.dirty];
    this.dirty.clear();
    return ids;
  }

  private async reconcileService(serviceId: string): Promise<void> {
    let wake: number | undefined;
    try {
      await this.store.update((tx) => {
        wake = this.write(tx, serviceId);
      });
      if (wake === undefined) this.wakeAt.delete(serviceId);
      else this.wakeAt.set(serviceId, wake);
    } catch (error) {
      if (!this.running) return;
      this.retry.add(serviceId);
      this.log?.warn('replicated orchestrator: write failed; retrying at the next commit', {
        serviceId,
        error: `${error}`,
      });
    }
  }

  /** One service's actions, written into `tx`. Returns its next wake-up. */
  private write(tx: WriteTx, serviceId: string): number | undefined {
    const now = this.clock.now();
    const service = tx.get<OrchestratedService>('service', serviceId);
    const tasks = tx.tasksByService<OrchestratedTask>(serviceId);
    if (!service) {
      // A removed service: every task of it, history included, goes to `remove`, so agents
      // stop them and delete their containers too (swarmkit's SetServiceTasksRemove).
      for (const t of tasks) {
        const desired = TASK_STATE_ORDER[t.DesiredState ?? 'running'];
        if (desired < TASK_STATE_ORDER.remove) {
          tx.update<OrchestratedTask>('task', { ...t, DesiredState: 'remove' });
        }
      }
      return undefined;
    }
    const actions = reconcileReplicated(
      service,
      tasks,
      tx.list<OrchestratedNode>('node'),
      now,
      this.restartDelayMs,
    );
    const byId = new Map(tasks.map((t) => [t.ID, t]));
    for (const id of actions.shutdown) shutdownTask(tx, byId.get(id)!);
    for (const slot of actions.create) {
      tx.create<OrchestratedTask>('task', this.newTask(service, slot, now));
    }
    return actions.nextWakeAt;
  }

  private newTask(
    service: OrchestratedService,
    slot: number,
    now: number,
  ): NewObject<OrchestratedTask> {
    const task: NewObject<OrchestratedTask> = {
      ServiceID: service.ID,
      Slot: slot,
      Spec: taskSpec(service),
      ServiceAnnotations: {
        Name: service.Spec.Name,
        Labels: { ...(service.Spec.Labels ?? {}) },
      },
      Labels: {},
      DesiredState: 'running',
      Status: { State: 'pending', Timestamp: rfc3339Nano(now), Message: 'created' },
    };
    if (this.newId) task.ID = this.newId();
    return task;
  }
}

/**
 * The service's task template, plus its registry credentials where swarmkit carries them
 * (ContainerSpec.PullOptions.RegistryAuth), which is where the docker executor reads them.
 * The API never shows them: toApiTask strips PullOptions.
 */
function taskSpec(service: OrchestratedService): OrchestratedTask['Spec'] {
  const spec = structuredClone(service.Spec.TaskTemplate ?? {});
  if (service.RegistryAuth) {
    const pull: PullOptions = { RegistryAuth: service.RegistryAuth };
    spec.ContainerSpec = { ...spec.ContainerSpec, PullOptions: pull } as ContainerSpec;
  }
  return spec;
}

function shutdownTask(tx: WriteTx, task: OrchestratedTask): void {
  tx.update<OrchestratedTask>('task', { ...task, DesiredState: 'shutdown' });
}
