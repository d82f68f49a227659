import { describe, expect, it } from 'vitest';
import {
  type BuildFacts,
  type HostFacts,
  SHOAL_INFO_WARNING,
  buildSwarmInfo,
  buildSystemInfo,
  buildSystemVersion,
  goArch,
  toClusterInfo,
} from './system-info.builder';

const host: HostFacts = {
  hostname: 'node-1',
  nodeArch: 'x64',
  machine: 'x86_64',
  kernelVersion: '6.1.0-18-amd64',
  operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  osVersion: '12',
  ncpu: 8,
  memTotal: 16 * 2 ** 30,
  nodeVersion: 'v20.20.2',
  cgroupVersion: '2',
  nfd: 42,
};
const build: BuildFacts = {
  version: '0.1.0',
  gitCommit: 'abc1234',
  buildTime: '2026-01-01T00:00:00Z',
};
const ctx = {
  engineId: 'e-1',
  rootDir: '/var/lib/shoal',
  systemTime: '2026-01-02T00:00:00.000Z',
  eventsListeners: 2,
};

describe('buildSystemVersion', () => {
  it("has Docker's shape with Shoal's names", () => {
    expect(buildSystemVersion(host, build)).toEqual({
      Platform: { Name: 'Shoal' },
      Components: [
        {
          Name: 'Engine',
          Version: '0.1.0',
          Details: {
            ApiVersion: '1.44',
            Arch: 'amd64',
            BuildTime: '2026-01-01T00:00:00Z',
            Experimental: 'false',
            GitCommit: 'abc1234',
            GoVersion: 'n/a (node v20.20.2)',
            KernelVersion: '6.1.0-18-amd64',
            MinAPIVersion: '1.24',
            Os: 'linux',
          },
        },
      ],
      Version: '0.1.0',
      ApiVersion: '1.44',
      MinAPIVersion: '1.24',
      GitCommit: 'abc1234',
      GoVersion: 'n/a (node v20.20.2)',
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: '6.1.0-18-amd64',
      BuildTime: '2026-01-01T00:00:00Z',
    });
  });

  it('omits an unknown build time', () => {
    expect(buildSystemVersion(host, { version: '1', gitCommit: 'x' })).not.toHaveProperty(
      'BuildTime',
    );
  });

  it("maps Node's architectures to Go's", () => {
    expect(goArch('x64')).toBe('amd64');
    expect(goArch('arm64')).toBe('arm64');
    expect(goArch('ia32')).toBe('386');
    expect(goArch('weird')).toBe('weird');
  });
});

describe('buildSystemInfo', () => {
  it('reports the host and no engine objects', () => {
    const info = buildSystemInfo(host, build, { state: 'inactive' }, ctx);
    expect(info).toMatchObject({
      ID: 'e-1',
      Name: 'node-1',
      NCPU: 8,
      MemTotal: 16 * 2 ** 30,
      OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      OSVersion: '12',
      OSType: 'linux',
      Architecture: 'x86_64',
      KernelVersion: '6.1.0-18-amd64',
      ServerVersion: '0.1.0',
      Containers: 0,
      Images: 0,
      Driver: '',
      DockerRootDir: '/var/lib/shoal',
      NEventsListener: 2,
      NFd: 42,
      CgroupVersion: '2',
      Warnings: [SHOAL_INFO_WARNING],
    });
    // Objects and lists the docker CLI walks are present, never undefined.
    expect(info.Plugins).toEqual({ Volume: [], Network: [], Authorization: [], Log: [] });
    expect(info.RegistryConfig).toMatchObject({ IndexConfigs: {} });
    expect(info.ContainerdCommit).toEqual({ ID: '', Expected: '' });
    expect(info.Runtimes).toEqual({});
  });

  it("gives Docker's inactive Swarm section", () => {
    expect(buildSystemInfo(host, build, { state: 'inactive' }, ctx).Swarm).toEqual({
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    });
  });
});

describe('buildSwarmInfo', () => {
  const cluster = {
    ID: 'c1',
    Version: { Index: 3 },
    CreatedAt: '2026-01-01T00:00:00Z',
    UpdatedAt: '2026-01-01T00:00:01Z',
    Spec: { Name: 'default', CAConfig: { NodeCertExpiry: 1, SigningCAKey: 'SECRET-KEY' } },
    TLSInfo: { TrustRoot: 'pem' },
    JoinTokens: { Worker: 'SWMTKN-1-w', Manager: 'SWMTKN-1-m' },
  };

  it('adds the counts and the cluster on an active manager', () => {
    const swarm = buildSwarmInfo({
      state: 'active',
      nodeId: 'n1',
      nodeAddr: '10.0.0.1',
      manager: {
        cluster,
        nodes: 3,
        managers: 1,
        remoteManagers: [{ NodeID: 'n1', Addr: '10.0.0.1:7377' }],
      },
    });
    expect(swarm).toEqual({
      NodeID: 'n1',
      NodeAddr: '10.0.0.1',
      LocalNodeState: 'active',
      ControlAvailable: true,
      Error: '',
      RemoteManagers: [{ NodeID: 'n1', Addr: '10.0.0.1:7377' }],
      Nodes: 3,
      Managers: 1,
      Cluster: {
        ID: 'c1',
        Version: { Index: 3 },
        CreatedAt: '2026-01-01T00:00:00Z',
        UpdatedAt: '2026-01-01T00:00:01Z',
        Spec: { Name: 'default', CAConfig: { NodeCertExpiry: 1 } },
        TLSInfo: { TrustRoot: 'pem' },
        RootRotationInProgress: false,
        DataPathPort: 4789,
        DefaultAddrPool: ['10.0.0.0/8'],
        SubnetSize: 24,
      },
    });
  });

  it('never shows join tokens or the CA key, and leaves the stored object alone', () => {
    const text = JSON.stringify(toClusterInfo(cluster));
    expect(text).not.toContain('SWMTKN');
    expect(text).not.toContain('SECRET-KEY');
    expect(cluster.Spec.CAConfig.SigningCAKey).toBe('SECRET-KEY');
  });

  it('reports an active worker without control', () => {
    expect(buildSwarmInfo({ state: 'active', nodeId: 'w', nodeAddr: 'a' })).toMatchObject({
      LocalNodeState: 'active',
      ControlAvailable: false,
    });
  });
});
