import { type ServiceSpec } from '@shoal/api/swarm';
import {
  nullLogger,
  objectIdGenerator,
  seededRandomBytes,
  systemClock,
  type Logger,
} from '@shoal/common';
import {
  DEFAULT_HEARTBEAT_POLICY,
  Dispatcher,
  LogBroker,
  type HeartbeatPolicy,
  type StatusBatchBounds,
  systemTimers,
} from '@shoal/dispatcher';
import { InProcessDispatcherApi, InProcessLink } from '@shoal/dispatcher/testing/in-process.api';
import { type RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { ReplicatedOrchestrator, type OrchestratedService } from '@shoal/orchestrator';
import { Scheduler } from '@shoal/scheduler';
import { MemoryStore, type ReadTx } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { type Agent } from '../../../apps/shoald/src/agent/agent';
import { nodeState, type StoredNode } from './cluster.views';
import { seededRandom, simulatedAgent } from './simulated.agent';

/** As apps/shoald/src/daemon/leader-services.ts: how often due restarts are looked for. */
const ORCHESTRATOR_TICK_MS = 250;
const MANAGER_ADDR = 'sim-manager:4242';

export interface SimulatedClusterOptions {
  /** Default: the dispatcher's default (1 s period, 2.5 s grace), which the node-loss target is about. */
  heartbeat?: HeartbeatPolicy;
  statusBatch?: StatusBatchBounds;
  /** The orchestrator's restart delay when a service sets none. Default Swarm's 5 s. */
  restartDelayMs?: number;
  /** IDs and the agents' jitter. */
  seed?: number;
  logger?: Logger;
}

interface SimulatedNode {
  id: string;
  link: InProcessLink;
  agent: Agent;
  executor: RecordingExecutor;
  stopped?: Promise<void>;
}

interface LeaderServices {
  dispatcher: Dispatcher;
  logs: LogBroker;
  orchestrator: ReplicatedOrchestrator;
  scheduler: Scheduler;
  tick: NodeJS.Timeout;
}

/**
 * The scale harness of issue 5: one manager's store on a DirectProposer (Raft of one, in
 * process), the leader services on it (replicated orchestrator, scheduler, dispatcher) wired
 * as LeaderServices wires them, and N real Agents (apps/shoald/src/agent) on a
 * RecordingExecutor and in-memory state, each talking to the dispatcher through an
 * InProcessDispatcherApi over its own link. Tasks "run" in memory and report running at once.
 *
 * Time is the wall clock and timers are real (tests shorten the heartbeat policy): this
 * harness measures scale on real time. The deterministic, virtual-time cluster with Raft,
 * every leader component and faults is test/sim/cluster.
 */
export class SimulatedCluster {
  readonly store: MemoryStore;
  private readonly nodes = new Map<string, SimulatedNode>();
  private leader?: LeaderServices;
  private readonly newId: () => string;
  private readonly random: () => number;
  private readonly log: Logger;
  private nextNode = 1;

  constructor(private readonly o: SimulatedClusterOptions = {}) {
    const seed = o.seed ?? 1;
    const proposer = new DirectProposer();
    this.store = new MemoryStore({
      proposer,
      clock: systemClock,
      newId: objectIdGenerator(seededRandomBytes(seed)),
    });
    proposer.attach(this.store);
    this.newId = objectIdGenerator(seededRandomBytes(seed + 1));
    this.random = seededRandom(seed + 2);
    this.log = o.logger ?? nullLogger;
  }

  /** Starts the leader services and `count` nodes; resolves with their IDs once all are ready. */
  async start(count: number): Promise<string[]> {
    this.startLeader();
    return this.addNodes(count);
  }

  /** The leader's dispatcher, for tests that look at sessions. */
  get dispatcher(): Dispatcher {
    if (!this.leader) throw new Error('the cluster is not started');
    return this.leader.dispatcher;
  }

  /** Joins `count` fresh nodes (IDs node-01, node-02, ...); resolves once all are ready. */
  async addNodes(count: number, timeoutMs = 30_000): Promise<string[]> {
    const numbers = Array.from({ length: count }, () => this.nextNode++);
    const ids = numbers.map((n) => `node-${String(n).padStart(2, '0')}`);
    // What admission writes for a worker: its state is unknown until its agent has a session.
    await this.store.update((tx) => {
      for (const id of ids) {
        tx.create<StoredNode>('node', {
          ID: id,
          Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
          Status: { State: 'unknown' },
        });
      }
    });
    await Promise.all(ids.map((id, i) => this.startAgent(id, numbers[i]!)));
    await this.waitFor(
      `${count} new node(s) ready`,
      (tx) => ids.every((id) => nodeState(tx, id) === 'ready') || undefined,
      timeoutMs,
    );
    return ids;
  }

  /** A replicated service of `replicas` tasks; returns its ID. */
  async createService(name: string, replicas: number): Promise<string> {
    let id = '';
    await this.store.update((tx) => {
      const spec: ServiceSpec = {
        Name: name,
        Labels: {},
        Mode: { Replicated: { Replicas: replicas } },
        TaskTemplate: { ContainerSpec: { Image: 'sim/idle:latest' } },
      };
      id = tx.create<OrchestratedService>('service', { Spec: spec }).ID;
    });
    return id;
  }

  /**
   * The node dies, as under kill -9: nothing more reaches the manager from it (see
   * InProcessLink.cut for `reset`), and its agent is stopped only to free its timers. Its
   * tasks keep "running" in its executor, where nobody reports them any more.
   */
  kill(nodeId: string, o: { reset?: boolean } = {}): void {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`no node ${nodeId}`);
    if (node.stopped) return;
    node.link.cut(o);
    node.stopped = node.agent.stop();
  }

  /** The IDs of the nodes whose agents run. */
  liveNodes(): string[] {
    return [...this.nodes.values()].filter((n) => !n.stopped).map((n) => n.id);
  }

  /** The node's fake engine, to see what "runs" there. */
  executorOf(nodeId: string): RecordingExecutor {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`no node ${nodeId}`);
    return node.executor;
  }

  /** Runs `fn` on a consistent view of the leader's store. */
  view<T>(fn: (tx: ReadTx) => T): T {
    return this.store.view(fn);
  }

  /**
   * Resolves with the first value `probe` gives other than undefined or false, checking now
   * and after every commit, so the resolution marks the commit that made it true (a probe
   * may read the clock to time it). Rejects naming `what` after `timeoutMs`.
   */
  waitFor<T>(
    what: string,
    probe: (tx: ReadTx) => T | undefined | false,
    timeoutMs = 30_000,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        unwatch();
      };
      const timer = setTimeout(() => {
        if (done) return;
        finish();
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (done) return;
        try {
          const v = this.store.view(probe);
          if (v === undefined || v === false) return;
          finish();
          resolve(v);
        } catch (err) {
          finish();
          reject(err as Error);
        }
      };
      const unwatch = this.store.watch(
        (e) => (e.type === 'commit' || e.type === 'reset') && check(),
      );
      check();
    });
  }

  /** Stops every agent (as a shoald stop would: tasks left running), then the leader. */
  async stop(): Promise<void> {
    for (const n of this.nodes.values()) {
      if (n.stopped) continue;
      n.link.cut();
      n.stopped = n.agent.stop();
    }
    await Promise.all([...this.nodes.values()].map((n) => n.stopped));
    const l = this.leader;
    this.leader = undefined;
    if (!l) return;
    clearInterval(l.tick);
    l.logs.stop();
    l.dispatcher.stop();
    l.orchestrator.stop();
    await l.scheduler.stop();
    await l.orchestrator.settled();
  }

  private startLeader(): void {
    if (this.leader) return;
    const store = this.store;
    const dispatcher = new Dispatcher({
      store,
      clock: systemClock,
      timers: systemTimers,
      newId: this.newId,
      logger: this.log.child({ component: 'dispatcher' }),
      heartbeat: this.o.heartbeat ?? DEFAULT_HEARTBEAT_POLICY,
      ...(this.o.statusBatch ? { statusBatch: this.o.statusBatch } : {}),
    });
    const orchestrator = new ReplicatedOrchestrator({
      store,
      clock: systemClock,
      newId: this.newId,
      logger: this.log.child({ component: 'orchestrator' }),
      ...(this.o.restartDelayMs !== undefined ? { restartDelayMs: this.o.restartDelayMs } : {}),
    });
    const scheduler = new Scheduler({
      store,
      clock: systemClock,
      onError: (err) => this.log.warn('scheduler write failed', { err: (err as Error).message }),
    });
    const logs = new LogBroker(dispatcher, this.newId, this.log.child({ component: 'logs' }));
    dispatcher.start();
    orchestrator.start();
    scheduler.start();
    const tick = setInterval(() => void orchestrator.tick(), ORCHESTRATOR_TICK_MS);
    this.leader = { dispatcher, logs, orchestrator, scheduler, tick };
  }

  private async startAgent(id: string, n: number): Promise<void> {
    const link = new InProcessLink();
    const peerAddr = `10.0.${n >> 8}.${n & 255}`;
    const { agent, executor } = simulatedAgent({
      id,
      connect: () =>
        new InProcessDispatcherApi({
          link,
          nodeId: id,
          current: () => this.leader,
          leaderAddr: () => MANAGER_ADDR,
          peerAddr,
        }),
      managers: [MANAGER_ADDR],
      random: this.random,
      logger: this.log.child({ component: 'agent', node: id }),
    });
    this.nodes.set(id, { id, link, agent, executor });
    await agent.start();
  }
}
