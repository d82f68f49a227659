import { type Message, type NodeId, type RaftLogger } from '../core/types';

/** Where a transport hands what it learns from the network to the Raft driver. */
export interface TransportHandlers {
  onMessage(msg: Message): void;
  /** The peer could not be reached; the core switches that follower to probing. */
  onUnreachable(peer: NodeId): void;
  /** Outcome of a MsgSnap sent to `peer`. */
  onSnapshotStatus(peer: NodeId, ok: boolean): void;
}

/**
 * Moves Raft messages between members. Delivery is best effort: Raft already tolerates loss,
 * duplication and reordering across peers, so a transport drops rather than blocks or throws.
 * Messages to one peer arrive in the order they were sent, or not at all.
 */
export interface Transport {
  start(handlers: TransportHandlers): Promise<void>;
  /** Never blocks or throws. A MsgSnap travels the chunked snapshot path. */
  send(messages: Message[]): void;
  /** Adds a peer or changes its address. Allowed before start(). */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  /** Stops delivering in both directions; no handler is called after it resolves. */
  stop(): Promise<void>;
}

/** The transports log through the same narrow port as the core. */
export type TransportLogger = RaftLogger;
