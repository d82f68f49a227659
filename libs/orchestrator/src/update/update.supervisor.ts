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
import { serviceModeKind } from '../common/service-mode.rules';
import { newServiceTask } from '../common/task.factory';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { parseRfc3339Ms } from '../replicated/task.time';
import {
  DEFAULT_MAX_TASK_WRITES,
  planUpdate,
  type SlotCreate,
  type UpdatePlan,
} from './update.plan';

/** What the updater needs of the store. */
export type UpdaterStore = Pick<MemoryStore, 'view' | 'update' | 'viewAndWatch'>;

export interface UpdateSupervisorOptions {
  store: UpdaterStore;
  clock: Clock;
  /** IDs of new tasks. Default: the store assigns them. */
  newId?: IdGenerator;
  /** Most task writes in one proposal (Raft's entries are at most 1 MiB). Default 500. */
  maxTaskWrites?: number;
  logger?: Logger;
}

/** The stored service with what the control layer keeps beside the spec. */
type UpdatedService = OrchestratedService & { PreviousRegistryAuth?: string };

/** How many "last seen running at" observations are kept (oldest dropped first). */
const RUNNING_SINCE_LIMIT = 10_000;

/** The message of a stop-first replacement released to the scheduler (swarmkit's text). */
const PENDING_MESSAGE = 'pending task scheduling';

/**
 * The rolling updater (leader-only; built on leadership, stopped on step-down). It follows
 * the store loop of the other orchestrators: a view and a watch with no gap, events mark
 * services dirty, each commit marker plans the dirty services (planUpdate) and writes each
 * plan in ONE store.update: status, rollback, shutdowns, creations and promotions together,
 * so a stop-first slot is never seen without its task desired running. Delays and monitor
 * windows are not timed here: the daemon calls tick(), and nextWakeAt() says when. A failed
 * write leaves its service dirty for the next commit or tick.
 *
 * Everything the plan depends on is in the store, so a new leader's updater carries on where
 * the last one stopped. The one thing held in memory, when a task that ended had started
 * running, only narrows which failures count (see UpdateInput.runningSince).
 */
export class UpdateSupervisor {
  private readonly store: UpdaterStore;
  private readonly clock: Clock;
  private readonly newId?: IdGenerator;
  private readonly maxTaskWrites: number;
  private readonly log?: Logger;

  private cancelWatch?: () => void;
  private running = false;
  private readonly dirty = new Set<string>();
  private readonly retry = new Set<string>();
  private allDirty = false;
  private readonly wakeAt = new Map<string, number>();
  private readonly runningSince = new Map<string, number>();
  /**
   * Services with no rollout under way and nothing to do at their last pass: their tasks'
   * state changes are not looked at (only a spec change, a new task or a node change can
   * give them work), which spares a plan per task report on large services.
   */
  private readonly quiet = new Set<string>();
  private pass?: Promise<void>;

  constructor(opts: UpdateSupervisorOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.newId = opts.newId;
    this.maxTaskWrites = opts.maxTaskWrites ?? DEFAULT_MAX_TASK_WRITES;
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

  /** Stops watching. A pass in flight finishes its writes; see settled(). */
  stop(): void {
    this.running = false;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    this.dirty.clear();
    this.retry.clear();
    this.wakeAt.clear();
    this.runningSince.clear();
    this.quiet.clear();
    this.allDirty = false;
  }

  /** Plans the services whose delay or monitor window ended by `now`, and retries. */
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

  async settled(): Promise<void> {
    while (this.pass) await this.pass;
  }

  private markAll(tx: ReadTx): void {
    for (const s of tx.list('service')) this.dirty.add(s.ID);
  }

  private onEvent(event: StoreEvent): void {
    if (!this.running) return;
    if (event.type === 'reset') {
      this.allDirty = true;
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
      this.quiet.delete(e.object.ID);
      if (e.action !== 'remove') this.dirty.add(e.object.ID);
      else this.wakeAt.delete(e.object.ID);
    } else if (e.kind === 'task') {
      const now = e.object as OrchestratedTask;
      const before = e.previous as OrchestratedTask | undefined;
      if (e.action === 'remove') {
        this.runningSince.delete(now.ID);
        return;
      }
      if (before?.Status?.State === 'running' && now.Status?.State !== 'running') {
        const since = parseRfc3339Ms(before.Status.Timestamp);
        if (since !== undefined) this.remember(now.ID, since);
      }
      const relevant =
        e.action !== 'update' ||
        !before ||
        (!this.quiet.has(now.ServiceID ?? '') &&
          (before.DesiredState !== now.DesiredState ||
            before.Status?.State !== now.Status?.State ||
            before.NodeID !== now.NodeID));
      if (relevant && now.ServiceID) this.dirty.add(now.ServiceID);
    } else if (e.kind === 'node') {
      const now = e.object as OrchestratedNode;
      const before = e.previous as OrchestratedNode | undefined;
      if (
        e.action !== 'update' ||
        before?.Status?.State !== now.Status?.State ||
        JSON.stringify(before?.Spec) !== JSON.stringify(now.Spec)
      ) {
        this.allDirty = true;
      }
    }
  }

  private remember(taskId: string, since: number): void {
    this.runningSince.delete(taskId);
    this.runningSince.set(taskId, since);
    if (this.runningSince.size > RUNNING_SINCE_LIMIT) {
      const oldest = this.runningSince.keys().next().value;
      if (oldest !== undefined) this.runningSince.delete(oldest);
    }
  }

  private onWatchError(error: unknown): void {
    this.log?.error('updater lost its watch; re-reading', { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  private takeRetries(): void {
    for (const id of this.retry) this.dirty.add(id);
    this.retry.clear();
  }

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
        this.store.view((tx) => this.markAll(tx));
      }
      const ids = [...this.dirty];
      this.dirty.clear();
      await Promise.all(ids.map((id) => this.updateService(id)));
    }
  }

  private async updateService(serviceId: string): Promise<void> {
    let plan: UpdatePlan | undefined;
    try {
      await this.store.update((tx) => {
        plan = this.write(tx, serviceId);
      });
    } catch (error) {
      if (!this.running) return;
      this.retry.add(serviceId);
      this.log?.warn('updater: write failed; retrying at the next commit', {
        serviceId,
        error: `${error}`,
      });
      return;
    }
    if (plan?.nextWakeAt === undefined) this.wakeAt.delete(serviceId);
    else this.wakeAt.set(serviceId, plan.nextWakeAt);
    // Jobs are never rolled, and a service with nothing to do stays so until it changes.
    const state = this.stateOf(serviceId);
    if (state.exists && (!plan || isQuiet(plan, state.status))) this.quiet.add(serviceId);
    else this.quiet.delete(serviceId);
    // The write budget cut the plan short: the rest goes in the next write.
    if (plan?.more && this.running) this.dirty.add(serviceId);
  }

  private stateOf(serviceId: string): { exists: boolean; status?: string } {
    return this.store.view((tx) => {
      const service = tx.get<OrchestratedService>('service', serviceId);
      return { exists: !!service, status: service?.UpdateStatus?.State };
    });
  }

  /** One service's plan, written into `tx`. */
  private write(tx: WriteTx, serviceId: string): UpdatePlan | undefined {
    const service = tx.get<UpdatedService>('service', serviceId);
    if (!service) return undefined;
    const mode = serviceModeKind(service);
    if (mode !== 'replicated' && mode !== 'global') return undefined;
    const now = this.clock.now();
    const tasks = tx.tasksByService<OrchestratedTask>(serviceId);
    const plan = planUpdate({
      service,
      tasks,
      nodes: tx.list<OrchestratedNode>('node'),
      now,
      maxTaskWrites: this.maxTaskWrites,
      runningSince: (id) => this.runningSince.get(id),
    });
    if (plan.status || plan.rollback) {
      tx.update<UpdatedService>('service', withPlan(service, plan));
    }
    const byId = new Map(tasks.map((t) => [t.ID, t]));
    for (const id of new Set(plan.shutdown)) {
      const t = byId.get(id)!;
      if (t.DesiredState === 'running') {
        tx.update<OrchestratedTask>('task', { ...t, DesiredState: 'shutdown' });
      }
    }
    for (const id of plan.promote) {
      const t = byId.get(id)!;
      tx.update<OrchestratedTask>('task', {
        ...t,
        Status: { State: 'pending', Timestamp: rfc3339Nano(now), Message: PENDING_MESSAGE },
      });
    }
    for (const c of plan.create) tx.create<OrchestratedTask>('task', this.newTask(service, c, now));
    return plan;
  }

  private newTask(
    service: OrchestratedService,
    c: SlotCreate,
    now: number,
  ): NewObject<OrchestratedTask> {
    const task = newServiceTask(service, { slot: c.slot, nodeId: c.nodeId }, now, this.newId?.());
    if (c.hold) task.Status = { ...task.Status, State: 'new' };
    return task;
  }
}

/** Nothing written, nothing due, and no rollout under way or paused. */
function isQuiet(plan: UpdatePlan, state: string | undefined): boolean {
  return (
    !plan.status &&
    !plan.rollback &&
    plan.shutdown.length === 0 &&
    plan.create.length === 0 &&
    plan.promote.length === 0 &&
    plan.inFlight === 0 &&
    plan.nextWakeAt === undefined &&
    !plan.more &&
    (state === undefined || state === 'completed' || state === 'rollback_completed')
  );
}

/**
 * The service with the plan's status, and for an automatic rollback its previous spec back
 * in place, as swarmkit's rollbackUpdate: PreviousSpec is then cleared, so a rollback is
 * never rolled back; the registry credentials and the endpoint follow the spec.
 */
function withPlan(service: UpdatedService, plan: UpdatePlan): UpdatedService {
  const next: UpdatedService = { ...service };
  if (plan.status) next.UpdateStatus = plan.status;
  if (plan.rollback && service.PreviousSpec) {
    next.Spec = structuredClone(service.PreviousSpec);
    delete next.PreviousSpec;
    if (service.PreviousRegistryAuth) next.RegistryAuth = service.PreviousRegistryAuth;
    else delete next.RegistryAuth;
    delete next.PreviousRegistryAuth;
    next.Endpoint = {
      ...structuredClone(service.Endpoint ?? {}),
      Spec: structuredClone(next.Spec.EndpointSpec ?? {}),
    };
  }
  return next;
}
