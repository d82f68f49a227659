import { encodeConfChange } from './conf-change.codec';
import { payloadSize } from './entry-size';
import { type MemoryStorage } from './memory-storage';
import { type ProgressState } from './progress';
import { Raft } from './raft';
import { bcastAppend } from './raft-replication';
import { type RaftConfig, resolveConfig } from './raft-config';
import { ProposalDroppedError } from './storage';
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  emptyMessage,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  NONE,
  type Ready,
  Role,
  type Snapshot,
  type SoftState,
} from './types';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  isLearner: boolean;
  /** Heard from since the last check-quorum round. */
  recentActive: boolean;
  /** recentActive as the last check-quorum round ended. */
  activeLastRound: boolean;
}

export interface RaftStatus {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  leadTransferee: NodeId;
  /** Per-member replication progress; empty unless this node is the leader. */
  progress: Map<NodeId, ProgressStatus>;
  confState: ConfState;
}

/** Message types only this node may generate; from the network they are dropped. */
const LOCAL_ONLY = new Set<MessageType>([
  MessageType.Hup,
  MessageType.Beat,
  MessageType.Unreachable,
  MessageType.SnapStatus,
  MessageType.CheckQuorum,
]);

/** Requests a follower forwards to its leader; they carry no term. */
const TERMLESS_REMOTE = new Set<MessageType>([
  MessageType.Prop,
  MessageType.ReadIndex,
  MessageType.TransferLeader,
]);

const RESPONSES = new Set<MessageType>([
  MessageType.AppResp,
  MessageType.VoteResp,
  MessageType.PreVoteResp,
  MessageType.HeartbeatResp,
]);

/** What the last Ready handed to the driver, acknowledged by advance(). */
interface InFlightReady {
  lastEntry?: { index: number; term: number };
  snapshotIndex?: number;
  appliedTo?: number;
  committedBytes: number;
}

/**
 * The public face of the Raft core, in the style of etcd's RawNode: a synchronous state
 * machine the driver feeds with ticks, messages and proposals, and drains through Ready.
 *
 * Driver loop: if hasReady(): rd = ready(); persist rd.hardState/entries/snapshot (fsync if
 * rd.mustSync); send rd.messages; apply rd.snapshot and rd.committedEntries (calling
 * applyConfChange for ConfChange entries); advance().
 */
export class RaftNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private inFlight: InFlightReady = { committedBytes: 0 };

  constructor(config: RaftConfig) {
    this.raft = new Raft(resolveConfig(config));
    this.prevSoft = this.raft.softState();
    // Compare against what is on disk, so a commit raised at startup gets persisted.
    this.prevHard = config.storage.initialState().hardState;
  }

  /**
   * Prepares empty storage for the first start of a brand-new cluster: an initial snapshot at
   * index 1, term 1 holding the membership, so every founding member starts from the same
   * configuration without any entry needing replication. Nodes that join an existing cluster
   * must not be bootstrapped: they start empty and receive the leader's snapshot. Returns the
   * snapshot for the driver to persist alongside its WAL.
   */
  static bootstrapStorage(
    storage: MemoryStorage,
    voters: readonly NodeId[],
    learners: readonly NodeId[] = [],
  ): Snapshot {
    const { hardState } = storage.initialState();
    if (storage.lastIndex() !== 0 || hardState.term !== 0) {
      throw new Error('bootstrapStorage: storage is not empty');
    }
    if (voters.length === 0) throw new RangeError('bootstrapStorage: need at least one voter');
    if (voters.some((v) => v === NONE) || learners.some((l) => l === NONE)) {
      throw new RangeError('bootstrapStorage: empty node id');
    }
    if (learners.some((l) => voters.includes(l))) {
      throw new RangeError('bootstrapStorage: a node cannot be both voter and learner');
    }
    const snap: Snapshot = {
      metadata: {
        index: 1,
        term: 1,
        confState: { voters: [...new Set(voters)].sort(), learners: [...new Set(learners)].sort() },
      },
      data: new Uint8Array(0),
    };
    storage.applySnapshot(snap);
    storage.setHardState({ term: 1, vote: NONE, commit: 1 });
    return snap;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with pre-vote if configured), if this node may. */
  campaign(): void {
    this.raft.step(emptyMessage(MessageType.Hup, NONE, this.raft.id));
  }

  /**
   * Proposes data for the log. On the leader returns where it was appended; on a follower
   * with a known leader forwards it and returns null (the outcome is only seen by watching
   * committed entries). Throws ProposalDroppedError if there is no leader, a leader transfer
   * is in progress, or the entry is too big.
   */
  propose(data: Uint8Array): { index: number; term: number } | null {
    return this.proposeEntry({ term: 0, index: 0, type: EntryType.Normal, data });
  }

  /** Like propose; also throws ProposalDroppedError while another change is unapplied. */
  proposeConfChange(cc: ConfChange): { index: number; term: number } | null {
    if (cc.nodeId === NONE)
      throw new ProposalDroppedError('configuration change without a node id');
    if (!(cc.type in ConfChangeType)) {
      throw new ProposalDroppedError(`unknown configuration change type ${cc.type}`);
    }
    return this.proposeEntry({
      term: 0,
      index: 0,
      type: EntryType.ConfChange,
      data: encodeConfChange(cc),
    });
  }

  private proposeEntry(e: Entry): { index: number; term: number } | null {
    const max = this.raft.cfg.maxEntryBytes;
    if (e.data.byteLength > max) {
      throw new ProposalDroppedError(
        `entry of ${e.data.byteLength} bytes exceeds maxEntryBytes ${max}`,
      );
    }
    const m = emptyMessage(MessageType.Prop, NONE, NONE);
    m.entries = [e];
    this.raft.step(m);
    if (this.raft.role !== Role.Leader) return null;
    return { index: this.raft.raftLog.lastIndex(), term: this.raft.term };
  }

  /**
   * Feeds a message from the network. Local-only types, malformed messages and responses from
   * non-members are logged and dropped; refusals (e.g. a forwarded proposal we cannot take)
   * are logged, never thrown. Errors that do escape are invariant violations: a bug or lost
   * storage, where stopping is safer than continuing.
   */
  step(m: Message): void {
    const problem = this.validate(m);
    if (problem) {
      this.raft.logger.warn('dropping message', {
        reason: problem,
        type: MessageType[m.type] ?? m.type,
        from: m.from,
      });
      return;
    }
    try {
      this.raft.step(m);
    } catch (e) {
      if (e instanceof ProposalDroppedError) {
        this.raft.logger.debug('dropped remote request', { reason: e.message, from: m.from });
        return;
      }
      throw e;
    }
  }

  private validate(m: Message): string | undefined {
    if (!(m.type in MessageType)) return 'unknown message type';
    if (LOCAL_ONLY.has(m.type)) return 'local-only message type from the network';
    if (typeof m.from !== 'string' || m.from === NONE) return 'missing sender';
    if (m.from === this.raft.id && m.type !== MessageType.TransferLeader)
      return 'message from self';
    if (m.to !== this.raft.id) return `addressed to ${m.to}`;
    for (const n of [m.term, m.logTerm, m.index, m.commit, m.rejectHint]) {
      if (!Number.isSafeInteger(n) || n < 0) return 'bad numeric field';
    }
    // Only requests a follower forwards carry no term; anything else at term 0 would skip the
    // term checks (a term-0 MsgApp could move the commit index).
    if (m.term === 0 && !TERMLESS_REMOTE.has(m.type))
      return 'term 0 on a message that needs a term';
    if (!Array.isArray(m.entries)) return 'bad entries';
    if (m.type === MessageType.App) {
      for (let i = 0; i < m.entries.length; i++) {
        const e = m.entries[i]!;
        if (e.index !== m.index + 1 + i) return 'non-contiguous entries';
        if (!Number.isSafeInteger(e.term) || e.term < 1 || e.term > m.term) return 'bad entry term';
        if (i > 0 && e.term < m.entries[i - 1]!.term) return 'entry terms decrease';
      }
      if (m.entries.length > 0 && m.entries[0]!.term < m.logTerm) return 'entry term below logTerm';
    }
    if (m.type === MessageType.Snap && !m.snapshot) return 'MsgSnap without snapshot';
    if (RESPONSES.has(m.type) && !this.raft.trk.progress.has(m.from)) {
      return 'response from a non-member';
    }
    return undefined;
  }

  /**
   * Requests a linearizable read. The answer arrives as a ReadState with the same context in
   * a later Ready: the read is safe once the state machine has applied its index. Contexts
   * must be non-empty and unique among outstanding requests (across the whole cluster when
   * reading through followers). Throws ProposalDroppedError if no leader is known.
   */
  readIndex(ctx: Uint8Array): void {
    if (ctx.byteLength === 0) throw new ProposalDroppedError('ReadIndex needs a non-empty context');
    const m = emptyMessage(MessageType.ReadIndex, NONE, NONE);
    m.context = ctx;
    this.raft.step(m);
  }

  /** Asks the leader (directly, or via this follower) to hand leadership to `id`. */
  transferLeader(id: NodeId): void {
    this.raft.step(emptyMessage(MessageType.TransferLeader, this.raft.id, id));
  }

  /** Call while applying a committed ConfChange entry; returns the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.step(emptyMessage(MessageType.Unreachable, this.raft.id, id));
  }

  /** Reports the outcome of sending a MsgSnap to `id`, so replication can resume. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const m = emptyMessage(MessageType.SnapStatus, this.raft.id, id);
    m.reject = !ok;
    this.raft.step(m);
  }

  hasReady(): boolean {
    const r = this.raft;
    if (r.appendPending && r.role === Role.Leader) return true;
    const log = r.raftLog;
    if (!softEqual(r.softState(), this.prevSoft)) return true;
    if (!hardEqual(r.hardState(), this.prevHard)) return true;
    if (log.nextUnstableSnapshot()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (log.unstable.offsetInProgress < log.unstable.offset + log.unstable.entries.length)
      return true;
    return log.hasNextCommittedEntries();
  }

  ready(): Ready {
    const r = this.raft;
    if (r.appendPending) {
      r.appendPending = false;
      if (r.role === Role.Leader) bcastAppend(r);
    }
    const log = r.raftLog;
    const entries = log.nextUnstableEntries();
    const snapshot = log.nextUnstableSnapshot();
    const committedEntries = log.nextCommittedEntries();
    const soft = r.softState();
    const hard = r.hardState();
    const softChanged = !softEqual(soft, this.prevSoft);
    const hardChanged = !hardEqual(hard, this.prevHard);
    const rd: Ready = {
      readStates: r.readStates,
      entries,
      committedEntries,
      messages: r.msgs,
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hard.term !== this.prevHard.term ||
        hard.vote !== this.prevHard.vote,
    };
    if (softChanged) rd.softState = soft;
    if (hardChanged) rd.hardState = hard;
    if (snapshot) rd.snapshot = snapshot;

    // From here on these are the driver's: do not hand them out again.
    r.msgs = [];
    r.readStates = [];
    this.prevSoft = soft;
    this.prevHard = hard;
    log.unstable.acceptInProgress();
    const f = this.inFlight;
    if (entries.length > 0) {
      const last = entries[entries.length - 1]!;
      f.lastEntry = { index: last.index, term: last.term };
    }
    if (snapshot) f.snapshotIndex = snapshot.metadata.index;
    if (committedEntries.length > 0) {
      const last = committedEntries[committedEntries.length - 1]!.index;
      log.acceptApplying(last);
      f.appliedTo = last;
      f.committedBytes += payloadSize(committedEntries);
    }
    return rd;
  }

  /** Acknowledges that the Ready returned last (and any before it) has been fully handled. */
  advance(): void {
    const r = this.raft;
    const f = this.inFlight;
    this.inFlight = { committedBytes: 0 };
    if (f.lastEntry) r.raftLog.stableTo(f.lastEntry.index, f.lastEntry.term);
    if (f.appliedTo !== undefined) r.raftLog.appliedTo(f.appliedTo);
    if (f.snapshotIndex !== undefined) {
      r.raftLog.stableSnapTo(f.snapshotIndex);
      r.raftLog.appliedTo(f.snapshotIndex);
    }
    if (f.committedBytes > 0 && r.role === Role.Leader) r.reduceUncommittedSize(f.committedBytes);
  }

  /** Cheap checks for the driver's hot path; status() copies the whole progress map. */
  isLeader(): boolean {
    return this.raft.role === Role.Leader;
  }

  /** The leader this node knows of, or NONE. */
  leaderId(): NodeId {
    return this.raft.lead;
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress = new Map<NodeId, ProgressStatus>();
    if (r.role === Role.Leader) {
      r.trk.visit((id, pr) => {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          activeLastRound: pr.activeLastRound,
        });
      });
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.raftLog.applied,
      leadTransferee: r.leadTransferee,
      progress,
      confState: r.trk.confState(),
    };
  }
}

function softEqual(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}

function hardEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
