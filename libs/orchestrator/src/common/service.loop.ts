import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm';
import { type ReadTx, type StoreChangeEvent, type WriteTx } from '@shoal/store';
import { NO_RESTART_HOOKS, type RestartHooks } from '../restart/restart.hooks';
import { DEFAULT_RESTART_DELAY_MS } from '../restart/restart.policy';
import { isTerminalState } from '../restart/slot.history';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { taskMoved } from './task.selection';
import { type ServiceActions } from './orchestrator.types';
import { DirtyServiceLoop, type ServiceWrite, type StoreLoopOptions } from './store.loop';
import { newServiceTask } from './task.factory';
import {
  DEFAULT_WRITE_BUDGET,
  type Decision,
  decisionsOf,
  estimatedCreateBytes,
  estimatedUpdateBytes,
  TransactionBudget,
  type WriteBudget,
} from './transaction.budget';

export { DEFAULT_MAX_IN_FLIGHT } from './store.loop';

export interface ServiceLoopOptions extends StoreLoopOptions {
  /** Restart delay when a service's RestartPolicy.Delay is unset. Default 5 s, as Swarm. */
  restartDelayMs?: number;
  /** Bounds of one service's transaction. Default DEFAULT_WRITE_BUDGET. */
  writeBudget?: Partial<WriteBudget>;
  /** Told of each restart once written. Default: none. */
  hooks?: RestartHooks;
}

/** A service's write, with the restarts it made (counted only once it has committed). */
interface RestartingWrite extends ServiceWrite {
  restarted?: { serviceName: string; count: number };
}

/** What only some loops do; see the constructor. */
export interface ServiceLoopTraits {
  /**
   * Tasks of removed services, whatever their mode, go to DesiredState `remove`. One loop
   * only (the replicated orchestrator's): two writing the same tasks would only race.
   */
  removesTasksOfRemovedServices?: boolean;
}

/**
 * The store loop (DirtyServiceLoop) of every orchestrator of services and jobs, writing what
 * a reconciliation decides. Delayed restarts are the services' wake-ups.
 *
 * A transaction holds at most a WriteBudget of whole decisions (see Decision), so a large
 * service cannot make one Raft entry too big. A service with more to write is marked dirty
 * again (`again`) and its next pass, which reads the store after this one's commits, decides
 * the rest afresh: nothing is carried between passes, so a slot is never written twice.
 *
 * A subclass says which services are its own, what to do with one and, if not every service,
 * which ones a node's change concerns.
 */
export abstract class ServiceLoop extends DirtyServiceLoop<RestartingWrite> {
  protected readonly restartDelayMs: number;
  private readonly hooks: RestartHooks;
  private readonly budget: Readonly<WriteBudget>;
  private readonly removesTasksOfRemovedServices: boolean;

  constructor(name: string, opts: ServiceLoopOptions, traits: ServiceLoopTraits = {}) {
    super(name, opts);
    this.restartDelayMs = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.budget = {
      maxTasks: opts.writeBudget?.maxTasks ?? DEFAULT_WRITE_BUDGET.maxTasks,
      maxBytes: opts.writeBudget?.maxBytes ?? DEFAULT_WRITE_BUDGET.maxBytes,
    };
    this.removesTasksOfRemovedServices = traits.removesTasksOfRemovedServices ?? false;
    this.hooks = opts.hooks ?? NO_RESTART_HOOKS;
  }

  /** Whether the service is this orchestrator's to reconcile. */
  protected abstract owns(service: OrchestratedService): boolean;

  /** One reconciliation of one of our services, from the transaction's view. */
  protected abstract reconcile(
    service: OrchestratedService,
    tasks: OrchestratedTask[],
    nodes: OrchestratedNode[],
    now: number,
  ): ServiceActions;

  /** Whether a node's change can alter a reconciliation. Default: what placement reads. */
  protected nodeChangeMatters(
    before: OrchestratedNode | undefined,
    now: OrchestratedNode,
    action: StoreChangeEvent['action'],
  ): boolean {
    return action !== 'update' || placementInputsChanged(before, now);
  }

  protected markAll(tx: ReadTx): void {
    for (const s of tx.list<OrchestratedService>('service')) {
      if (this.owns(s)) this.markDirty(s.ID);
    }
    if (!this.removesTasksOfRemovedServices) return;
    // Tasks left behind by a service removed while no orchestrator ran. Running, job
    // (`complete`) and stopped (`shutdown`) tasks alike: `remove` also deletes containers.
    for (const desired of ['running', 'complete', 'shutdown'] as const) {
      for (const t of tx.tasksByDesiredState<OrchestratedTask>(desired)) {
        if (t.ServiceID && !tx.get('service', t.ServiceID)) this.markDirty(t.ServiceID);
      }
    }
  }

  protected onServiceChange(e: StoreChangeEvent): void {
    const service = e.object as OrchestratedService;
    const mine = e.action === 'remove' ? this.removesTasksOfRemovedServices : this.owns(service);
    if (mine) this.markDirty(service.ID);
  }

  protected onTaskChange(e: StoreChangeEvent): void {
    // Which mode the task's service is in is checked when the pass reads the services.
    const now = e.object as OrchestratedTask;
    if (now.ServiceID && taskChangeMatters(e.previous as OrchestratedTask, now, e.action)) {
      this.markDirty(now.ServiceID);
    }
  }

  /** Ours, or removed if we clean those up. */
  protected override isOurs(tx: ReadTx, serviceId: string): boolean {
    const service = tx.get<OrchestratedService>('service', serviceId);
    return service ? this.owns(service) : this.removesTasksOfRemovedServices;
  }

  /** One service's decisions, as many as the budget takes, written into `tx`. */
  protected write(tx: WriteTx, serviceId: string): RestartingWrite {
    const now = this.clock.now();
    const service = tx.get<OrchestratedService>('service', serviceId);
    const tasks = tx.tasksByService<OrchestratedTask>(serviceId);
    if (!service) {
      if (!this.removesTasksOfRemovedServices) return {};
      // Every task of it, history included, goes to `remove`, so agents stop them and
      // delete their containers too (swarmkit's SetServiceTasksRemove). Each stands alone.
      const decisions = tasks.map((t): Decision => ({ stop: [t], create: [] }));
      return { again: this.writeDecisions(tx, undefined, decisions, 'remove', now).cut };
    }
    if (!this.owns(service)) return {};
    const actions = this.reconcile(service, tasks, tx.list<OrchestratedNode>('node'), now);
    const decisions = decisionsOf(actions, new Map(tasks.map((t) => [t.ID, t])));
    const { cut, restarts } = this.writeDecisions(tx, service, decisions, 'shutdown', now);
    const write: RestartingWrite = { wakeAt: actions.nextWakeAt, again: cut };
    if (restarts > 0) write.restarted = { serviceName: service.Spec.Name ?? '', count: restarts };
    return write;
  }

  protected override committed(serviceId: string, { restarted }: RestartingWrite): void {
    for (let i = 0; i < (restarted?.count ?? 0); i++) {
      this.hooks.taskRestarted(serviceId, restarted!.serviceName);
    }
  }

  /**
   * Writes decisions in order while the budget takes them: `cut` if some were left out,
   * and how many of the written creates were restarts.
   */
  private writeDecisions(
    tx: WriteTx,
    service: OrchestratedService | undefined,
    decisions: readonly Decision[],
    stopAs: TaskState,
    now: number,
  ): { cut: boolean; restarts: number } {
    let restarts = 0;
    const budget = new TransactionBudget(this.budget);
    for (const d of decisions) {
      const stops = d.stop
        .filter((t) => TASK_STATE_ORDER[t.DesiredState ?? 'running'] < TASK_STATE_ORDER[stopAs])
        .map((t) => ({ before: t, after: { ...t, DesiredState: stopAs } }));
      // IDs are drawn once a task is sure to be written; the estimate counts one in.
      const creates = d.create.map((plan) => newServiceTask(service!, plan, now));
      if (stops.length + creates.length === 0) continue;
      let bytes = 0;
      for (const s of stops) bytes += estimatedUpdateBytes(s.before, s.after);
      for (const t of creates) bytes += estimatedCreateBytes(t);
      if (!budget.admit(stops.length + creates.length, bytes)) return { cut: true, restarts };
      for (const s of stops) tx.update<OrchestratedTask>('task', s.after);
      for (const t of creates) {
        const id = this.newId?.();
        tx.create<OrchestratedTask>('task', id ? { ...t, ID: id } : t);
      }
      for (const plan of d.create) if (plan.restart) restarts++;
    }
    return { cut: false, restarts };
  }
}

/** Changes that can alter what a reconciliation decides; status chatter within running does not. */
function taskChangeMatters(
  before: OrchestratedTask | undefined,
  now: OrchestratedTask,
  action: StoreChangeEvent['action'],
): boolean {
  return (
    taskMoved(before, now, action) ||
    isTerminalState(before?.Status?.State) !== isTerminalState(now.Status?.State)
  );
}

/** What a node's placement depends on: state, availability, labels, role, platform, hostname. */
function placementInputsChanged(
  before: OrchestratedNode | undefined,
  now: OrchestratedNode,
): boolean {
  if (!before) return true;
  return (
    before.Status?.State !== now.Status?.State ||
    JSON.stringify(before.Spec) !== JSON.stringify(now.Spec) ||
    before.Description?.Hostname !== now.Description?.Hostname ||
    JSON.stringify(before.Description?.Platform) !== JSON.stringify(now.Description?.Platform) ||
    JSON.stringify(before.Description?.Engine?.Labels) !==
      JSON.stringify(now.Description?.Engine?.Labels) ||
    !!before.ManagerStatus !== !!now.ManagerStatus
  );
}
