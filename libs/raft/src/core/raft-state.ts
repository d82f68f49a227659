import { decodeConfChange } from './conf-change.codec';
import { payloadSize } from './entry-size';
import { ProgressTracker } from './progress-tracker';
import { type ResolvedRaftConfig } from './raft-config';
import { RaftInvariantError, RaftLog } from './raft-log';
import { ReadOnly } from './read-only';
import {
  emptyMessage,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  NONE,
  type RaftLogger,
  type ReadState,
  Role,
  type SoftState,
} from './types';

export enum CampaignType {
  /** Pre-vote round: probe for a majority without bumping the term. */
  PreElection = 'pre-election',
  Election = 'election',
  /** Leader transfer: skip pre-vote and override other nodes' leader lease. */
  Transfer = 'transfer',
}

/** Vote requests carrying this context come from a leader-transfer campaign. */
export const TRANSFER_CONTEXT: Uint8Array = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66]);

export function isTransferContext(ctx: Uint8Array | undefined): boolean {
  if (!ctx || ctx.length !== TRANSFER_CONTEXT.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== TRANSFER_CONTEXT[i]) return false;
  return true;
}

/** Message fields other than type/to; what send() callers usually provide. */
export type MessageInit = Partial<Message> & Pick<Message, 'type' | 'to'>;

/**
 * The state of one Raft peer and the transitions every role shares. Role-specific behaviour
 * lives in raft-leader.ts / raft-follower.ts / raft-election.ts as functions over this state;
 * raft.ts ties them together. Splitting by functions rather than subclasses keeps the module
 * graph acyclic.
 */
export class RaftState {
  readonly id: NodeId;
  readonly cfg: ResolvedRaftConfig;
  readonly logger: RaftLogger;
  readonly raftLog: RaftLog;
  readonly trk: ProgressTracker;

  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  /** A leader appended proposals whose MsgApps are sent when the next Ready is built. */
  appendPending = false;
  role: Role = Role.Follower;
  isLearner = false;

  /** Outgoing messages, drained by the next Ready. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  leadTransferee: NodeId = NONE;
  /**
   * Index of the latest conf change the leader appended. A new one is refused until the log
   * is applied past it, which is what makes single-server changes safe.
   */
  pendingConfIndex = 0;
  /** Payload bytes appended by this leader and not yet handed out as committed. */
  uncommittedSize = 0;
  readOnly = new ReadOnly();
  /** ReadIndex requests held until this leader commits an entry of its own term. */
  pendingReadIndexMessages: Message[] = [];

  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  randomizedElectionTimeout = 0;

  constructor(cfg: ResolvedRaftConfig) {
    this.id = cfg.id;
    this.cfg = cfg;
    this.logger = cfg.logger;
    this.electionTimeout = cfg.electionTick;
    this.heartbeatTimeout = cfg.heartbeatTick;
    this.raftLog = new RaftLog(cfg.storage, cfg.logger, cfg.maxSizePerMsg);
    this.trk = new ProgressTracker(cfg.maxInflightMsgs);

    const { hardState, confState } = cfg.storage.initialState();
    this.trk.reset(confState, this.raftLog.lastIndex() + 1);
    this.isLearner = this.trk.learners.has(this.id);
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) {
      this.loadState(hardState);
    }
    this.restoreApplied(cfg.applied);
    this.replayAppliedConfChanges();
    this.becomeFollower(this.term, NONE);
    this.logger.info('raft started', {
      id: this.id,
      term: this.term,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      lastIndex: this.raftLog.lastIndex(),
      voters: [...this.trk.voters],
      learners: [...this.trk.learners],
    });
  }

  private loadState(hs: HardState): void {
    if (hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `hard state commit ${hs.commit} is beyond last index ${this.raftLog.lastIndex()}`,
      );
    }
    this.raftLog.commitTo(hs.commit);
    this.term = hs.term;
    this.vote = hs.vote;
  }

  /**
   * Commit-only HardState updates need no fsync, so after a crash the driver may have applied
   * entries beyond the persisted commit index. Applied entries were committed, so it is safe
   * to raise commit to them; an index before the snapshot is implied by the snapshot.
   */
  private restoreApplied(applied: number): void {
    if (applied <= this.raftLog.applied) return;
    if (applied > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `applied ${applied} is beyond last index ${this.raftLog.lastIndex()}`,
      );
    }
    this.raftLog.commitTo(applied);
    this.raftLog.appliedTo(applied);
  }

  /**
   * Entries up to `applied` are never handed out again, so conf changes among them would be
   * lost on restart if storage only reports the snapshot's ConfState. Replaying them is
   * idempotent (each change sets one member's role outright), so this is also correct when
   * storage already reports the latest configuration.
   */
  private replayAppliedConfChanges(): void {
    const log = this.raftLog;
    const lo = log.firstIndex();
    const hi = log.applied + 1;
    if (lo >= hi) return;
    for (const e of log.slice(lo, hi, Infinity)) {
      if (e.type !== EntryType.ConfChange) continue;
      this.trk.applyConfChange(decodeConfChange(e.data), log.lastIndex() + 1);
    }
    this.isLearner = this.trk.learners.has(this.id);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  /** Queues a message, stamping sender and (for non-vote messages) the current term. */
  send(init: MessageInit): void {
    const m: Message = { ...emptyMessage(init.type, init.to, NONE), ...init };
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (
      t === MessageType.Vote ||
      t === MessageType.VoteResp ||
      t === MessageType.PreVote ||
      t === MessageType.PreVoteResp
    ) {
      // Vote traffic carries the term of the election, which is not necessarily ours.
      if (m.term === 0) throw new RaftInvariantError(`${MessageType[t]} sent without a term`);
    } else if (t !== MessageType.Prop && t !== MessageType.ReadIndex) {
      // Forwarded proposals and reads are "local" at the leader and carry no term.
      m.term = this.term;
    }
    this.msgs.push(m);
  }

  reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.trk.resetVotes();
    this.trk.resetProgress(this.raftLog.lastIndex(), this.id);
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
    this.logger.info('became follower', { id: this.id, term: this.term, lead });
  }

  becomeCandidate(): void {
    if (this.role === Role.Leader) throw new RaftInvariantError('leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
    this.logger.info('became candidate', { id: this.id, term: this.term });
  }

  becomePreCandidate(): void {
    if (this.role === Role.Leader) {
      throw new RaftInvariantError('leader cannot become pre-candidate');
    }
    // Term and vote stay: a pre-candidate has not started an election yet.
    this.trk.resetVotes();
    this.lead = NONE;
    this.role = Role.PreCandidate;
    this.logger.info('became pre-candidate', { id: this.id, term: this.term });
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.cfg.rng.intn(this.electionTimeout);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** Whether this node may become leader: a voter in its own config with no snapshot pending. */
  promotable(): boolean {
    return (
      this.trk.voters.has(this.id) && !this.isLearner && !this.raftLog.hasNextOrInProgressSnapshot()
    );
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.termOrZero(this.raftLog.committed) === this.term;
  }

  /**
   * Committed but unapplied conf changes mean our config is about to change; campaigning on
   * the old one could elect a leader the new config would not.
   */
  hasUnappliedConfChanges(): boolean {
    const log = this.raftLog;
    if (log.applied >= log.committed || log.hasNextOrInProgressSnapshot()) return false;
    const lo = Math.max(log.applied + 1, log.firstIndex());
    const ents: Entry[] = log.slice(lo, log.committed + 1, Infinity);
    return ents.some((e) => e.type === EntryType.ConfChange);
  }

  /** Accounts for new proposals; false if they would exceed maxUncommittedBytes. */
  increaseUncommittedSize(ents: readonly Entry[]): boolean {
    const s = payloadSize(ents);
    // An empty log of uncommitted data always accepts one proposal, however large, so a
    // proposal under maxEntryBytes can never be refused forever.
    if (
      this.uncommittedSize > 0 &&
      s > 0 &&
      this.uncommittedSize + s > this.cfg.maxUncommittedBytes
    ) {
      return false;
    }
    this.uncommittedSize += s;
    return true;
  }

  reduceUncommittedSize(bytes: number): void {
    this.uncommittedSize = Math.max(0, this.uncommittedSize - bytes);
  }
}
