import { type Clock, type IdGenerator } from '@shoal/common';
import { type LogRequest, type LogSink } from '@shoal/dispatcher';
import { type MemoryStore } from '@shoal/store';

/**
 * What the HTTP layer and the control classes need from the daemon, behind one DI token.
 * The daemon (apps/shoald/src/daemon) implements it; tests supply their own.
 */
export const SWARM_RUNTIME = Symbol('SwarmRuntime');

/** Docker's LocalNodeState values. */
export type LocalNodeState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface RaftMemberView {
  id: string;
  /** The member's cluster (Raft) address, host:port. */
  addr: string;
  reachable: boolean;
  leader: boolean;
}

export interface ManagerHandle {
  readonly store: MemoryStore;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  /**
   * Linearizable read barrier (Raft ReadIndex). Once it resolves, store views on this
   * manager reflect every write acknowledged anywhere before the call.
   */
  readBarrier(): Promise<void>;
  leaderId(): string | undefined;
  isLeader(): boolean;
  members(): RaftMemberView[];
  /**
   * Task logs, through the leader's log broker: directly on the leader, forwarded to it from
   * any other manager. Resolves once the subscription is open, with the function that cancels
   * it (on every node it reached). Rejects with an ApiError (503 when no leader can take it)
   * before calling `sink` at all, so the caller can still answer with an error status.
   */
  openLogs(req: LogRequest, sink: LogSink): Promise<() => void>;
}

/** Validated body of POST /swarm/init, with defaults applied. */
export interface SwarmInitParams {
  listenAddr: string;
  advertiseAddr: string;
  forceNewCluster: boolean;
  /** Already validated and defaulted SwarmSpec. */
  spec: Record<string, unknown>;
}

/** Validated body of POST /swarm/join. */
export interface SwarmJoinParams {
  remoteAddrs: string[];
  joinToken: string;
  listenAddr: string;
  advertiseAddr: string;
  availability?: 'active' | 'pause' | 'drain';
}

export interface SwarmRuntime {
  localState(): LocalNodeState;
  /** The local node's swarm ID, once it has one. */
  nodeId(): string | undefined;
  /** The address other nodes reach this one at (host part of the advertise address). */
  nodeAddr(): string | undefined;
  /**
   * The manager components of this node. Throws the 503 ApiError Docker returns ("This node
   * is not a swarm manager...") when the node is not an active manager.
   */
  manager(): ManagerHandle;
  /** Starts a one-manager cluster; resolves with the new node ID. 503 if already in a swarm. */
  init(params: SwarmInitParams): Promise<string>;
  /**
   * Joins an existing swarm through one of `remoteAddrs`: pins the CA by the token's digest,
   * gets a certificate for the role the token grants, and (for a manager) starts Raft.
   */
  join(params: SwarmJoinParams): Promise<void>;
  /** Starts a locked (autolocked, restarted) manager: 400 for a wrong key or when not locked. */
  unlock(unlockKey: string): Promise<void>;
  /** Leaves the swarm. A manager needs force=true (it would lose the cluster's state). */
  leave(force: boolean): Promise<void>;
}
