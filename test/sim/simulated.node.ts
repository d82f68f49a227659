import {
  decodeConfChange,
  type Entry,
  EntryType,
  type HardState,
  MemoryStorage,
  type Message,
  type NodeId,
  NONE,
  ProposalDroppedError,
  RaftNode,
  type Ready,
  Role,
  SeededRng,
  type Snapshot,
} from '@shoal/raft/core';
import {
  decodeCommand,
  decodeText,
  encodeCommand,
  encodeText,
  type KvCommand,
  KvStateMachine,
} from './kv.state-machine';
import { type KvOutput } from './linearizability/kv.model';
import { type NodeView, type SafetyInvariants } from './safety.invariants';

/**
 * What survives a crash: the fsynced WAL (hard state + entries) and the last snapshot. The
 * in-memory MemoryStorage and the state machine are rebuilt from this on restart.
 */
export interface DurableImage {
  hardState: HardState;
  snapshot: Snapshot;
  /** Entries after the compaction point, in index order. */
  entries: Entry[];
}

/**
 * Where in the driver loop an armed crash strikes. Each loses a different amount of work:
 * 'before-persist' the whole Ready; 'after-persist' the messages (durable but never sent);
 * 'after-send' the applies (peers heard from us, our state machine did not move).
 * 'after-vote' is 'after-send' on the first Ready that changes term or vote: the moment
 * whose durability election safety rests on, which random timing would rarely hit.
 */
export type CrashPoint = 'before-persist' | 'after-persist' | 'after-send' | 'after-vote';
export const CRASH_POINTS: readonly CrashPoint[] = [
  'before-persist',
  'after-persist',
  'after-send',
  'after-vote',
];

/**
 * Deliberate bugs, used to prove the checks can catch something. 'forget-hard-state': the WAL
 * keeps entries but not term/vote (a classic driver bug); 'stale-reads': reads are served
 * from local state without ReadIndex.
 */
export type BrokenMode = 'none' | 'forget-hard-state' | 'stale-reads';

export interface NodeConfig {
  electionTick: number;
  heartbeatTick: number;
  checkQuorum: boolean;
  preVote: boolean;
  /** Take a snapshot every this many applied entries... */
  snapshotEvery: number;
  /** ...and keep this many entries behind it for followers that lag only a little. */
  snapshotRetain: number;
  broken: BrokenMode;
}

/** The ways a node reaches the rest of the simulation; implemented by the runner. */
export interface NodeHost {
  send(from: SimulatedNode, msg: Message): void;
  invariants: SafetyInvariants;
  /** The seed for the core's randomness on each (re)start: election timeouts must differ. */
  nextRaftSeed(id: NodeId): number;
}

export interface NodeStats {
  snapshotsTaken: number;
  snapshotsInstalled: number;
  applied: number;
  /** Times a persisted suffix was overwritten by a new leader's entries. */
  truncations: number;
}

interface PendingRead {
  rid: string;
  key: string;
  index: number;
  onValue: (v: string | undefined) => void;
}

const cloneEntry = (e: Entry): Entry => ({ ...e });

/**
 * One cluster member under the driver contract: for each Ready persist, then send, then
 * apply, then advance. A crash can be armed to strike between those phases, so "persisted
 * but never sent" and "sent but never applied" both happen.
 */
export class SimulatedNode {
  up = true;
  /** Bumped on every crash; the network drops messages addressed to an older epoch. */
  epoch = 0;
  armedCrash: CrashPoint | undefined;
  readonly stats: NodeStats = {
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    applied: 0,
    truncations: 0,
  };
  /**
   * Role and term as the driver last learned them from a Ready. Every event drains the node's
   * Ready, so between events these equal the core's own; status() would be exact too, but it
   * rebuilds the progress map and is too slow to call for every node after every event.
   */
  role: Role = Role.Follower;
  term = 0;

  /** Set whenever the persisted log changes; the runner cross-checks such logs and clears it. */
  logChanged = true;
  /**
   * A paused process (GC pause, SIGSTOP, a VM migration) keeps its state but does nothing:
   * its timers do not fire and everything sent to it waits in its socket buffers.
   */
  paused = false;
  private held: (() => void)[] = [];

  raft!: RaftNode;
  storage!: MemoryStorage;
  kv!: KvStateMachine;
  readonly durable: DurableImage;
  /** A commit-only hard state sits in the page cache until the next fsync; a crash loses it. */
  private unsyncedHardState: HardState | undefined;
  private lastSnapshotIndex = 0;
  private writes = new Map<string, (out: KvOutput) => void>();
  private readCallbacks = new Map<
    string,
    { key: string; onValue: (v: string | undefined) => void }
  >();
  private pendingReads: PendingRead[] = [];

  constructor(
    readonly id: NodeId,
    voters: readonly NodeId[],
    private readonly cfg: NodeConfig,
    private readonly host: NodeHost,
  ) {
    const storage = new MemoryStorage();
    const snapshot = RaftNode.bootstrapStorage(storage, voters);
    this.durable = {
      hardState: storage.initialState().hardState,
      snapshot,
      entries: [],
    };
    this.boot();
  }

  /** Builds the volatile half — storage mirror, state machine, core — from the durable image. */
  private boot(): void {
    const d = this.durable;
    this.storage = new MemoryStorage();
    this.storage.applySnapshot(d.snapshot);
    // The deliberately broken node "forgets" term and vote: as if the WAL had no hard state.
    const hs =
      this.cfg.broken === 'forget-hard-state'
        ? { term: d.snapshot.metadata.term, vote: NONE, commit: 0 }
        : d.hardState;
    this.storage.setHardState(hs);
    this.storage.append(d.entries);
    this.kv = new KvStateMachine();
    this.kv.restore(d.snapshot.data, d.snapshot.metadata.index);
    this.lastSnapshotIndex = d.snapshot.metadata.index;
    this.raft = new RaftNode({
      id: this.id,
      electionTick: this.cfg.electionTick,
      heartbeatTick: this.cfg.heartbeatTick,
      storage: this.storage,
      applied: d.snapshot.metadata.index,
      checkQuorum: this.cfg.checkQuorum,
      preVote: this.cfg.preVote,
      rng: new SeededRng(this.host.nextRaftSeed(this.id)),
    });
    const st = this.raft.status();
    this.role = st.softState.role;
    this.term = st.hardState.term;
    this.host.invariants.onStateAt(this.id, this.kv.appliedIndex, this.kv.stateHash());
  }

  crash(): void {
    this.up = false;
    this.epoch++;
    this.armedCrash = undefined;
    this.paused = false;
    this.held = [];
    this.unsyncedHardState = undefined;
    // Clients waiting on this node will never hear back; they time out.
    this.writes.clear();
    this.readCallbacks.clear();
    this.pendingReads = [];
  }

  restart(): void {
    this.up = true;
    this.logChanged = true;
    this.boot();
  }

  pause(): void {
    this.paused = true;
  }

  /** Ends a pause; returns the work that piled up, for the runner to replay as events. */
  resume(): (() => void)[] {
    this.paused = false;
    const held = this.held;
    this.held = [];
    return held;
  }

  private whenRunning(work: () => void): void {
    if (this.paused) this.held.push(work);
    else work();
  }

  view(): NodeView {
    return {
      id: this.id,
      term: this.term,
      isLeader: this.role === Role.Leader,
      storage: this.storage,
    };
  }

  /** A paused node's clock does not advance: those ticks are lost, not delivered later. */
  tick(): void {
    if (this.paused) return;
    this.raft.tick();
    this.drain();
  }

  receive(msg: Message): void {
    this.whenRunning(() => {
      this.raft.step(msg);
      this.drain();
    });
  }

  snapshotOutcome(to: NodeId, ok: boolean): void {
    this.whenRunning(() => {
      this.raft.reportSnapshot(to, ok);
      this.drain();
    });
  }

  unreachable(to: NodeId): void {
    this.whenRunning(() => {
      this.raft.reportUnreachable(to);
      this.drain();
    });
  }

  transferLeader(to: NodeId): void {
    this.whenRunning(() => {
      this.raft.transferLeader(to);
      this.drain();
    });
  }

  /**
   * False when the core refused the proposal, i.e. it is certainly not in any log. A paused
   * node cannot refuse yet: the request waits, and a later refusal just goes unanswered.
   */
  propose(cmd: KvCommand, onApplied: (out: KvOutput) => void): boolean {
    if (this.paused) {
      this.held.push(() => this.propose(cmd, onApplied));
      return true;
    }
    try {
      // A follower forwards the proposal: it may still commit, and then we answer when we
      // apply it like everyone else. Either way the client learns only through us.
      this.raft.propose(encodeCommand(cmd));
    } catch (e) {
      if (e instanceof ProposalDroppedError) return false;
      throw e;
    }
    this.writes.set(cmd.rid, onApplied);
    this.drain();
    return true;
  }

  read(rid: string, key: string, onValue: (v: string | undefined) => void): boolean {
    if (this.paused) {
      this.held.push(() => this.read(rid, key, onValue));
      return true;
    }
    if (this.cfg.broken === 'stale-reads') {
      onValue(this.kv.get(key));
      return true;
    }
    try {
      this.raft.readIndex(encodeText(rid));
    } catch (e) {
      if (e instanceof ProposalDroppedError) return false;
      throw e;
    }
    this.readCallbacks.set(rid, { key, onValue });
    this.drain();
    return true;
  }

  private drain(): void {
    while (this.up && this.raft.hasReady()) this.handleReady(this.raft.ready());
  }

  private handleReady(rd: Ready): void {
    if (rd.softState) this.role = rd.softState.role;
    if (rd.hardState) this.term = rd.hardState.term;
    if (this.armedCrash === 'before-persist') return this.crash();
    const before = this.storage.initialState().hardState;
    const votedOrMoved =
      rd.hardState !== undefined &&
      (rd.hardState.term !== before.term || rd.hardState.vote !== before.vote);
    this.persist(rd);
    if (this.armedCrash === 'after-persist') return this.crash();
    for (const m of rd.messages) this.host.send(this, m);
    if (this.armedCrash === 'after-send') return this.crash();
    if (this.armedCrash === 'after-vote' && votedOrMoved) return this.crash();
    this.apply(rd);
    this.raft.advance();
  }

  private persist(rd: Ready): void {
    const d = this.durable;
    if (rd.snapshot) {
      this.logChanged = true;
      d.snapshot = rd.snapshot;
      d.entries = [];
      this.storage.applySnapshot(rd.snapshot);
      this.host.invariants.onSnapshotInstalled(
        this.id,
        rd.snapshot.metadata.index,
        rd.snapshot.metadata.term,
      );
    }
    if (rd.entries.length > 0) {
      this.logChanged = true;
      const first = rd.entries[0].index;
      // A new leader's entries overwrite a conflicting suffix in the WAL just as in memory.
      let conflict = false;
      while (d.entries.length > 0 && d.entries[d.entries.length - 1].index >= first) {
        const old = d.entries.pop()!;
        if (old.term !== rd.entries[old.index - first]?.term) conflict = true;
      }
      if (conflict) this.stats.truncations++;
      for (const e of rd.entries) d.entries.push(cloneEntry(e));
      this.storage.append(rd.entries);
      this.host.invariants.onPersisted(this.id, this.storage, rd.entries);
    }
    if (rd.hardState) {
      this.storage.setHardState(rd.hardState);
      this.unsyncedHardState = { ...rd.hardState };
    }
    // Only an fsync makes the hard state durable; commit-only changes skip it (mustSync false).
    if (rd.mustSync && this.unsyncedHardState) {
      d.hardState = this.unsyncedHardState;
      this.unsyncedHardState = undefined;
    }
  }

  private apply(rd: Ready): void {
    const inv = this.host.invariants;
    if (rd.snapshot) {
      const { index } = rd.snapshot.metadata;
      this.kv.restore(rd.snapshot.data, index);
      this.lastSnapshotIndex = index;
      this.stats.snapshotsInstalled++;
      inv.onStateAt(this.id, index, this.kv.stateHash());
    }
    for (const e of rd.committedEntries) {
      if (e.index <= this.kv.appliedIndex) {
        throw new Error(
          `${this.id}: core handed out entry ${e.index} again (applied ${this.kv.appliedIndex})`,
        );
      }
      const cmd = e.type === EntryType.Normal ? decodeCommand(e.data) : undefined;
      inv.onApplied(this.id, e);
      if (e.type === EntryType.ConfChange) {
        this.raft.applyConfChange(decodeConfChange(e.data));
        this.kv.skip(e.index);
      } else if (!cmd) {
        this.kv.skip(e.index);
      } else {
        const out = this.kv.apply(e.index, cmd);
        const cb = this.writes.get(cmd.rid);
        if (cb) {
          this.writes.delete(cmd.rid);
          cb(out);
        }
      }
      this.stats.applied++;
    }
    if (rd.committedEntries.length > 0) {
      inv.onStateAt(this.id, this.kv.appliedIndex, this.kv.stateHash());
      this.maybeSnapshot();
    }
    for (const rs of rd.readStates) {
      const rid = decodeText(rs.requestCtx);
      const req = this.readCallbacks.get(rid);
      if (!req) continue;
      this.readCallbacks.delete(rid);
      this.pendingReads.push({ rid, key: req.key, index: rs.index, onValue: req.onValue });
    }
    this.serveReads();
  }

  /** A ReadIndex answer is only safe to serve once the state machine has caught up to it. */
  private serveReads(): void {
    if (this.pendingReads.length === 0) return;
    const ready = this.pendingReads.filter((r) => r.index <= this.kv.appliedIndex);
    if (ready.length === 0) return;
    this.pendingReads = this.pendingReads.filter((r) => r.index > this.kv.appliedIndex);
    for (const r of ready) r.onValue(this.kv.get(r.key));
  }

  private maybeSnapshot(): void {
    const applied = this.kv.appliedIndex;
    if (applied - this.lastSnapshotIndex < this.cfg.snapshotEvery) return;
    const confState = this.raft.status().confState;
    const snap = this.storage.createSnapshot(applied, confState, this.kv.snapshot());
    this.durable.snapshot = snap;
    this.lastSnapshotIndex = applied;
    this.stats.snapshotsTaken++;
    const compactTo = applied - this.cfg.snapshotRetain;
    if (compactTo >= this.storage.firstIndex()) {
      this.logChanged = true;
      this.storage.compact(compactTo);
      this.durable.entries = this.durable.entries.filter((e) => e.index > compactTo);
    }
  }

  /** For the end-of-run convergence check. */
  describe(): string {
    const st = this.raft.status();
    return `${this.id}: ${st.softState.role} term ${st.hardState.term} commit ${st.hardState.commit} applied ${this.kv.appliedIndex} state ${this.kv.stateHash()}`;
  }
}
