/**
 * What a service's rollout looks like at one poll: the overall count and one entry per slot
 * (replicated services and jobs) or per node (global ones), computed from the service and its
 * up-to-date tasks the way the docker CLI's `service create/update` progress does it. Pure:
 * objects in, a view out, no I/O and no clock, so every case is unit-testable.
 */
import type { Service, Task, TaskState } from '../api/swarm.types';

/**
 * The docker CLI's numbering of task states for progress: `running` is step 9 of 9; the states
 * above it are terminal and never drawn as a step.
 */
const STEPS: Readonly<Partial<Record<TaskState, number>>> = {
  new: 1,
  allocated: 2,
  pending: 3,
  assigned: 4,
  accepted: 5,
  preparing: 6,
  ready: 7,
  starting: 8,
  running: 9,
  complete: 10,
  shutdown: 11,
  failed: 12,
  rejected: 13,
};

/** `running`: a service task's last step. A job task has one more, `complete`. */
export const SERVICE_STEPS = 9;
export const JOB_STEPS = 10;
/** More slots or nodes than this and only the overall line is drawn, as docker does. */
export const MAX_PROGRESS_BARS = 20;
/** The longest state name drawn ("preparing", "allocated"); states are padded to it. */
const STATE_WIDTH = Math.max(
  ...Object.keys(STEPS)
    .filter((s) => step(s) <= JOB_STEPS)
    .map((s) => s.length),
);
/** Task errors are cut to this many characters, so a line fits a narrow terminal. */
const MAX_ERROR_WIDTH = 75;

function step(state: string | undefined): number {
  return state === undefined ? 0 : (STEPS[state as TaskState] ?? 0);
}

function isTerminal(state: string | undefined): boolean {
  return step(state) > SERVICE_STEPS;
}

/** One progress line: `label: text [bar]`. A bar is drawn when `total` is set. */
export interface ProgressItem {
  label: string;
  text: string;
  current?: number;
  total?: number;
}

export type ServiceKind = 'replicated' | 'global' | 'replicated-job' | 'global-job';

export interface ProgressView {
  kind: ServiceKind;
  /** "overall progress: 2 out of 3 tasks", or for jobs "job progress" and "active tasks". */
  summary: ProgressItem[];
  /** One per slot or node, in a stable order; empty above MAX_PROGRESS_BARS. */
  items: ProgressItem[];
  /** Tasks running (services) or complete (jobs), and how many are wanted. */
  done: number;
  desired: number;
  converged: boolean;
}

export interface ProgressInput {
  service: Service;
  /** The service's tasks that run its current spec (GET /tasks with `_up-to-date`). */
  tasks: readonly Task[];
  /** Nodes that are not down; tasks on other nodes are left out. Undefined: all count. */
  activeNodes?: ReadonlySet<string>;
  /** A rollback is under way: the overall line says so. */
  rollback: boolean;
}

export function serviceKind(service: Service): ServiceKind {
  const mode = service.Spec?.Mode;
  if (mode?.Global) return 'global';
  if (mode?.ReplicatedJob) return 'replicated-job';
  if (mode?.GlobalJob) return 'global-job';
  return 'replicated';
}

export function truncateError(err: string): string {
  const oneLine = err.replace(/\n/g, ' ');
  return oneLine.length > MAX_ERROR_WIDTH ? `${oneLine.slice(0, MAX_ERROR_WIDTH - 1)}…` : oneLine;
}

const padState = (state: string): string => state.padEnd(STATE_WIDTH);

/**
 * Of several tasks for one slot or node (a restart, a start-first update), the one to show:
 * the lowest desired state, then the lowest observed one (docker's choice).
 */
function pickPerKey(tasks: readonly Task[], keyOf: (t: Task) => string): Map<string, Task> {
  const picked = new Map<string, Task>();
  for (const task of tasks) {
    if (step(task.DesiredState) === 0 || step(task.Status?.State) === 0) continue;
    const key = keyOf(task);
    const existing = picked.get(key);
    if (existing) {
      const byDesired = step(existing.DesiredState) - step(task.DesiredState);
      if (byDesired < 0) continue;
      if (byDesired === 0 && step(existing.Status?.State) <= step(task.Status?.State)) continue;
    }
    picked.set(key, task);
  }
  return picked;
}

const shortId = (id: string | undefined): string => (id ?? '').slice(0, 12);

/**
 * Follows one service's rollout from poll to poll. It keeps what must stay stable between
 * frames: which line a slot is drawn on, the nodes a global job started on, and each line's
 * last text (a task that went terminal keeps its last drawn state, as in docker's display).
 */
export class ProgressTracker {
  private readonly lineOf = new Map<string, number>();
  private readonly lastText = new Map<string, ProgressItem>();
  private jobNodes?: Set<string>;

  update(input: ProgressInput): ProgressView {
    switch (serviceKind(input.service)) {
      case 'global':
        return this.global(input);
      case 'replicated-job':
        return this.replicatedJob(input);
      case 'global-job':
        return this.globalJob(input);
      default:
        return this.replicated(input);
    }
  }

  private replicated({ service, tasks, activeNodes, rollback }: ProgressInput): ProgressView {
    const desired = service.Spec?.Mode?.Replicated?.Replicas ?? 1;
    const onActiveNode = tasks.filter(
      (t) => !t.NodeID || activeNodes === undefined || activeNodes.has(t.NodeID),
    );
    const bySlot = pickPerKey(onActiveNode, (t) => String(t.Slot ?? 0));
    let running = 0;
    const slots = [...bySlot.entries()].sort(([a], [b]) => Number(a) - Number(b));
    for (const [slot, task] of slots) {
      if (!isTerminal(task.DesiredState) && task.Status?.State === 'running') running++;
      const line = this.lineFor(slot);
      if (line <= desired) this.remember(`${line}/${desired}`, taskItem(task, SERVICE_STEPS));
    }
    return {
      kind: 'replicated',
      summary: [overall(running, desired, rollback)],
      items: this.itemsFor(desired, (i) => `${i}/${desired}`),
      done: running,
      desired,
      converged: running === desired,
    };
  }

  private global({ tasks, activeNodes, rollback }: ProgressInput): ProgressView {
    const byNode = pickPerKey(tasks, (t) => t.NodeID ?? '');
    const nodeCount = byNode.size;
    if (nodeCount === 0) {
      // Either the orchestrator has not created the tasks yet, or no node qualifies: wait.
      return {
        kind: 'global',
        summary: [{ label: 'overall progress', text: 'waiting for new tasks' }],
        items: [],
        done: 0,
        desired: 0,
        converged: false,
      };
    }
    let running = 0;
    const nodes = [...byNode.keys()].sort();
    for (const node of nodes) {
      const task = byNode.get(node)!;
      if (activeNodes !== undefined && !activeNodes.has(node)) continue;
      if (!isTerminal(task.DesiredState) && task.Status?.State === 'running') running++;
      this.remember(shortId(node), taskItem(task, SERVICE_STEPS));
    }
    return {
      kind: 'global',
      summary: [overall(running, nodeCount, rollback)],
      items: nodeCount > MAX_PROGRESS_BARS ? [] : this.itemsAt(nodes.map(shortId)),
      done: running,
      desired: nodeCount,
      converged: running === nodeCount,
    };
  }

  private replicatedJob({ service, tasks }: ProgressInput): ProgressView {
    const job = service.Spec?.Mode?.ReplicatedJob;
    const total = job?.TotalCompletions ?? job?.MaxConcurrent ?? 1;
    const concurrent = job?.MaxConcurrent ?? 1;
    const iteration = service.JobStatus?.JobIteration?.Index;
    const current = tasks.filter((t) => t.JobIteration?.Index === iteration);
    const bySlot = pickLowestState(current, (t) => String(t.Slot ?? 0));
    let active = 0;
    let complete = 0;
    const slots = [...bySlot.entries()].sort(([a], [b]) => Number(a) - Number(b));
    for (const [slot, task] of slots) {
      const state = task.Status?.State;
      if (step(state) < step('complete')) active++;
      if (state === 'complete') complete++;
      const line = this.lineFor(slot);
      if (line <= total) this.remember(`${line}/${total}`, taskItem(task, JOB_STEPS, true));
    }
    const digits = String(total).length;
    const wanted = Math.min(total - complete, concurrent);
    const activeDigits = String(concurrent).length;
    return {
      kind: 'replicated-job',
      summary: [
        {
          label: 'job progress',
          text: `${String(complete).padStart(digits)} out of ${total} complete`,
          current: complete,
          total,
        },
        {
          label: 'active tasks',
          text: `${String(active).padStart(activeDigits)} out of ${String(wanted).padStart(activeDigits)} tasks`,
        },
      ],
      items: this.itemsFor(total, (i) => `${i}/${total}`),
      done: complete,
      desired: total,
      converged: complete === total,
    };
  }

  private globalJob({ service, tasks, activeNodes }: ProgressInput): ProgressView {
    const iteration = service.JobStatus?.JobIteration?.Index;
    const current = tasks.filter((t) => t.JobIteration?.Index === iteration);
    if (this.jobNodes === undefined) {
      if (current.length === 0 && (activeNodes === undefined || activeNodes.size > 0)) {
        return {
          kind: 'global-job',
          summary: [{ label: 'job progress', text: 'waiting for tasks' }],
          items: [],
          done: 0,
          desired: 0,
          converged: false,
        };
      }
      // A global job creates all its tasks at once: follow the nodes it started on.
      this.jobNodes = new Set(current.map((t) => t.NodeID ?? ''));
    }
    const nodes = this.jobNodes;
    const byNode = pickLowestState(
      current.filter((t) => nodes.has(t.NodeID ?? '')),
      (t) => t.NodeID ?? '',
    );
    let complete = 0;
    const order = [...byNode.keys()].sort();
    for (const node of order) {
      const task = byNode.get(node)!;
      if (task.Status?.State === 'complete') complete++;
      this.remember(shortId(node), taskItem(task, JOB_STEPS, true));
    }
    const total = nodes.size;
    const digits = String(total).length;
    return {
      kind: 'global-job',
      summary: [
        {
          label: 'job progress',
          text: `${String(complete).padStart(digits)} out of ${total} complete`,
          current: complete,
          total,
        },
      ],
      items: total > MAX_PROGRESS_BARS ? [] : this.itemsAt(order.map(shortId)),
      done: complete,
      desired: total,
      converged: complete === total,
    };
  }

  /** The line a slot is drawn on: 1, 2, ... in the order slots first appear. */
  private lineFor(slot: string): number {
    let line = this.lineOf.get(slot);
    if (line === undefined) {
      line = this.lineOf.size + 1;
      this.lineOf.set(slot, line);
    }
    return line;
  }

  private remember(label: string, item: Omit<ProgressItem, 'label'> | undefined): void {
    if (item) this.lastText.set(label, { ...item, label });
  }

  /** Lines 1..count (none above MAX_PROGRESS_BARS); a slot with no task yet is blank. */
  private itemsFor(count: number, label: (i: number) => string): ProgressItem[] {
    if (count > MAX_PROGRESS_BARS) return [];
    return this.itemsAt(Array.from({ length: count }, (_, i) => label(i + 1)));
  }

  private itemsAt(labels: readonly string[]): ProgressItem[] {
    return labels.map((label) => this.lastText.get(label) ?? { label, text: '' });
  }
}

function overall(done: number, desired: number, rollback: boolean): ProgressItem {
  return {
    label: 'overall progress',
    text: rollback
      ? `rolling back update: ${done} out of ${desired} tasks`
      : `${done} out of ${desired} tasks`,
  };
}

/**
 * A task's line: its error if it has one, else its state with a bar. A task that is going
 * away (terminal state or desired state) gives no new line for a service; for a job, a
 * complete task is its last step.
 */
function taskItem(task: Task, steps: number, job = false): Omit<ProgressItem, 'label'> | undefined {
  const err = task.Status?.Err;
  if (err) return { text: truncateError(err) };
  const state = task.Status?.State ?? 'new';
  if (!job && (isTerminal(task.DesiredState) || isTerminal(state))) return undefined;
  return { text: padState(state), current: Math.min(step(state), steps), total: steps };
}

/** For jobs: per slot or node, the task with the lowest observed state. */
function pickLowestState(tasks: readonly Task[], keyOf: (t: Task) => string): Map<string, Task> {
  const picked = new Map<string, Task>();
  for (const task of tasks) {
    if (step(task.DesiredState) === 0 || step(task.Status?.State) === 0) continue;
    const key = keyOf(task);
    const existing = picked.get(key);
    if (!existing || step(existing.Status?.State) > step(task.Status?.State)) {
      picked.set(key, task);
    }
  }
  return picked;
}
