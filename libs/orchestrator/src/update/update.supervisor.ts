import {
  type NewObject,
  rfc3339Nano,
  type ReadTx,
  type StoreChangeEvent,
  type WriteTx,
} from '@shoal/store';
import { type OrchestratorStore } from '../common/orchestrator.types';
import { DirtyServiceLoop, type ServiceWrite, type StoreLoopOptions } from '../common/store.loop';
import { serviceModeKind } from '../common/service-mode.rules';
import { guardReplaced } from '../common/replaced.guard';
import { newServiceTask } from '../common/task.factory';
import { DEFAULT_WRITE_BUDGET, estimatedCreateBytes } from '../common/transaction.budget';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { parseRfc3339Ms } from '../replicated/task.time';
import { taskTemplateKey } from '../restart/task-template.key';
import { DRAINING_SINCE_LABEL } from './update.labels';
import {
  DEFAULT_MAX_TASK_WRITES,
  planUpdate,
  type SlotCreate,
  type UpdatePlan,
} from './update.plan';

/** What the updater needs of the store: what every leader loop needs. */
export type UpdaterStore = OrchestratorStore;

export interface UpdateSupervisorOptions extends StoreLoopOptions {
  /** Most task writes in one proposal (Raft's entries are at most 1 MiB). Default 500. */
  maxTaskWrites?: number;
}

/** The stored service with what the control layer keeps beside the spec. */
type UpdatedService = OrchestratedService & { PreviousRegistryAuth?: string };

/** One service's write: its plan, undefined when the service is gone or never rolled. */
interface PlanWrite extends ServiceWrite {
  plan?: UpdatePlan;
}

/** How many "last seen running at" observations are kept (oldest dropped first). */
const RUNNING_SINCE_LIMIT = 10_000;

/** The message of a stop-first replacement released to the scheduler (swarmkit's text). */
const PENDING_MESSAGE = 'pending task scheduling';

/**
 * The rolling updater (leader-only; built on leadership, stopped on step-down), on the store
 * loop of the orchestrators (DirtyServiceLoop): each pass plans the dirty services
 * (planUpdate) and writes each plan in ONE store.update: status, rollback, shutdowns,
 * creations and promotions together, so a stop-first slot is never seen without its task
 * desired running. Delays and monitor windows are the services' wake-ups; a plan cut short by
 * maxTaskWrites goes on in the next pass.
 *
 * Everything the plan depends on is in the store, so a new leader's updater carries on where
 * the last one stopped. The one thing held in memory, when a task that ended had started
 * running, only narrows which failures count (see UpdateInput.runningSince).
 */
export class UpdateSupervisor extends DirtyServiceLoop<PlanWrite> {
  private readonly maxTaskWrites: number;
  private readonly runningSince = new Map<string, number>();
  /** When this updater (this leadership) started; see UpdateInput.watchingSince. */
  private watchingSince?: number;
  /**
   * Services with no rollout under way and nothing to do at their last pass: their tasks'
   * state changes are not looked at (only a spec change, a new task or a node change can
   * give them work), which spares a plan per task report on large services.
   */
  private readonly quiet = new Set<string>();

  constructor(opts: UpdateSupervisorOptions) {
    super('updater', opts);
    this.maxTaskWrites = opts.maxTaskWrites ?? DEFAULT_MAX_TASK_WRITES;
  }

  override start(): void {
    this.watchingSince ??= this.clock.now();
    super.start();
  }

  override stop(): void {
    super.stop();
    this.watchingSince = undefined;
    this.runningSince.clear();
    this.quiet.clear();
  }

  protected markAll(tx: ReadTx): void {
    for (const s of tx.list('service')) this.markDirty(s.ID);
  }

  protected onServiceChange(e: StoreChangeEvent): void {
    this.quiet.delete(e.object.ID);
    if (e.action !== 'remove') this.markDirty(e.object.ID);
    else this.cancelWakeUp(e.object.ID);
  }

  protected onTaskChange(e: StoreChangeEvent): void {
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
      e.action === 'create' || !before
        ? !this.cleanCreateOfQuiet(now)
        : !this.quiet.has(now.ServiceID ?? '') &&
          (before.DesiredState !== now.DesiredState ||
            before.Status?.State !== now.Status?.State ||
            before.NodeID !== now.NodeID);
    if (relevant && now.ServiceID) this.markDirty(now.ServiceID);
  }

  /**
   * A task created from the current template in a service with no update under way (the
   * orchestrators creating or restarting replicas) cannot start one: planning the service
   * again for each of its thousand creates cost the leader more than anything else here.
   */
  private cleanCreateOfQuiet(task: OrchestratedTask): boolean {
    if (!task.ServiceID || !this.quiet.has(task.ServiceID)) return false;
    const service = this.store.view((tx) =>
      tx.get<OrchestratedService>('service', task.ServiceID!),
    );
    return taskTemplateKey(task.Spec) === taskTemplateKey(service?.Spec.TaskTemplate);
  }

  private remember(taskId: string, since: number): void {
    this.runningSince.delete(taskId);
    this.runningSince.set(taskId, since);
    if (this.runningSince.size > RUNNING_SINCE_LIMIT) {
      const oldest = this.runningSince.keys().next().value;
      if (oldest !== undefined) this.runningSince.delete(oldest);
    }
  }

  /** A node's state or spec can change where tasks may go, for every service. */
  protected nodeChangeMatters(
    before: OrchestratedNode | undefined,
    now: OrchestratedNode,
    action: StoreChangeEvent['action'],
  ): boolean {
    return (
      action !== 'update' ||
      before?.Status?.State !== now.Status?.State ||
      JSON.stringify(before?.Spec) !== JSON.stringify(now.Spec)
    );
  }

  protected override committed(serviceId: string, { plan }: PlanWrite): void {
    // Jobs are never rolled, and a service with nothing to do stays so until it changes.
    const state = this.stateOf(serviceId);
    if (state.exists && (!plan || isQuiet(plan, state.status))) this.quiet.add(serviceId);
    else this.quiet.delete(serviceId);
  }

  private stateOf(serviceId: string): { exists: boolean; status?: string } {
    return this.store.view((tx) => {
      const service = tx.get<OrchestratedService>('service', serviceId);
      return { exists: !!service, status: service?.UpdateStatus?.State };
    });
  }

  /** One service's plan, written into `tx`. */
  protected write(tx: WriteTx, serviceId: string): PlanWrite {
    const service = tx.get<UpdatedService>('service', serviceId);
    if (!service) return {};
    const mode = serviceModeKind(service);
    if (mode !== 'replicated' && mode !== 'global') return {};
    // The transaction's own time: the tasks it creates get it as CreatedAt, and "made by
    // this update" is CreatedAt >= UpdateStatus.StartedAt, so a second clock reading (a
    // millisecond later) would disown the update's first batch.
    const now = tx.time;
    const tasks = tx.tasksByService<OrchestratedTask>(serviceId);
    const plan = planUpdate({
      service,
      tasks,
      nodes: tx.list<OrchestratedNode>('node'),
      now,
      maxTaskWrites: this.taskWritesFitting(service, now),
      runningSince: (id) => this.runningSince.get(id),
      watchingSince: this.watchingSince,
    });
    if (plan.status || plan.rollback) {
      tx.update<UpdatedService>('service', withPlan(service, plan));
    }
    const byId = new Map(tasks.map((t) => [t.ID, t]));
    for (const id of new Set(plan.shutdown)) {
      const t = byId.get(id)!;
      if (t.DesiredState === 'running') {
        byId.set(id, tx.update<OrchestratedTask>('task', { ...t, DesiredState: 'shutdown' }));
      }
    }
    const at = rfc3339Nano(now);
    for (const id of new Set(plan.drain)) {
      const t = byId.get(id)!;
      // Out of load balancing from now; shut down by a later pass once the drain has passed.
      const labels = { ...(t.Labels ?? {}), [DRAINING_SINCE_LABEL]: at };
      byId.set(id, tx.update<OrchestratedTask>('task', { ...t, Labels: labels }));
    }
    for (const id of new Set(plan.undrain)) {
      const t = byId.get(id)!;
      const labels = { ...(t.Labels ?? {}) };
      delete labels[DRAINING_SINCE_LABEL];
      byId.set(id, tx.update<OrchestratedTask>('task', { ...t, Labels: labels }));
    }
    for (const id of plan.promote) {
      const t = byId.get(id)!;
      tx.update<OrchestratedTask>('task', {
        ...t,
        Status: { State: 'pending', Timestamp: rfc3339Nano(now), Message: PENDING_MESSAGE },
      });
    }
    for (const c of plan.create) {
      tx.create<OrchestratedTask>('task', this.newTask(service, c, now));
      // A start-first replacement leaves the task it replaces running; see guardReplaced.
      if (!c.hold && c.slot !== undefined) {
        for (const old of byId.values()) {
          if (old.Slot === c.slot && old.DesiredState === 'running') guardReplaced(tx, old.ID);
        }
      }
    }
    // The write budget cut the plan short: the rest goes in the next write.
    return { plan, wakeAt: plan.nextWakeAt, again: plan.more };
  }

  /**
   * How many task writes one transaction may hold: the configured count, fewer when the
   * service's tasks are large, so an entry stays within the byte budget the other
   * orchestrators keep (half of Raft's 1 MiB limit). The larger of the two templates counts:
   * a rollback creates tasks from the previous one.
   */
  private taskWritesFitting(service: UpdatedService, now: number): number {
    const sizeOf = (template: OrchestratedService['Spec']['TaskTemplate']) =>
      estimatedCreateBytes(
        newServiceTask(
          { ...service, Spec: { ...service.Spec, TaskTemplate: template } },
          { slot: 1 },
          now,
        ),
      );
    let perTask = sizeOf(service.Spec.TaskTemplate);
    if (service.PreviousSpec)
      perTask = Math.max(perTask, sizeOf(service.PreviousSpec.TaskTemplate));
    const fitting = Math.floor(DEFAULT_WRITE_BUDGET.maxBytes / perTask);
    return Math.max(1, Math.min(this.maxTaskWrites, fitting));
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
    plan.drain.length === 0 &&
    plan.undrain.length === 0 &&
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
