import {
  type ClusterInfo,
  type LocalNodeState,
  type PeerNode,
  type SwarmInfo,
  type SystemInfo,
  type SystemVersion,
} from '@shoal/api';
import { API_VERSION, MIN_API_VERSION } from '../http/api-version';

/**
 * Pure composition of GET /version and GET /info from facts gathered elsewhere (host-facts.ts
 * reads the OS; swarm facts come from the runtime and the store), so the shapes unit-test
 * with fixed inputs.
 */

/** What the host says about itself. */
export interface HostFacts {
  hostname: string;
  /** Node's process.arch (x64, arm64...). */
  nodeArch: string;
  /** `uname -m` (x86_64, aarch64...). */
  machine: string;
  kernelVersion: string;
  /** PRETTY_NAME from os-release, else the kernel's name. */
  operatingSystem: string;
  /** VERSION_ID from os-release. */
  osVersion: string;
  ncpu: number;
  memTotal: number;
  nodeVersion: string;
  cgroupVersion: '1' | '2';
  /** Open file descriptors of this process; 0 where unknown. */
  nfd: number;
}

/** What the build says about itself. */
export interface BuildFacts {
  version: string;
  gitCommit: string;
  /** RFC 3339; omitted from /version when unknown. */
  buildTime?: string;
}

/** Go's GOARCH names for Node's process.arch values: /version reports GOARCH. */
const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

export function goArch(nodeArch: string): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}

export function buildSystemVersion(host: HostFacts, build: BuildFacts): SystemVersion {
  const goVersion = `n/a (node ${host.nodeVersion})`;
  const arch = goArch(host.nodeArch);
  const details: Record<string, string> = {
    ApiVersion: API_VERSION,
    Arch: arch,
    ...(build.buildTime ? { BuildTime: build.buildTime } : {}),
    Experimental: 'false',
    GitCommit: build.gitCommit,
    GoVersion: goVersion,
    KernelVersion: host.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: 'Shoal' },
    Components: [{ Name: 'Engine', Version: build.version, Details: details }],
    Version: build.version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: build.gitCommit,
    GoVersion: goVersion,
    Os: 'linux',
    Arch: arch,
    KernelVersion: host.kernelVersion,
    ...(build.buildTime ? { BuildTime: build.buildTime } : {}),
  };
}

/** This node's place in the swarm, as the runtime and (on managers) the store tell it. */
export interface SwarmFacts {
  state: LocalNodeState;
  nodeId?: string;
  nodeAddr?: string;
  /** Present when this node is an active manager. */
  manager?: {
    /** The stored cluster object (a Swarm: ClusterInfo plus JoinTokens). */
    cluster?: ClusterInfo & Record<string, unknown>;
    nodes: number;
    managers: number;
    remoteManagers: PeerNode[];
  };
}

export interface InfoContext {
  engineId: string;
  rootDir: string;
  /** RFC 3339 with the current time. */
  systemTime: string;
  eventsListeners: number;
}

/** Shown by `docker info` under WARNINGS, and keeps the CLI from guessing engine warnings. */
export const SHOAL_INFO_WARNING =
  'WARNING: Shoal serves the Docker swarm API only; container, image, volume and plugin endpoints answer 501';

export function buildSystemInfo(
  host: HostFacts,
  build: BuildFacts,
  swarm: SwarmFacts,
  ctx: InfoContext,
): SystemInfo {
  return {
    ID: ctx.engineId,
    // No engine objects: tasks run through the executor, not this API.
    Containers: 0,
    ContainersRunning: 0,
    ContainersPaused: 0,
    ContainersStopped: 0,
    Images: 0,
    Driver: '',
    DriverStatus: [],
    DockerRootDir: ctx.rootDir,
    Plugins: { Volume: [], Network: [], Authorization: [], Log: [] },
    MemoryLimit: false,
    SwapLimit: false,
    KernelMemoryTCP: false,
    CpuCfsPeriod: false,
    CpuCfsQuota: false,
    CPUShares: false,
    CPUSet: false,
    PidsLimit: false,
    OomKillDisable: false,
    IPv4Forwarding: false,
    BridgeNfIptables: false,
    BridgeNfIp6tables: false,
    Debug: false,
    NFd: host.nfd,
    NGoroutines: 0,
    SystemTime: ctx.systemTime,
    LoggingDriver: '',
    CgroupDriver: 'none',
    CgroupVersion: host.cgroupVersion,
    NEventsListener: ctx.eventsListeners,
    KernelVersion: host.kernelVersion,
    OperatingSystem: host.operatingSystem,
    OSVersion: host.osVersion,
    OSType: 'linux',
    Architecture: host.machine,
    NCPU: host.ncpu,
    MemTotal: host.memTotal,
    // The docker CLI takes its default registry for `docker login` from here.
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      InsecureRegistryCIDRs: [],
      IndexConfigs: {},
      Mirrors: [],
    },
    GenericResources: [],
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: host.hostname,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: build.version,
    Runtimes: {},
    DefaultRuntime: '',
    Swarm: buildSwarmInfo(swarm),
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: '',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: '', Expected: '' },
    InitCommit: { ID: '', Expected: '' },
    SecurityOptions: [],
    Warnings: [SHOAL_INFO_WARNING],
    CDISpecDirs: [],
  };
}

/**
 * Docker's SystemInfo.Swarm. Inactive (or not yet active) nodes get Docker's empty form;
 * managers add the counts and the cluster; workers (later issues) would report only their
 * remote managers.
 */
export function buildSwarmInfo(swarm: SwarmFacts): SwarmInfo {
  const base: SwarmInfo = {
    NodeID: swarm.nodeId ?? '',
    NodeAddr: swarm.nodeAddr ?? '',
    LocalNodeState: swarm.state,
    ControlAvailable: false,
    Error: '',
    RemoteManagers: null,
  };
  if (swarm.state !== 'active') return base;
  const m = swarm.manager;
  if (!m) return base;
  return {
    ...base,
    ControlAvailable: true,
    RemoteManagers: m.remoteManagers,
    Nodes: m.nodes,
    Managers: m.managers,
    ...(m.cluster ? { Cluster: toClusterInfo(m.cluster) } : {}),
  };
}

/**
 * The stored cluster object minus what /info must not show: JoinTokens (anyone able to read
 * /info could join the swarm) and the CA signing key. Docker's ClusterInfo has neither.
 */
export function toClusterInfo(cluster: ClusterInfo & Record<string, unknown>): ClusterInfo {
  const spec = cluster.Spec ? structuredClone(cluster.Spec) : undefined;
  if (spec?.CAConfig) delete spec.CAConfig.SigningCAKey;
  return {
    ID: cluster.ID,
    Version: cluster.Version,
    CreatedAt: cluster.CreatedAt,
    UpdatedAt: cluster.UpdatedAt,
    ...(spec ? { Spec: spec } : {}),
    TLSInfo: cluster.TLSInfo ?? {},
    RootRotationInProgress: cluster.RootRotationInProgress ?? false,
    DataPathPort: cluster.DataPathPort || 4789,
    DefaultAddrPool: cluster.DefaultAddrPool ?? ['10.0.0.0/8'],
    SubnetSize: cluster.SubnetSize || 24,
  };
}
