import { type ContainerSpec, type Task, type TaskSpec } from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SWARM_LABEL,
  containerConfig,
  containerName,
  healthCheckOf,
  unmappedFields,
} from './container-config';

const NODE = 'node0123456789';
const opts = { nodeId: NODE, serviceName: 'web' };

function task(spec: ContainerSpec, extra: Partial<Task> = {}, taskSpec: TaskSpec = {}): Task {
  return {
    ID: 'taskabc',
    ServiceID: 'svc123',
    Slot: 2,
    Spec: { ...taskSpec, ContainerSpec: { Image: 'busybox:local', ...spec } },
    ...extra,
  };
}

describe('containerName', () => {
  it('is <service>.<slot>.<task id> for a replicated task', () => {
    expect(containerName(task({}), opts)).toBe('web.2.taskabc');
  });

  it("puts the task's node ID in place of the slot for a global task", () => {
    expect(containerName(task({}, { Slot: undefined, NodeID: 'nodeX' }), opts)).toBe(
      'web.nodeX.taskabc',
    );
    expect(containerName(task({}, { Slot: 0 }), opts)).toBe(`web.${NODE}.taskabc`);
  });

  it('falls back to the service ID when the service name is unknown', () => {
    expect(containerName(task({}), { nodeId: NODE })).toBe('svc123.2.taskabc');
  });

  it('replaces characters the engine refuses and starts with a letter or digit', () => {
    expect(containerName(task({}), { nodeId: NODE, serviceName: 'my web/1' })).toBe(
      'my_web_1.2.taskabc',
    );
    expect(containerName({ ID: 't1', Slot: 1 }, { nodeId: NODE })).toMatch(
      /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/,
    );
  });
});

describe('containerConfig', () => {
  it('maps Command to Entrypoint and Args to Cmd, as swarmkit does', () => {
    const c = containerConfig(task({ Command: ['sh', '-c'], Args: ['echo hi'] }), opts);
    expect(c.Entrypoint).toEqual(['sh', '-c']);
    expect(c.Cmd).toEqual(['echo hi']);
  });

  it("keeps the image's entrypoint when only Args are given", () => {
    const c = containerConfig(task({ Args: ['--port', '80'] }), opts);
    expect(c.Entrypoint).toBeUndefined();
    expect(c.Cmd).toEqual(['--port', '80']);
  });

  it("keeps the image's entrypoint and command when neither is given", () => {
    const c = containerConfig(task({}), opts);
    expect(c).not.toHaveProperty('Entrypoint');
    expect(c).not.toHaveProperty('Cmd');
  });

  it('carries image, env, working dir, user, hostname, TTY and stdin', () => {
    const c = containerConfig(
      task({
        Env: ['A=1', 'B'],
        Dir: '/srv',
        User: '1000:1000',
        Hostname: 'web-host',
        TTY: true,
        OpenStdin: true,
      }),
      opts,
    );
    expect(c).toMatchObject({
      name: 'web.2.taskabc',
      Image: 'busybox:local',
      Env: ['A=1', 'B'],
      WorkingDir: '/srv',
      User: '1000:1000',
      Hostname: 'web-host',
      Tty: true,
      OpenStdin: true,
    });
  });

  it("sets Swarm's labels over the task's, and the task's over the spec's", () => {
    const c = containerConfig(
      task(
        { Labels: { a: 'spec', b: 'spec', [SWARM_LABEL.taskId]: 'forged' } },
        { Labels: { b: 'task' } },
      ),
      opts,
    );
    expect(c.Labels).toEqual({
      a: 'spec',
      b: 'task',
      'com.docker.swarm.task': '',
      'com.docker.swarm.task.id': 'taskabc',
      'com.docker.swarm.task.name': 'web.2.taskabc',
      'com.docker.swarm.service.id': 'svc123',
      'com.docker.swarm.service.name': 'web',
      'com.docker.swarm.node.id': NODE,
    });
  });

  it('sets the stop signal, and the grace period as StopTimeout in whole seconds', () => {
    const c = containerConfig(task({ StopSignal: 'SIGINT', StopGracePeriod: 1_500_000_000 }), opts);
    expect(c.StopSignal).toBe('SIGINT');
    expect(c.StopTimeout).toBe(2);
    expect(containerConfig(task({}), opts)).not.toHaveProperty('StopTimeout');
    expect(containerConfig(task({ StopGracePeriod: 0 }), opts).StopTimeout).toBe(0);
  });

  it('passes the health check through, under either spelling', () => {
    const hc = { Test: ['CMD', 'true'], Interval: 2e8, Timeout: 1e9, Retries: 1, StartPeriod: 0 };
    expect(containerConfig(task({ HealthCheck: hc }), opts).Healthcheck).toEqual(hc);
    const cli = { Healthcheck: { Test: ['NONE'] } } as unknown as ContainerSpec;
    expect(containerConfig(task(cli), opts).Healthcheck).toEqual({ Test: ['NONE'] });
    expect(healthCheckOf({})).toBeUndefined();
  });

  it('maps bind, volume and tmpfs mounts with their options and drops the others', () => {
    const c = containerConfig(
      task({
        Mounts: [
          {
            Type: 'bind',
            Source: '/data',
            Target: '/in',
            ReadOnly: true,
            Consistency: 'cached',
            BindOptions: { Propagation: 'rslave', NonRecursive: true, CreateMountpoint: true },
          },
          {
            Type: 'volume',
            Source: 'vol1',
            Target: '/v',
            VolumeOptions: {
              NoCopy: true,
              Labels: { x: 'y' },
              DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } },
            },
            BindOptions: { Propagation: 'shared' },
          },
          {
            Type: 'tmpfs',
            Source: 'ignored',
            Target: '/t',
            TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 },
          },
          { Type: 'cluster', Source: 'csi', Target: '/c' },
          { Type: 'npipe', Source: 'p', Target: '/p' },
        ],
      }),
      opts,
    );
    expect(c.HostConfig.Mounts).toEqual([
      {
        Type: 'bind',
        Source: '/data',
        Target: '/in',
        ReadOnly: true,
        Consistency: 'cached',
        BindOptions: { Propagation: 'rslave', NonRecursive: true, CreateMountpoint: true },
      },
      {
        Type: 'volume',
        Source: 'vol1',
        Target: '/v',
        VolumeOptions: {
          NoCopy: true,
          Labels: { x: 'y' },
          DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } },
        },
      },
      { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1777 } },
    ]);
  });

  it('sets Init and a read-only root filesystem', () => {
    const c = containerConfig(task({ Init: true, ReadOnly: true }), opts);
    expect(c.HostConfig).toMatchObject({ Init: true, ReadonlyRootfs: true });
    const plain = containerConfig(task({}), opts).HostConfig;
    expect(plain).not.toHaveProperty('Init');
    expect(plain).not.toHaveProperty('ReadonlyRootfs');
    expect(containerConfig(task({ Init: false }), opts).HostConfig.Init).toBe(false);
  });

  it('applies resource limits, and the memory reservation', () => {
    const c = containerConfig(
      task(
        {},
        {},
        {
          Resources: {
            Limits: { NanoCPUs: 5e8, MemoryBytes: 64 << 20, Pids: 100 },
            Reservations: { NanoCPUs: 1e8, MemoryBytes: 32 << 20 },
          },
        },
      ),
      opts,
    );
    expect(c.HostConfig).toMatchObject({
      NanoCpus: 5e8,
      Memory: 64 << 20,
      PidsLimit: 100,
      MemoryReservation: 32 << 20,
    });
  });

  it('leaves out a Pids limit of 0, which means unlimited', () => {
    const c = containerConfig(task({}, {}, { Resources: { Limits: { Pids: 0 } } }), opts);
    expect(c.HostConfig).not.toHaveProperty('PidsLimit');
  });

  it('never lets the engine restart the container', () => {
    const c = containerConfig(
      task({}, {}, { RestartPolicy: { Condition: 'any', MaxAttempts: 3 } }),
      opts,
    );
    expect(c.HostConfig.RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
  });

  it('maps hosts, DNS, sysctls, capabilities, groups, ulimits and the log driver', () => {
    const c = containerConfig(
      task(
        {
          Hosts: ['10.0.0.1 db db.local', '::1 ip6host'],
          DNSConfig: { Nameservers: ['1.1.1.1'], Search: ['example.org'], Options: ['ndots:2'] },
          Sysctls: { 'net.core.somaxconn': '1024' },
          CapabilityAdd: ['NET_ADMIN'],
          CapabilityDrop: ['MKNOD'],
          Groups: ['audio'],
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
          Isolation: 'default',
        },
        {},
        { LogDriver: { Name: 'json-file', Options: { 'max-size': '1m' } } },
      ),
      opts,
    );
    expect(c.HostConfig).toMatchObject({
      ExtraHosts: ['db:10.0.0.1', 'db.local:10.0.0.1', 'ip6host:::1'],
      Dns: ['1.1.1.1'],
      DnsSearch: ['example.org'],
      DnsOptions: ['ndots:2'],
      Sysctls: { 'net.core.somaxconn': '1024' },
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['MKNOD'],
      GroupAdd: ['audio'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      Isolation: 'default',
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
    });
  });

  it('turns privileges into security options', () => {
    const c = containerConfig(
      task({
        Privileges: {
          SELinuxContext: { User: 'u', Role: 'r', Type: 't', Level: 's0' },
          Seccomp: { Mode: 'unconfined' },
          AppArmor: { Mode: 'disabled' },
          NoNewPrivileges: true,
        },
      }),
      opts,
    );
    expect(c.HostConfig.SecurityOpt).toEqual([
      'label=user:u',
      'label=role:r',
      'label=type:t',
      'label=level:s0',
      'seccomp=unconfined',
      'apparmor=unconfined',
      'no-new-privileges=true',
    ]);
    const custom = containerConfig(
      task({
        Privileges: {
          SELinuxContext: { Disable: true },
          Seccomp: { Mode: 'custom', Profile: '{}' },
        },
      }),
      opts,
    );
    expect(custom.HostConfig.SecurityOpt).toEqual(['label=disable', 'seccomp={}']);
  });

  it('sets nothing in HostConfig beyond the restart policy for a bare spec', () => {
    expect(containerConfig(task({}), opts).HostConfig).toEqual({
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    });
  });
});

describe('unmappedFields', () => {
  it('names what the container will lack', () => {
    const t = task(
      {
        Secrets: [{ SecretID: 's' }],
        Configs: [{ ConfigID: 'c' }],
        Mounts: [{ Type: 'cluster', Target: '/c' }],
        Privileges: { CredentialSpec: { File: 'spec.json' } },
      },
      {},
      { Networks: [{ Target: 'overlay1' }] },
    );
    expect(unmappedFields(t)).toEqual([
      'Secrets',
      'Configs',
      'Networks',
      'Mounts (type cluster)',
      'Privileges.CredentialSpec',
    ]);
    expect(unmappedFields(task({ Mounts: [{ Type: 'bind', Source: '/', Target: '/h' }] }))).toEqual(
      [],
    );
  });
});

const str = fc.string({ maxLength: 12 });
const strs = fc.array(str, { maxLength: 4 });
const record = fc.dictionary(str, str, { maxKeys: 4 });
const ns = fc.integer({ min: -1, max: 60e9 });
const mount = fc.record(
  {
    Type: fc.constantFrom('bind', 'volume', 'tmpfs', 'cluster', 'npipe'),
    Source: str,
    Target: str,
    ReadOnly: fc.boolean(),
    Consistency: fc.constantFrom('default', 'consistent', 'cached', 'delegated'),
    BindOptions: fc.record(
      {
        Propagation: fc.constantFrom('private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'),
        NonRecursive: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    VolumeOptions: fc.record(
      {
        NoCopy: fc.boolean(),
        Labels: record,
        DriverConfig: fc.record({ Name: str, Options: record }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    TmpfsOptions: fc.record({ SizeBytes: fc.nat(), Mode: fc.nat(0o7777) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const containerSpec: fc.Arbitrary<ContainerSpec> = fc.record(
  {
    Image: str,
    Labels: record,
    Command: strs,
    Args: strs,
    Hostname: str,
    Env: strs,
    Dir: str,
    User: str,
    Groups: strs,
    TTY: fc.boolean(),
    OpenStdin: fc.boolean(),
    ReadOnly: fc.boolean(),
    Mounts: fc.array(mount, { maxLength: 3 }),
    StopSignal: str,
    StopGracePeriod: ns,
    HealthCheck: fc.record(
      { Test: strs, Interval: ns, Timeout: ns, Retries: fc.nat(5), StartPeriod: ns },
      { requiredKeys: [] },
    ),
    Hosts: strs,
    DNSConfig: fc.record({ Nameservers: strs, Search: strs, Options: strs }, { requiredKeys: [] }),
    Init: fc.boolean(),
    Sysctls: record,
    CapabilityAdd: strs,
    CapabilityDrop: strs,
    Ulimits: fc.array(fc.record({ Name: str, Soft: fc.nat(), Hard: fc.nat() }), { maxLength: 2 }),
    Privileges: fc.record(
      {
        NoNewPrivileges: fc.boolean(),
        Seccomp: fc.record(
          { Mode: fc.constantFrom('default', 'unconfined', 'custom'), Profile: str },
          { requiredKeys: [] },
        ),
        AppArmor: fc.record({ Mode: fc.constantFrom('default', 'disabled') }, { requiredKeys: [] }),
        SELinuxContext: fc.record(
          { Disable: fc.boolean(), User: str, Role: str, Type: str, Level: str },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);
const taskArb: fc.Arbitrary<Task> = fc.record(
  {
    ID: str,
    ServiceID: str,
    NodeID: str,
    Slot: fc.integer({ min: -1, max: 1000 }),
    Labels: record,
    Spec: fc.record(
      {
        ContainerSpec: containerSpec,
        Resources: fc.record(
          {
            Limits: fc.record(
              { NanoCPUs: fc.nat(), MemoryBytes: fc.nat(), Pids: fc.nat() },
              { requiredKeys: [] },
            ),
            Reservations: fc.record(
              { NanoCPUs: fc.nat(), MemoryBytes: fc.nat() },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        LogDriver: fc.record({ Name: str, Options: record }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

describe('containerConfig properties', () => {
  const expectSwarmShape = (t: Task, nodeId: string, serviceName: string | undefined) => {
    const c = containerConfig(t, serviceName === undefined ? { nodeId } : { nodeId, serviceName });
    expect(c.name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
    expect(c.Labels[SWARM_LABEL.task]).toBe('');
    expect(c.Labels[SWARM_LABEL.taskId]).toBe(typeof t.ID === 'string' ? t.ID : '');
    expect(c.Labels[SWARM_LABEL.taskName]).toBe(c.name);
    expect(c.Labels[SWARM_LABEL.nodeId]).toBe(nodeId);
    expect(typeof c.Labels[SWARM_LABEL.serviceId]).toBe('string');
    expect(typeof c.Labels[SWARM_LABEL.serviceName]).toBe('string');
    expect(c.HostConfig.RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    // The engine takes JSON: nothing in the body may be lost or refused on the way.
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  };

  it('never throws for a ContainerSpec-shaped task and always sets the Swarm labels', () => {
    fc.assert(
      fc.property(taskArb, str, fc.option(str, { nil: undefined }), (t, nodeId, serviceName) => {
        expectSwarmShape(t, nodeId, serviceName);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws when the fields hold values of the wrong type', () => {
    const junk = fc.anything({ maxDepth: 2 });
    const junkSpec = fc.dictionary(
      fc.constantFrom(
        'Image',
        'Labels',
        'Command',
        'Args',
        'Env',
        'Mounts',
        'HealthCheck',
        'Hosts',
        'DNSConfig',
        'Privileges',
        'Ulimits',
        'Sysctls',
        'StopGracePeriod',
      ),
      junk,
    );
    fc.assert(
      fc.property(junkSpec, junk, junk, (spec, slot, labels) => {
        const t = { ID: 'x', Slot: slot, Labels: labels, Spec: { ContainerSpec: spec } };
        expectSwarmShape(t as unknown as Task, NODE, 'svc');
      }),
      { numRuns: 300 },
    );
  });
});
