import { type GenericResources } from './common.types';
import { type ClusterInfo } from './swarm.types';

export interface PluginsInfo {
  Volume?: string[];
  Network?: string[];
  Authorization?: string[];
  Log?: string[];
}

export interface IndexInfo {
  Name?: string;
  Mirrors?: string[];
  Secure?: boolean;
  Official?: boolean;
}

export interface RegistryServiceConfig {
  AllowNondistributableArtifactsCIDRs?: string[];
  AllowNondistributableArtifactsHostnames?: string[];
  InsecureRegistryCIDRs?: string[];
  IndexConfigs?: Record<string, IndexInfo>;
  Mirrors?: string[];
}

/** An OCI runtime the engine can use. Its fields are lower-case in the API. */
export interface Runtime {
  path?: string;
  runtimeArgs?: string[] | null;
  status?: Record<string, string> | null;
}

export interface Commit {
  ID?: string;
  Expected?: string;
}

/** `''` before the daemon has worked it out; `locked` when an autolocked manager waits. */
export type LocalNodeState = '' | 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface PeerNode {
  NodeID?: string;
  Addr?: string;
}

/** SystemInfo.Swarm: this engine's view of its swarm. */
export interface SwarmInfo {
  NodeID?: string;
  NodeAddr?: string;
  LocalNodeState?: LocalNodeState;
  ControlAvailable?: boolean;
  Error?: string;
  RemoteManagers?: PeerNode[] | null;
  Nodes?: number | null;
  Managers?: number | null;
  Cluster?: ClusterInfo | null;
}

export interface DefaultAddressPool {
  Base?: string;
  Size?: number;
}

/** GET /info. */
export interface SystemInfo {
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  DriverStatus?: string[][];
  DockerRootDir?: string;
  Plugins?: PluginsInfo;
  MemoryLimit?: boolean;
  SwapLimit?: boolean;
  KernelMemoryTCP?: boolean;
  CpuCfsPeriod?: boolean;
  CpuCfsQuota?: boolean;
  CPUShares?: boolean;
  CPUSet?: boolean;
  PidsLimit?: boolean;
  OomKillDisable?: boolean;
  IPv4Forwarding?: boolean;
  BridgeNfIptables?: boolean;
  BridgeNfIp6tables?: boolean;
  Debug?: boolean;
  NFd?: number;
  NGoroutines?: number;
  SystemTime?: string;
  LoggingDriver?: string;
  CgroupDriver?: 'cgroupfs' | 'systemd' | 'none';
  CgroupVersion?: '1' | '2';
  NEventsListener?: number;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSVersion?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  IndexServerAddress?: string;
  RegistryConfig?: RegistryServiceConfig | null;
  GenericResources?: GenericResources;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Name?: string;
  Labels?: string[];
  ExperimentalBuild?: boolean;
  ServerVersion?: string;
  Runtimes?: Record<string, Runtime>;
  DefaultRuntime?: string;
  Swarm?: SwarmInfo;
  LiveRestoreEnabled?: boolean;
  Isolation?: 'default' | 'hyperv' | 'process' | '';
  InitBinary?: string;
  ContainerdCommit?: Commit;
  RuncCommit?: Commit;
  InitCommit?: Commit;
  SecurityOptions?: string[];
  ProductLicense?: string;
  DefaultAddressPools?: DefaultAddressPool[];
  Warnings?: string[];
  CDISpecDirs?: string[];
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, unknown> | null;
}

/** GET /version. */
export interface SystemVersion {
  Platform?: { Name: string };
  Components?: ComponentVersion[];
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}
