/** Canned Engine-API-shaped objects for the command tests (test support, not shipped). */
import type { Node, Service, Swarm, SystemInfo, Task, TaskState } from '../src/api/swarm.types';

export const SELF_ID = '7v2t30z9blmxuhnyo6s4cpenp';
export const WORKER_ID = 'k67qz4598weg5unwwffg6z1m1';
export const MANAGER2_ID = '71izy0goik036k48jg985xnds';

export const nodes: Node[] = [
  {
    ID: WORKER_ID,
    Version: { Index: 20 },
    Spec: { Role: 'worker', Availability: 'drain', Labels: { zone: 'b' } },
    Description: { Hostname: 'node10', Engine: { EngineVersion: '24.0.7' } },
    Status: { State: 'ready', Addr: '10.0.0.10' },
  },
  {
    ID: MANAGER2_ID,
    Version: { Index: 18 },
    Spec: { Role: 'manager', Availability: 'active' },
    Description: { Hostname: 'node2', Engine: { EngineVersion: '24.0.7' } },
    Status: { State: 'down', Addr: '10.0.0.2' },
    ManagerStatus: { Leader: false, Reachability: 'unreachable', Addr: '10.0.0.2:2377' },
  },
  {
    ID: SELF_ID,
    Version: { Index: 9 },
    CreatedAt: '2024-04-01T10:00:00.000000001Z',
    Spec: { Role: 'manager', Availability: 'active', Labels: { zone: 'a' } },
    Description: {
      Hostname: 'node1',
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources: { NanoCPUs: 4_000_000_000, MemoryBytes: 8_348_520_448 },
      Engine: { EngineVersion: '0.1.0' },
    },
    Status: { State: 'ready', Addr: '10.0.0.1' },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:2377' },
  },
];

export const info: SystemInfo = {
  Name: 'node1',
  ServerVersion: '0.1.0',
  Swarm: {
    NodeID: SELF_ID,
    NodeAddr: '10.0.0.1',
    LocalNodeState: 'active',
    ControlAvailable: true,
    RemoteManagers: [
      { NodeID: MANAGER2_ID, Addr: '10.0.0.2:2377' },
      { NodeID: SELF_ID, Addr: '10.0.0.1:2377' },
    ],
    Nodes: 3,
    Managers: 2,
    Cluster: {
      ID: 'q3ryjlqa5ocbwbuy5c1x9cw4c',
      DataPathPort: 4789,
      Spec: {
        Orchestration: { TaskHistoryRetentionLimit: 5 },
        Raft: { SnapshotInterval: 10000 },
        Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
        CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
      },
    },
  },
};

export const WORKER_TOKEN =
  'SWMTKN-1-4f1qx0ggm7a2kzv9u3b8rj5cd6e7yh1n0p2w3s4t5v6x7z8a9b-0kq3mz7wbe5r1t9y2u4i6o8pxa';
export const MANAGER_TOKEN =
  'SWMTKN-1-4f1qx0ggm7a2kzv9u3b8rj5cd6e7yh1n0p2w3s4t5v6x7z8a9b-9zl2nc4vx6b8m0q1w3e5r7tyuh';
export const UNLOCK_KEY = 'SWMKEY-1-Qm9vdXNlY3JldGtleWZvcnRlc3RzMDEyMzQ1Njc4OWFiYw';

/** GET /swarm on a manager; autolock off. */
export const swarmObject: Swarm = {
  ID: 'q3ryjlqa5ocbwbuy5c1x9cw4c',
  Version: { Index: 31 },
  Spec: {
    Name: 'default',
    Orchestration: { TaskHistoryRetentionLimit: 5 },
    Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, ElectionTick: 10, HeartbeatTick: 1 },
    Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
    CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
    EncryptionConfig: { AutoLockManagers: false },
  },
  JoinTokens: { Worker: WORKER_TOKEN, Manager: MANAGER_TOKEN },
};

/** The same swarm with autolock on. */
export const lockedSwarmObject: Swarm = {
  ...swarmObject,
  Spec: { ...swarmObject.Spec, EncryptionConfig: { AutoLockManagers: true } },
};

export const WEB_ID = '9mnpnzenvg8p8tdbtq4wvbkcz';
export const AGENT_ID = 'ak7w3gjqoa3kuz8xcpnyy0pvl';
export const MIGRATE_ID = 'zy1tqe4ebl0e0sf3z1sxbd4l4';

export const webService: Service = {
  ID: WEB_ID,
  Version: { Index: 42 },
  Spec: {
    Name: 'web',
    Labels: { tier: 'front' },
    TaskTemplate: {
      ContainerSpec: { Image: 'nginx:1.25@sha256:0f1a', Env: ['A=1'] },
      ForceUpdate: 0,
    },
    Mode: { Replicated: { Replicas: 3 } },
    EndpointSpec: {
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'ingress' },
      ],
    },
  },
  PreviousSpec: {
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'nginx:1.24' } },
    Mode: { Replicated: { Replicas: 3 } },
  },
  Endpoint: {
    Ports: [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 81, PublishedPort: 8081, PublishMode: 'ingress' },
    ],
  },
};

export const agentService: Service = {
  ID: AGENT_ID,
  Version: { Index: 7 },
  Spec: {
    Name: 'agent',
    TaskTemplate: { ContainerSpec: { Image: 'prom/node-exporter' } },
    Mode: { Global: {} },
    EndpointSpec: {
      Ports: [{ Protocol: 'tcp', TargetPort: 9100, PublishedPort: 9100, PublishMode: 'host' }],
    },
  },
};

export const migrateService: Service = {
  ID: MIGRATE_ID,
  Version: { Index: 3 },
  Spec: {
    Name: 'migrate',
    TaskTemplate: { ContainerSpec: { Image: 'app:2' } },
    Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 5 } },
  },
};

const task = (
  id: string,
  serviceId: string,
  slot: number | undefined,
  nodeId: string,
  state: TaskState,
  desired: TaskState,
  timestamp: string,
  extra: Partial<Task> = {},
): Task => ({
  ID: id,
  ServiceID: serviceId,
  ...(slot !== undefined ? { Slot: slot } : {}),
  NodeID: nodeId,
  DesiredState: desired,
  Status: { State: state, Timestamp: timestamp },
  Spec: { ContainerSpec: { Image: 'nginx:1.25@sha256:0f1a' } },
  ...extra,
});

export const tasks: Task[] = [
  task(
    't1aaaaaaaaaaaaaaaaaaaaaaa',
    WEB_ID,
    1,
    SELF_ID,
    'running',
    'running',
    '2024-05-01T11:55:00Z',
  ),
  task(
    't1oldaaaaaaaaaaaaaaaaaaaa',
    WEB_ID,
    1,
    SELF_ID,
    'shutdown',
    'shutdown',
    '2024-05-01T09:00:00Z',
    {
      Spec: { ContainerSpec: { Image: 'nginx:1.24' } },
    },
  ),
  task(
    't2aaaaaaaaaaaaaaaaaaaaaaa',
    WEB_ID,
    2,
    WORKER_ID,
    'running',
    'running',
    '2024-05-01T11:59:30Z',
  ),
  task(
    't3aaaaaaaaaaaaaaaaaaaaaaa',
    WEB_ID,
    3,
    MANAGER2_ID,
    'rejected',
    'running',
    '2024-05-01T11:00:00Z',
    {
      Status: {
        State: 'rejected',
        Timestamp: '2024-05-01T11:00:00Z',
        Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)',
      },
    },
  ),
  // A task being stopped during a rolling update is still running but does not count.
  task(
    't4aaaaaaaaaaaaaaaaaaaaaaa',
    WEB_ID,
    3,
    WORKER_ID,
    'running',
    'shutdown',
    '2024-05-01T10:00:00Z',
  ),
  task(
    'g1aaaaaaaaaaaaaaaaaaaaaaa',
    AGENT_ID,
    undefined,
    SELF_ID,
    'running',
    'running',
    '2024-05-01T08:00:00Z',
  ),
  task(
    'g2aaaaaaaaaaaaaaaaaaaaaaa',
    AGENT_ID,
    undefined,
    WORKER_ID,
    'preparing',
    'running',
    '2024-05-01T11:59:59Z',
  ),
  task(
    'j1aaaaaaaaaaaaaaaaaaaaaaa',
    MIGRATE_ID,
    1,
    SELF_ID,
    'complete',
    'complete',
    '2024-05-01T11:00:00Z',
  ),
  task(
    'j2aaaaaaaaaaaaaaaaaaaaaaa',
    MIGRATE_ID,
    2,
    SELF_ID,
    'running',
    'complete',
    '2024-05-01T11:58:00Z',
  ),
];
