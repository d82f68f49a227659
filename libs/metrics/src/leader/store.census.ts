import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm';
import {
  desiredReplicas,
  jobIterationOf,
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
  replicatedJobLimits,
  serviceModeKind,
  type ServiceModeKind,
} from '@shoal/orchestrator';
import { type ReadTx } from '@shoal/store';
import { MAX_REASONS, OTHER_REASON, unschedulableReason } from './unschedulable.reason';

const RUNNING = TASK_STATE_ORDER.running;
const COMPLETE = TASK_STATE_ORDER.complete;

/** Label values always exported for shoal_nodes (0 when no node has them). */
export const NODE_STATES = ['unknown', 'down', 'ready', 'disconnected'] as const;
export const NODE_AVAILABILITIES = ['active', 'pause', 'drain'] as const;
export const NODE_ROLES = ['worker', 'manager'] as const;

export interface NodeCount {
  readonly labels: { state: string; availability: string; role: string };
  count: number;
}

/** One service's series. The label objects are kept across scrapes, not rebuilt. */
export interface ServiceCount {
  readonly labels: { service_id: string; service_name: string };
  readonly desiredLabels: { service_id: string; service_name: string; mode: ServiceModeKind };
  mode: ServiceModeKind;
  desired: number;
  running: number;
  /** UpdateStatus.State in lower case; undefined when the service has none. */
  updateState?: string;
  /** Job modes: the run whose tasks count. */
  iteration: number;
  /** Replicated jobs: their limits, and the slots of this run that completed. */
  job?: { maxConcurrent: number; totalCompletions: number; completedSlots: Set<number> };
}

const rank = (s: TaskState | undefined) => (s === undefined ? -1 : TASK_STATE_ORDER[s]);

/**
 * The leader's store-derived series, counted in one pass over nodes, services and tasks.
 * Its maps and label objects are reused from one count to the next, so a scrape of a
 * steady cluster allocates little beyond the store's own lists.
 *
 * - nodes: by Status.State, Spec.Availability and Spec.Role ('unknown' when unset);
 * - pending: tasks waiting for the scheduler (state `pending`, still meant to run or
 *   complete, as the scheduler's own queue); by normalised Status.Err when they have one;
 * - per service: see desired and running below.
 */
export class StoreCensus {
  readonly nodes = new Map<string, NodeCount>();
  readonly services = new Map<string, ServiceCount>();
  /** Pending tasks with an explanation, by reason label (at most MAX_REASONS + 1 keys). */
  readonly unschedulable = new Map<string, number>();
  pending = 0;
  /** Raw Status.Err → label: the same few texts recur on thousands of tasks. */
  private readonly reasonCache = new Map<string, string>();
  private readonly fixedNodeKeys = new Set<string>();

  constructor() {
    for (const state of NODE_STATES)
      for (const availability of NODE_AVAILABILITIES)
        for (const role of NODE_ROLES) {
          const key = `${state}|${availability}|${role}`;
          this.fixedNodeKeys.add(key);
          this.nodes.set(key, { labels: { state, availability, role }, count: 0 });
        }
  }

  count(tx: ReadTx): void {
    this.countNodes(tx.list<OrchestratedNode>('node'));
    this.countServices(tx.list<OrchestratedService>('service'));
    this.countTasks(tx.list<OrchestratedTask>('task'));
  }

  private countNodes(nodes: readonly OrchestratedNode[]): void {
    for (const n of this.nodes.values()) n.count = 0;
    for (const n of nodes) {
      const state = n.Status?.State ?? 'unknown';
      const availability = n.Spec?.Availability ?? 'unknown';
      const role = n.Spec?.Role ?? 'unknown';
      const key = `${state}|${availability}|${role}`;
      const entry = this.nodes.get(key);
      if (entry) entry.count++;
      else this.nodes.set(key, { labels: { state, availability, role }, count: 1 });
    }
    // Unusual combinations are exported while some node has them, not forever after.
    for (const [key, n] of this.nodes) {
      if (n.count === 0 && !this.fixedNodeKeys.has(key)) this.nodes.delete(key);
    }
  }

  /**
   * desired, by mode:
   * - replicated: Spec.Mode.Replicated.Replicas;
   * - global: its tasks desired running, as `docker service ls` counts them (the global
   *   orchestrator keeps one per eligible node, so this follows eligibility without
   *   re-deciding it here);
   * - replicated job: what the current run still wants running, min(MaxConcurrent,
   *   TotalCompletions - slots completed), so a finished job wants 0 and does not look
   *   under-replicated forever;
   * - global job: its current run's tasks meant to complete that have not ended yet.
   */
  private countServices(services: readonly OrchestratedService[]): void {
    for (const s of this.services.values()) s.iteration = -1;
    for (const s of services) {
      const mode = serviceModeKind(s);
      const name = s.Spec.Name ?? '';
      let entry = this.services.get(s.ID);
      if (!entry || entry.labels.service_name !== name || entry.mode !== mode) {
        entry = {
          labels: { service_id: s.ID, service_name: name },
          desiredLabels: { service_id: s.ID, service_name: name, mode },
          mode,
          desired: 0,
          running: 0,
          iteration: 0,
        };
        this.services.set(s.ID, entry);
      }
      entry.running = 0;
      entry.desired = mode === 'replicated' ? desiredReplicas(s) : 0;
      entry.iteration = jobIterationOf(s);
      entry.updateState = s.UpdateStatus?.State?.toLowerCase();
      if (mode === 'replicated-job') {
        const completedSlots = entry.job?.completedSlots ?? new Set<number>();
        completedSlots.clear();
        entry.job = { ...replicatedJobLimits(s), completedSlots };
      } else {
        entry.job = undefined;
      }
    }
    for (const [id, s] of this.services) if (s.iteration < 0) this.services.delete(id);
  }

  /**
   * running: tasks observed `running` that are still meant to run (or, for jobs, to
   * complete): a task being shut down no longer counts, so running never exceeds desired
   * during a scale-down or a start-first update. Job modes count their current run only.
   */
  private countTasks(tasks: readonly OrchestratedTask[]): void {
    this.pending = 0;
    this.unschedulable.clear();
    for (const t of tasks) {
      const state = t.Status?.State;
      const desired = rank(t.DesiredState);
      if (state === 'pending' && desired >= 0 && desired <= COMPLETE) {
        this.pending++;
        const err = t.Status?.Err;
        if (err) this.addReason(err);
      }
      const s = t.ServiceID ? this.services.get(t.ServiceID) : undefined;
      if (!s) continue;
      if (s.mode === 'replicated' || s.mode === 'global') {
        if (state === 'running' && desired >= 0 && desired <= COMPLETE) s.running++;
        if (s.mode === 'global' && t.DesiredState === 'running') s.desired++;
        continue;
      }
      if ((t.JobIteration?.Index ?? 0) !== s.iteration) continue;
      if (state === 'running' && desired >= 0 && desired <= COMPLETE) s.running++;
      if (s.mode === 'global-job') {
        if (t.DesiredState === 'complete' && rank(state) <= RUNNING) s.desired++;
      } else if (state === 'complete' && t.Slot !== undefined) {
        s.job!.completedSlots.add(t.Slot);
      }
    }
    // A replicated job's desired needs its whole run's completions, known only now.
    for (const s of this.services.values()) {
      if (!s.job) continue;
      const { maxConcurrent, totalCompletions, completedSlots } = s.job;
      let done = 0;
      for (const slot of completedSlots) if (slot >= 1 && slot <= totalCompletions) done++;
      s.desired = Math.min(maxConcurrent, totalCompletions - done);
    }
  }

  private addReason(err: string): void {
    let reason = this.reasonCache.get(err);
    if (reason === undefined) {
      // Bounded like the label set: texts with per-task detail must not grow it forever.
      if (this.reasonCache.size >= 4 * MAX_REASONS) this.reasonCache.clear();
      reason = unschedulableReason(err);
      this.reasonCache.set(err, reason);
    }
    if (!this.unschedulable.has(reason) && this.unschedulable.size >= MAX_REASONS) {
      reason = OTHER_REASON;
    }
    this.unschedulable.set(reason, (this.unschedulable.get(reason) ?? 0) + 1);
  }
}
