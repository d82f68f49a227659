import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { validateServiceSpec } from './service-spec.validator';

/** Roughly what docker CLI 25 sends for a `docker service create` with many flags. */
function cliBody(): Record<string, unknown> {
  return {
    Name: 'web',
    Labels: { 'com.example.team': 'a' },
    TaskTemplate: {
      ContainerSpec: {
        Image: 'nginx:1.25@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac',
        Labels: { c: 'd' },
        Args: ['nginx', '-g', 'daemon off;'],
        Hostname: 'h',
        Env: ['A=1', 'PASSTHROUGH'],
        Dir: '/w',
        User: 'u',
        Groups: ['g'],
        Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
        Init: true,
        StopSignal: 'SIGTERM',
        TTY: true,
        ReadOnly: true,
        Mounts: [
          { Type: 'volume', Source: 'data', Target: '/data', VolumeOptions: { DriverConfig: {} } },
          { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 1048576, Mode: 493 } },
          {
            Type: 'bind',
            Source: '/srv',
            Target: '/srv',
            BindOptions: { Propagation: 'rprivate' },
          },
        ],
        StopGracePeriod: 10_000_000_000,
        Healthcheck: {
          Test: ['CMD-SHELL', 'curl -f http://localhost/'],
          Interval: 5e9,
          Timeout: 3e9,
          Retries: 3,
          StartPeriod: 1e9,
          StartInterval: 0,
        },
        Hosts: ['1.2.3.4 example.com'],
        DNSConfig: { Nameservers: ['8.8.8.8'], Search: null, Options: null },
        Secrets: [
          {
            File: { Name: 's1', UID: '0', GID: '0', Mode: 292 },
            SecretID: 'abc',
            SecretName: 's1',
          },
        ],
        Configs: [
          {
            File: { Name: '/c1', UID: '0', GID: '0', Mode: 292 },
            ConfigID: 'def',
            ConfigName: 'c1',
          },
        ],
        Isolation: 'default',
        Sysctls: { 'net.core.somaxconn': '1024' },
        CapabilityAdd: ['CAP_NET_ADMIN'],
        CapabilityDrop: null,
        Ulimits: [{ Name: 'nofile', Hard: 2048, Soft: 1024 }],
      },
      Resources: {
        Limits: { NanoCPUs: 500_000_000, MemoryBytes: 0, Pids: 100 },
        Reservations: {
          MemoryBytes: 67_108_864,
          GenericResources: [{ DiscreteResourceSpec: { Kind: 'SSD', Value: 1 } }],
        },
      },
      RestartPolicy: { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 3, Window: 0 },
      Placement: {
        Constraints: ['node.role==worker', 'node.labels.zone != eu-1'],
        Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
        MaxReplicas: 2,
        Platforms: [{ Architecture: 'amd64', OS: 'linux' }],
      },
      Networks: [{ Target: 'net1', Aliases: ['www'] }],
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m' } },
      ForceUpdate: 0,
      Runtime: 'container',
    },
    Mode: { Replicated: { Replicas: 3 } },
    UpdateConfig: {
      Parallelism: 2,
      FailureAction: 'rollback',
      Monitor: 5e9,
      MaxFailureRatio: 0.2,
      Order: 'stop-first',
    },
    RollbackConfig: {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5e9,
      MaxFailureRatio: 0,
      Order: 'start-first',
    },
    EndpointSpec: {
      Mode: 'vip',
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'udp', TargetPort: 53, PublishedPort: 8080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 81 },
        { Protocol: 'tcp', TargetPort: 82 },
      ],
    },
  };
}

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function rejection(mutate: (body: Body) => void): string {
  const body = cliBody();
  mutate(body);
  try {
    validateServiceSpec(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error('the spec was accepted');
}

describe('validateServiceSpec accepts', () => {
  it('what the docker CLI sends, with field names in the spec spelling', () => {
    const spec = validateServiceSpec(cliBody());
    expect(spec.Name).toBe('web');
    expect(spec.TaskTemplate?.ContainerSpec?.HealthCheck?.Retries).toBe(3);
    expect(spec.TaskTemplate?.ContainerSpec).not.toHaveProperty('Healthcheck');
    expect(spec.TaskTemplate?.ContainerSpec?.Privileges).toEqual({ NoNewPrivileges: false });
    expect(spec.EndpointSpec?.Ports).toHaveLength(4);
  });

  it('a minimal spec', () => {
    expect(
      validateServiceSpec({ Name: 'a', TaskTemplate: { ContainerSpec: { Image: 'nginx' } } }),
    ).toEqual({
      Name: 'a',
      TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
    });
  });

  it('lower-cases enum values dockerd would have matched in any case', () => {
    const spec = validateServiceSpec({
      Name: 'a',
      TaskTemplate: { ContainerSpec: { Image: 'nginx' }, RestartPolicy: { Condition: 'ANY' } },
      EndpointSpec: { Mode: 'VIP' },
    });
    expect(spec.TaskTemplate?.RestartPolicy?.Condition).toBe('any');
    expect(spec.EndpointSpec?.Mode).toBe('vip');
  });

  it('Go zero values for enums as absent: "" where the enum has no "" value', () => {
    const spec = validateServiceSpec({
      Name: 'a',
      TaskTemplate: {
        ContainerSpec: { Image: 'nginx', Isolation: '' },
        RestartPolicy: { Condition: '' },
        Runtime: '',
      },
      UpdateConfig: { Parallelism: 1, Order: '', FailureAction: '' },
      EndpointSpec: { Mode: '', Ports: [{ TargetPort: 80, Protocol: '', PublishMode: '' }] },
    });
    expect(spec).toEqual({
      Name: 'a',
      TaskTemplate: { ContainerSpec: { Image: 'nginx', Isolation: '' }, RestartPolicy: {} },
      UpdateConfig: { Parallelism: 1 },
      EndpointSpec: { Ports: [{ TargetPort: 80 }] },
    });
  });

  it('every mode, and no mode at all', () => {
    for (const Mode of [
      undefined,
      {},
      { Global: {} },
      { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 10 } },
      { GlobalJob: {} },
      { Replicated: { Replicas: 0 } },
      { Replicated: { Replicas: 2 ** 31 } },
      { Replicated: {}, Global: null },
    ]) {
      expect(() => validateServiceSpec({ ...cliBody(), Mode })).not.toThrow();
    }
  });

  it('image references with registries, ports, tags and digests', () => {
    for (const Image of [
      'nginx',
      'library/nginx:latest',
      'registry.example.com:5000/team/app:v1.2.3',
      'localhost/app',
      '[::1]:5000/app',
      'gcr.io/a/b/c@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac',
    ]) {
      expect(() =>
        validateServiceSpec({ Name: 'a', TaskTemplate: { ContainerSpec: { Image } } }),
      ).not.toThrow();
    }
  });
});

describe('validateServiceSpec rejects', () => {
  it.each<[string, (b: Body) => void, string]>([
    ['a missing name', (b) => delete b.Name, 'invalid ServiceSpec.Name: missing'],
    [
      'a name with a space',
      (b) => (b.Name = 'my web'),
      'invalid ServiceSpec.Name: expected a name',
    ],
    ['a name starting with a dash', (b) => (b.Name = '-web'), 'invalid ServiceSpec.Name'],
    ['a name of 64 characters', (b) => (b.Name = 'a'.repeat(64)), 'up to 63 characters'],
    [
      'a name with a dot (task names use dots as separators)',
      (b) => (b.Name = 'web.v2'),
      'invalid ServiceSpec.Name',
    ],
    ['a name ending with a dash', (b) => (b.Name = 'web-'), 'invalid ServiceSpec.Name'],
    [
      'an unknown top-level field',
      (b) => (b.Foo = 1),
      'unknown field ServiceSpec.Foo (accepted: Name, Labels, TaskTemplate, Mode, UpdateConfig, RollbackConfig, Networks, EndpointSpec)',
    ],
    [
      'an unknown deep field',
      (b) => (b.TaskTemplate.ContainerSpec.Mounts[0].Bogus = true),
      'unknown field ServiceSpec.TaskTemplate.ContainerSpec.Mounts[0].Bogus',
    ],
    [
      'a label that is not a string',
      (b) => (b.Labels = { a: 1 }),
      'invalid ServiceSpec.Labels.a: expected a string, got 1',
    ],
    [
      'a missing TaskTemplate',
      (b) => delete b.TaskTemplate,
      'invalid ServiceSpec.TaskTemplate: missing',
    ],
    [
      'a missing ContainerSpec',
      (b) => delete b.TaskTemplate.ContainerSpec,
      'invalid ServiceSpec.TaskTemplate.ContainerSpec: missing',
    ],
    [
      'an empty image',
      (b) => (b.TaskTemplate.ContainerSpec.Image = ''),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Image',
    ],
    [
      'an upper-case image',
      (b) => (b.TaskTemplate.ContainerSpec.Image = 'Nginx'),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Image: expected an image reference',
    ],
    [
      'a PluginSpec',
      (b) => (b.TaskTemplate.PluginSpec = { Name: 'p' }),
      'invalid ServiceSpec.TaskTemplate.PluginSpec: plugin services are not supported',
    ],
    [
      'a NetworkAttachmentSpec',
      (b) => (b.TaskTemplate.NetworkAttachmentSpec = {}),
      'invalid ServiceSpec.TaskTemplate.NetworkAttachmentSpec',
    ],
    [
      'the plugin runtime',
      (b) => (b.TaskTemplate.Runtime = 'plugin'),
      'invalid ServiceSpec.TaskTemplate.Runtime',
    ],
    [
      'negative replicas',
      (b) => (b.Mode = { Replicated: { Replicas: -1 } }),
      'invalid ServiceSpec.Mode.Replicated.Replicas: expected a non-negative integer up to 2147483648, got -1',
    ],
    [
      'too many replicas',
      (b) => (b.Mode = { Replicated: { Replicas: 2 ** 31 + 1 } }),
      'invalid ServiceSpec.Mode.Replicated.Replicas',
    ],
    [
      'fractional replicas',
      (b) => (b.Mode = { Replicated: { Replicas: 1.5 } }),
      'invalid ServiceSpec.Mode.Replicated.Replicas',
    ],
    [
      'two modes',
      (b) => (b.Mode = { Replicated: { Replicas: 1 }, Global: {} }),
      'invalid ServiceSpec.Mode: only one of Replicated, Global, ReplicatedJob, GlobalJob may be set',
    ],
    [
      'settings on global mode',
      (b) => (b.Mode = { Global: { Replicas: 2 } }),
      'unknown field ServiceSpec.Mode.Global.Replicas (accepted: none)',
    ],
    [
      'a duration as a string',
      (b) => (b.TaskTemplate.RestartPolicy.Delay = '5s'),
      'invalid ServiceSpec.TaskTemplate.RestartPolicy.Delay: expected a non-negative integer of nanoseconds, got "5s"',
    ],
    [
      'a negative duration',
      (b) => (b.UpdateConfig.Monitor = -1),
      'invalid ServiceSpec.UpdateConfig.Monitor: expected a non-negative integer of nanoseconds',
    ],
    [
      'a fractional duration',
      (b) => (b.TaskTemplate.ContainerSpec.StopGracePeriod = 1.5),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.StopGracePeriod',
    ],
    [
      'an unknown restart condition',
      (b) => (b.TaskTemplate.RestartPolicy.Condition = 'always'),
      'invalid ServiceSpec.TaskTemplate.RestartPolicy.Condition: expected one of none, on-failure, any, got "always"',
    ],
    [
      'a bad constraint key',
      (b) => (b.TaskTemplate.Placement.Constraints = ['node.ip==10.0.0.1']),
      "invalid ServiceSpec.TaskTemplate.Placement.Constraints[0]: constraint has unknown key 'node.ip'",
    ],
    [
      'a constraint without operator',
      (b) => b.TaskTemplate.Placement.Constraints.push('node.role'),
      'invalid ServiceSpec.TaskTemplate.Placement.Constraints[2]: expected key==value or key!=value',
    ],
    [
      'a preference other than Spread',
      (b) => (b.TaskTemplate.Placement.Preferences = [{ Pack: {} }]),
      'unknown field ServiceSpec.TaskTemplate.Placement.Preferences[0].Pack (accepted: Spread)',
    ],
    [
      'a Spread without descriptor',
      (b) => (b.TaskTemplate.Placement.Preferences = [{ Spread: {} }]),
      'invalid ServiceSpec.TaskTemplate.Placement.Preferences[0].Spread.SpreadDescriptor: missing',
    ],
    [
      'a Spread over an unknown attribute',
      (b) => (b.TaskTemplate.Placement.Preferences = [{ Spread: { SpreadDescriptor: 'zone' } }]),
      'invalid ServiceSpec.TaskTemplate.Placement.Preferences[0].Spread.SpreadDescriptor: spread over unknown key',
    ],
    [
      'an unknown endpoint mode',
      (b) => (b.EndpointSpec.Mode = 'rr'),
      'invalid ServiceSpec.EndpointSpec.Mode: expected one of vip, dnsrr',
    ],
    [
      'an unknown protocol',
      (b) => (b.EndpointSpec.Ports[0].Protocol = 'icmp'),
      'invalid ServiceSpec.EndpointSpec.Ports[0].Protocol: expected one of tcp, udp, sctp',
    ],
    [
      'a target port of 0',
      (b) => (b.EndpointSpec.Ports[0].TargetPort = 0),
      'invalid ServiceSpec.EndpointSpec.Ports[0].TargetPort: expected an integer from 1 to 65535, got 0',
    ],
    [
      'a missing target port',
      (b) => delete b.EndpointSpec.Ports[0].TargetPort,
      'invalid ServiceSpec.EndpointSpec.Ports[0].TargetPort: missing',
    ],
    [
      'a published port above 65535',
      (b) => (b.EndpointSpec.Ports[0].PublishedPort = 65536),
      'invalid ServiceSpec.EndpointSpec.Ports[0].PublishedPort',
    ],
    [
      'an unknown publish mode',
      (b) => (b.EndpointSpec.Ports[0].PublishMode = 'mesh'),
      'invalid ServiceSpec.EndpointSpec.Ports[0].PublishMode',
    ],
    [
      'a port published twice',
      (b) => (b.EndpointSpec.Ports[1].Protocol = 'tcp'),
      'invalid ServiceSpec.EndpointSpec.Ports[1].PublishedPort: 8080/tcp is already published by ServiceSpec.EndpointSpec.Ports[0]',
    ],
    [
      'ingress ports with dnsrr',
      (b) => (b.EndpointSpec.Mode = 'dnsrr'),
      'invalid ServiceSpec.EndpointSpec.Ports[0].PublishMode: ports published in ingress mode cannot be used with endpoint mode dnsrr',
    ],
    [
      'negative parallelism',
      (b) => (b.UpdateConfig.Parallelism = -1),
      'invalid ServiceSpec.UpdateConfig.Parallelism',
    ],
    [
      'an unknown failure action',
      (b) => (b.UpdateConfig.FailureAction = 'retry'),
      'invalid ServiceSpec.UpdateConfig.FailureAction: expected one of continue, pause, rollback',
    ],
    [
      'a rollback that rolls back',
      (b) => (b.RollbackConfig.FailureAction = 'rollback'),
      'invalid ServiceSpec.RollbackConfig.FailureAction: a rollback cannot itself roll back',
    ],
    [
      'an unknown order',
      (b) => (b.RollbackConfig.Order = 'random'),
      'invalid ServiceSpec.RollbackConfig.Order: expected one of stop-first, start-first',
    ],
    [
      'a failure ratio above 1',
      (b) => (b.UpdateConfig.MaxFailureRatio = 1.5),
      'invalid ServiceSpec.UpdateConfig.MaxFailureRatio: expected a number from 0 to 1',
    ],
    [
      'negative CPUs',
      (b) => (b.TaskTemplate.Resources.Limits.NanoCPUs = -1),
      'invalid ServiceSpec.TaskTemplate.Resources.Limits.NanoCPUs',
    ],
    [
      'too little memory',
      (b) => (b.TaskTemplate.Resources.Reservations.MemoryBytes = 1024),
      'invalid ServiceSpec.TaskTemplate.Resources.Reservations.MemoryBytes: expected 0 or an integer of at least 4194304 (4MiB)',
    ],
    [
      'a generic resource of both kinds',
      (b) =>
        (b.TaskTemplate.Resources.Reservations.GenericResources = [
          {
            NamedResourceSpec: { Kind: 'GPU', Value: 'x' },
            DiscreteResourceSpec: { Kind: 'SSD', Value: 1 },
          },
        ]),
      'invalid ServiceSpec.TaskTemplate.Resources.Reservations.GenericResources[0]: exactly one of',
    ],
    [
      'an unknown mount type',
      (b) => (b.TaskTemplate.ContainerSpec.Mounts[0].Type = 'nfs'),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[0].Type: expected one of bind, volume, tmpfs, npipe, cluster',
    ],
    [
      'a mount without target',
      (b) => delete b.TaskTemplate.ContainerSpec.Mounts[0].Target,
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[0].Target: missing',
    ],
    [
      'a relative mount target',
      (b) => (b.TaskTemplate.ContainerSpec.Mounts[0].Target = 'data'),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[0].Target: expected an absolute path',
    ],
    [
      'a tmpfs with a source',
      (b) => (b.TaskTemplate.ContainerSpec.Mounts[1].Source = 'x'),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[1].Source: must not be set for tmpfs mounts',
    ],
    [
      'a bind without source',
      (b) => delete b.TaskTemplate.ContainerSpec.Mounts[2].Source,
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[2].Source: missing',
    ],
    [
      'options of another mount type',
      (b) => (b.TaskTemplate.ContainerSpec.Mounts[0].BindOptions = {}),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[0].BindOptions: only allowed when Type is bind, not volume',
    ],
    [
      'two mounts on one target',
      (b) => (b.TaskTemplate.ContainerSpec.Mounts[1].Target = '/data'),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Mounts[1].Target: "/data" is already mounted by Mounts[0]',
    ],
    [
      'a health interval under 1ms',
      (b) => (b.TaskTemplate.ContainerSpec.Healthcheck.Interval = 999),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.HealthCheck.Interval',
    ],
    [
      'negative health retries',
      (b) => (b.TaskTemplate.ContainerSpec.Healthcheck.Retries = -1),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.HealthCheck.Retries',
    ],
    [
      'an unknown health test kind',
      (b) => (b.TaskTemplate.ContainerSpec.Healthcheck.Test = ['SHELL', 'x']),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.HealthCheck.Test[0]: expected NONE, CMD or CMD-SHELL',
    ],
    [
      'CMD without a command',
      (b) => (b.TaskTemplate.ContainerSpec.Healthcheck.Test = ['CMD']),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.HealthCheck.Test: CMD needs a command',
    ],
    [
      'an env entry without a key',
      (b) => (b.TaskTemplate.ContainerSpec.Env = ['=x']),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Env[0]: expected KEY=VALUE or KEY',
    ],
    [
      'env as a map',
      (b) => (b.TaskTemplate.ContainerSpec.Env = { A: '1' }),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Env: expected an array of KEY=VALUE strings',
    ],
    [
      'a secret without file target',
      (b) => delete b.TaskTemplate.ContainerSpec.Secrets[0].File,
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Secrets[0].File: missing',
    ],
    [
      'a secret without ID or name',
      (b) => (b.TaskTemplate.ContainerSpec.Secrets[0] = { File: { Name: 'x' } }),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Secrets[0]: missing SecretID or SecretName',
    ],
    [
      'two secrets on one file',
      (b) => b.TaskTemplate.ContainerSpec.Secrets.push({ SecretName: 's2', File: { Name: 's1' } }),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Secrets[1].File.Name: "s1" is already the target of',
    ],
    [
      'a config with File and Runtime',
      (b) => (b.TaskTemplate.ContainerSpec.Configs[0].Runtime = {}),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Configs[0]: exactly one of File and Runtime',
    ],
    [
      'a soft ulimit above the hard one',
      (b) => (b.TaskTemplate.ContainerSpec.Ulimits[0].Soft = 4096),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Ulimits[0].Soft: must not exceed Hard (2048)',
    ],
    [
      'a custom seccomp mode without profile',
      (b) => (b.TaskTemplate.ContainerSpec.Privileges.Seccomp = { Mode: 'custom' }),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Privileges.Seccomp.Profile: missing',
    ],
    [
      'two credential spec sources',
      (b) =>
        (b.TaskTemplate.ContainerSpec.Privileges.CredentialSpec = { File: 'a', Registry: 'b' }),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Privileges.CredentialSpec: only one of Config, File, Registry',
    ],
    [
      'an unknown isolation',
      (b) => (b.TaskTemplate.ContainerSpec.Isolation = 'vm'),
      'invalid ServiceSpec.TaskTemplate.ContainerSpec.Isolation',
    ],
    [
      'a network without target',
      (b) => (b.TaskTemplate.Networks = [{ Aliases: ['x'] }]),
      'invalid ServiceSpec.TaskTemplate.Networks[0].Target: missing',
    ],
    [
      'a field given twice in two cases',
      (b) => (b.name = 'other'),
      'invalid ServiceSpec.Name: given twice, as Name and name',
    ],
  ])('%s', (_title, mutate, message) => {
    expect(rejection(mutate)).toContain(message);
  });

  it('anything but an object', () => {
    for (const body of [null, 'web', 42, [], true]) {
      expect(() => validateServiceSpec(body)).toThrow(/^invalid ServiceSpec: expected an object/);
    }
  });
});
