import {
  type Labels,
  type ObjectVersion,
  type Platform,
  type ResourceObject,
  type TLSInfo,
} from './common.types';

export type NodeRole = 'worker' | 'manager';
export type NodeAvailability = 'active' | 'pause' | 'drain';

/** The part of a node its operator sets (`docker node update`). */
export interface NodeSpec {
  Name?: string;
  Labels?: Labels;
  Role?: NodeRole;
  Availability?: NodeAvailability;
}

export interface EnginePlugin {
  Type?: string;
  Name?: string;
}

export interface EngineDescription {
  EngineVersion?: string;
  Labels?: Labels;
  Plugins?: EnginePlugin[];
}

/** What the node reports about itself. */
export interface NodeDescription {
  Hostname?: string;
  Platform?: Platform;
  Resources?: ResourceObject;
  Engine?: EngineDescription;
  TLSInfo?: TLSInfo;
}

export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';

export interface NodeStatus {
  State?: NodeState;
  Message?: string;
  /** The node's IP address as the managers see it. */
  Addr?: string;
}

export type Reachability = 'unknown' | 'unreachable' | 'reachable';

/** Present only on managers. */
export interface ManagerStatus {
  Leader?: boolean;
  Reachability?: Reachability;
  /** The manager's Raft address, host:port. */
  Addr?: string;
}

export interface Node {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: NodeSpec;
  Description?: NodeDescription;
  Status?: NodeStatus;
  ManagerStatus?: ManagerStatus | null;
}
