import { type ReadTx, type StoreChangeEvent } from '@shoal/store';
import { type SchedulerNode, type SchedulerService, type SchedulerTask } from '../scheduler.types';
import { awaitsScheduler, countsAsReplica, holdsNode, justFailed } from '../task.predicates';
import { assignedClaims, type GenericClaim, genericRequests } from './generic.resources';
import { FailureTracker } from './failure.tracker';
import { type Holding, NodeInfo } from './node.info';
import { hostPortsOf, specKeyOf, type TaskDemand, versionKeyOf } from './task.demand';

/** A task in the scheduler's queue, with what grouping needs (the spec key, computed once). */
export class PendingTask {
  private key: string | undefined;

  constructor(private task: SchedulerTask) {}

  get id(): string {
    return this.task.ID;
  }

  get serviceId(): string {
    return this.task.ServiceID ?? '';
  }

  get slot(): number {
    return this.task.Slot ?? 0;
  }

  get object(): SchedulerTask {
    return this.task;
  }

  /** A task's spec never changes, so the key survives status rewrites. */
  get specKey(): string {
    return (this.key ??= specKeyOf(this.task));
  }

  refresh(task: SchedulerTask): void {
    this.task = task;
  }
}

/**
 * The scheduler's picture of the cluster, built from one consistent view and then kept
 * current by the store's events (which arrive synchronously as entries apply, so between
 * two events it equals the committed state): every node with what its tasks hold, the
 * queue of tasks awaiting the scheduler, each service's host ports, and recent failures.
 * Placing a batch adds holdings tentatively (hold), so that each group sees the ones decided
 * before it, and the batch takes them back (dropTentative) before its proposal goes out;
 * the committed tasks then come back as events.
 */
export class ClusterState {
  readonly nodes = new Map<string, NodeInfo>();
  readonly pending = new Map<string, PendingTask>();
  /** Every holding by task ID, also of tasks on nodes the store no longer has. */
  private readonly holdings = new Map<string, Holding>();
  private readonly servicePorts = new Map<string, readonly string[]>();
  /** Holdings added by hold() and not yet dropped. */
  private readonly tentative: string[] = [];

  /** `failures` outlives a rebuild (after a snapshot restore), so it is passed in. */
  constructor(readonly failures: FailureTracker = new FailureTracker()) {}

  static fromView(tx: ReadTx, failures?: FailureTracker): ClusterState {
    const state = new ClusterState(failures);
    for (const s of tx.list<SchedulerService>('service')) state.setService(s);
    for (const n of tx.list<SchedulerNode>('node')) state.nodes.set(n.ID, new NodeInfo(n));
    for (const t of tx.list<SchedulerTask>('task')) state.setTask(t);
    return state;
  }

  hostPortsOf(serviceId: string): readonly string[] {
    return this.servicePorts.get(serviceId) ?? [];
  }

  /**
   * Applies one change. True when it may let a queued task be placed that could not be
   * before: a node changed, a task joined the queue, or a task let go of its node.
   */
  apply(event: StoreChangeEvent): boolean {
    const removed = event.action === 'remove';
    switch (event.kind) {
      case 'node':
        return this.applyNode(event.object as SchedulerNode, removed);
      case 'service':
        if (removed) this.servicePorts.delete(event.object.ID);
        else this.setService(event.object as SchedulerService);
        return this.pending.size > 0;
      case 'task': {
        const task = event.object as SchedulerTask;
        const previous = event.previous as SchedulerTask | undefined;
        if (!removed && justFailed(previous, task)) {
          this.failures.record(
            versionKeyOf(task.ServiceID ?? '', specKeyOf(task)),
            task.NodeID!,
            event.time,
          );
        }
        const wasQueued = this.pending.has(task.ID);
        const freed = this.setTask(task, removed);
        return freed || (!wasQueued && this.pending.has(task.ID));
      }
      default:
        return false;
    }
  }

  /** Adds what a task will hold once placed on `node`, tentatively (see the class comment). */
  hold(taskId: string, node: NodeInfo, demand: TaskDemand): Holding {
    const generic = demand.generic.map((r) => node.generic.pick(r.kind, r.count));
    const h: Holding = {
      nodeId: node.id,
      serviceId: demand.serviceId,
      counts: true,
      nanoCPUs: demand.nanoCPUs,
      memoryBytes: demand.memoryBytes,
      generic,
      hostPorts: demand.hostPorts,
    };
    this.addHolding(taskId, h);
    this.tentative.push(taskId);
    return h;
  }

  /** Takes back every hold() since the last call. */
  dropTentative(): void {
    for (const id of this.tentative.splice(0)) this.release(id);
  }

  private release(taskId: string): void {
    const h = this.holdings.get(taskId);
    if (!h) return;
    this.holdings.delete(taskId);
    this.nodes.get(h.nodeId)?.remove(taskId);
  }

  private applyNode(node: SchedulerNode, removed: boolean): boolean {
    if (removed) {
      this.nodes.delete(node.ID);
      return false;
    }
    const info = this.nodes.get(node.ID);
    if (info) {
      info.node = node;
      return true;
    }
    const created = new NodeInfo(node);
    this.nodes.set(node.ID, created);
    // Tasks that named the node before it (re)appeared: rare, so a scan is fine.
    for (const [taskId, h] of this.holdings) if (h.nodeId === node.ID) created.add(taskId, h);
    return true;
  }

  private setService(service: SchedulerService): void {
    this.servicePorts.set(service.ID, hostPortsOf(service));
  }

  /** Returns whether the task let go of (some of) its node. */
  private setTask(task: SchedulerTask, removed = false): boolean {
    if (!removed && awaitsScheduler(task)) {
      const queued = this.pending.get(task.ID);
      if (queued) queued.refresh(task);
      else this.pending.set(task.ID, new PendingTask(task));
    } else {
      this.pending.delete(task.ID);
    }

    const before = this.holdings.get(task.ID);
    const holds = !removed && holdsNode(task);
    if (
      before &&
      holds &&
      before.nodeId === task.NodeID &&
      before.serviceId === task.ServiceID &&
      before.claimedFrom === task.AssignedGenericResources
    ) {
      // Status reports of a running task: only whether it still counts can change, and a
      // replica told to stop frees its place for spreading and MaxReplicas at once.
      const counts = countsAsReplica(task);
      const stopsCounting = before.counts && !counts;
      const node = this.nodes.get(before.nodeId);
      if (node) node.setCounts(task.ID, counts);
      else before.counts = counts;
      return stopsCounting;
    }
    if (before) this.release(task.ID);
    if (holds) this.addHolding(task.ID, this.holdingOf(task));
    return !!before;
  }

  /** What a task placed earlier holds, its generic claims as recorded on it. */
  private holdingOf(task: SchedulerTask): Holding {
    const nodeId = task.NodeID!;
    const reservations = task.Spec?.Resources?.Reservations;
    let generic: GenericClaim[] = assignedClaims(task.AssignedGenericResources);
    if (generic.length === 0) {
      // Placed with no record of which units (by the global orchestrator, say): it takes
      // that many from the kind without naming them, so the count is right whatever the
      // order tasks are seen in.
      const { requests } = genericRequests(reservations?.GenericResources);
      generic = requests.map((r) => ({ kind: r.kind, units: [], count: r.count }));
    }
    return {
      nodeId,
      serviceId: task.ServiceID ?? '',
      counts: countsAsReplica(task),
      nanoCPUs: Math.max(0, reservations?.NanoCPUs ?? 0),
      memoryBytes: Math.max(0, reservations?.MemoryBytes ?? 0),
      generic,
      hostPorts: this.hostPortsOf(task.ServiceID ?? ''),
      // Compared by reference: the store shares unchanged fields between versions of a
      // task, so a status report keeps it and a change of claims does not.
      claimedFrom: task.AssignedGenericResources,
    };
  }

  private addHolding(taskId: string, h: Holding): void {
    this.holdings.set(taskId, h);
    this.nodes.get(h.nodeId)?.add(taskId, h);
  }
}
