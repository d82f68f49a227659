/**
 * Shapes shared by several Docker Engine API v1.44 objects. Field names are the JSON names.
 *
 * Conventions for every file under swarm/:
 * - A field is optional unless the spec lists it as required.
 * - Durations are integer nanoseconds (Go's time.Duration marshals as a number).
 * - Timestamps are RFC 3339 strings with nanoseconds.
 */

/** Integer nanoseconds, as Go's time.Duration appears in JSON. */
export type Nanoseconds = number;

/** User-defined key/value metadata. */
export type Labels = Record<string, string>;

/** The version of an object in the cluster store; writers send it back to avoid lost updates. */
export interface ObjectVersion {
  Index?: number;
}

export interface Platform {
  Architecture?: string;
  OS?: string;
}

/** A resource that a node advertises or a task asks for by name (e.g. `GPU=UUID1`). */
export interface NamedResourceSpec {
  Kind?: string;
  Value?: string;
}

/** A resource that a node advertises or a task asks for by count (e.g. `SSD=3`). */
export interface DiscreteResourceSpec {
  Kind?: string;
  Value?: number;
}

/** One entry of GenericResources; exactly one of the two members is set. */
export interface GenericResource {
  NamedResourceSpec?: NamedResourceSpec;
  DiscreteResourceSpec?: DiscreteResourceSpec;
}

export type GenericResources = GenericResource[];

/** Resources a node advertises, or a task reserves. */
export interface ResourceObject {
  NanoCPUs?: number;
  MemoryBytes?: number;
  GenericResources?: GenericResources;
}

/** Upper bounds on what a task may use. */
export interface Limit {
  NanoCPUs?: number;
  MemoryBytes?: number;
  /** 0 means unlimited. */
  Pids?: number;
}

/** A named driver and its options (secret drivers, templating drivers). */
export interface Driver {
  Name: string;
  Options?: Record<string, string>;
}

export interface TLSInfo {
  TrustRoot?: string;
  CertIssuerSubject?: string;
  CertIssuerPublicKey?: string;
}

/** The body of every error response. */
export interface ErrorResponse {
  message: string;
}

export interface IdResponse {
  Id: string;
}

export type MountType = 'bind' | 'cluster' | 'npipe' | 'tmpfs' | 'volume';

export type MountConsistency = 'default' | 'consistent' | 'cached' | 'delegated';

export type BindPropagation = 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';

export interface BindOptions {
  Propagation?: BindPropagation;
  NonRecursive?: boolean;
  CreateMountpoint?: boolean;
  ReadOnlyNonRecursive?: boolean;
  ReadOnlyForceRecursive?: boolean;
}

export interface VolumeDriverConfig {
  Name?: string;
  Options?: Record<string, string>;
}

export interface VolumeOptions {
  NoCopy?: boolean;
  Labels?: Labels;
  DriverConfig?: VolumeDriverConfig;
}

export interface TmpfsOptions {
  SizeBytes?: number;
  /** File mode as a decimal integer (0o755 is sent as 493). */
  Mode?: number;
}

/**
 * Options of a `cluster` mount. v1.44's Mount definition does not list it, but the Go client
 * (mount.Mount) has it and the docker CLI sends `{}` for `--mount type=cluster`.
 */
export type ClusterOptions = Record<string, never>;

export interface Mount {
  Target?: string;
  Source?: string;
  Type?: MountType;
  ReadOnly?: boolean;
  Consistency?: MountConsistency;
  BindOptions?: BindOptions;
  VolumeOptions?: VolumeOptions;
  TmpfsOptions?: TmpfsOptions;
  ClusterOptions?: ClusterOptions;
}

/** A container health check. Durations are 0 (inherit) or at least 1ms. */
export interface HealthConfig {
  /** `[]` inherit, `["NONE"]` disable, `["CMD", args...]` or `["CMD-SHELL", command]`. */
  Test?: string[];
  Interval?: Nanoseconds;
  Timeout?: Nanoseconds;
  Retries?: number;
  StartPeriod?: Nanoseconds;
  StartInterval?: Nanoseconds;
}
