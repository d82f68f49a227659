import { TASK_STATE_ORDER, TASK_STATES, type Task, type TaskState } from '@shoal/api';
import { type Clock, systemClock } from '@shoal/common';
import { type Executor } from '@shoal/exec';
import { type Counter, type Gauge, type Histogram, type Registry } from 'prom-client';
import { MetricGroup } from '../registry.group';
import { TaskUsageSampler } from './task-usage.sampler';
import { monotonicClock, timedExecutor } from './timed.executor';

/** One task as the agent sees it: the assignment and the last state it reported. */
export interface AgentTaskView {
  task: Task;
  /** Undefined until the agent reports the task's first state. */
  state?: TaskState;
}

/** What the metrics read from the running agent. */
export interface AgentMetricsSource {
  tasks(): readonly AgentTaskView[];
  /** The executor the agent uses, for per-task CPU and memory. */
  executor: Pick<Executor, 'stats'>;
}

export interface AgentMetricsOptions {
  /** Time budget of one CPU/memory sample (default 2 s). */
  statsBudgetMs?: number;
  /** Scrapes within this long of the last sample reuse it (default 1 s). */
  statsMaxAgeMs?: number;
  /** For the sampler's age check; the system clock unless a test passes one. */
  clock?: Clock;
  /** For the operation durations; monotonic unless a test passes one. */
  durationClock?: Clock;
  onStatsError?(taskId: string, error: Error): void;
  /** A collect function threw; that metric has no series in this scrape. */
  onCollectError?(metric: string, err: unknown): void;
}

/**
 * States always exported, 0 when no task is in them, so that a dashboard sees every line:
 * those an agent can hold a task in, from assigned to rejected.
 */
const AGENT_STATES: readonly TaskState[] = TASK_STATES.filter(
  (s) =>
    TASK_STATE_ORDER[s] >= TASK_STATE_ORDER.assigned &&
    TASK_STATE_ORDER[s] <= TASK_STATE_ORDER.rejected,
);

/** The states in which a task's workload exists on the engine. */
const HAS_WORKLOAD = new Set<TaskState>(['starting', 'running']);

/** From a few milliseconds (remove) to minutes (an image pull in prepare, a long grace period). */
const OPERATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const TASK_LABELS = ['task_id', 'service_id', 'service_name', 'slot'] as const;

function taskLabels(task: Task): Record<(typeof TASK_LABELS)[number], string> {
  const name = (task as { ServiceAnnotations?: { Name?: string } }).ServiceAnnotations?.Name;
  return {
    task_id: task.ID ?? '',
    service_id: task.ServiceID ?? '',
    service_name: name ?? '',
    // Global services' tasks have no slot: 0, as Swarm's API and the discovery labels say.
    slot: String(task.Slot ?? 0),
  };
}

/**
 * The agent's metrics (docs/metrics.md), registered once per registry and fed by whichever
 * agent is attached: shoald makes a new Agent when the node leaves and joins again, and a
 * registry refuses a second metric of the same name. With no agent attached (not in a
 * swarm) the per-task series are empty and every state counts 0.
 */
export class AgentMetrics {
  private source?: AgentMetricsSource;
  private sampler?: TaskUsageSampler;
  private readonly stateGauge: Gauge<'state'>;
  private readonly operations: Histogram<'executor' | 'operation' | 'outcome'>;
  private readonly cpu: Counter<(typeof TASK_LABELS)[number]>;
  private readonly memory: Gauge<(typeof TASK_LABELS)[number]>;

  constructor(
    registry: Registry,
    private readonly o: AgentMetricsOptions = {},
  ) {
    const group = new MetricGroup(registry, o.onCollectError);
    this.stateGauge = group.gauge({
      name: 'shoal_agent_tasks',
      help: 'Tasks assigned to this node, by the state the agent last reported.',
      labelNames: ['state'],
      collect: () => this.collectStates(),
    });
    this.operations = group.histogram({
      name: 'shoal_executor_operation_duration_seconds',
      help: 'Executor calls made by the agent, by executor, operation and outcome.',
      labelNames: ['executor', 'operation', 'outcome'],
      buckets: OPERATION_BUCKETS,
    });
    this.cpu = group.counter({
      name: 'shoal_task_cpu_seconds_total',
      help: "CPU time (user + system) used by the task's container or process tree.",
      labelNames: TASK_LABELS,
      collect: async () => {
        const usage = await this.usage();
        this.cpu.reset();
        for (const { task, stats } of usage) this.cpu.inc(taskLabels(task), stats.cpuSeconds);
      },
    });
    this.memory = group.gauge({
      name: 'shoal_task_memory_bytes',
      help: "Memory in use by the task's container (without inactive page cache) or processes (RSS).",
      labelNames: TASK_LABELS,
      collect: async () => {
        const usage = await this.usage();
        this.memory.reset();
        for (const { task, stats } of usage) this.memory.set(taskLabels(task), stats.memoryBytes);
      },
    });
  }

  private collectStates(): void {
    const counts = new Map<string, number>(AGENT_STATES.map((s) => [s, 0]));
    for (const t of this.source?.tasks() ?? []) {
      const state = t.state ?? 'assigned';
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    this.stateGauge.reset();
    for (const [state, n] of counts) this.stateGauge.set({ state }, n);
  }

  /**
   * `executor` with its calls timed into shoal_executor_operation_duration_seconds, labelled
   * `executor` with `name` ("docker", "process").
   */
  instrument(executor: Executor, name: string): Executor {
    return timedExecutor(
      executor,
      (operation, outcome, seconds) =>
        this.operations.observe({ executor: name, operation, outcome }, seconds),
      this.o.durationClock ?? monotonicClock,
    );
  }

  /** Feeds the metrics from this agent from now on, instead of the last one. */
  attach(source: AgentMetricsSource): void {
    this.source = source;
    this.sampler = new TaskUsageSampler({
      tasks: () =>
        source
          .tasks()
          .filter((t) => t.state !== undefined && HAS_WORKLOAD.has(t.state))
          .map((t) => t.task),
      executor: source.executor,
      budgetMs: this.o.statsBudgetMs ?? 2_000,
      maxAgeMs: this.o.statsMaxAgeMs ?? 1_000,
      clock: this.o.clock ?? systemClock,
      ...(this.o.onStatsError ? { onError: this.o.onStatsError } : {}),
    });
  }

  /** Stops reading `source` (its agent stopped); a later agent's attach() is not undone. */
  detach(source: AgentMetricsSource): void {
    if (this.source !== source) return;
    this.source = undefined;
    this.sampler = undefined;
  }

  private async usage() {
    const sampler = this.sampler;
    return sampler ? [...(await sampler.sample()).values()] : [];
  }
}
