import { type Clock, type Logger } from '@shoal/common';
import {
  type AgentLogLine,
  type AgentSessionMessage,
  type AssignmentMessage,
  DispatcherCallError,
  type DispatcherApi,
  type StreamHandlers,
  type TimerPort,
} from '@shoal/dispatcher';
import {
  type Defer,
  InProcessDispatcherApi,
  InProcessLink,
} from '@shoal/dispatcher/testing/in-process.api';
import { RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { type SeededRng } from '@shoal/raft/core';
import { Agent } from '../../../apps/shoald/src/agent/agent';
import { MemoryAgentState } from '../../../apps/shoald/src/agent/agent-state.store';
import { type EventQueue } from '../event.queue';
import { type Workload } from './cluster.checks';
import { type LeaderStack } from '../../../apps/shoald/src/daemon/leader-stack';
import { type StoreMember } from './store.member';
import { virtualTimers } from './virtual.time';

/** As the gRPC client's per-call deadline (libs/dispatcher/src/grpc/dispatcher.client.ts). */
const CALL_TIMEOUT_MS = 5_000;

export const managerAddr = (id: string) => `${id}:4242`;
const managerOf = (addr: string) => addr.split(':')[0] ?? addr;

/** What the fleet needs of the cluster around it. */
export interface FleetHost {
  queue: EventQueue;
  clock: Clock;
  /** Latency of the agent↔manager wire, and the agents' jitter. */
  rng: SeededRng;
  member(id: string): StoreMember | undefined;
  /** The leader services running on this member, if it leads and they have started. */
  stackOf(id: string): LeaderStack | undefined;
  /** False while a partition separates the node from the manager. */
  canTalk(nodeId: string, managerId: string): boolean;
  logger: Logger;
}

/** One worker host: its engine survives agent restarts; the host dying kills its workloads. */
export class SimHost {
  readonly executor: RecordingExecutor;
  /** The agent's state dir: survives both agent restarts and host reboots. */
  readonly state = new MemoryAgentState();
  agent?: Agent;
  alive = false;
  /** Bumped on every death: the old incarnation's timers and connections are dead. */
  epoch = 0;

  constructor(
    readonly id: string,
    readonly managers: string[],
  ) {
    // A restarted agent re-adopts a workload that still runs (the engine kept it).
    const executor: RecordingExecutor = new RecordingExecutor({
      description: { engineVersion: 'sim' },
      script: (task) => (executor.controllerFor(task.ID ?? '')?.isRunning ? { adopt: true } : {}),
    });
    this.executor = executor;
  }

  /** What runs on this engine now: the latest controller of each task, if running. */
  workloads(): Workload[] {
    const latest = new Map<string, boolean>();
    for (const c of this.executor.controllers) latest.set(c.taskId, c.isRunning);
    return [...latest]
      .filter(([, running]) => running)
      .map(([taskId]) => ({ nodeId: this.id, taskId }));
  }
}

/**
 * A DispatcherApi whose unary calls fail after the gRPC client's deadline: over a link that
 * died silently (a partition, a host that vanished) the in-process API never answers, and
 * the agent learns the manager is gone from its heartbeat's deadline, as it would over gRPC.
 */
class DeadlineApi implements DispatcherApi {
  constructor(
    private readonly inner: DispatcherApi,
    private readonly timers: TimerPort,
    private readonly onBeat: () => void,
  ) {}

  session(d: string, h: StreamHandlers<AgentSessionMessage>) {
    return this.inner.session(d, h);
  }

  assignments(sessionId: string, h: StreamHandlers<AssignmentMessage>) {
    return this.inner.assignments(sessionId, h);
  }

  heartbeat(sessionId: string): Promise<number> {
    return this.deadline(this.inner.heartbeat(sessionId)).then((period) => {
      this.onBeat();
      return period;
    });
  }

  updateTaskStatus(
    sessionId: string,
    updates: readonly { taskId: string; statusJson: string }[],
  ): Promise<void> {
    return this.deadline(this.inner.updateTaskStatus(sessionId, updates));
  }

  publishLogs(id: string, lines: readonly AgentLogLine[], end?: { error?: string }) {
    return this.inner.publishLogs(id, lines, end);
  }

  close(): void {
    this.inner.close();
  }

  private deadline<T>(call: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.timers.setTimeout(
        () => reject(new DispatcherCallError('unavailable', 'deadline exceeded')),
        CALL_TIMEOUT_MS,
      );
      call.then(
        (v) => {
          cancel();
          resolve(v);
        },
        (err: unknown) => {
          cancel();
          reject(err as Error);
        },
      );
    });
  }
}

/**
 * The worker nodes: real Agents (apps/shoald/src/agent) on RecordingExecutors, on the
 * simulator's clock and timers, each connection to a manager an InProcessLink whose hops are
 * events on the queue. A connection dies for good the first time a hop finds its ends unable
 * to talk (partition, manager crash, host death), like a TCP connection that broke; the agent
 * then opens a new one.
 */
export class AgentFleet {
  readonly hosts: SimHost[] = [];
  /** Per node: when and by which manager its last heartbeat was answered. */
  readonly lastBeat = new Map<string, { at: number; manager: string }>();

  constructor(
    private readonly host: FleetHost,
    ids: readonly string[],
    managerIds: readonly string[],
  ) {
    for (const id of ids) {
      // Each agent starts with the managers in its own order, so sessions spread out.
      const order = [...managerIds];
      for (let i = order.length - 1; i > 0; i--) {
        const j = host.rng.intn(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      this.hosts.push(new SimHost(id, order.map(managerAddr)));
    }
  }

  byId(id: string): SimHost {
    const h = this.hosts.find((x) => x.id === id);
    if (!h) throw new Error(`no host ${id}`);
    return h;
  }

  /** Starts (or restarts) the host's agent, which re-adopts what its engine still runs. */
  start(h: SimHost): void {
    if (h.alive) return;
    h.alive = true;
    const epoch = ++h.epoch;
    const alive = () => h.alive && h.epoch === epoch;
    const timers = virtualTimers(this.host.queue, `agent ${h.id}`, alive);
    const rng = this.host.rng;
    const agent = new Agent({
      executor: h.executor,
      state: h.state,
      connect: (addr) => this.connect(h, epoch, addr, timers),
      managers: h.managers,
      describe: () =>
        Promise.resolve({
          Hostname: h.id,
          Platform: { Architecture: 'x86_64', OS: 'linux' },
          Resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 1024 ** 3 },
          Engine: { EngineVersion: 'sim', Labels: {}, Plugins: [] },
        }),
      clock: this.host.clock,
      random: () => rng.next(),
      timers,
      logger: this.host.logger.child({ component: 'agent', node: h.id }),
    });
    h.agent = agent;
    void agent.start();
  }

  /**
   * The agent stops: 'process' is shoald killed (workloads keep running for the next agent to
   * adopt); 'host' is the machine lost (its workloads die with it).
   */
  kill(h: SimHost, how: 'process' | 'host'): void {
    if (!h.alive) return;
    h.alive = false;
    h.epoch++;
    // Only to stop its loops: nothing it sends gets out any more.
    void h.agent?.stop();
    h.agent = undefined;
    if (how === 'host') {
      for (const c of h.executor.controllers)
        if (c.isRunning) c.exit({ exitCode: 137, reason: 'host lost' });
    }
  }

  workloads(): Workload[] {
    return this.hosts.flatMap((h) => h.workloads());
  }

  private connect(h: SimHost, epoch: number, addr: string, timers: TimerPort): DispatcherApi {
    const managerId = managerOf(addr);
    const m = this.host.member(managerId);
    const mEpoch = m?.epoch ?? -1;
    let dead = false;
    const ok = () =>
      !dead &&
      h.alive &&
      h.epoch === epoch &&
      m !== undefined &&
      m.up &&
      m.epoch === mEpoch &&
      this.host.canTalk(h.id, managerId);
    const label = `wire ${h.id}~${managerId}`;
    const defer: Defer = (fn) => {
      if (!ok()) {
        dead = true;
        return;
      }
      this.host.queue.schedule(1 + this.host.rng.intn(3), label, () => {
        if (!ok()) {
          dead = true;
          return;
        }
        fn();
      });
    };
    const api = new InProcessDispatcherApi({
      link: new InProcessLink(defer),
      nodeId: h.id,
      current: () => (m?.up && m.epoch === mEpoch ? this.host.stackOf(managerId) : undefined),
      leaderAddr: () => (m?.lead && m.lead !== managerId ? managerAddr(m.lead) : undefined),
      peerAddr: `10.0.0.${this.hosts.indexOf(h) + 10}`,
    });
    return new DeadlineApi(api, timers, () =>
      this.lastBeat.set(h.id, { at: this.host.queue.now, manager: managerId }),
    );
  }
}
