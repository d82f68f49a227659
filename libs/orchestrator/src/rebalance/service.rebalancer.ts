import { TASK_STATE_ORDER } from '@shoal/api/swarm';
import { type ReadTx, type StoreChangeEvent, type WriteTx } from '@shoal/store';
import { DirtyServiceLoop, type ServiceWrite, type StoreLoopOptions } from '../common/store.loop';
import { newServiceTask } from '../common/task.factory';
import { taskMoved } from '../common/task.selection';
import { guardReplaced } from '../common/replaced.guard';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { rebalanceSettings, REPLACES_LABEL } from './rebalance.labels';
import { planRebalance, type RebalanceStep } from './rebalance.plan';

export interface ServiceRebalancerOptions extends StoreLoopOptions {
  /** Default DEFAULT_MOVE_TIMEOUT_MS. */
  moveTimeoutMs?: number;
}

/** What the leader remembers of one service between decisions; see planRebalance. */
interface Memory {
  lastMoveAt?: number;
  heldKey?: string;
}

/** One service's write: its decision, undefined if the service is gone, and when it was made. */
interface StepWrite extends ServiceWrite {
  step?: RebalanceStep;
  at: number;
}

/**
 * The opt-in rebalancer (leader-only): moves replicas of services labelled
 * `shoal.rebalance=true` from the busiest eligible node to one with at least two fewer, one
 * move in flight per service, start-first, at most one move per `shoal.rebalance.delay`
 * (default 5 s). The decisions are planRebalance's; this class runs them on the store loop
 * of the orchestrators (DirtyServiceLoop), one decision per service and pass, each in ONE
 * store.update that reads and writes the same view. The rate limit and the move timeout are
 * the services' wake-ups.
 *
 * Memory (the last move's time, a given-up move's hold) is this leader's only: a new leader
 * may move one task sooner than the delay, or retry a move once. A move in flight lives in
 * the store (the new task's REPLACES_LABEL), so any leader finishes or cancels it.
 */
export class ServiceRebalancer extends DirtyServiceLoop<StepWrite> {
  private readonly moveTimeoutMs?: number;
  /** Services with the opt-in label. */
  private readonly optedIn = new Set<string>();
  /** Services with a move in flight, labelled or not: theirs must be finished either way. */
  private readonly moving = new Set<string>();
  private readonly memory = new Map<string, Memory>();
  /** Per service, the unparsable delay label value already logged. */
  private readonly warnedDelay = new Map<string, string>();

  /** Moves started, finished and cancelled: for tests and metrics. */
  readonly stats = { started: 0, finished: 0, cancelled: 0 };

  constructor(opts: ServiceRebalancerOptions) {
    super('rebalancer', opts);
    this.moveTimeoutMs = opts.moveTimeoutMs;
  }

  override stop(): void {
    super.stop();
    this.optedIn.clear();
    this.moving.clear();
    this.memory.clear();
  }

  protected markAll(tx: ReadTx): void {
    this.optedIn.clear();
    for (const s of tx.list<OrchestratedService>('service')) {
      if (rebalanceSettings(s.Spec.Labels).enabled) {
        this.optedIn.add(s.ID);
        this.markDirty(s.ID);
      }
    }
    for (const t of tx.tasksByDesiredState<OrchestratedTask>('running')) {
      if (t.ServiceID && t.Labels?.[REPLACES_LABEL]) {
        this.moving.add(t.ServiceID);
        this.markDirty(t.ServiceID);
      }
    }
  }

  protected onServiceChange(e: StoreChangeEvent): void {
    const service = e.object as OrchestratedService;
    if (e.action !== 'remove' && rebalanceSettings(service.Spec.Labels).enabled) {
      this.optedIn.add(service.ID);
      this.markDirty(service.ID);
    } else {
      this.optedIn.delete(service.ID);
      this.memory.delete(service.ID);
      this.cancelWakeUp(service.ID);
      if (this.moving.has(service.ID)) this.markDirty(service.ID);
    }
  }

  protected onTaskChange(e: StoreChangeEvent): void {
    const now = e.object as OrchestratedTask;
    const id = now.ServiceID;
    if (!id) return;
    if (now.Labels?.[REPLACES_LABEL] && now.DesiredState === 'running') this.moving.add(id);
    if (!this.optedIn.has(id) && !this.moving.has(id)) return;
    if (taskChangeMatters(e.previous as OrchestratedTask | undefined, now, e.action)) {
      this.markDirty(id);
    }
  }

  /** Eligibility depends on state, availability, labels, role, platform and hostname. */
  protected nodeChangeMatters(
    before: OrchestratedNode | undefined,
    now: OrchestratedNode,
    action: StoreChangeEvent['action'],
  ): boolean {
    if (action !== 'update' || !before) return true;
    return (
      before.Status?.State !== now.Status?.State ||
      JSON.stringify(before.Spec) !== JSON.stringify(now.Spec) ||
      JSON.stringify(before.Description) !== JSON.stringify(now.Description)
    );
  }

  /** A node changed: every service of ours may gain or lose a target. */
  protected override servicesAffectedByNodes(): Iterable<string> {
    return [...this.optedIn, ...this.moving];
  }

  /** One decision for one service, written into `tx`; undefined if the service is gone. */
  protected write(tx: WriteTx, serviceId: string): StepWrite {
    const now = this.clock.now();
    const service = tx.get<OrchestratedService>('service', serviceId);
    if (!service) return { at: now };
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
      guardReplaced(tx, step.replaces);
    } else if (step.action === 'finish' || step.action === 'cancel') {
      const byId = new Map(tasks.map((t) => [t.ID, t]));
      for (const id of step.shutdown) {
        const t = byId.get(id)!;
        if (TASK_STATE_ORDER[t.DesiredState ?? 'running'] < TASK_STATE_ORDER.shutdown) {
          tx.update<OrchestratedTask>('task', { ...t, DesiredState: 'shutdown' });
        }
      }
    }
    // Only a service that waits (for the delay or a move's timeout) wakes up.
    return { step, at: now, wakeAt: step.action === 'none' ? step.nextLookAt : undefined };
  }

  /** Takes in a decision once its write has committed. */
  protected override committed(serviceId: string, { step, at: now }: StepWrite): void {
    if (!step) {
      this.optedIn.delete(serviceId);
      this.moving.delete(serviceId);
      this.memory.delete(serviceId);
      return;
    }
    if (step.action === 'none') {
      if (step.reason !== 'moving') this.moving.delete(serviceId);
      return;
    }
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
    taskMoved(before, now, action) ||
    before?.Status?.State !== now.Status?.State ||
    before?.Status?.Err !== now.Status?.Err
  );
}
