/**
 * The data model of the pure Raft core. Everything here is plain data so that the driver can
 * persist it, the transport can encode it and the simulator can copy it freely.
 *
 * Indexes and terms are JavaScript numbers: safe up to 2^53, which at a million entries a
 * second lasts 285 years.
 */

/** A member's identity in the Raft group. The empty string means "none". */
export type NodeId = string;
export const NONE: NodeId = '';

export enum EntryType {
  Normal = 0,
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque to Raft. For ConfChange entries, an encoded ConfChange (see encodeConfChange). */
  data: Uint8Array;
}

/** What must be on stable storage before any message that depends on it is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

export enum ConfChangeType {
  /** Add a voter, or promote an existing learner to voter. */
  AddVoter = 0,
  /** Add a learner, or demote an existing voter to learner. */
  AddLearner = 1,
  RemoveNode = 2,
}

/**
 * One membership change. Shoal applies changes one at a time (single-server changes, Raft
 * thesis §4.1) rather than by joint consensus: every operation Swarm operators perform (join,
 * promote, demote, remove) changes one member, and the one-at-a-time rule is far easier to
 * reason about. The leader refuses a second change while one is still unapplied.
 */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft; Shoal puts the member's address here. */
  context: Uint8Array;
}

export enum MessageType {
  /** Local: start an election. */
  Hup = 0,
  /** Local: leader should broadcast heartbeats. */
  Beat = 1,
  /** A proposal, local or forwarded by a follower. */
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  PreVote = 7,
  PreVoteResp = 8,
  Snap = 9,
  Heartbeat = 10,
  HeartbeatResp = 11,
  /** Local: the transport could not reach a peer. */
  Unreachable = 12,
  /** Local: the outcome of sending a snapshot to a peer. */
  SnapStatus = 13,
  /** Local: leader checks it still hears from a quorum. */
  CheckQuorum = 14,
  TransferLeader = 15,
  TimeoutNow = 16,
  ReadIndex = 17,
  ReadIndexResp = 18,
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: number;
  /** App: term of the entry at `index`. Vote/PreVote: term of the candidate's last entry. */
  logTerm: number;
  /** App: index of the entry before `entries`. AppResp: highest index matched (or rejected). */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  /** AppResp rejection: the follower's hint for where the leader should probe next. */
  rejectHint: number;
  /** ReadIndex request context, and heartbeat context used to confirm leadership. */
  context?: Uint8Array;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export interface SoftState {
  lead: NodeId;
  role: Role;
}

/** A linearizable read is safe at `index` once the state machine has applied it. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/**
 * Everything the driver must do, in this order: persist hardState, entries and snapshot
 * (fsync when mustSync); then send messages; then apply committedEntries (and the snapshot);
 * then call advance().
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

/** Seeded source of randomness injected into the core. */
export interface Rng {
  /** A uniformly distributed integer in [0, n). */
  intn(n: number): number;
}

/** Narrow logging port; the core never formats output itself. */
export interface RaftLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: RaftLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

export function emptyMessage(type: MessageType, to: NodeId, from: NodeId): Message {
  return {
    type,
    to,
    from,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}
