import { type ServiceSpec } from '@shoal/api/swarm';
import { type Logger, nullLogger, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type Message, type NodeId, SeededRng } from '@shoal/raft/core';
import { type ReadTx, StoreError, type WriteTx } from '@shoal/store';
import { type StoredNode, type StoredTask } from '../agents/cluster.views';
import { EventQueue } from '../event.queue';
import { SafetyInvariants } from '../safety.invariants';
import { type NetworkFaults, RELIABLE_NETWORK, SeededNetwork } from '../seeded.network';
import { streamSeed } from '../sim.options';
import { TraceHasher } from '../trace.hash';
import { AgentFleet } from './agent.fleet';
import { ClusterChaos, type ChaosStats } from './cluster.chaos';
import {
  type ClusterFacts,
  convergenceProblems,
  duplicateSlots,
  readFacts,
  type ServiceRecord,
} from './cluster.checks';
import { LeaderStack } from '../../../apps/shoald/src/daemon/leader-stack';
import { StoreMember } from './store.member';
import { drainMicrotasks, guardRealTime, virtualClock, virtualTimers } from './virtual.time';

/**
 * 'duplicate-slot' writes a second running task into a settled slot: the checks must catch
 * it, or they could pass vacuously.
 */
export type ClusterBrokenMode = 'none' | 'duplicate-slot';

export interface ClusterSimOptions {
  seed: number;
  /** Worker nodes, each a real Agent. Default 8. */
  agents?: number;
  /** Virtual ms of chaos. Default 40 s. */
  chaosMs?: number;
  /** After the heal, how long the cluster has to converge. Default 60 s. */
  settleMs?: number;
  /** After it converged, how long it is watched, every event. Default 10 s. */
  watchMs?: number;
  broken?: ClusterBrokenMode;
  /** Every component's log lines (debug included), stamped with virtual time. Default: none. */
  logTo?: (line: string) => void;
}

export interface ClusterSimStats extends ChaosStats {
  events: number;
  virtualMs: number;
  /** Leader services started (each after a new leader's read barrier). */
  leaderStacks: number;
  /** Raft leaders elected (terms with a leader). */
  leadersElected: number;
  highestTerm: number;
  settledAfterMs: number;
  tasks: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
}

export interface ClusterSimResult {
  ok: boolean;
  seed: number;
  failure?: string;
  stats: ClusterSimStats;
  /** Equal hashes: the same run, event for event. */
  traceHash: string;
  /** The last events before the failure (or the end). */
  lastEvents: string[];
  replay: string;
}

const MANAGERS = ['m1', 'm2', 'm3'];
const TICK_MS = 100;
/** The operator's client gives up on a write after this long, and tries again. */
const WRITE_TIMEOUT_MS = 5_000;
const RECENT = 30;

const MANAGER_NETWORK: NetworkFaults = {
  dropRate: 0.01,
  duplicateRate: 0.01,
  minDelayMs: 1,
  maxDelayMs: 8,
  longDelayRate: 0.01,
  longDelayMs: 80,
};

class RunFailed extends Error {}

function lineLogger(
  write: (line: string) => void,
  now: () => number,
  fields: Record<string, unknown> = {},
): Logger {
  const at = (level: string) => (msg: string, f?: Record<string, unknown>) =>
    write(`${now()} ${level} ${msg} ${JSON.stringify({ ...fields, ...f })}`);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => lineLogger(write, now, { ...fields, ...more }),
  };
}

export function replayCommand(o: ClusterSimOptions): string {
  const extra = o.broken && o.broken !== 'none' ? ` --broken ${o.broken}` : '';
  return `npx tsx test/sim/cluster/cluster.cli.ts --seeds 1 --first-seed ${o.seed}${extra}`;
}

export function runClusterSimulation(o: ClusterSimOptions): Promise<ClusterSimResult> {
  return new ClusterSimulation(o).run();
}

/**
 * Issue #6 under chaos: three managers (the pure Raft core, each with a real MemoryStore as
 * its state machine), the leader services as LeaderServices wires them on whichever member
 * leads, and real Agents on fake engines, all on one virtual clock. A seeded schedule crashes
 * and restarts managers (the leader most often), partitions them, kills and revives hosts and
 * agents, cuts agents off from managers, scales and updates services. Then everything heals
 * and the cluster must converge: every replicated service at its replicas, one task of the
 * global service per node, never two running tasks in a slot — watched at every event for a
 * while after it settled.
 */
export class ClusterSimulation {
  readonly queue = new EventQueue();
  readonly clock = virtualClock(this.queue);
  readonly members = new Map<NodeId, StoreMember>();
  readonly network: SeededNetwork;
  readonly fleet: AgentFleet;
  private readonly chaos: ClusterChaos;
  private readonly invariants = new SafetyInvariants();
  private readonly stacks = new Map<NodeId, LeaderStack>();
  private readonly generation = new Map<NodeId, number>();
  private readonly trace = new TraceHasher();
  private readonly recent: string[] = [];
  /** Directed "node>manager" pairs that cannot talk (both directions are cut together). */
  readonly agentCuts = new Set<string>();
  private readonly log: Logger;
  private readonly tickRng: SeededRng;
  private leaderStacks = 0;
  private settledAfterMs = -1;
  private healedAt = Infinity;

  constructor(private readonly o: ClusterSimOptions) {
    const seed = o.seed;
    this.log = o.logTo ? lineLogger(o.logTo, () => this.queue.now) : nullLogger;
    this.tickRng = new SeededRng(streamSeed(seed, 'cluster/tick'));
    this.network = new SeededNetwork(
      new SeededRng(streamSeed(seed, 'cluster/network')),
      this.queue,
      {
        epochOf: (id) => this.member(id).epoch,
        isUp: (id) => this.member(id).up,
        deliver: (m) => this.member(m.to).receive(m),
        snapshotOutcome: (from, to, ok, epoch) => {
          const s = this.member(from);
          if (s.up && s.epoch === epoch) s.snapshotOutcome(to, ok);
        },
        unreachable: (from, to) => this.member(from).unreachable(to),
      },
      MANAGER_NETWORK,
    );
    const host = {
      send: (m: Message) => this.network.send(m),
      invariants: this.invariants,
      clock: this.clock,
      seedFor: (id: NodeId, boot: number, stream: string) =>
        streamSeed(seed, `cluster/${id}/${boot}/${stream}`),
    };
    for (const id of MANAGERS) {
      const m = new StoreMember(
        id,
        MANAGERS,
        { electionTick: 5, heartbeatTick: 1, snapshotEvery: 100, snapshotRetain: 20 },
        host,
      );
      m.onLeadership = () => this.leadershipChanged(m);
      this.members.set(id, m);
    }
    const agents = Array.from(
      { length: o.agents ?? 8 },
      (_, i) => `node-${String(i + 1).padStart(2, '0')}`,
    );
    this.fleet = new AgentFleet(
      {
        queue: this.queue,
        clock: this.clock,
        rng: new SeededRng(streamSeed(seed, 'cluster/agents')),
        member: (id) => this.members.get(id),
        stackOf: (id) => this.stacks.get(id),
        canTalk: (node, manager) => !this.agentCuts.has(`${node}>${manager}`),
        logger: this.log,
      },
      agents,
      MANAGERS,
    );
    this.chaos = new ClusterChaos(new SeededRng(streamSeed(seed, 'cluster/chaos')), this);
  }

  member(id: NodeId): StoreMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** The member that leads with its leader services running, if any. */
  leader(): StoreMember | undefined {
    let best: StoreMember | undefined;
    for (const m of this.members.values()) {
      if (m.isLeader && this.stacks.has(m.id) && (!best || m.term > best.term)) best = m;
    }
    return best;
  }

  restartMember(m: StoreMember): void {
    if (m.up) return;
    m.restart();
    this.startTicking(m);
  }

  // --- leadership ----------------------------------------------------------------------------

  /** As LeaderServices.onLeader: stop on any change; start after a read barrier as leader. */
  private leadershipChanged(m: StoreMember): void {
    const wasLeading = this.stacks.has(m.id);
    if (wasLeading && m.isLeader) return;
    const gen = (this.generation.get(m.id) ?? 0) + 1;
    this.generation.set(m.id, gen);
    if (wasLeading) {
      this.stacks.get(m.id)?.stop();
      this.stacks.delete(m.id);
      this.log.info('leader services stopped', { manager: m.id, up: m.up, term: m.term });
    }
    if (!m.isLeader) return;
    const epoch = m.epoch;
    const term = m.term;
    m.readBarrier().then(
      () => {
        if (this.generation.get(m.id) !== gen || !m.isLeader || m.epoch !== epoch) return;
        if (m.term !== term) return;
        this.startStack(m);
      },
      () => undefined,
    );
  }

  private startStack(m: StoreMember): void {
    const n = ++this.leaderStacks;
    const stack = new LeaderStack({
      store: m.store,
      proposer: m.proposer,
      clock: this.clock,
      timers: virtualTimers(this.queue, `leader ${m.id}`),
      newId: objectIdGenerator(seededRandomBytes(streamSeed(this.o.seed, `cluster/stack/${n}`))),
      logger: this.log.child({ manager: m.id }),
      // A microtask instead of a setImmediate turn: no work may be left for a macrotask
      // after the simulator drains.
      yieldToEventLoop: () => Promise.resolve(),
    });
    this.stacks.set(m.id, stack);
    stack.start();
    this.log.info('leader services started', { manager: m.id, term: m.term });
  }

  // --- the operator --------------------------------------------------------------------------

  private pendingWrites = 0;

  /**
   * An operator's write through the current leader, retried until it lands. `fn` must be
   * idempotent in effect (absolute values; a create whose name or ID is taken counts as done).
   */
  write(what: string, fn: (tx: WriteTx) => void): void {
    this.pendingWrites++;
    let done = false;
    const attempt = () => {
      if (done) return;
      const m = this.leader();
      if (!m) return this.queue.schedule(250, `retry ${what}`, attempt);
      // A client's deadline: a manager that crashes with the write in flight never answers.
      let answered = false;
      const retry = () => {
        if (answered) return;
        answered = true;
        this.queue.schedule(250, `retry ${what}`, attempt);
      };
      this.queue.schedule(WRITE_TIMEOUT_MS, `deadline ${what}`, retry);
      const finish = () => {
        if (answered || done) return;
        answered = done = true;
        this.pendingWrites--;
      };
      m.store.update(fn, { proposer: m.proposer }).then(finish, (err: unknown) => {
        const taken =
          err instanceof StoreError &&
          (err.code === 'AlreadyExists' || err.code === 'NameConflict');
        if (taken) finish();
        else retry();
      });
    };
    attempt();
  }

  createService(name: string, mode: ServiceSpec['Mode']): void {
    this.write(`create ${name}`, (tx) => {
      const spec: ServiceSpec = {
        Name: name,
        Labels: {},
        Mode: mode,
        TaskTemplate: {
          ContainerSpec: { Image: `sim/${name}:1` },
          RestartPolicy: { Condition: 'any', Delay: 200_000_000 },
        },
        // The chaos fails tasks mid-update; Swarm's default (pause) would then stop the
        // update for good, and the service would rightly stay on its older spec.
        UpdateConfig: { Parallelism: 1, FailureAction: 'continue', Order: 'stop-first' },
      };
      tx.create('service', { Spec: spec });
    });
  }

  /** Sets a service's replicas, or with `image` its image (a rolling update). */
  updateService(name: string, change: { replicas?: number; image?: string }): void {
    this.write(`update ${name}`, (tx) => {
      const s = tx.getByName<ServiceRecord>('service', name);
      if (!s) throw new Error(`service ${name} not there yet`);
      const spec = structuredClone(s.Spec);
      if (change.replicas !== undefined) spec.Mode = { Replicated: { Replicas: change.replicas } };
      if (change.image !== undefined) {
        const template = spec.TaskTemplate ?? {};
        spec.TaskTemplate = {
          ...template,
          ContainerSpec: { ...template.ContainerSpec, Image: change.image },
        };
      }
      tx.update('service', { ...s, Spec: spec });
    });
  }

  // --- the run -------------------------------------------------------------------------------

  private startTicking(m: StoreMember): void {
    const epoch = m.epoch;
    const loop = () => {
      if (!m.up || m.epoch !== epoch) return;
      m.tick();
      this.queue.schedule(TICK_MS, `tick ${m.id}`, loop);
    };
    this.queue.schedule(1 + this.tickRng.intn(TICK_MS), `tick ${m.id}`, loop);
  }

  private async step(): Promise<void> {
    const ev = this.queue.runNext();
    if (!ev) throw new RunFailed('the event queue ran dry');
    const line = `${ev.time} ${ev.label}`;
    this.trace.add(line);
    this.recent.push(line);
    if (this.recent.length > RECENT) this.recent.shift();
    await drainMicrotasks();
    const views = [...this.members.values()]
      .filter((m) => m.up)
      .map((m) => ({ id: m.id, term: m.term, isLeader: m.isLeader, storage: m.storage }));
    this.invariants.checkStep(views);
  }

  /** Runs events until `done()` or the virtual deadline; returns done(). */
  private async runUntil(done: () => boolean, deadline: number): Promise<boolean> {
    while (!done()) {
      const t = this.queue.peekTime();
      if (t === undefined || t > deadline) return false;
      await this.step();
    }
    return true;
  }

  facts(): ClusterFacts | undefined {
    const m = this.leader();
    if (!m) return undefined;
    return m.store.view((tx: ReadTx) => readFacts(tx, this.fleet.workloads()));
  }

  private problems(): string[] {
    const f = this.facts();
    if (!f) return ['no leader with its services running'];
    const p = convergenceProblems(
      f,
      this.fleet.hosts.map((h) => h.id),
    );
    // Settled means every agent is in session with the leader's dispatcher: a store that
    // still says "ready" for a node whose agent hangs on a dead manager is not settled (the
    // dispatcher will mark it down when its grace runs out, and its tasks get replaced).
    // A heartbeat answered by the leader since the heal proves the agent's connection live.
    const leader = this.leader()!.id;
    for (const h of this.fleet.hosts) {
      const beat = this.fleet.lastBeat.get(h.id);
      if (!beat || beat.at < this.healedAt || beat.manager !== leader) {
        p.push(`${h.id} has not heartbeated to the leader since the heal`);
      }
    }
    if (this.pendingWrites > 0) p.push(`${this.pendingWrites} operator write(s) pending`);
    if (f.services.length < 3) p.push('services not all created');
    return p;
  }

  async run(): Promise<ClusterSimResult> {
    let failure: string | undefined;
    const guard = guardRealTime();
    try {
      await this.execute();
    } catch (e) {
      const err = e as Error;
      failure =
        e instanceof RunFailed
          ? err.message
          : `${err.name}: ${err.message} at ${err.stack?.split('\n').slice(1, 4).join(' <- ')}`;
    }
    for (const s of this.stacks.values()) s.stop();
    guard.restore();
    if (guard.offenders.length > 0) {
      failure ??= `real time used inside the simulation: ${guard.offenders.join('; ')}`;
    }
    const f = this.facts();
    const sum = (k: (m: StoreMember) => number) =>
      [...this.members.values()].reduce((a, m) => a + k(m), 0);
    return {
      ok: failure === undefined,
      seed: this.o.seed,
      ...(failure ? { failure } : {}),
      stats: {
        ...this.chaos.stats,
        events: this.trace.events,
        virtualMs: this.queue.now,
        leaderStacks: this.leaderStacks,
        leadersElected: this.invariants.leadersElected,
        highestTerm: this.invariants.highestTerm,
        settledAfterMs: this.settledAfterMs,
        tasks: f?.tasks.length ?? 0,
        snapshotsTaken: sum((m) => m.snapshotsTaken),
        snapshotsInstalled: sum((m) => m.snapshotsInstalled),
      },
      traceHash: this.trace.digest(),
      lastEvents: [...this.recent],
      replay: replayCommand(this.o),
    };
  }

  private async execute(): Promise<void> {
    const chaosMs = this.o.chaosMs ?? 40_000;
    for (const m of this.members.values()) this.startTicking(m);
    for (const h of this.fleet.hosts) {
      // What admission writes for a worker: its state is unknown until its agent has a session.
      this.write(`node ${h.id}`, (tx) =>
        tx.create<StoredNode>('node', {
          ID: h.id,
          Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
          Status: { State: 'unknown' },
        }),
      );
      this.fleet.start(h);
    }
    this.createService('web', { Replicated: { Replicas: 3 } });
    this.createService('api', { Replicated: { Replicas: 5 } });
    this.createService('mon', { Global: {} });
    this.chaos.start();
    await this.runUntil(() => false, chaosMs);

    // Heal everything: every manager up, every agent running, no partition anywhere.
    this.chaos.stop();
    this.network.heal();
    this.network.faults = RELIABLE_NETWORK;
    this.agentCuts.clear();
    for (const m of this.members.values()) this.restartMember(m);
    for (const h of this.fleet.hosts) this.fleet.start(h);
    const healedAt = this.queue.now;
    this.healedAt = healedAt;
    let last: string[] = [];
    const settled = await this.runUntil(
      () => {
        last = this.problems();
        return last.length === 0;
      },
      healedAt + (this.o.settleMs ?? 60_000),
    );
    if (!settled) {
      throw new RunFailed(
        `did not converge within ${this.o.settleMs ?? 60_000} ms of the heal: ${last.slice(0, 8).join('; ')}`,
      );
    }
    this.settledAfterMs = this.queue.now - healedAt;

    if (this.o.broken === 'duplicate-slot') this.injectDuplicate();
    const watchEnd = this.queue.now + (this.o.watchMs ?? 10_000);
    await this.runUntil(() => {
      const f = this.facts();
      const dup = f ? duplicateSlots(f) : [];
      if (dup.length > 0) throw new RunFailed(`after settling: ${dup.join('; ')}`);
      return false;
    }, watchEnd);
    const end = this.problems();
    if (end.length > 0)
      throw new RunFailed(`no longer converged after the watch: ${end.slice(0, 8).join('; ')}`);
  }

  /** The deliberate bug: a copy of a running replica, on another node, reported running. */
  private injectDuplicate(): void {
    const f = this.facts()!;
    const victim = f.tasks.find((t) => t.Status?.State === 'running' && t.Slot !== undefined);
    if (!victim) throw new Error('nothing running to duplicate');
    const other = this.fleet.hosts.find((h) => h.id !== victim.NodeID)!.id;
    this.write('inject duplicate', (tx) => {
      const { ID: _id, Version: _v, CreatedAt: _c, UpdatedAt: _u, ...rest } = victim;
      tx.create<StoredTask>('task', { ...rest, NodeID: other });
    });
  }
}
