import {
  type HealthConfig,
  type Labels,
  type Limit,
  type Mount,
  type Nanoseconds,
  type Platform,
  type ResourceObject,
} from './common.types';

/** A plugin privilege as the plugin API lists it. */
export interface PluginPrivilege {
  Name?: string;
  Description?: string;
  Value?: string[];
}

/** TaskSpec.PluginSpec. Shoal runs containers only; the validator rejects it. */
export interface PluginSpec {
  Name?: string;
  Remote?: string;
  Disabled?: boolean;
  PluginPrivilege?: PluginPrivilege[];
}

/** TaskSpec.NetworkAttachmentSpec. Swarm creates these itself; the validator rejects it. */
export interface NetworkAttachmentSpec {
  ContainerID?: string;
}

export interface CredentialSpec {
  Config?: string;
  File?: string;
  Registry?: string;
}

export interface SELinuxContext {
  Disable?: boolean;
  User?: string;
  Role?: string;
  Type?: string;
  Level?: string;
}

export interface SeccompOpts {
  Mode?: 'default' | 'unconfined' | 'custom';
  Profile?: string;
}

export interface AppArmorOpts {
  Mode?: 'default' | 'disabled';
}

export interface Privileges {
  CredentialSpec?: CredentialSpec;
  SELinuxContext?: SELinuxContext;
  Seccomp?: SeccompOpts;
  AppArmor?: AppArmorOpts;
  NoNewPrivileges?: boolean;
}

export interface DNSConfig {
  Nameservers?: string[];
  Search?: string[];
  Options?: string[];
}

/** Where a secret or config appears in the container's filesystem. */
export interface ReferenceFileTarget {
  Name?: string;
  UID?: string;
  GID?: string;
  /** File mode as a decimal integer (0o444 is sent as 292). */
  Mode?: number;
}

/** An element of ContainerSpec.Secrets. */
export interface TaskSecretReference {
  File?: ReferenceFileTarget;
  SecretID?: string;
  SecretName?: string;
}

/**
 * An element of ContainerSpec.Configs. Named apart from the spec's `ConfigReference`, which is
 * a network's config-only source.
 */
export interface TaskConfigReference {
  File?: ReferenceFileTarget;
  /** Set instead of File for configs the runtime consumes (a credential spec); always `{}`. */
  Runtime?: Record<string, never>;
  ConfigID?: string;
  ConfigName?: string;
}

export interface Ulimit {
  Name?: string;
  Soft?: number;
  Hard?: number;
}

export type Isolation = 'default' | 'process' | 'hyperv' | '';

/** TaskSpec.ContainerSpec: what a task's container runs. */
export interface ContainerSpec {
  Image?: string;
  Labels?: Labels;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  /** `KEY=VALUE`, or `KEY` to take the value from the engine's environment. */
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Privileges?: Privileges;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: Nanoseconds;
  /** The docker CLI sends this as `Healthcheck`; field names match case-insensitively. */
  HealthCheck?: HealthConfig;
  /** Extra /etc/hosts lines: `IP_address canonical_hostname [aliases...]`. */
  Hosts?: string[];
  DNSConfig?: DNSConfig;
  Secrets?: TaskSecretReference[];
  Configs?: TaskConfigReference[];
  Isolation?: Isolation;
  Init?: boolean;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: Ulimit[];
}

/** TaskSpec.Resources. */
export interface ResourceRequirements {
  Limits?: Limit;
  Reservations?: ResourceObject;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

/**
 * TaskSpec.RestartPolicy: Swarm's, not the container API's definition of the same name
 * (which Shoal does not model).
 */
export interface RestartPolicy {
  Condition?: RestartCondition;
  Delay?: Nanoseconds;
  /** 0 means unlimited. */
  MaxAttempts?: number;
  /** 0 means unbounded. */
  Window?: Nanoseconds;
}

export interface SpreadOver {
  /** A node attribute to spread over, e.g. `node.labels.datacenter`. */
  SpreadDescriptor?: string;
}

export interface PlacementPreference {
  Spread?: SpreadOver;
}

export interface Placement {
  /** `key==value` or `key!=value`; see parseConstraint. */
  Constraints?: string[];
  Preferences?: PlacementPreference[];
  /** Most replicas of the service per node; 0 means unlimited. */
  MaxReplicas?: number;
  Platforms?: Platform[];
}

/** A network a service or task attaches to. */
export interface NetworkAttachmentConfig {
  /** Network name or ID. */
  Target?: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface LogDriver {
  Name?: string;
  Options?: Record<string, string>;
}

/** Docker also knows `plugin` and `attachment`, which Shoal does not run. */
export type TaskRuntime = 'container';

export interface TaskSpec {
  PluginSpec?: PluginSpec;
  ContainerSpec?: ContainerSpec;
  NetworkAttachmentSpec?: NetworkAttachmentSpec;
  Resources?: ResourceRequirements;
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  /** A counter; changing it forces an update even when nothing else changed. */
  ForceUpdate?: number;
  Runtime?: TaskRuntime;
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: LogDriver;
}
