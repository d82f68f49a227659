/**
 * The slice of the Engine API v1.44 swarm objects the CLI reads and writes, named after the
 * spec's definitions. Kept local (and loose: every field optional) rather than imported from
 * @shoal/api because the CLI must cope with whatever a daemon sends — an older shoald, a
 * docker engine — and only ever touches the fields listed here. Unknown fields are preserved
 * on read-modify-write because updates start from the object the daemon returned.
 */

export interface ObjectVersion {
  Index?: number;
}

export type Labels = Record<string, string>;

export interface EndpointPortConfig {
  Name?: string;
  Protocol?: 'tcp' | 'udp' | 'sctp';
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: 'ingress' | 'host';
}

export interface Mount {
  Target?: string;
  Source?: string;
  Type?: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Labels; DriverConfig?: { Name?: string } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface ContainerSpec {
  Image?: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Mounts?: Mount[];
  StopGracePeriod?: number;
  HealthCheck?: HealthConfig;
  [extra: string]: unknown;
}

export interface ResourceLimits {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
}

export interface RestartPolicy {
  Condition?: 'none' | 'on-failure' | 'any';
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread?: { SpreadDescriptor?: string } }[];
  MaxReplicas?: number;
}

export interface TaskSpec {
  ContainerSpec?: ContainerSpec;
  Resources?: { Limits?: ResourceLimits; Reservations?: ResourceLimits };
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  ForceUpdate?: number;
  [extra: string]: unknown;
}

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export interface ServiceSpec {
  Name?: string;
  Labels?: Labels;
  TaskTemplate?: TaskSpec;
  Mode?: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: { Mode?: 'vip' | 'dnsrr'; Ports?: EndpointPortConfig[] };
  [extra: string]: unknown;
}

export interface Service {
  ID: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Spec?: ServiceSpec['EndpointSpec']; Ports?: EndpointPortConfig[] };
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
}

export interface ServiceCreateResponse {
  ID?: string;
  Warnings?: string[] | null;
}

export interface ServiceUpdateResponse {
  Warnings?: string[] | null;
}

export interface Task {
  ID: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Name?: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  Spec?: TaskSpec;
  Status?: {
    Timestamp?: string;
    State?: string;
    Message?: string;
    Err?: string;
  };
  DesiredState?: string;
}

export interface NodeSpec {
  Name?: string;
  Labels?: Labels;
  Role?: 'worker' | 'manager';
  Availability?: 'active' | 'pause' | 'drain';
  [extra: string]: unknown;
}

export interface Node {
  ID: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: NodeSpec;
  Description?: {
    Hostname?: string;
    Platform?: { Architecture?: string; OS?: string };
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string; Labels?: Labels };
  };
  Status?: { State?: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string } | null;
}

export interface SwarmSpec {
  Name?: string;
  Labels?: Labels;
  Orchestration?: { TaskHistoryRetentionLimit?: number } | null;
  Raft?: { SnapshotInterval?: number; [extra: string]: unknown };
  Dispatcher?: { HeartbeatPeriod?: number } | null;
  CAConfig?: { NodeCertExpiry?: number; [extra: string]: unknown } | null;
  [extra: string]: unknown;
}

export interface Swarm {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: SwarmSpec;
  JoinTokens?: { Worker?: string; Manager?: string };
}

export interface SwarmInitRequest {
  ListenAddr?: string;
  AdvertiseAddr?: string;
  ForceNewCluster?: boolean;
  Spec?: SwarmSpec;
}

export interface SystemInfo {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  Swarm?: {
    NodeID?: string;
    NodeAddr?: string;
    LocalNodeState?: string;
    ControlAvailable?: boolean;
    Error?: string;
    RemoteManagers?: { NodeID?: string; Addr?: string }[] | null;
    Nodes?: number | null;
    Managers?: number | null;
    Cluster?: {
      ID?: string;
      CreatedAt?: string;
      Spec?: SwarmSpec;
      DataPathPort?: number;
      DefaultAddrPool?: string[];
      SubnetSize?: number;
    } | null;
  };
}

export interface SystemVersion {
  Platform?: { Name?: string };
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  BuildTime?: string;
}
