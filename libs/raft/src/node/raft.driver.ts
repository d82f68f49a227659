import { randomBytes } from 'node:crypto';
import { type Logger } from '@shoal/common';
import { decodeConfChange } from '../core/conf-change.codec';
import { type MemoryStorage } from '../core/memory-storage';
import { RaftNode } from '../core/raft-node';
import { SeededRng } from '../core/rng';
import { ProposalDroppedError as CoreDroppedError } from '../core/storage';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  type Entry,
  EntryType,
  type NodeId,
  type Ready,
  type Role,
  type Snapshot,
} from '../core/types';
import { type SnapshotStore } from '../snapshot';
import { type Wal } from '../wal';
import {
  DriverStoppedError,
  NotLeaderError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
} from './driver.errors';
import {
  type RaftDriverOptions,
  type ResolvedDriverOptions,
  resolveDriverOptions,
} from './driver.options';
import { decodeSnapshotEnvelope, encodeSnapshotEnvelope } from './membership.codec';
import { ProposalWaiters, ReadWaiters } from './proposal-waiters';
import { openDurableState } from './durable-state';

export interface RaftDriverStatus {
  id: NodeId;
  role: Role;
  leader: NodeId | undefined;
  term: number;
  commit: number;
  applied: number;
  /** The last index in this node's log, committed or not. */
  lastIndex: number;
  snapshotIndex: number;
  /**
   * On the leader, `match` (the highest index known replicated there) and `recentActive`
   * (heard from in the current or previous check-quorum round: within one to two election
   * timeouts, so it does not flicker between rounds) per member; absent on other nodes.
   */
  members: {
    id: NodeId;
    address: string | undefined;
    voter: boolean;
    match?: number;
    recentActive?: boolean;
  }[];
}

type LeaderListener = (leader: NodeId | undefined, term: number) => void;

/**
 * The only consumer of the Raft core's Ready. For each Ready, strictly in this order:
 * persist (snapshot file, WAL records, one fsync), send messages, apply committed entries,
 * advance. Proposals that arrive while a Ready is being persisted pile up in the core and go
 * out in the next Ready, so one fsync covers every proposal that was waiting (group commit).
 */
export class RaftDriver {
  private readonly o: ResolvedDriverOptions;
  private readonly log: Logger;
  private readonly proposals: ProposalWaiters;
  private readonly reads = new ReadWaiters();
  private readonly leaderListeners = new Set<LeaderListener>();
  private ticker: NodeJS.Timeout | undefined;
  private processing: Promise<void> | undefined;
  private snapshotting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private kicked = false;
  private stopped = false;
  private readSeq = 0;
  /** Ticks since start: the clock lost ReadIndex requests are re-sent by. */
  private ticks = 0;
  /**
   * Makes ReadIndex contexts unique across restarts, not just within one run: the leader keeps
   * a pending request (and may still send its answer) from before we restarted, and a new read
   * that reused its context would be merged into it and released at its older index.
   */
  private readonly readNonce = randomBytes(8).toString('hex');
  private leader: NodeId | undefined;
  private term = 0;
  private applied: number;
  private snapshotIndex: number;
  /** Bytes of the entries applied since the last snapshot started (see snapshotBytes). */
  private bytesSinceSnapshot = 0;
  private confState: ConfState;

  private constructor(
    opts: ResolvedDriverOptions,
    private readonly node: RaftNode,
    private readonly storage: MemoryStorage,
    private readonly wal: Wal,
    private readonly snapshots: SnapshotStore,
    private readonly addresses: Map<NodeId, string>,
    applied: number,
    confState: ConfState,
  ) {
    this.o = opts;
    this.log = opts.logger.child({ component: 'raft', node: opts.id });
    this.proposals = new ProposalWaiters(opts.metrics);
    this.applied = applied;
    this.snapshotIndex = applied;
    this.confState = confState;
  }

  /** Recovers the node from dataDir (or bootstraps a new cluster) and starts it. */
  static async start(options: RaftDriverOptions): Promise<RaftDriver> {
    const o = resolveDriverOptions(options);
    const durable = await openDurableState(o);
    const node = new RaftNode({
      id: o.id,
      electionTick: o.electionTicks,
      heartbeatTick: o.heartbeatTicks,
      storage: durable.storage,
      applied: durable.applied,
      checkQuorum: true,
      preVote: true,
      rng: new SeededRng(o.seed),
      logger: o.logger.child({ component: 'raft-core', node: o.id }),
    });
    const driver = new RaftDriver(
      o,
      node,
      durable.storage,
      durable.wal,
      durable.snapshots,
      durable.addresses,
      durable.applied,
      durable.confState,
    );
    await driver.startRunning();
    return driver;
  }

  private async startRunning(): Promise<void> {
    for (const [id, address] of this.addresses) {
      if (id !== this.o.id) this.o.transport.setPeer(id, address);
    }
    await this.o.transport.start({
      onMessage: (m) => {
        if (this.stopped) return;
        try {
          this.node.step(m);
        } catch (err) {
          // The core drops malformed messages itself; what escapes is a broken invariant.
          this.halt('the raft core hit an invariant violation', err);
          return;
        }
        this.kick();
      },
      onUnreachable: (peer) => this.node.reportUnreachable(peer),
      onSnapshotStatus: (peer, ok) => {
        this.node.reportSnapshot(peer, ok);
        this.kick();
      },
    });
    this.ticker = setInterval(() => {
      this.ticks++;
      this.node.tick();
      this.askLostReadsAgain();
      this.kick();
    }, this.o.tickMs);
    // A lone founding voter need not wait out an election timeout to lead.
    if (this.confState.voters.length === 1 && this.confState.voters[0] === this.o.id) {
      this.node.campaign();
    }
    this.kick();
  }

  // ---- public API ---------------------------------------------------------------------

  get id(): NodeId {
    return this.o.id;
  }

  isLeader(): boolean {
    return this.node.isLeader();
  }

  leaderId(): NodeId | undefined {
    return this.node.leaderId() || undefined;
  }

  addressOf(id: NodeId): string | undefined {
    return this.addresses.get(id);
  }

  /** Called on every change of leader (undefined while there is none). */
  onLeaderChange(listener: LeaderListener): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  /** Resolves once the entry is applied to the local state machine. */
  propose(data: Uint8Array): Promise<{ index: number; term: number }> {
    const placed = this.placeProposal(() => this.node.propose(data));
    return placed instanceof Error ? Promise.reject(placed) : placed;
  }

  /** Resolves with the new configuration once the change is applied. */
  async proposeConfChange(cc: ConfChange): Promise<ConfState> {
    const placed = this.placeProposal(() => this.node.proposeConfChange(cc));
    if (placed instanceof Error) throw placed;
    await placed;
    return this.confState;
  }

  addLearner(id: NodeId, address: string): Promise<ConfState> {
    return this.proposeConfChange({
      type: ConfChangeType.AddLearner,
      nodeId: id,
      context: Buffer.from(address, 'utf8'),
    });
  }

  /**
   * Adds a voter, or promotes a learner. A learner is promoted only once it holds everything
   * committed: a voter that still lags would leave the quorum one failure from stalling.
   */
  addVoter(id: NodeId, address: string): Promise<ConfState> {
    const lagging = this.learnerLag(id);
    if (lagging) return Promise.reject(new ProposalDroppedError(lagging));
    return this.proposeConfChange({
      type: ConfChangeType.AddVoter,
      nodeId: id,
      context: Buffer.from(address, 'utf8'),
    });
  }

  removeMember(id: NodeId): Promise<ConfState> {
    return this.proposeConfChange({
      type: ConfChangeType.RemoveNode,
      nodeId: id,
      context: new Uint8Array(0),
    });
  }

  /**
   * A linearizable read barrier (ReadIndex): resolves once this node's state machine reflects
   * every write acknowledged before the call. Works on followers too; the leader confirms.
   */
  readBarrier(): Promise<void> {
    if (this.stopped) return Promise.reject(new DriverStoppedError());
    if (!this.leaderId()) return Promise.reject(this.notLeader());
    const ctx = `${this.o.id}:${this.readNonce}:${++this.readSeq}`;
    const done = this.reads.wait(
      ctx,
      this.o.proposalTimeoutMs,
      () => new ProposalTimeoutError(this.o.proposalTimeoutMs),
      this.ticks,
    );
    this.requestReadIndex(ctx);
    this.kick();
    return done;
  }

  /**
   * A ReadIndex request or its answer can be lost (a broken connection, a message dropped under
   * backpressure) with no change of leader to prompt asking again, and the read would wait for
   * its timeout. Reads unanswered for an election timeout are asked again, as etcd re-asks
   * every 500 ms. Asking twice is safe: the leader ignores a context it already holds, and
   * either answer comes from a leader confirmed by a quorum after the read began.
   */
  private askLostReadsAgain(): void {
    // Without a leader there is no one to ask; noteSoftState asks the next one.
    if (!this.leaderId()) return;
    this.askAgain(this.reads.unanswered(this.ticks - this.o.electionTicks));
  }

  private askAgain(contexts: readonly string[]): void {
    for (const ctx of contexts) {
      this.reads.askedAgain(ctx, this.ticks);
      this.requestReadIndex(ctx);
    }
  }

  private requestReadIndex(ctx: string): void {
    try {
      this.node.readIndex(Buffer.from(ctx, 'utf8'));
    } catch (err) {
      // No leader to ask: fail the read now rather than leave it to time out unobserved.
      this.reads.reject(ctx, err instanceof CoreDroppedError ? this.notLeader() : (err as Error));
    }
  }

  /** Hands leadership to `to`, or to the most up-to-date voter, and waits until it has it. */
  async transferLeadership(to?: NodeId, timeoutMs = this.electionTimeoutMs() * 3): Promise<void> {
    if (!this.isLeader()) return;
    const target = to ?? this.bestTransferee();
    if (!target) return;
    this.log.info('transferring leadership', { to: target });
    const changed = this.waitForLeader((l) => l !== undefined && l !== this.o.id, timeoutMs);
    this.node.transferLeader(target);
    this.kick();
    await changed;
  }

  status(): RaftDriverStatus {
    const s = this.node.status();
    const voters = new Set(this.confState.voters);
    return {
      id: this.o.id,
      role: s.softState.role,
      leader: s.softState.lead || undefined,
      term: s.hardState.term,
      commit: s.hardState.commit,
      applied: this.applied,
      lastIndex: this.storage.lastIndex(),
      snapshotIndex: this.snapshotIndex,
      members: [...this.confState.voters, ...this.confState.learners].map((id) => {
        const pr = s.progress.get(id);
        return {
          id,
          address: this.addresses.get(id),
          voter: voters.has(id),
          ...(pr ? { match: pr.match, recentActive: pr.recentActive || pr.activeLastRound } : {}),
        };
      }),
    };
  }

  /**
   * Graceful stop. A leader first hands leadership to the most up-to-date voter and waits for
   * its own in-flight proposals to apply under the new leader, so clients see no failures.
   */
  stop(opts: { transferLeadership?: boolean } = {}): Promise<void> {
    // Also after a halt: the loop or a snapshot may still be writing, and the WAL is open.
    this.stopping ??= this.shutdown(opts.transferLeadership ?? true);
    return this.stopping;
  }

  private async shutdown(transfer: boolean): Promise<void> {
    if (transfer && !this.stopped) {
      try {
        await this.transferLeadership();
        await this.drainProposals(this.electionTimeoutMs() * 2);
      } catch (err) {
        this.log.warn('leadership transfer before stop failed', { err: String(err) });
      }
    }
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    try {
      await this.processing;
      await this.snapshotting;
      await this.o.transport.stop();
      await this.wal.close();
    } finally {
      this.proposals.rejectAll(() => new DriverStoppedError());
      this.reads.rejectAll(() => new DriverStoppedError());
    }
  }

  // ---- the Ready loop -----------------------------------------------------------------

  /** Schedules a pass of the Ready loop; calls in the same turn share one pass. */
  private kick(): void {
    if (this.kicked || this.stopped) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      if (!this.processing)
        this.processing = this.drain().finally(() => (this.processing = undefined));
    });
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.node.hasReady()) {
        await this.handleReady(this.node.ready());
      }
    } catch (err) {
      this.halt('persisting or applying failed', err);
      return;
    }
    // Work that arrived during the last await still needs a pass.
    if (!this.stopped && this.node.hasReady()) this.kick();
  }

  private async handleReady(rd: Ready): Promise<void> {
    const metrics = this.o.metrics;
    // When this node learnt that these entries are committed: the end of their commit latency.
    const committedAt = metrics && rd.committedEntries.length > 0 ? performance.now() : 0;
    // 1. Persist.
    if (rd.snapshot) {
      // A snapshot of our own still being written must land first: WAL markers only go forward.
      await this.snapshotting;
      await this.snapshots.save(rd.snapshot);
      await this.wal.saveSnapshotMarker(rd.snapshot.metadata);
      this.storage.applySnapshot(rd.snapshot);
      metrics?.snapshotInstalled(rd.snapshot.data.length);
    }
    if (rd.hardState || rd.entries.length > 0) {
      const sync = rd.mustSync && this.o.fsync;
      const started = metrics && sync ? performance.now() : 0;
      await this.wal.save(rd.hardState, rd.entries, sync);
      if (started) metrics!.walSynced((performance.now() - started) / 1000);
    }
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    if (rd.entries.length > 0) this.storage.append(rd.entries);

    // 2. Send.
    if (rd.messages.length > 0) this.o.transport.send(rd.messages);

    // 3. Apply.
    if (rd.snapshot) await this.restoreSnapshot(rd.snapshot);
    if (rd.committedEntries.length > 0) await this.applyEntries(rd.committedEntries, committedAt);
    for (const rs of rd.readStates) {
      this.reads.readState(Buffer.from(rs.requestCtx).toString('utf8'), rs.index, this.applied);
    }
    // Term first: leader listeners are told the term of the leader they are told about.
    if (rd.hardState) this.term = rd.hardState.term;
    if (rd.softState) this.noteSoftState(rd.softState.lead, rd.softState.role);

    // 4. Advance.
    this.node.advance();
    this.maybeSnapshot();
  }

  private async applyEntries(entries: Entry[], committedAt: number): Promise<void> {
    let batch: Entry[] = [];
    const flush = async () => {
      if (batch.length > 0) await this.o.stateMachine.apply(batch);
      batch = [];
    };
    for (const e of entries) {
      if (e.type === EntryType.ConfChange) {
        await flush();
        this.applyConfChange(e);
      } else if (e.data.length > 0) {
        // Empty normal entries are the no-ops new leaders append; the application never sees them.
        batch.push(e);
        this.bytesSinceSnapshot += e.data.length;
      }
    }
    await flush();
    this.applied = entries[entries.length - 1]!.index;
    this.proposals.applied(entries, committedAt);
    this.reads.release(this.applied);
  }

  private applyConfChange(e: Entry): void {
    const cc = decodeConfChange(e.data);
    this.confState = this.node.applyConfChange(cc);
    if (cc.type === ConfChangeType.RemoveNode) {
      this.addresses.delete(cc.nodeId);
      if (cc.nodeId !== this.o.id) this.o.transport.removePeer(cc.nodeId);
    } else if (cc.context.length > 0) {
      const address = Buffer.from(cc.context).toString('utf8');
      this.addresses.set(cc.nodeId, address);
      if (cc.nodeId !== this.o.id) this.o.transport.setPeer(cc.nodeId, address);
    }
    this.log.info('membership changed', { change: ConfChangeType[cc.type], member: cc.nodeId });
  }

  private async restoreSnapshot(snap: Snapshot): Promise<void> {
    const { addresses, app } = decodeSnapshotEnvelope(snap.data);
    // The book is as of the snapshot's index. A leader that joined after its latest snapshot
    // is missing from it, yet we must keep answering it (it is usually why `peers` named it);
    // the entries that follow will record it again.
    const lead = this.node.leaderId();
    const leadAddress = this.addresses.get(lead);
    if (lead && leadAddress !== undefined && !addresses.has(lead)) addresses.set(lead, leadAddress);
    for (const id of this.addresses.keys()) {
      if (!addresses.has(id) && id !== this.o.id) this.o.transport.removePeer(id);
    }
    this.addresses.clear();
    for (const [id, address] of addresses) {
      this.addresses.set(id, address);
      if (id !== this.o.id) this.o.transport.setPeer(id, address);
    }
    await this.o.stateMachine.restore(app);
    this.confState = snap.metadata.confState;
    this.applied = snap.metadata.index;
    this.snapshotIndex = snap.metadata.index;
    this.bytesSinceSnapshot = 0;
    this.proposals.skippedTo(
      snap.metadata.index,
      () => new ProposalOutcomeUnknownError('replaced by a snapshot from the leader'),
    );
    this.reads.release(this.applied);
    this.log.info('restored snapshot', { index: snap.metadata.index, term: snap.metadata.term });
  }

  /**
   * Starts a snapshot at the applied index. The state machine captures its state during the
   * snapshot() call; producing the bytes, writing, fsyncing and compacting all happen in the
   * background, so even a large snapshot does not stall replication.
   */
  private maybeSnapshot(): void {
    if (this.snapshotting) return;
    const due =
      this.applied - this.snapshotIndex >= this.o.snapshotEntries ||
      this.bytesSinceSnapshot >= this.o.snapshotBytes;
    if (!due) return;
    this.bytesSinceSnapshot = 0;
    const index = this.applied;
    const confState = this.confState;
    const addresses = new Map(this.addresses);
    const started = performance.now();
    const image = this.o.stateMachine.snapshot();
    this.snapshotting = Promise.resolve(image)
      .then((app) =>
        this.persistSnapshot(
          this.storage.createSnapshot(index, confState, encodeSnapshotEnvelope(addresses, app)),
          started,
        ),
      )
      .catch((err: unknown) => this.halt('saving a snapshot failed', err))
      .finally(() => (this.snapshotting = undefined));
  }

  private async persistSnapshot(snap: Snapshot, started: number): Promise<void> {
    const { index } = snap.metadata;
    await this.snapshots.save(snap);
    await this.wal.saveSnapshotMarker(snap.metadata);
    this.snapshotIndex = index;
    this.o.metrics?.snapshotWritten(snap.data.length, (performance.now() - started) / 1000);
    const compactTo = index - this.o.retainEntries;
    if (compactTo > this.storage.firstIndex()) {
      this.storage.compact(compactTo);
      await this.wal.releaseTo(compactTo);
    }
    this.log.debug('took snapshot', { index, compactedTo: compactTo });
  }

  // ---- helpers ------------------------------------------------------------------------

  /** A failed fsync leaves the durable state unknown; carrying on could ack lost writes. */
  private halt(what: string, err: unknown): void {
    if (this.stopped) return;
    this.log.error(`raft driver halted: ${what}`, { err: String(err) });
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.proposals.rejectAll(() => new ProposalOutcomeUnknownError(String(err)));
    this.reads.rejectAll(() => new DriverStoppedError());
    void this.o.transport.stop();
  }

  /** Appends a proposal on this node if it leads, and registers who waits for it. */
  private placeProposal(
    append: () => { index: number; term: number } | null,
  ): Promise<{ index: number; term: number }> | Error {
    if (this.stopped) return new DriverStoppedError();
    // Only a leader appends; a follower's core would forward the entry and we could not tell
    // whether it applied, so followers refuse and name the leader instead.
    if (!this.isLeader()) return this.notLeader();
    let placed: { index: number; term: number } | null;
    try {
      placed = append();
    } catch (err) {
      if (err instanceof CoreDroppedError) return new ProposalDroppedError(err.message);
      throw err;
    }
    if (!placed) return this.notLeader();
    const done = this.proposals.wait(
      placed.index,
      placed.term,
      this.o.proposalTimeoutMs,
      () => new ProposalTimeoutError(this.o.proposalTimeoutMs),
    );
    this.kick();
    return done;
  }

  private notLeader(): NotLeaderError {
    const lead = this.leaderId();
    return new NotLeaderError(lead, lead ? this.addresses.get(lead) : undefined);
  }

  private noteSoftState(lead: NodeId, role: Role): void {
    const leader = lead || undefined;
    if (leader === this.leader) return;
    this.leader = leader;
    this.log.info('leader changed', { leader, role });
    // Reads not yet answered went to the previous leader, which dropped them when it lost
    // office (or never got them). Ask the new one, rather than letting them time out. The
    // same context is safe to answer twice: either answer comes from a leader confirmed by a
    // quorum after the read began.
    if (leader !== undefined) this.askAgain(this.reads.unanswered());
    for (const l of this.leaderListeners) l(leader, this.term);
  }

  private waitForLeader(pred: (l: NodeId | undefined) => boolean, timeoutMs: number) {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`leadership did not move within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onLeaderChange((l) => {
        if (!pred(l)) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  private async drainProposals(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([this.proposals.whenEmpty(), timeout]);
    clearTimeout(timer);
  }

  /** Why learner `id` cannot be promoted yet, or undefined (not a learner, or caught up). */
  private learnerLag(id: NodeId): string | undefined {
    if (!this.confState.learners.includes(id) || !this.isLeader()) return undefined;
    const s = this.node.status();
    const match = s.progress?.get(id)?.match ?? 0;
    const commit = s.hardState.commit;
    if (match >= commit) return undefined;
    return `learner ${id} has not caught up (replicated to ${match}, commit ${commit}); promote it once it has`;
  }

  private bestTransferee(): NodeId | undefined {
    const progress = this.node.status().progress;
    let best: NodeId | undefined;
    let bestMatch = -1;
    for (const id of this.confState.voters) {
      if (id === this.o.id) continue;
      const match = progress?.get(id)?.match ?? -1;
      if (match > bestMatch) {
        best = id;
        bestMatch = match;
      }
    }
    return best;
  }

  private electionTimeoutMs(): number {
    return this.o.tickMs * this.o.electionTicks;
  }
}
