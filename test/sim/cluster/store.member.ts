import { type Clock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import {
  type Entry,
  EntryType,
  MemoryStorage,
  type Message,
  type NodeId,
  ProposalDroppedError as CoreDroppedError,
  RaftNode,
  type Ready,
  Role,
  SeededRng,
} from '@shoal/raft/core';
import { NotLeaderError, ProposalDroppedError } from '@shoal/raft/node/driver.errors';
import { MemoryStore, type Proposer } from '@shoal/store';
import { type SafetyInvariants } from '../safety.invariants';
import { type DurableImage } from '../simulated.node';

export interface StoreMemberConfig {
  electionTick: number;
  heartbeatTick: number;
  /** Take a snapshot of the store every this many applied entries... */
  snapshotEvery: number;
  /** ...and keep this many entries behind it. */
  snapshotRetain: number;
}

/** The ways a member reaches the rest of the simulation; implemented by the cluster. */
export interface StoreMemberHost {
  send(msg: Message): void;
  invariants: SafetyInvariants;
  clock: Clock;
  /** Seed for one incarnation's randomness (Raft's election timeouts, the store's IDs). */
  seedFor(id: NodeId, boot: number, stream: string): number;
}

interface Waiter {
  term: number;
  resolve: (r: { index: number }) => void;
  reject: (e: Error) => void;
}

/**
 * One manager of the cluster simulation: the pure Raft core on a MemoryStorage, with a real
 * MemoryStore (libs/store) as its state machine, driven like RaftDriver drives it (per Ready:
 * persist, send, apply, advance) but synchronously, on the simulator's events. What survives
 * a crash is the durable image (the WAL and the last snapshot), as in `simulated.node.ts`;
 * the store is rebuilt from it on restart.
 *
 * It offers the leader's Proposer (resolves once the entry is applied here; rejects with
 * NotLeaderError on a follower or when leadership is lost, and with ProposalDroppedError when
 * another leader's entry took the index) and a read barrier (ReadIndex).
 */
export class StoreMember {
  up = true;
  /** Bumped on every crash: timers and connections of an older incarnation are dead. */
  epoch = 0;
  role: Role = Role.Follower;
  term = 0;
  lead: NodeId = '';
  raft!: RaftNode;
  storage!: MemoryStorage;
  store!: MemoryStore;
  readonly durable: DurableImage;
  /** Snapshots this member took, and installed from a leader (across restarts). */
  snapshotsTaken = 0;
  snapshotsInstalled = 0;
  private boots = 0;
  private lastSnapshotIndex = 0;
  private waiters = new Map<number, Waiter[]>();
  private reads = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private pendingReads: { index: number; resolve: () => void }[] = [];
  private readSeq = 0;
  private inReady = false;
  /** Called after any Ready that changed role or leader (outside the Ready loop). */
  onLeadership: () => void = () => undefined;
  readonly proposer: Proposer = { propose: (data) => this.propose(data) };

  constructor(
    readonly id: NodeId,
    voters: readonly NodeId[],
    private readonly cfg: StoreMemberConfig,
    private readonly host: StoreMemberHost,
  ) {
    const storage = new MemoryStorage();
    const snapshot = RaftNode.bootstrapStorage(storage, voters);
    this.durable = { hardState: storage.initialState().hardState, snapshot, entries: [] };
    this.boot();
  }

  get isLeader(): boolean {
    return this.up && this.role === Role.Leader;
  }

  /** The last Raft index applied (entries and snapshots). */
  appliedIndex = 0;

  private boot(): void {
    this.boots++;
    const d = this.durable;
    this.storage = new MemoryStorage();
    this.storage.applySnapshot(d.snapshot);
    this.storage.setHardState(d.hardState);
    this.storage.append(d.entries);
    this.store = new MemoryStore({
      // Only leader services write, and they pass this member's proposer; anything else
      // proposing through the store's own would be a harness bug.
      proposer: { propose: () => Promise.reject(new Error('no default proposer in the sim')) },
      clock: this.host.clock,
      newId: objectIdGenerator(seededRandomBytes(this.host.seedFor(this.id, this.boots, 'ids'))),
    });
    if (d.snapshot.data.length > 0) this.store.restore(d.snapshot.data);
    this.lastSnapshotIndex = d.snapshot.metadata.index;
    this.appliedIndex = d.snapshot.metadata.index;
    this.raft = new RaftNode({
      id: this.id,
      electionTick: this.cfg.electionTick,
      heartbeatTick: this.cfg.heartbeatTick,
      storage: this.storage,
      applied: d.snapshot.metadata.index,
      checkQuorum: true,
      preVote: true,
      rng: new SeededRng(this.host.seedFor(this.id, this.boots, 'raft')),
    });
    const st = this.raft.status();
    this.role = st.softState.role;
    this.lead = st.softState.lead;
    this.term = st.hardState.term;
  }

  /** kill -9: everything volatile is lost; callers waiting on this process never hear back. */
  crash(): void {
    this.up = false;
    this.epoch++;
    this.waiters.clear();
    this.reads.clear();
    this.pendingReads = [];
    this.role = Role.Follower;
    this.lead = '';
    this.onLeadership();
  }

  restart(): void {
    this.up = true;
    this.boot();
    this.onLeadership();
  }

  tick(): void {
    if (!this.up) return;
    this.raft.tick();
    this.drain();
  }

  receive(msg: Message): void {
    if (!this.up) return;
    this.raft.step(msg);
    this.drain();
  }

  unreachable(to: NodeId): void {
    if (!this.up) return;
    this.raft.reportUnreachable(to);
    this.drain();
  }

  snapshotOutcome(to: NodeId, ok: boolean): void {
    if (!this.up) return;
    this.raft.reportSnapshot(to, ok);
    this.drain();
  }

  transferLeader(to: NodeId): void {
    if (!this.up) return;
    this.raft.transferLeader(to);
    this.drain();
  }

  private propose(data: Uint8Array): Promise<{ index: number }> {
    if (!this.isLeader)
      return Promise.reject(new NotLeaderError(this.lead || undefined, undefined));
    let placed: { index: number; term: number } | null;
    try {
      placed = this.raft.propose(data);
    } catch (err) {
      if (err instanceof CoreDroppedError) {
        return Promise.reject(new ProposalDroppedError(err.message));
      }
      throw err;
    }
    if (!placed) return Promise.reject(new NotLeaderError(this.lead || undefined, undefined));
    const { index, term } = placed;
    const done = new Promise<{ index: number }>((resolve, reject) => {
      const at = this.waiters.get(index) ?? [];
      at.push({ term, resolve, reject });
      this.waiters.set(index, at);
    });
    this.drain();
    return done;
  }

  /** Resolves once this member has applied everything committed before the call. */
  readBarrier(): Promise<void> {
    if (!this.up) return Promise.reject(new Error('member is down'));
    const ctx = `${this.id}/${this.epoch}/${++this.readSeq}`;
    const done = new Promise<void>((resolve, reject) => this.reads.set(ctx, { resolve, reject }));
    try {
      this.raft.readIndex(Buffer.from(ctx, 'utf8'));
    } catch (err) {
      this.reads.delete(ctx);
      return Promise.reject(err as Error);
    }
    this.drain();
    return done;
  }

  /**
   * Runs the Ready loop. Re-entrant calls (a store watcher proposing from inside apply) only
   * leave their work for the loop already running.
   */
  private drain(): void {
    if (this.inReady) return;
    let changed = false;
    this.inReady = true;
    try {
      while (this.up && this.raft.hasReady())
        changed = this.handleReady(this.raft.ready()) || changed;
    } finally {
      this.inReady = false;
    }
    if (changed) this.onLeadership();
  }

  private handleReady(rd: Ready): boolean {
    let changed = false;
    if (rd.softState) {
      const wasLeader = this.role === Role.Leader;
      changed = rd.softState.role !== this.role || rd.softState.lead !== this.lead;
      this.role = rd.softState.role;
      this.lead = rd.softState.lead;
      if (wasLeader && this.role !== Role.Leader) this.failAll(() => this.notLeader());
    }
    if (rd.hardState) this.term = rd.hardState.term;
    this.persist(rd);
    for (const m of rd.messages) this.host.send(m);
    this.apply(rd);
    this.raft.advance();
    return changed;
  }

  private notLeader(): Error {
    return new NotLeaderError(this.lead || undefined, undefined);
  }

  private failAll(error: () => Error): void {
    const all = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const w of all) w.reject(error());
    const reads = [...this.reads.values()];
    this.reads.clear();
    for (const r of reads) r.reject(error());
  }

  private persist(rd: Ready): void {
    const d = this.durable;
    if (rd.snapshot) {
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
      const first = rd.entries[0].index;
      while (d.entries.length > 0 && d.entries[d.entries.length - 1].index >= first)
        d.entries.pop();
      for (const e of rd.entries) d.entries.push({ ...e });
      this.storage.append(rd.entries);
      this.host.invariants.onPersisted(this.id, this.storage, rd.entries);
    }
    if (rd.hardState) {
      this.storage.setHardState(rd.hardState);
      d.hardState = { ...rd.hardState };
    }
  }

  private apply(rd: Ready): void {
    if (rd.snapshot) {
      const { index } = rd.snapshot.metadata;
      this.store.restore(rd.snapshot.data);
      this.snapshotsInstalled++;
      this.lastSnapshotIndex = index;
      this.appliedIndex = index;
      // Our proposals at or below it may or may not be in it: their outcome is unknown.
      for (const [i, at] of this.waiters) {
        if (i > index) continue;
        this.waiters.delete(i);
        for (const w of at) w.reject(new Error(`proposal outcome unknown: snapshot at ${index}`));
      }
    }
    for (const e of rd.committedEntries) {
      this.host.invariants.onApplied(this.id, e);
      if (e.type === EntryType.Normal) this.store.apply([e]);
      else if (e.type === EntryType.ConfChange)
        throw new Error('no membership changes in this sim');
      this.appliedIndex = e.index;
      this.settle(e);
    }
    if (rd.committedEntries.length > 0) this.maybeSnapshot();
    for (const rs of rd.readStates) {
      const ctx = Buffer.from(rs.requestCtx).toString('utf8');
      const r = this.reads.get(ctx);
      if (!r) continue;
      this.reads.delete(ctx);
      this.pendingReads.push({ index: rs.index, resolve: r.resolve });
    }
    if (this.pendingReads.length > 0) {
      const applied = this.appliedIndex;
      const ready = this.pendingReads.filter((r) => r.index <= applied);
      this.pendingReads = this.pendingReads.filter((r) => r.index > applied);
      for (const r of ready) r.resolve();
    }
  }

  private settle(e: Entry): void {
    const at = this.waiters.get(e.index);
    if (!at) return;
    this.waiters.delete(e.index);
    for (const w of at) {
      if (w.term === e.term) w.resolve({ index: e.index });
      else w.reject(new ProposalDroppedError(`overwritten by term ${e.term} at index ${e.index}`));
    }
  }

  private maybeSnapshot(): void {
    const applied = this.appliedIndex;
    if (applied - this.lastSnapshotIndex < this.cfg.snapshotEvery) return;
    const confState = this.raft.status().confState;
    const snap = this.storage.createSnapshot(applied, confState, this.store.snapshot());
    this.durable.snapshot = snap;
    this.snapshotsTaken++;
    this.lastSnapshotIndex = applied;
    const compactTo = applied - this.cfg.snapshotRetain;
    if (compactTo >= this.storage.firstIndex()) {
      this.storage.compact(compactTo);
      this.durable.entries = this.durable.entries.filter((e) => e.index > compactTo);
    }
  }
}
