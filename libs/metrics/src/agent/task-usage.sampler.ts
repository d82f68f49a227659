import { type Task } from '@shoal/api';
import { type Clock } from '@shoal/common';
import { type Executor, type TaskStats } from '@shoal/exec';

export interface TaskUsageSamplerOptions {
  /** The tasks whose workload exists now (starting or running). */
  tasks(): readonly Task[];
  executor: Pick<Executor, 'stats'>;
  /** How long one sample may take; what is not in by then keeps its last value. */
  budgetMs: number;
  /** A sample younger than this is served again instead of asking the engine twice. */
  maxAgeMs: number;
  clock: Clock;
  onError?(taskId: string, error: Error): void;
}

export interface TaskUsage {
  task: Task;
  stats: TaskStats;
}

interface Kept extends TaskUsage {
  /** When the engine last gave a figure for it (the sampler's clock). */
  sampledAt: number;
}

/**
 * Samples the tasks' CPU and memory when Prometheus scrapes (see docs/metrics.md for why not
 * in the background). The cost is bounded: one sample at a time (concurrent scrapes share
 * it, and one within `maxAgeMs` of the last is served from it), each limited to `budgetMs`.
 * A task whose sample failed or came late keeps its last value; tasks are asked for oldest
 * sample first, so on a node with more tasks than one budget covers every task is refreshed
 * in turn. A task that is no longer listed is dropped, so the series of ended tasks disappear. CPU never goes down, even when
 * the engine's figure does (a process leaving the task's session takes its time along).
 */
export class TaskUsageSampler {
  private last = new Map<string, Kept>();
  private lastAt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<Map<string, TaskUsage>>;

  constructor(private readonly o: TaskUsageSamplerOptions) {}

  sample(): Promise<Map<string, TaskUsage>> {
    if (this.o.clock.now() - this.lastAt < this.o.maxAgeMs) {
      return Promise.resolve(this.current(this.o.tasks()));
    }
    this.inFlight ??= this.fresh().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The last values of the tasks still listed. */
  private current(tasks: readonly Task[]): Map<string, TaskUsage> {
    const out = new Map<string, TaskUsage>();
    for (const task of tasks) {
      const usage = this.last.get(task.ID ?? '');
      if (usage) out.set(task.ID!, { task, stats: usage.stats });
    }
    return out;
  }

  private async fresh(): Promise<Map<string, TaskUsage>> {
    const age = (t: Task) => this.last.get(t.ID ?? '')?.sampledAt ?? Number.NEGATIVE_INFINITY;
    const tasks = [...this.o.tasks()].sort((a, b) => age(a) - age(b));
    const stats = this.o.executor.stats;
    let fresh = new Map<string, TaskStats>();
    if (tasks.length > 0 && stats) {
      const abort = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          abort.abort();
          resolve(undefined);
        }, this.o.budgetMs);
      });
      try {
        const result = await Promise.race([stats.call(this.o.executor, tasks, abort.signal), late]);
        if (result) {
          fresh = result.stats;
          for (const { taskId, error } of result.errors) this.o.onError?.(taskId, error);
        }
      } catch (e) {
        this.o.onError?.('', e as Error);
      } finally {
        clearTimeout(timer);
      }
    }
    const at = this.o.clock.now();
    const next = new Map<string, Kept>();
    for (const task of tasks) {
      const id = task.ID ?? '';
      const before = this.last.get(id);
      const now = fresh.get(id);
      if (now) {
        const cpuSeconds = Math.max(now.cpuSeconds, before?.stats.cpuSeconds ?? 0);
        next.set(id, { task, stats: { cpuSeconds, memoryBytes: now.memoryBytes }, sampledAt: at });
      } else if (before) {
        next.set(id, { ...before, task });
      }
    }
    this.last = next;
    this.lastAt = at;
    return this.current(tasks);
  }
}
