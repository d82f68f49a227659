import { type Message, type NodeId, Role, SeededRng } from '@shoal/raft/core';
import { EventQueue } from './event.queue';
import { type ClusterControl, FaultScheduler, type FaultStats } from './fault.scheduler';
import { type ClientStats, KvClients, type KvService } from './kv.clients';
import { checkHistory } from './linearizability/wing-gong.checker';
import { kvModel } from './linearizability/kv.model';
import { type NetworkStats, RELIABLE_NETWORK, SeededNetwork } from './seeded.network';
import { SafetyInvariants } from './safety.invariants';
import {
  DEFAULT_DURATION_MS,
  DEFAULT_FAULTS,
  defaultClients,
  deriveProfile,
  type FaultOptions,
  SETTLE_MS,
  type SimProfile,
  type SimulationOptions,
  streamSeed,
} from './sim.options';
import { type CrashPoint, SimulatedNode } from './simulated.node';
import { TraceHasher } from './trace.hash';

export type ViolationKind =
  /** An InvariantViolation from the safety checks. */
  | 'safety'
  /** Anything else that threw: the core (e.g. RaftInvariantError) or the harness itself. */
  | 'exception'
  | 'liveness'
  | 'convergence'
  | 'linearizability'
  /** The checker ran out of budget: no verdict, so not a pass either. */
  | 'checker-budget';

export interface Violation {
  kind: ViolationKind;
  message: string;
  /** Virtual time at which it was detected. */
  atMs: number;
  /** The last events before detection, oldest first: usually enough to start debugging. */
  lastEvents: string[];
}

export interface SimulationStats {
  events: number;
  virtualMs: number;
  network: NetworkStats;
  faults: FaultStats;
  clients: ClientStats;
  historyOps: number;
  pendingOps: number;
  leadersElected: number;
  highestTerm: number;
  committedEntries: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  truncations: number;
  /** Entries repeating an applied request (a duplicated forwarded proposal), per final replica. */
  duplicateEntries: number;
  viaAnyNode: number;
  checkerSteps: number;
  checkQuorum: boolean;
  preVote: boolean;
}

export interface SimulationResult {
  ok: boolean;
  seed: number;
  nodes: number;
  violations: Violation[];
  stats: SimulationStats;
  /** Hash of every event (time and label) in order: equal hashes mean an identical run. */
  traceHash: string;
  replayCommand: string;
}

const RECENT_EVENTS = 25;
const CONVERGE_MS = 5_000;

/** Thrown inside the event loop to stop the run; carries an already-formed violation. */
class StopRun extends Error {
  constructor(readonly violation: Violation) {
    super(violation.message);
  }
}

export function replayCommand(o: SimulationOptions): string {
  const parts = ['npm run sim -- --seeds 1', `--first-seed ${o.seed}`, `--nodes ${o.nodes ?? 3}`];
  if ((o.durationMs ?? DEFAULT_DURATION_MS) !== DEFAULT_DURATION_MS) {
    parts.push(`--duration ${o.durationMs}`);
  }
  const f = { ...DEFAULT_FAULTS, ...o.faults };
  if (!f.crashes) parts.push('--no-crashes');
  if (!f.partitions) parts.push('--no-partitions');
  if (!f.lossyNetwork) parts.push('--no-lossy');
  if (!f.leaderTransfers) parts.push('--no-transfers');
  if (!f.pauses) parts.push('--no-pauses');
  if (!f.clockDrift) parts.push('--no-drift');
  if (o.broken && o.broken !== 'none') parts.push(`--broken ${o.broken}`);
  if (o.checkerMaxSteps !== undefined) parts.push(`--checker-steps ${o.checkerMaxSteps}`);
  if (o.clients?.clients !== undefined) parts.push(`--clients ${o.clients.clients}`);
  if (o.clients?.keys !== undefined) parts.push(`--keys ${o.clients.keys}`);
  // Other client settings have no flag; a replay of a run that changed them is not exact.
  return parts.join(' ');
}

export function runSimulation(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation implements ClusterControl, KvService {
  readonly nodes: SimulatedNode[] = [];
  readonly network: SeededNetwork;
  private readonly queue = new EventQueue();
  private readonly invariants = new SafetyInvariants();
  private readonly trace = new TraceHasher();
  private readonly recent: string[] = [];
  private readonly byId = new Map<NodeId, SimulatedNode>();
  private readonly clients: KvClients;
  private readonly faultScheduler: FaultScheduler;
  private readonly faults: FaultOptions;
  private readonly pickRng: SeededRng;
  private readonly tickRng: SeededRng;
  private readonly boots = new Map<NodeId, number>();
  private readonly profile: SimProfile;
  private violations: Violation[] = [];
  private viaAnyNode = 0;
  private checkerSteps = 0;

  constructor(private readonly options: SimulationOptions) {
    const seed = options.seed;
    const n = options.nodes ?? 3;
    this.faults = { ...DEFAULT_FAULTS, ...options.faults };
    this.profile = deriveProfile(new SeededRng(streamSeed(seed, 'profile')), this.faults, n);
    this.pickRng = new SeededRng(streamSeed(seed, 'pick'));
    this.tickRng = new SeededRng(streamSeed(seed, 'tick'));
    this.network = new SeededNetwork(
      new SeededRng(streamSeed(seed, 'network')),
      this.queue,
      {
        epochOf: (id) => this.node(id).epoch,
        isUp: (id) => this.node(id).up,
        deliver: (m) => this.node(m.to).receive(m),
        snapshotOutcome: (from, to, ok, epoch) => {
          const s = this.node(from);
          if (s.up && s.epoch === epoch) s.snapshotOutcome(to, ok);
        },
        unreachable: (from, to) => {
          const s = this.node(from);
          if (s.up) s.unreachable(to);
        },
      },
      this.profile.network,
    );
    const ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
    const host = {
      send: (_from: SimulatedNode, m: Message) => this.network.send(m),
      invariants: this.invariants,
      nextRaftSeed: (id: NodeId) => {
        const boot = (this.boots.get(id) ?? 0) + 1;
        this.boots.set(id, boot);
        return streamSeed(seed, `raft/${id}/${boot}`);
      },
    };
    for (const id of ids) {
      const node = new SimulatedNode(
        id,
        ids,
        {
          electionTick: 10,
          heartbeatTick: 1,
          checkQuorum: this.profile.checkQuorum,
          preVote: this.profile.preVote,
          snapshotEvery: this.profile.snapshotEvery,
          snapshotRetain: this.profile.snapshotRetain,
          broken: options.broken ?? 'none',
        },
        host,
      );
      this.nodes.push(node);
      this.byId.set(id, node);
    }
    this.clients = new KvClients(new SeededRng(streamSeed(seed, 'clients')), this.queue, this, {
      ...defaultClients(n),
      ...options.clients,
    });
    this.faultScheduler = new FaultScheduler(
      new SeededRng(streamSeed(seed, 'faults')),
      this.queue,
      this,
      this.profile,
      this.faults,
    );
  }

  private node(id: NodeId): SimulatedNode {
    const node = this.byId.get(id);
    if (!node) throw new Error(`message for unknown node ${id}`);
    return node;
  }

  // --- ClusterControl ------------------------------------------------------------------------

  crash(node: SimulatedNode, when: CrashPoint | 'now'): void {
    if (when === 'now') node.crash();
    else node.armedCrash = when;
  }

  restart(node: SimulatedNode): void {
    node.restart();
    this.startTicking(node);
  }

  pause(node: SimulatedNode): void {
    node.pause();
  }

  /** The backlog runs as separate events, in arrival order, each checked like any other. */
  resume(node: SimulatedNode): void {
    const epoch = node.epoch;
    for (const work of node.resume()) {
      this.queue.schedule(0, `backlog ${node.id}`, () => {
        if (node.up && node.epoch === epoch) work();
      });
    }
  }

  /** A node that believes it leads, preferring the highest term (the one likely real). */
  leader(): SimulatedNode | undefined {
    let best: SimulatedNode | undefined;
    let bestTerm = -1;
    for (const n of this.nodes) {
      if (n.up && n.role === Role.Leader && n.term > bestTerm) {
        best = n;
        bestTerm = n.term;
      }
    }
    return best;
  }

  // --- KvService -----------------------------------------------------------------------------

  pickNode(forRead: boolean): NodeId | undefined {
    const up = this.nodes.filter((n) => n.up);
    // Some requests go to any node: followers forward reads (ReadIndex) and proposals to the
    // leader, and a forwarded proposal can be duplicated or reordered on the way.
    if (up.length > 0 && this.pickRng.intn(forRead ? 5 : 10) === 0) {
      this.viaAnyNode++;
      return up[this.pickRng.intn(up.length)].id;
    }
    const leaders = up.filter((n) => n.role === Role.Leader);
    if (leaders.length === 0) return undefined;
    // When several nodes claim to lead, any of them: clients of a real cluster talk to
    // whoever they last heard was leader, and a stale leader is where reads go wrong.
    if (leaders.length > 1 && this.pickRng.intn(2) === 0) {
      return leaders[this.pickRng.intn(leaders.length)].id;
    }
    return this.leader()?.id;
  }

  write(id: NodeId, cmd: Parameters<KvService['write']>[1], cb: Parameters<KvService['write']>[2]) {
    const node = this.node(id);
    return node.up && node.propose(cmd, cb);
  }

  read(id: NodeId, rid: string, key: string, cb: (v: string | undefined) => void): boolean {
    const node = this.node(id);
    return node.up && node.read(rid, key, cb);
  }

  // --- the run -------------------------------------------------------------------------------

  private startTicking(node: SimulatedNode): void {
    const epoch = node.epoch;
    const period = this.profile.tickPeriods[this.nodes.indexOf(node)];
    const loop = () => {
      if (!node.up || node.epoch !== epoch) return;
      node.tick();
      this.queue.schedule(period, `tick ${node.id}`, loop);
    };
    // Nodes' clocks are not in phase; a random offset keeps ticks from always interleaving
    // in one fixed order.
    this.queue.schedule(1 + this.tickRng.intn(period), `tick ${node.id}`, loop);
  }

  private stop(kind: ViolationKind, message: string): never {
    throw new StopRun({ kind, message, atMs: this.queue.now, lastEvents: [...this.recent] });
  }

  private step(): void {
    const ev = this.queue.runNext();
    if (!ev) this.stop('liveness', 'event queue ran dry');
    const line = `${ev.time} ${ev.label}`;
    this.trace.add(line);
    this.recent.push(line);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    this.checkInvariants();
  }

  private checkInvariants(): void {
    const up = this.nodes.filter((n) => n.up);
    const views = up.map((n) => n.view());
    this.invariants.checkStep(views);
    const changed = up.filter((n) => n.logChanged);
    if (changed.length > 0) {
      this.invariants.crossCheckLogs(
        changed.map((n) => n.view()),
        views,
      );
      for (const n of changed) n.logChanged = false;
    }
  }

  /** Runs events until `done()` or virtual time passes `deadline`; returns done(). */
  private runUntil(done: () => boolean, deadline: number): boolean {
    while (!done()) {
      const t = this.queue.peekTime();
      if (t === undefined || t > deadline) return false;
      this.step();
    }
    return true;
  }

  run(): SimulationResult {
    try {
      this.execute();
    } catch (e) {
      if (e instanceof StopRun) this.violations.push(e.violation);
      else {
        const err = e as Error;
        const kind: ViolationKind = err.name === 'InvariantViolation' ? 'safety' : 'exception';
        const where = err.stack?.split('\n').slice(1, 4).join(' <- ') ?? '';
        this.violations.push({
          kind,
          message: kind === 'safety' ? err.message : `${err.name}: ${err.message} at ${where}`,
          atMs: this.queue.now,
          lastEvents: [...this.recent],
        });
      }
    }
    return this.result();
  }

  private execute(): void {
    const duration = this.options.durationMs ?? DEFAULT_DURATION_MS;
    for (const node of this.nodes) this.startTicking(node);
    this.clients.start();
    this.faultScheduler.start();
    this.runUntil(() => false, duration);

    // Heal everything, then demand progress: a leader and one more acknowledged write.
    this.faultScheduler.stop();
    this.clients.stop();
    this.network.heal();
    this.network.faults = RELIABLE_NETWORK;
    for (const node of this.nodes) {
      node.armedCrash = undefined;
      if (!node.up) this.restart(node);
      else if (node.paused) this.resume(node);
    }
    let finalDone = false;
    this.clients.finalWrite(() => (finalDone = true));
    if (!this.runUntil(() => finalDone, this.queue.now + SETTLE_MS)) {
      this.stop(
        'liveness',
        `no write committed within ${SETTLE_MS} ms of healing; ` +
          this.nodes.map((n) => n.describe()).join('; '),
      );
    }
    if (!this.runUntil(() => this.converged(), this.queue.now + CONVERGE_MS)) {
      this.stop(
        'convergence',
        `replicas did not converge within ${CONVERGE_MS} ms: ` +
          this.nodes.map((n) => n.describe()).join('; '),
      );
    }
    const views = this.nodes.map((n) => n.view());
    this.invariants.crossCheckLogs(views, views);
    this.clients.finish();

    const verdict = checkHistory(kvModel, this.clients.history, {
      maxSteps: this.options.checkerMaxSteps,
    });
    this.checkerSteps = verdict.steps;
    if (verdict.outcome === 'illegal') this.stop('linearizability', verdict.explanation!);
    if (verdict.outcome === 'unknown') this.stop('checker-budget', verdict.explanation!);
  }

  private converged(): boolean {
    const commits = this.nodes.map((n) => n.raft.status().hardState.commit);
    const target = Math.max(...commits);
    const hash = this.nodes[0].kv.stateHash();
    return this.nodes.every((n) => n.kv.appliedIndex === target && n.kv.stateHash() === hash);
  }

  private result(): SimulationResult {
    const sum = (f: (n: SimulatedNode) => number) => this.nodes.reduce((a, n) => a + f(n), 0);
    const history = this.clients.history;
    return {
      ok: this.violations.length === 0,
      seed: this.options.seed,
      nodes: this.nodes.length,
      violations: this.violations,
      traceHash: this.trace.digest(),
      replayCommand: replayCommand(this.options),
      stats: {
        events: this.trace.events,
        virtualMs: this.queue.now,
        network: { ...this.network.stats },
        faults: { ...this.faultScheduler.stats },
        clients: { ...this.clients.stats },
        historyOps: history.length,
        pendingOps: history.filter((o) => o.status === 'unknown').length,
        leadersElected: this.invariants.leadersElected,
        highestTerm: this.invariants.highestTerm,
        committedEntries: this.invariants.committedCount,
        snapshotsTaken: sum((n) => n.stats.snapshotsTaken),
        snapshotsInstalled: sum((n) => n.stats.snapshotsInstalled),
        truncations: sum((n) => n.stats.truncations),
        duplicateEntries: Math.max(...this.nodes.map((n) => n.kv.duplicates)),
        viaAnyNode: this.viaAnyNode,
        checkerSteps: this.checkerSteps,
        checkQuorum: this.profile.checkQuorum,
        preVote: this.profile.preVote,
      },
    };
  }
}
