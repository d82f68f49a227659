import { type Labels, type Nanoseconds, type ObjectVersion, type TLSInfo } from './common.types';
import { type NodeAvailability } from './node.types';
import { type LogDriver } from './task-spec.types';

export interface OrchestrationConfig {
  /** Finished tasks kept per slot (or per node for global services). */
  TaskHistoryRetentionLimit?: number;
}

/** Raft settings, counted in ticks of the manager's Raft clock. */
export interface RaftConfig {
  SnapshotInterval?: number;
  KeepOldSnapshots?: number;
  LogEntriesForSlowFollowers?: number;
  ElectionTick?: number;
  HeartbeatTick?: number;
}

export interface DispatcherConfig {
  HeartbeatPeriod?: Nanoseconds;
}

export interface ExternalCA {
  Protocol?: 'cfssl';
  URL?: string;
  Options?: Record<string, string>;
  /** PEM; when empty the swarm's current root CA is trusted. */
  CACert?: string;
}

export interface CAConfig {
  NodeCertExpiry?: Nanoseconds;
  ExternalCAs?: ExternalCA[];
  SigningCACert?: string;
  SigningCAKey?: string;
  /** A counter; bumping it forces a root CA rotation. */
  ForceRotate?: number;
}

export interface EncryptionConfig {
  AutoLockManagers?: boolean;
}

export interface TaskDefaults {
  LogDriver?: LogDriver;
}

export interface SwarmSpec {
  /** Always `default`: Docker refuses any other name. */
  Name?: string;
  Labels?: Labels;
  Orchestration?: OrchestrationConfig;
  Raft?: RaftConfig;
  Dispatcher?: DispatcherConfig;
  CAConfig?: CAConfig;
  EncryptionConfig?: EncryptionConfig;
  TaskDefaults?: TaskDefaults;
}

export interface ClusterInfo {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: SwarmSpec;
  TLSInfo?: TLSInfo;
  RootRotationInProgress?: boolean;
  /** UDP port for VXLAN data traffic; 4789 by default. */
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  /** Prefix length of the networks carved out of DefaultAddrPool; 24 by default. */
  SubnetSize?: number;
}

export interface JoinTokens {
  Worker?: string;
  Manager?: string;
}

/** GET /swarm: the cluster and, for managers, its join tokens. */
export interface Swarm extends ClusterInfo {
  JoinTokens?: JoinTokens;
}

/** Body of POST /swarm/init. */
export interface SwarmInitRequest {
  /** `addr:port` or `interface:port`; the port defaults to 2377. */
  ListenAddr?: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  /** 1024..49151, or 0 for the default 4789. */
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  ForceNewCluster?: boolean;
  /** 0 for the default 24. */
  SubnetSize?: number;
  Spec?: SwarmSpec;
  /**
   * Not in the v1.44 definition, but Go's InitRequest has it without omitempty, so the docker
   * CLI always sends it (`--autolock`). Same meaning as Spec.EncryptionConfig.AutoLockManagers.
   */
  AutoLockManagers?: boolean;
  /** Likewise always sent by the CLI (`--availability`): the first node's availability. */
  Availability?: NodeAvailability;
}

/** Body of POST /swarm/join. */
export interface SwarmJoinRequest {
  ListenAddr: string;
  AdvertiseAddr?: string;
  DataPathAddr?: string;
  RemoteAddrs: string[];
  JoinToken: string;
  /** Not in the v1.44 definition; always sent by the docker CLI (`--availability`). */
  Availability?: NodeAvailability;
}

/** Body of POST /swarm/unlock. */
export interface SwarmUnlockRequest {
  UnlockKey?: string;
}

/** Response of GET /swarm/unlockkey. */
export interface UnlockKeyResponse {
  UnlockKey?: string;
}

/** Query of POST /swarm/update. */
export interface SwarmUpdateQuery {
  /** The Version.Index the caller read; the update is refused if the swarm changed since. */
  version: number;
  rotateWorkerToken: boolean;
  rotateManagerToken: boolean;
  rotateManagerUnlockKey: boolean;
}
