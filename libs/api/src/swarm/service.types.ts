import { type Labels, type Nanoseconds, type ObjectVersion } from './common.types';
import { type NetworkAttachmentConfig, type TaskSpec } from './task-spec.types';

export interface ReplicatedService {
  Replicas?: number;
}

/** Global mode carries no settings; the API sends `{}`. */
export type GlobalService = Record<string, never>;

export interface ReplicatedJob {
  /** How many tasks may run at once. */
  MaxConcurrent?: number;
  /** How many tasks must complete successfully for the job to be done. */
  TotalCompletions?: number;
}

export type GlobalJob = Record<string, never>;

/** At most one member is set; none means replicated with one replica. */
export interface ServiceMode {
  Replicated?: ReplicatedService;
  Global?: GlobalService;
  ReplicatedJob?: ReplicatedJob;
  GlobalJob?: GlobalJob;
}

export type UpdateOrder = 'stop-first' | 'start-first';

export interface UpdateConfig {
  /** Tasks updated at once; 0 means all at once. */
  Parallelism?: number;
  Delay?: Nanoseconds;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  /** How long after a task's update a failure still counts against the update. */
  Monitor?: Nanoseconds;
  /** Fraction of updated tasks (0..1) allowed to fail before FailureAction applies. */
  MaxFailureRatio?: number;
  Order?: UpdateOrder;
}

/** UpdateConfig as used for rollbacks, which cannot themselves roll back. */
export interface RollbackConfig {
  Parallelism?: number;
  Delay?: Nanoseconds;
  FailureAction?: 'continue' | 'pause';
  Monitor?: Nanoseconds;
  MaxFailureRatio?: number;
  Order?: UpdateOrder;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';
export type PortPublishMode = 'ingress' | 'host';

export interface EndpointPortConfig {
  Name?: string;
  Protocol?: PortProtocol;
  /** The port inside the container. */
  TargetPort?: number;
  /** The port on the swarm's nodes; 0 lets Swarm pick one (ingress mode). */
  PublishedPort?: number;
  PublishMode?: PortPublishMode;
}

export type EndpointMode = 'vip' | 'dnsrr';

export interface EndpointSpec {
  Mode?: EndpointMode;
  Ports?: EndpointPortConfig[];
}

export interface ServiceSpec {
  Name?: string;
  Labels?: Labels;
  TaskTemplate?: TaskSpec;
  Mode?: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: RollbackConfig;
  /** Deprecated by Docker in favour of TaskTemplate.Networks, but still accepted. */
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

export interface EndpointVirtualIP {
  NetworkID?: string;
  /** CIDR, e.g. `10.0.0.2/24`. */
  Addr?: string;
}

/** Service.Endpoint: the resolved endpoint, with published ports Swarm assigned. */
export interface ServiceEndpoint {
  Spec?: EndpointSpec;
  Ports?: EndpointPortConfig[];
  VirtualIPs?: EndpointVirtualIP[];
}

/**
 * The spec lists updating, paused and completed; Docker also reports the rollback states,
 * which the docker CLI understands.
 */
export type ServiceUpdateState =
  | 'updating'
  | 'paused'
  | 'completed'
  | 'rollback_started'
  | 'rollback_paused'
  | 'rollback_completed';

export interface ServiceUpdateStatus {
  State?: ServiceUpdateState;
  StartedAt?: string;
  CompletedAt?: string;
  Message?: string;
}

/** Present when the client asked for `status=true`. */
export interface ServiceStatus {
  RunningTasks?: number;
  DesiredTasks?: number;
  CompletedTasks?: number;
}

export interface ServiceJobStatus {
  JobIteration?: ObjectVersion;
  LastExecution?: string;
}

export interface Service {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: ServiceSpec;
  /** Not in the v1.44 definition, but Docker returns it and `docker service rollback` uses it. */
  PreviousSpec?: ServiceSpec;
  Endpoint?: ServiceEndpoint;
  UpdateStatus?: ServiceUpdateStatus;
  ServiceStatus?: ServiceStatus;
  JobStatus?: ServiceJobStatus;
}

export interface ServiceCreateResponse {
  ID: string;
  Warnings?: string[] | null;
}

export interface ServiceUpdateResponse {
  Warnings?: string[];
}

/** Query of POST /services/{id}/update. */
export interface ServiceUpdateQuery {
  /** The Version.Index the caller read; the update is refused if the service changed since. */
  version: number;
  /** Where to take registry credentials from when no X-Registry-Auth header is sent. */
  registryAuthFrom: 'spec' | 'previous-spec';
  /** `rollback=previous`: go back to PreviousSpec and ignore the body. */
  rollback: boolean;
}
