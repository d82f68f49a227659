import { type Storage } from './storage';
import { type NodeId, NONE, type RaftLogger, type Rng, silentLogger } from './types';

export const MiB = 1024 * 1024;

export interface RaftConfig {
  id: NodeId;
  /** Ticks without hearing from a leader before campaigning (randomized up to 2x). Default 10. */
  electionTick?: number;
  /** Ticks between leader heartbeats; must be < electionTick. Default 1. */
  heartbeatTick?: number;
  storage: Storage;
  /** Last index applied to the state machine before a restart. Default 0. */
  applied?: number;
  /** Byte budget of entries per MsgApp (and of committed entries per Ready). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Unacknowledged MsgApps per follower in Replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Largest single entry payload accepted. Default 1 MiB. */
  maxEntryBytes?: number;
  /** Payload bytes the leader lets sit uncommitted before refusing proposals. Default 64 MiB. */
  maxUncommittedBytes?: number;
  /** Leader steps down without a quorum; followers honour a leader lease. Default true. */
  checkQuorum?: boolean;
  /** Pre-vote before campaigning (thesis §9.6). Default true. */
  preVote?: boolean;
  rng: Rng;
  logger?: RaftLogger;
}

export interface ResolvedRaftConfig {
  id: NodeId;
  electionTick: number;
  heartbeatTick: number;
  storage: Storage;
  applied: number;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  maxEntryBytes: number;
  maxUncommittedBytes: number;
  checkQuorum: boolean;
  preVote: boolean;
  rng: Rng;
  logger: RaftLogger;
}

/** Applies defaults and rejects configurations that cannot work, before any state exists. */
export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  const r: ResolvedRaftConfig = {
    id: c.id,
    electionTick: c.electionTick ?? 10,
    heartbeatTick: c.heartbeatTick ?? 1,
    storage: c.storage,
    applied: c.applied ?? 0,
    maxSizePerMsg: c.maxSizePerMsg ?? MiB,
    maxInflightMsgs: c.maxInflightMsgs ?? 256,
    maxEntryBytes: c.maxEntryBytes ?? MiB,
    maxUncommittedBytes: c.maxUncommittedBytes ?? 64 * MiB,
    checkQuorum: c.checkQuorum ?? true,
    preVote: c.preVote ?? true,
    rng: c.rng,
    logger: c.logger ?? silentLogger,
  };
  if (r.id === NONE) throw new RangeError('raft config: id must not be empty');
  positiveInt('heartbeatTick', r.heartbeatTick);
  positiveInt('electionTick', r.electionTick);
  if (r.electionTick <= r.heartbeatTick) {
    throw new RangeError('raft config: electionTick must be greater than heartbeatTick');
  }
  positiveInt('maxInflightMsgs', r.maxInflightMsgs);
  positiveInt('maxSizePerMsg', r.maxSizePerMsg);
  positiveInt('maxEntryBytes', r.maxEntryBytes);
  positiveInt('maxUncommittedBytes', r.maxUncommittedBytes);
  if (!Number.isInteger(r.applied) || r.applied < 0) {
    throw new RangeError('raft config: applied must be a non-negative integer');
  }
  if (!c.rng) throw new RangeError('raft config: rng is required');
  if (!c.storage) throw new RangeError('raft config: storage is required');
  return r;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`raft config: ${name} must be a positive integer, got ${v}`);
  }
}
