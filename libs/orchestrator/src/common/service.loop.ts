import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm';
import type { Clock, IdGenerator, Logger } from '@shoal/common';
import { type ReadTx, type StoreChangeEvent, type StoreEvent, type WriteTx } from '@shoal/store';
import { DEFAULT_RESTART_DELAY_MS } from '../restart/restart.policy';
import { isTerminalState } from '../restart/slot.history';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { yieldToEventLoop, type YieldToEventLoop } from './event-loop.yield';
import { type OrchestratorStore, type ServiceActions } from './orchestrator.types';
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

export interface ServiceLoopOptions {
  store: OrchestratorStore;
  clock: Clock;
  /** IDs of new tasks. Default: the store assigns them. */
  newId?: IdGenerator;
  /** Restart delay when a service's RestartPolicy.Delay is unset. Default 5 s, as Swarm. */
  restartDelayMs?: number;
  logger?: Logger;
  /** Run between two services' builds. Default: one setImmediate turn; see YieldToEventLoop. */
  yieldToEventLoop?: YieldToEventLoop;
  /** Bounds of one service's transaction. Default DEFAULT_WRITE_BUDGET. */
  writeBudget?: Partial<WriteBudget>;
  /** Proposals of one pass awaiting their commit at once. Default DEFAULT_MAX_IN_FLIGHT. */
  maxProposalsInFlight?: number;
}

/**
 * 64 transactions of at most 512 KiB stay under half of Raft's maxUncommittedBytes (64 MiB),
 * so one pass cannot get its own proposals refused; a pass over more services waits for the
 * earliest commits before proposing further.
 */
export const DEFAULT_MAX_IN_FLIGHT = 64;

/** What only some loops do; see the constructor. */
export interface ServiceLoopTraits {
  /**
   * Tasks of removed services, whatever their mode, go to DesiredState `remove`. One loop
   * only (the replicated orchestrator's): two writing the same tasks would only race.
   */
  removesTasksOfRemovedServices?: boolean;
}

/** One service's write, as the pass takes it in after the commit. */
interface WriteOutcome {
  wakeAt?: number;
  /** Decisions were left out by the budget: the service needs another pass. */
  cut: boolean;
}

/**
 * The store loop every orchestrator of services and jobs follows (BRIEF decision 4): a view
 * and a watch with no gap, events mark services dirty, and each commit marker reconciles the
 * dirty services, each in ONE store.update (services in parallel: their writes never touch
 * the same task). Delayed restarts are not timed here: the daemon calls tick(), and each
 * service's next wake-up waits until then. A failed write (a version conflict, a lost
 * leadership...) leaves its service dirty for the next commit or tick.
 *
 * Two things keep a large cluster's leader alive:
 * - a transaction holds at most a WriteBudget of whole decisions (see Decision). A service
 *   with more to write is marked dirty again and its next pass, which reads the store after
 *   this one's commits, decides the rest afresh: nothing is carried between passes, so a
 *   slot is never written twice;
 * - the pass hands the event loop back (yieldToEventLoop) before building each further
 *   service, but proposes each as soon as it is built and awaits the commits together: Raft
 *   heartbeats and I/O run between builds, and the fsyncs still batch.
 *
 * A subclass says which services are its own, what to do with one and, if not every service,
 * which ones a node's change concerns.
 */
export abstract class ServiceLoop {
  protected readonly store: OrchestratorStore;
  protected readonly clock: Clock;
  protected readonly restartDelayMs: number;
  protected readonly log?: Logger;
  private readonly newId?: IdGenerator;
  private readonly yieldToEventLoop: YieldToEventLoop;
  private readonly budget: Readonly<WriteBudget>;
  private readonly maxInFlight: number;
  private readonly removesTasksOfRemovedServices: boolean;

  private cancelWatch?: () => void;
  private running = false;
  /** Services to reconcile at the next pass. */
  private readonly dirty = new Set<string>();
  /** Nodes that changed in a way that matters; resolved to services at the next pass. */
  private readonly dirtyNodes = new Set<string>();
  /** Services whose last write failed: dirty again at the next commit or tick. */
  private readonly retry = new Set<string>();
  /** Per service, when a delayed restart becomes due. */
  private readonly wakeAt = new Map<string, number>();
  private pass?: Promise<void>;

  constructor(
    private readonly name: string,
    opts: ServiceLoopOptions,
    traits: ServiceLoopTraits = {},
  ) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.newId = opts.newId;
    this.restartDelayMs = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
    this.log = opts.logger;
    this.yieldToEventLoop = opts.yieldToEventLoop ?? yieldToEventLoop;
    this.budget = {
      maxTasks: opts.writeBudget?.maxTasks ?? DEFAULT_WRITE_BUDGET.maxTasks,
      maxBytes: opts.writeBudget?.maxBytes ?? DEFAULT_WRITE_BUDGET.maxBytes,
    };
    this.maxInFlight = Math.max(1, opts.maxProposalsInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.removesTasksOfRemovedServices = traits.removesTasksOfRemovedServices ?? false;
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

  /**
   * The services the changes of `nodeIds` concern, read at the start of a pass (those that
   * are not ours are dropped after). Default: every service, since any may want a task on
   * a node or have to stop one.
   */
  protected servicesAffectedByNodes(tx: ReadTx, _nodeIds: ReadonlySet<string>): Iterable<string> {
    return tx.list<OrchestratedService>('service').map((s) => s.ID);
  }

  /** Reads every service, starts watching from exactly that view and reconciles ours. */
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

  /** Reconciles the services whose delayed restart is due at `now`, and retries failed writes. */
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
    for (const s of tx.list<OrchestratedService>('service')) {
      if (this.owns(s)) this.dirty.add(s.ID);
    }
    if (!this.removesTasksOfRemovedServices) return;
    // Tasks left behind by a service removed while no orchestrator ran. Running, job
    // (`complete`) and stopped (`shutdown`) tasks alike: `remove` also deletes containers.
    for (const desired of ['running', 'complete', 'shutdown'] as const) {
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
      const service = e.object as OrchestratedService;
      const mine = e.action === 'remove' ? this.removesTasksOfRemovedServices : this.owns(service);
      if (mine) this.dirty.add(service.ID);
    } else if (e.kind === 'task') {
      // Which mode the task's service is in is checked when the pass reads the services.
      const now = e.object as OrchestratedTask;
      if (now.ServiceID && taskChangeMatters(e.previous as OrchestratedTask, now, e.action)) {
        this.dirty.add(now.ServiceID);
      }
    } else if (e.kind === 'node') {
      const now = e.object as OrchestratedNode;
      if (this.nodeChangeMatters(e.previous as OrchestratedNode | undefined, now, e.action)) {
        this.dirtyNodes.add(now.ID);
      }
    }
  }

  private onWatchError(error: unknown): void {
    // The listener threw, so the store unsubscribed it and an event may be lost: re-read.
    this.log?.error(`${this.name} lost its watch; re-reading`, { error: `${error}` });
    if (!this.running) return;
    this.running = false;
    this.start();
  }

  private takeRetries(): void {
    for (const id of this.retry) this.dirty.add(id);
    this.retry.clear();
  }

  private hasWork(): boolean {
    return this.dirty.size > 0 || this.dirtyNodes.size > 0;
  }

  /** Starts a pass unless one runs; a running pass picks up whatever is dirty when it loops. */
  private kick(): void {
    if (this.pass || !this.running || !this.hasWork()) return;
    // Deferred a turn, so a pass never starts inside a store delivery.
    this.pass = Promise.resolve()
      .then(() => this.runPasses())
      .finally(() => {
        this.pass = undefined;
        this.kick();
      });
  }

  private async runPasses(): Promise<void> {
    let first = true;
    while (this.running && this.hasWork()) {
      const ids = this.takeDirty();
      const inFlight = new Set<Promise<void>>();
      for (const id of ids) {
        // Before every build but the very first: between services, and between the passes
        // that finish a service whose write was cut.
        if (!first) await this.yieldToEventLoop();
        first = false;
        if (!this.running) break;
        while (inFlight.size >= this.maxInFlight) await Promise.race(inFlight);
        // reconcileService builds and proposes synchronously; only the commit is awaited.
        const write: Promise<void> = this.reconcileService(id).finally(() =>
          inFlight.delete(write),
        );
        inFlight.add(write);
      }
      await Promise.all(inFlight);
    }
  }

  /** The dirty services that are ours (or removed, if we clean those up); others are dropped. */
  private takeDirty(): string[] {
    const ids = new Set(this.dirty);
    const nodes = new Set(this.dirtyNodes);
    this.dirty.clear();
    this.dirtyNodes.clear();
    return this.store.view((tx) => {
      if (nodes.size > 0) {
        for (const id of this.servicesAffectedByNodes(tx, nodes)) ids.add(id);
      }
      return [...ids].filter((id) => {
        const service = tx.get<OrchestratedService>('service', id);
        if (service ? this.owns(service) : this.removesTasksOfRemovedServices) return true;
        this.wakeAt.delete(id);
        return false;
      });
    });
  }

  private async reconcileService(serviceId: string): Promise<void> {
    let outcome: WriteOutcome = { cut: false };
    try {
      await this.store.update((tx) => {
        outcome = this.write(tx, serviceId);
      });
    } catch (error) {
      if (!this.running) return;
      this.retry.add(serviceId);
      this.log?.warn(`${this.name}: write failed; retrying at the next commit`, {
        serviceId,
        error: `${error}`,
      });
      return;
    }
    if (outcome.wakeAt === undefined) this.wakeAt.delete(serviceId);
    else this.wakeAt.set(serviceId, outcome.wakeAt);
    // The rest is decided again from the state this commit left.
    if (outcome.cut && this.running) this.dirty.add(serviceId);
  }

  /** One service's decisions, as many as the budget takes, written into `tx`. */
  private write(tx: WriteTx, serviceId: string): WriteOutcome {
    const now = this.clock.now();
    const service = tx.get<OrchestratedService>('service', serviceId);
    const tasks = tx.tasksByService<OrchestratedTask>(serviceId);
    if (!service) {
      if (!this.removesTasksOfRemovedServices) return { cut: false };
      // Every task of it, history included, goes to `remove`, so agents stop them and
      // delete their containers too (swarmkit's SetServiceTasksRemove). Each stands alone.
      const decisions = tasks.map((t): Decision => ({ stop: [t], create: [] }));
      return { cut: this.writeDecisions(tx, undefined, decisions, 'remove', now) };
    }
    if (!this.owns(service)) return { cut: false };
    const actions = this.reconcile(service, tasks, tx.list<OrchestratedNode>('node'), now);
    const decisions = decisionsOf(actions, new Map(tasks.map((t) => [t.ID, t])));
    const cut = this.writeDecisions(tx, service, decisions, 'shutdown', now);
    return { wakeAt: actions.nextWakeAt, cut };
  }

  /** Writes decisions in order while the budget takes them; true if some were left out. */
  private writeDecisions(
    tx: WriteTx,
    service: OrchestratedService | undefined,
    decisions: readonly Decision[],
    stopAs: TaskState,
    now: number,
  ): boolean {
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
      if (!budget.admit(stops.length + creates.length, bytes)) return true;
      for (const s of stops) tx.update<OrchestratedTask>('task', s.after);
      for (const t of creates) {
        const id = this.newId?.();
        tx.create<OrchestratedTask>('task', id ? { ...t, ID: id } : t);
      }
    }
    return false;
  }
}

/** Changes that can alter what a reconciliation decides; status chatter within running does not. */
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
    isTerminalState(before.Status?.State) !== isTerminalState(now.Status?.State)
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
