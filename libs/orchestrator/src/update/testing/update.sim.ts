import {
  type RollbackConfig,
  type ServiceSpec,
  TASK_STATE_ORDER,
  type TaskState,
  type UpdateConfig,
} from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { reconcileReplicated } from '../../replicated/replicated.reconcile';
import { parseRfc3339Ms } from '../../replicated/task.time';
import { isTerminalState } from '../../restart/slot.history';
import { taskTemplateKey } from '../../restart/task-template.key';
import { DRAINING_SINCE_LABEL } from '../update.labels';
import { planUpdate, type UpdateNode, type UpdatePlan, type UpdateService } from '../update.plan';

/** 2026-11-22T08:00:00.123Z. */
export const T0 = 1_795_334_400_123;
export const MS = 1_000_000;

export interface SimTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: TaskState;
  Status: { State: TaskState; Timestamp: string; Message?: string };
  Spec: ServiceSpec['TaskTemplate'];
  CreatedAt: string;
  UpdatedAt: string;
  Version: { Index: number };
  Labels?: Record<string, string>;
  /** Who created it, for the exactly-once checks. */
  source: 'orchestrator' | 'updater';
}

export function simNode(id: string, state: 'ready' | 'down' = 'ready'): UpdateNode {
  return {
    ID: id,
    Spec: { Role: 'worker', Availability: 'active', Labels: {} },
    Description: { Hostname: `host-${id}`, Platform: { OS: 'linux', Architecture: 'x86_64' } },
    Status: { State: state },
  };
}

export function specWith(
  image: string,
  replicas: number,
  update: UpdateConfig = {},
  rollback: RollbackConfig = {},
): ServiceSpec {
  return {
    Name: 'web',
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: {
      ContainerSpec: { Image: image },
      RestartPolicy: { Condition: 'any', Delay: 0 },
    },
    UpdateConfig: update,
    RollbackConfig: rollback,
  };
}

/**
 * A deterministic model of the leader's loop around the pure updater: the store (a service
 * and its tasks), the replicated orchestrator's decisions (reconcileReplicated), a scheduler
 * and agents moved one task at a time, and a clock. Each write is applied atomically, as
 * one store transaction is.
 */
export class UpdateSim {
  now = T0;
  service: UpdateService & { Spec: ServiceSpec };
  readonly tasks = new Map<string, SimTask>();
  nodes: UpdateNode[];
  /** The updater's only memory: when ended tasks had started running. Lost on failover. */
  runningSince = new Map<string, number>();
  private seq = 0;
  private version = 1;
  private rr = 0;

  constructor(spec: ServiceSpec, nodes: string[] = ['n1', 'n2', 'n3']) {
    this.service = { ID: 'svc', Spec: spec };
    this.nodes = nodes.map((id) => simNode(id));
  }

  list(): SimTask[] {
    return [...this.tasks.values()];
  }

  /** What the control layer does on `service update`. */
  updateSpec(spec: ServiceSpec): void {
    this.service = { ID: this.service.ID, Spec: spec, PreviousSpec: this.service.Spec };
  }

  /** The replicated orchestrator's reconciliation, written in one transaction. */
  orchestrate(): void {
    const actions = reconcileReplicated(this.service, this.list(), this.nodes, this.now, 0);
    for (const id of actions.shutdown) this.setDesired(id, 'shutdown');
    for (const slot of actions.create) this.create(slot, 'pending', 'orchestrator');
  }

  /** One updater pass: plan, then write (unless the write is lost with its leader). */
  updater(opts: { drop?: boolean; maxTaskWrites?: number } = {}): UpdatePlan {
    const plan = planUpdate({
      service: this.service,
      tasks: this.list(),
      nodes: this.nodes,
      now: this.now,
      maxTaskWrites: opts.maxTaskWrites,
      runningSince: (id) => this.runningSince.get(id),
    });
    if (opts.drop) return plan;
    if (plan.status) this.service = { ...this.service, UpdateStatus: plan.status };
    if (plan.rollback) {
      this.service = {
        ...this.service,
        Spec: this.service.PreviousSpec!,
        PreviousSpec: undefined,
      };
    }
    for (const id of plan.shutdown) this.setDesired(id, 'shutdown');
    for (const id of plan.drain) {
      const labels = {
        ...this.tasks.get(id)!.Labels,
        [DRAINING_SINCE_LABEL]: rfc3339Nano(this.now),
      };
      this.write(id, { Labels: labels });
    }
    for (const id of plan.undrain) {
      const labels = { ...this.tasks.get(id)!.Labels };
      delete labels[DRAINING_SINCE_LABEL];
      this.write(id, { Labels: labels });
    }
    for (const id of plan.promote) this.setState(id, 'pending');
    for (const c of plan.create) this.create(c.slot!, c.hold ? 'new' : 'pending', 'updater');
    return plan;
  }

  /** A new leader: the updater's memory is gone. */
  failover(): void {
    this.runningSince.clear();
  }

  /**
   * Moves task number `pick` (of those that can move) one step, as the scheduler or its
   * agent would: pending → assigned → running, or failed when `fail` and the task runs an
   * image named "bad*" (or any new-spec task when failAny); desired shutdown → shutdown.
   */
  step(pick: number, fail = false): void {
    const movable = this.list()
      .filter((t) => this.canMove(t))
      .sort((a, b) => (a.ID < b.ID ? -1 : 1));
    if (movable.length === 0) return;
    this.move(movable[pick % movable.length]!, fail);
  }

  /** Moves one given task a step (see step). */
  stepTask(id: string, fail = false): void {
    const t = this.tasks.get(id)!;
    if (this.canMove(t)) this.move(t, fail);
  }

  /** Every task moves as far as it goes (no failures). */
  settle(): void {
    for (let i = 0; i < 4; i++) for (const t of this.list()) if (this.canMove(t)) this.move(t);
  }

  advance(ms: number): void {
    this.now += ms;
  }

  key(t: { Spec?: SimTask['Spec'] }): string {
    return taskTemplateKey(t.Spec);
  }

  private canMove(t: SimTask): boolean {
    const s = t.Status.State;
    if (isTerminalState(s)) return false;
    if (t.DesiredState !== 'running') return s !== 'new';
    return s === 'pending' || s === 'assigned' || s === 'running';
  }

  private move(t: SimTask, fail = false): void {
    const s = t.Status.State;
    if (t.DesiredState !== 'running') {
      // Never assigned: nothing runs it, and nothing will.
      if (TASK_STATE_ORDER[s] < TASK_STATE_ORDER.assigned) return;
      this.setState(t.ID, 'shutdown');
      return;
    }
    if (s === 'pending') {
      const node = this.nodes[this.rr++ % this.nodes.length]!;
      this.write(t.ID, { NodeID: node.ID, Status: this.status('assigned') });
    } else if (s === 'assigned') {
      this.setState(t.ID, fail ? 'failed' : 'running');
    } else if (s === 'running' && fail) {
      this.runningSince.set(t.ID, parseRfc3339Ms(t.Status.Timestamp)!);
      this.setState(t.ID, 'failed');
    }
  }

  private status(state: TaskState) {
    return { State: state, Timestamp: rfc3339Nano(this.now) };
  }

  private setState(id: string, state: TaskState): void {
    this.write(id, { Status: this.status(state) });
  }

  private setDesired(id: string, desired: TaskState): void {
    const t = this.tasks.get(id)!;
    if (TASK_STATE_ORDER[t.DesiredState] < TASK_STATE_ORDER[desired]) {
      this.write(id, { DesiredState: desired });
    }
  }

  private write(id: string, patch: Partial<SimTask>): void {
    const t = this.tasks.get(id)!;
    this.tasks.set(id, {
      ...t,
      ...patch,
      UpdatedAt: rfc3339Nano(this.now),
      Version: { Index: ++this.version },
    });
  }

  private create(slot: number, state: TaskState, source: SimTask['source']): void {
    const id = `t${String(++this.seq).padStart(4, '0')}`;
    this.tasks.set(id, {
      ID: id,
      ServiceID: this.service.ID,
      Slot: slot,
      DesiredState: 'running',
      Status: this.status(state),
      Spec: structuredClone(this.service.Spec.TaskTemplate),
      CreatedAt: rfc3339Nano(this.now),
      UpdatedAt: rfc3339Nano(this.now),
      Version: { Index: ++this.version },
      source,
    });
  }
}
