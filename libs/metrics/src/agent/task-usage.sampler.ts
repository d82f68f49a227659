import { setMaxListeners } from 'node:events';
import { type Task } from '@shoal/api';
import { type Clock } from '@shoal/common';
import { type Executor, type TaskStats, type TaskStatsResult } from '@shoal/exec';

export interface TaskUsageSamplerOptions {
  /** The tasks whose workload exists now (starting or running). */
  tasks(): readonly Task[];
  executor: Pick<Executor, 'stats'>;
  /** How long one sample may take; what is not in by then keeps its last value. */
  budgetMs: number;
  /** A sample younger than this is served again instead of asking the engine twice. */
  maxAgeMs: number;
  clock: Clock;
  /**
   * How long to wait, once the budget is spent and the sample aborted, for the executor to
   * hand over what it gathered before the abort (default ABORT_GRACE_MS).
   */
  abortGraceMs?: number;
  onError?(taskId: string, error: Error): void;
}

const ABORT_GRACE_MS = 250;

type Settled =
  { result: TaskStatsResult; error?: undefined } | { result?: undefined; error: Error };

/** `p`'s value if it settles within `ms`, else undefined. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
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
 * When the budget runs out, what the executor gathered until then is kept (an aborted
 * executor hands it over); a task whose sample failed or came late keeps its last value.
 * Tasks are asked for oldest sample first, so on a node with more tasks than one budget
 * covers every task is refreshed in turn. A task that is no longer listed is dropped, so the
 * series of ended tasks disappear. CPU never goes down, even when the engine's figure does
 * (a process leaving the task's session takes its time along).
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
      // One abort listener per in-flight engine request (up to 32 at once, one per task in
      // all): past Node's default of 10 it would warn about a leak that is not one.
      setMaxListeners(0, abort.signal);
      // Settled into a value so that a call given up on cannot become an unhandled rejection.
      const call: Promise<Settled> = Promise.resolve()
        .then(() => stats.call(this.o.executor, tasks, abort.signal))
        .then(
          (result) => ({ result }),
          (error: unknown) => ({ error: error as Error }),
        );
      let settled = await within(call, this.o.budgetMs);
      if (!settled) {
        // An aborted executor returns what it has gathered so far. Waiting for it (a little)
        // is what lets a node whose tasks do not all fit in one budget make progress: the
        // tasks asked first are refreshed, and the next sample starts with the others.
        abort.abort();
        settled = await within(call, this.o.abortGraceMs ?? ABORT_GRACE_MS);
      }
      if (settled?.result) {
        fresh = settled.result.stats;
        for (const { taskId, error } of settled.result.errors) this.o.onError?.(taskId, error);
      } else if (settled?.error && !abort.signal.aborted) {
        this.o.onError?.('', settled.error);
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
