import { type Clock, type Logger } from '@shoal/common';
import { type DispatcherApi, type ManagerAddress, type TimerPort } from '@shoal/dispatcher';
import { type Executor } from '@shoal/exec';
import { type AgentMetrics, type AgentMetricsSource } from '@shoal/metrics';
import { AgentSession } from './agent.session';
import { type AgentStateStore, type SavedTask } from './agent-state.store';
import { LogPublisher } from './log.publisher';
import { StatusReporter } from './status.reporter';
import { TaskWorker } from './task.worker';

export interface AgentOptions {
  executor: Executor;
  state: AgentStateStore;
  /** A client for the dispatcher of the manager at `addr`. */
  connect(addr: string): DispatcherApi;
  /** The managers known when the agent starts (cluster addresses). */
  managers: string[];
  /** The node's NodeDescription (Docker API JSON), engine included. */
  describe(): Promise<Record<string, unknown>>;
  /** Called when the manager list changes, to keep it for the next start. */
  onManagers?(managers: ManagerAddress[]): void;
  clock: Clock;
  random(): number;
  /**
   * The session's and the status reporter's timers. Default: the global ones; the
   * deterministic simulator passes timers on its virtual clock.
   */
  timers?: TimerPort;
  logger: Logger;
  /**
   * Where the agent's metrics go (docs/metrics.md): the executor's calls are timed and the
   * tasks' states and usage are read from this agent while it runs.
   */
  metrics?: { agent: AgentMetrics; executorName: string };
}

/**
 * The agent that runs on every node (BRIEF decision 6): a dispatcher session, the task worker
 * that runs the node's assignments on the executor, the status reporter, and the log publisher.
 */
export class Agent {
  private readonly worker: TaskWorker;
  private readonly reporter: StatusReporter;
  private readonly session: AgentSession;
  private readonly logs: LogPublisher;
  private managers: string[];
  private stopped = false;
  private readonly state: AgentStateStore;
  private readonly metrics?: { agent: AgentMetrics; source: AgentMetricsSource };

  constructor(o: AgentOptions) {
    this.managers = [...o.managers];
    this.state = o.state;
    const log = o.logger;
    const executor = o.metrics
      ? o.metrics.agent.instrument(o.executor, o.metrics.executorName)
      : o.executor;
    this.reporter = new StatusReporter(
      (err) => log.debug('status report not delivered yet', { err: (err as Error).message }),
      o.timers,
    );
    this.worker = new TaskWorker({
      executor,
      state: o.state,
      clock: o.clock,
      report: (taskId, status) => this.reporter.report(taskId, status),
      forget: (taskId) => this.reporter.forget(taskId),
      logger: log,
    });
    this.logs = new LogPublisher(executor, (id) => this.worker.taskOf(id), log);
    this.session = new AgentSession({
      connect: (addr) => o.connect(addr),
      managers: () => this.managers,
      describe: async () => JSON.stringify(await o.describe()),
      onOpen: (api, sessionId) =>
        this.reporter.setSender({ send: (u) => api.updateTaskStatus(sessionId, u) }),
      onClose: () => {
        this.reporter.setSender(undefined);
        this.logs.abortAll();
      },
      onAssignments: (msg) => this.worker.apply(msg),
      onManagers: (managers) => {
        if (managers.length === 0) return;
        this.managers = managers.map((m) => m.addr);
        o.onManagers?.(managers);
      },
      onLogSubscription: (api, sub) => this.logs.handle(api, sub),
      random: o.random,
      ...(o.timers ? { timers: o.timers } : {}),
      logger: log,
    });
    if (o.metrics) {
      const source: AgentMetricsSource = {
        tasks: () =>
          this.worker.tasks().map((t) => ({
            task: t.task,
            ...(t.status?.State ? { state: t.status.State } : {}),
          })),
        executor,
      };
      this.metrics = { agent: o.metrics.agent, source };
      o.metrics.agent.attach(source);
    }
  }

  /** Re-adopts the tasks from before a restart, then connects. */
  async start(): Promise<void> {
    // The last agent may have died before the manager acknowledged its last reports (a task
    // it found ended, say): send every saved status again. What the restore reports is newer
    // and replaces it. Found by the cluster chaos simulation (test/sim/cluster).
    for (const s of await this.state.load()) {
      if (s.status && s.task.ID) this.reporter.report(s.task.ID, s.status);
    }
    await this.worker.restore();
    if (!this.stopped) this.session.start();
  }

  /**
   * Disconnects and leaves the tasks running, for the next agent to adopt (a restart or an
   * upgrade of shoald must not restart workloads).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.worker.detach();
    this.detachMetrics();
    await this.session.stop();
  }

  /** `swarm leave`: stops every task and removes what it left on the engine. */
  async stopAndRemoveTasks(): Promise<void> {
    this.stopped = true;
    await this.session.stop();
    await this.worker.stopAll();
    this.detachMetrics();
  }

  private detachMetrics(): void {
    if (this.metrics) this.metrics.agent.detach(this.metrics.source);
  }

  get connected(): boolean {
    return this.session.connected;
  }

  tasks(): SavedTask[] {
    return this.worker.tasks();
  }
}
