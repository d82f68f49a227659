import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { type Mount } from '../swarm/common.types';
import {
  type EndpointPortConfig,
  type EndpointSpec,
  type ServiceMode,
  type ServiceSpec,
} from '../swarm/service.types';
import {
  type ContainerSpec,
  type TaskConfigReference,
  type TaskSpec,
} from '../swarm/task-spec.types';
import { applyServiceDefaults } from './service-defaults';
import { validateServiceSpec } from './service-spec.validator';

// ---------------------------------------------------------------------------------------
// Valid specs. Every value is generated in the form the validator returns (enum values in
// lower case, no nulls), so a valid spec must come back unchanged.

const small = { maxLength: 3 };
const noKeys = { requiredKeys: [] as [] };
const text = fc.string({ maxLength: 12 });
const strings = fc.array(text, small);
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const stringMapArb = fc.dictionary(fc.string({ maxLength: 8 }), text, { maxKeys: 3 });
const durationArb = fc.oneof(
  fc.constant(0),
  fc.constant(5e9),
  fc.integer({ min: 0, max: 2 ** 40 }),
);
const healthDurationArb = fc.oneof(fc.constant(0), fc.integer({ min: 1e6, max: 2 ** 40 }));
const absPath = fc.stringMatching(/^\/[a-z0-9_.-]{1,10}(\/[a-z0-9_.-]{1,10}){0,2}$/);
const labelName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,8}$/);

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;
const IMAGES = ['nginx', 'library/redis', 'registry.example.com:5000/team/app', 'localhost/a_b'];

const imageArb = fc
  .tuple(
    fc.constantFrom(...IMAGES),
    fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/), { nil: undefined }),
    fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
  )
  .map(
    ([name, tag, digest]) => `${name}${tag ? `:${tag}` : ''}${digest ? `@sha256:${digest}` : ''}`,
  );

const mountArb: fc.Arbitrary<Mount> = fc.oneof(
  fc.record(
    {
      Type: fc.constant('volume' as const),
      Target: absPath,
      Source: word,
      ReadOnly: fc.boolean(),
      VolumeOptions: fc.record(
        {
          NoCopy: fc.boolean(),
          Labels: stringMapArb,
          DriverConfig: fc.record({ Name: text, Options: stringMapArb }, noKeys),
        },
        noKeys,
      ),
    },
    { requiredKeys: ['Type', 'Target'] },
  ),
  fc.record(
    {
      Type: fc.constant('bind' as const),
      Target: absPath,
      Source: absPath,
      Consistency: fc.constantFrom('default', 'consistent', 'cached', 'delegated'),
      BindOptions: fc.record(
        {
          Propagation: fc.constantFrom(...PROPAGATIONS),
          NonRecursive: fc.boolean(),
          CreateMountpoint: fc.boolean(),
        },
        noKeys,
      ),
    },
    { requiredKeys: ['Type', 'Target', 'Source'] },
  ),
  fc.record(
    {
      Type: fc.constant('tmpfs' as const),
      Target: absPath,
      TmpfsOptions: fc.record(
        { SizeBytes: fc.nat(), Mode: fc.integer({ min: 0, max: 0o777 }) },
        noKeys,
      ),
    },
    { requiredKeys: ['Type', 'Target'] },
  ),
);

const healthTestArb = fc.oneof(
  fc.constant<string[]>([]),
  fc.constant<string[]>(['NONE']),
  fc.array(text, { minLength: 1, maxLength: 3 }).map((args) => ['CMD', ...args]),
  text.map((command) => ['CMD-SHELL', command]),
);

const fileTargetArb = fc.record(
  {
    Name: word,
    UID: fc.constant('0'),
    GID: fc.constant('0'),
    Mode: fc.integer({ min: 0, max: 0o777 }),
  },
  { requiredKeys: ['Name'] },
);

const configRefArb: fc.Arbitrary<TaskConfigReference> = fc.oneof(
  fc.record(
    { File: fileTargetArb, ConfigID: word, ConfigName: word },
    { requiredKeys: ['File', 'ConfigID'] },
  ),
  fc.record(
    { Runtime: fc.constant({}), ConfigName: word },
    { requiredKeys: ['Runtime', 'ConfigName'] },
  ),
);

const containerSpecArb: fc.Arbitrary<ContainerSpec> = fc.record(
  {
    Image: imageArb,
    Labels: stringMapArb,
    Command: strings,
    Args: strings,
    Hostname: text,
    Env: fc.array(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}(=[ -~]{0,10})?$/), small),
    Dir: text,
    User: text,
    Groups: strings,
    Privileges: fc.record(
      {
        CredentialSpec: fc.oneof(
          fc.record({ Config: text }),
          fc.record({ File: text }),
          fc.record({ Registry: text }),
        ),
        SELinuxContext: fc.record(
          { Disable: fc.boolean(), User: text, Role: text, Type: text, Level: text },
          noKeys,
        ),
        Seccomp: fc.oneof(
          fc.record({ Mode: fc.constantFrom('default' as const, 'unconfined' as const) }),
          fc.record({ Mode: fc.constant('custom' as const), Profile: word }),
        ),
        AppArmor: fc.record({ Mode: fc.constantFrom('default' as const, 'disabled' as const) }),
        NoNewPrivileges: fc.boolean(),
      },
      noKeys,
    ),
    TTY: fc.boolean(),
    OpenStdin: fc.boolean(),
    ReadOnly: fc.boolean(),
    Mounts: fc.uniqueArray(mountArb, { selector: (m) => m.Target, maxLength: 3 }),
    StopSignal: fc.constantFrom('SIGTERM', 'SIGINT', 'SIGQUIT'),
    StopGracePeriod: durationArb,
    HealthCheck: fc.record(
      {
        Test: healthTestArb,
        Interval: healthDurationArb,
        Timeout: healthDurationArb,
        Retries: fc.nat(10),
        StartPeriod: healthDurationArb,
        StartInterval: healthDurationArb,
      },
      noKeys,
    ),
    Hosts: strings,
    DNSConfig: fc.record(
      {
        Nameservers: strings,
        Search: strings,
        Options: strings,
      },
      noKeys,
    ),
    Secrets: fc.uniqueArray(
      fc.record(
        { File: fileTargetArb, SecretID: word, SecretName: word },
        { requiredKeys: ['File', 'SecretName'] },
      ),
      { selector: (s) => s.File.Name, maxLength: 3 },
    ),
    Configs: fc.uniqueArray(configRefArb, { selector: (c) => c.File?.Name ?? c, maxLength: 3 }),
    Isolation: fc.constantFrom(
      'default' as const,
      'process' as const,
      'hyperv' as const,
      '' as const,
    ),
    Init: fc.boolean(),
    Sysctls: stringMapArb,
    CapabilityAdd: strings,
    CapabilityDrop: strings,
    Ulimits: fc.array(
      fc
        .record({ Name: word, Soft: fc.nat(4096), Hard: fc.nat(4096) })
        .map((u) => ({ ...u, Soft: Math.min(u.Soft, u.Hard) })),
      small,
    ),
  },
  { requiredKeys: ['Image'] },
);

const cpuArb = fc.oneof(fc.constant(0), fc.integer({ min: 1e6, max: 64e9 }));
const memoryArb = fc.oneof(fc.constant(0), fc.integer({ min: 4 * 1024 * 1024, max: 2 ** 40 }));

const constraintArb = fc
  .tuple(
    fc.oneof(
      fc.tuple(fc.constant('node.role'), fc.constantFrom('manager', 'worker')),
      fc.tuple(
        fc.oneof(
          fc.constantFrom('node.id', 'node.hostname', 'node.platform.os', 'node.platform.arch'),
          labelName.map((l) => `node.labels.${l}`),
          labelName.map((l) => `engine.labels.${l}`),
        ),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:_./-]{0,10}$/),
      ),
    ),
    fc.constantFrom('==', '!='),
    fc.constantFrom('', ' '),
  )
  .map(([[key, value], op, space]) => `${key}${space}${op}${space}${value}`);

const taskSpecArb: fc.Arbitrary<TaskSpec> = fc.record(
  {
    ContainerSpec: containerSpecArb,
    Resources: fc.record(
      {
        Limits: fc.record({ NanoCPUs: cpuArb, MemoryBytes: memoryArb, Pids: fc.nat() }, noKeys),
        Reservations: fc.record(
          {
            NanoCPUs: cpuArb,
            MemoryBytes: memoryArb,
            GenericResources: fc.array(
              fc.oneof(
                fc.record({ NamedResourceSpec: fc.record({ Kind: word, Value: word }) }),
                fc.record({ DiscreteResourceSpec: fc.record({ Kind: word, Value: fc.nat() }) }),
              ),
              small,
            ),
          },
          noKeys,
        ),
      },
      noKeys,
    ),
    RestartPolicy: fc.record(
      {
        Condition: fc.constantFrom('none' as const, 'on-failure' as const, 'any' as const),
        Delay: durationArb,
        MaxAttempts: fc.nat(),
        Window: durationArb,
      },
      noKeys,
    ),
    Placement: fc.record(
      {
        Constraints: fc.array(constraintArb, small),
        Preferences: fc.array(
          fc.record({
            Spread: fc.record({ SpreadDescriptor: labelName.map((l) => `node.labels.${l}`) }),
          }),
          small,
        ),
        MaxReplicas: fc.nat(),
        Platforms: fc.array(
          fc.record(
            { Architecture: fc.constantFrom('amd64', 'arm64'), OS: fc.constant('linux') },
            noKeys,
          ),
          small,
        ),
      },
      noKeys,
    ),
    ForceUpdate: fc.nat(),
    Runtime: fc.constant('container' as const),
    Networks: fc.array(
      fc.record(
        { Target: word, Aliases: strings, DriverOpts: stringMapArb },
        { requiredKeys: ['Target'] },
      ),
      small,
    ),
    LogDriver: fc.record(
      { Name: fc.constantFrom('json-file', 'journald'), Options: stringMapArb },
      noKeys,
    ),
  },
  { requiredKeys: ['ContainerSpec'] },
);

const replicas = fc.integer({ min: 0, max: 2 ** 31 });
const modeArb: fc.Arbitrary<ServiceMode> = fc.oneof(
  fc.record({ Replicated: fc.record({ Replicas: replicas }, noKeys) }),
  fc.constant({ Global: {} }),
  fc.record({
    ReplicatedJob: fc.record({ MaxConcurrent: replicas, TotalCompletions: replicas }, noKeys),
  }),
  fc.constant({ GlobalJob: {} }),
);

const ratioArb = fc.double({ min: 0, max: 1, noNaN: true }).map(Math.abs);
const orderArb = fc.constantFrom('stop-first' as const, 'start-first' as const);

function portsArb(
  publishModes: ('ingress' | 'host')[],
  requireMode: boolean,
): fc.Arbitrary<EndpointPortConfig[]> {
  const port = fc.record(
    {
      Name: text,
      Protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
      TargetPort: fc.integer({ min: 1, max: 65535 }),
      PublishedPort: fc.integer({ min: 0, max: 65535 }),
      PublishMode: fc.constantFrom(...publishModes),
    },
    { requiredKeys: requireMode ? ['TargetPort', 'PublishMode'] : ['TargetPort'] },
  );
  return fc.uniqueArray(port, {
    selector: (p) => (p.PublishedPort ? `${p.PublishedPort}/${p.Protocol ?? 'tcp'}` : p),
    maxLength: 4,
  });
}

const endpointArb: fc.Arbitrary<EndpointSpec> = fc.oneof(
  fc.record(
    { Mode: fc.constant('vip' as const), Ports: portsArb(['ingress', 'host'], false) },
    noKeys,
  ),
  // The routing mesh needs a virtual IP, so dnsrr services publish in host mode only.
  fc.record(
    { Mode: fc.constant('dnsrr' as const), Ports: portsArb(['host'], true) },
    { requiredKeys: ['Mode'] },
  ),
);

const serviceSpecArb: fc.Arbitrary<ServiceSpec> = fc.record(
  {
    Name: fc.stringMatching(/^[a-zA-Z0-9](?:[-_]?[a-zA-Z0-9]){0,30}$/),
    Labels: stringMapArb,
    TaskTemplate: taskSpecArb,
    Mode: modeArb,
    UpdateConfig: fc.record(
      {
        Parallelism: fc.nat(),
        Delay: durationArb,
        FailureAction: fc.constantFrom('continue' as const, 'pause' as const, 'rollback' as const),
        Monitor: durationArb,
        MaxFailureRatio: ratioArb,
        Order: orderArb,
      },
      noKeys,
    ),
    RollbackConfig: fc.record(
      {
        Parallelism: fc.nat(),
        Delay: durationArb,
        FailureAction: fc.constantFrom('continue' as const, 'pause' as const),
        Monitor: durationArb,
        MaxFailureRatio: ratioArb,
        Order: orderArb,
      },
      noKeys,
    ),
    Networks: fc.array(fc.record({ Target: word }), small),
    EndpointSpec: endpointArb,
  },
  { requiredKeys: ['Name', 'TaskTemplate'] },
);

// ---------------------------------------------------------------------------------------
// Helpers on JSON trees.

type Segment = string | number;
type Tree = Record<string | number, unknown>;

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Every path to a value inside `value`, the root excluded. */
function pathsIn(value: unknown, prefix: Segment[] = []): Segment[][] {
  if (typeof value !== 'object' || value === null) return [];
  const keys: Segment[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => {
    const path = [...prefix, key];
    return [path, ...pathsIn((value as Tree)[key], path)];
  });
}

/** Sets a value at `path`, creating objects on the way as needed. */
function setAt(root: Tree, path: readonly Segment[], value: unknown): void {
  let node = root;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null) node[segment] = {};
    node = node[segment] as Tree;
  }
  node[path[path.length - 1] as Segment] = value;
}

function getAt(root: unknown, path: readonly Segment[]): unknown {
  return path.reduce<unknown>((node, segment) => (node as Tree | undefined)?.[segment], root);
}

function toPath(segments: readonly Segment[]): string {
  return segments.reduce<string>(
    (path, s) => (typeof s === 'number' ? `${path}[${s}]` : `${path}.${s}`),
    'ServiceSpec',
  );
}

/** Runs the validator; anything thrown other than InvalidArgumentError fails the property. */
function validateOrRefuse(input: unknown): void {
  try {
    validateServiceSpec(input);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
  }
}

function refusal(input: unknown): string {
  try {
    validateServiceSpec(input);
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err.message;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

// ---------------------------------------------------------------------------------------

describe('validateServiceSpec, for any input', () => {
  it('throws nothing but InvalidArgumentError for arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), validateOrRefuse), { numRuns: 500 });
  });

  it('throws nothing but InvalidArgumentError when any part of a valid spec is replaced', () => {
    fc.assert(
      fc.property(serviceSpecArb, fc.nat(), fc.jsonValue(), (spec, pick, replacement) => {
        const paths = pathsIn(spec);
        const broken = clone(spec) as Tree;
        setAt(broken, paths[pick % paths.length] ?? ['Name'], replacement);
        validateOrRefuse(broken);
      }),
      { numRuns: 500 },
    );
  });

  it('throws nothing but InvalidArgumentError when any part of a valid spec is removed', () => {
    fc.assert(
      fc.property(serviceSpecArb, fc.nat(), (spec, pick) => {
        const paths = pathsIn(spec);
        const path = paths[pick % paths.length] ?? ['Name'];
        const broken = clone(spec) as Tree;
        const parent = getAt(broken, path.slice(0, -1)) as Tree;
        delete parent[path[path.length - 1] as Segment];
        validateOrRefuse(broken);
      }),
      { numRuns: 300 },
    );
  });
});

describe('validateServiceSpec, for valid specs', () => {
  it('accepts them and returns them unchanged', () => {
    fc.assert(
      fc.property(serviceSpecArb, (spec) => {
        expect(validateServiceSpec(spec)).toEqual(spec);
        expect(validateServiceSpec(clone(spec))).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });

  it('returns a value it accepts again, also once defaults are applied', () => {
    fc.assert(
      fc.property(serviceSpecArb, (spec) => {
        const once = validateServiceSpec(spec);
        expect(validateServiceSpec(once)).toEqual(once);
        const withDefaults = applyServiceDefaults(once);
        expect(validateServiceSpec(withDefaults)).toEqual(withDefaults);
        expect(applyServiceDefaults(withDefaults)).toEqual(withDefaults);
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Invalid mutations of valid specs, each with the path the message must name.

interface Mutation {
  apply(spec: Tree): void;
  /** What the message must contain. */
  names: string;
}

const notAnInteger = fc.oneof(
  fc.double({ min: 0.01, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)),
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
);

const negativeReplicas: fc.Arbitrary<Mutation> = fc
  .oneof(fc.integer({ max: -1 }), notAnInteger, fc.integer({ min: 2 ** 31 + 1, max: 2 ** 40 }))
  .map((replicas) => ({
    apply: (s) => (s['Mode'] = { Replicated: { Replicas: replicas } }),
    names: 'invalid ServiceSpec.Mode.Replicated.Replicas: expected',
  }));

const twoModes: fc.Arbitrary<Mutation> = fc
  .subarray(['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'], { minLength: 2 })
  .map((modes) => ({
    apply: (s) =>
      (s['Mode'] = Object.fromEntries(
        modes.map((m) => [m, m === 'Replicated' ? { Replicas: 1 } : {}]),
      )),
    names:
      'invalid ServiceSpec.Mode: only one of Replicated, Global, ReplicatedJob, GlobalJob may be set',
  }));

const DURATIONS: Segment[][] = [
  ['TaskTemplate', 'RestartPolicy', 'Delay'],
  ['TaskTemplate', 'RestartPolicy', 'Window'],
  ['TaskTemplate', 'ContainerSpec', 'StopGracePeriod'],
  ['UpdateConfig', 'Delay'],
  ['UpdateConfig', 'Monitor'],
  ['RollbackConfig', 'Delay'],
  ['RollbackConfig', 'Monitor'],
];

const badDuration: fc.Arbitrary<Mutation> = fc
  .tuple(
    fc.constantFrom(...DURATIONS),
    fc.oneof(fc.integer({ max: -1 }), notAnInteger, fc.constant('5s')),
  )
  .map(([path, value]) => ({
    apply: (s) => setAt(s, path, value),
    names: `invalid ${toPath(path)}: expected a non-negative integer of nanoseconds`,
  }));

const badConstraintText = fc.oneof(
  word.filter((w) => !w.startsWith('node') && !w.startsWith('engine')).map((w) => `${w}.x==1`),
  word.map((w) => `node.labels.${w}`),
  word.map((w) => `node.labels.${w}=1`),
  fc.constant('node.role==leader'),
  fc.constant('node.ip==10.0.0.1'),
  word.map((w) => `node.labels.${w}==`),
  word.map((w) => `node.labels.${w}==<${w}>`),
);

const badConstraint: fc.Arbitrary<Mutation> = fc
  .tuple(badConstraintText, fc.nat())
  .map(([expr, at]) => ({
    apply: (s) => {
      const constraints =
        (getAt(s, ['TaskTemplate', 'Placement', 'Constraints']) as unknown[] | undefined) ?? [];
      const index = at % (constraints.length + 1);
      constraints.splice(index, 0, expr);
      setAt(s, ['TaskTemplate', 'Placement', 'Constraints'], constraints);
    },
    names: 'invalid ServiceSpec.TaskTemplate.Placement.Constraints[',
  }));

const badPortField = fc.oneof(
  fc.tuple(
    fc.constant('TargetPort'),
    fc.oneof(fc.constant(0), fc.integer({ min: 65536 }), fc.integer({ max: -1 }), notAnInteger),
  ),
  fc.tuple(
    fc.constant('PublishedPort'),
    fc.oneof(fc.integer({ min: 65536 }), fc.integer({ max: -1 }), notAnInteger),
  ),
  fc.tuple(fc.constant('Protocol'), fc.constantFrom('icmp', 'http', 1)),
  fc.tuple(fc.constant('PublishMode'), fc.constantFrom('mesh', 'vip', true)),
);

const badPort: fc.Arbitrary<Mutation> = fc
  .tuple(badPortField, fc.nat())
  .map(([[field, value], at]) => {
    let index = 0;
    return {
      apply: (s) => {
        const ports = (getAt(s, ['EndpointSpec', 'Ports']) as Tree[] | undefined) ?? [];
        if (ports.length === 0) ports.push({ TargetPort: 80, PublishMode: 'host' });
        index = at % ports.length;
        (ports[index] as Tree)[field] = value;
        setAt(s, ['EndpointSpec', 'Ports'], ports);
      },
      get names() {
        return `invalid ServiceSpec.EndpointSpec.Ports[${index}].${field}: expected`;
      },
    };
  });

const duplicatePort: fc.Arbitrary<Mutation> = fc
  .tuple(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('tcp', 'udp', 'sctp'))
  .map(([published, protocol]) => ({
    apply: (s) => {
      const ports = (getAt(s, ['EndpointSpec', 'Ports']) as Tree[] | undefined) ?? [];
      const port = {
        TargetPort: 80,
        PublishedPort: published,
        Protocol: protocol,
        PublishMode: 'host',
      };
      ports.push(port, { ...port });
      setAt(s, ['EndpointSpec', 'Ports'], ports);
    },
    names: `/${protocol} is already published by ServiceSpec.EndpointSpec.Ports[`,
  }));

const OBJECTS: Segment[][] = [
  [],
  ['TaskTemplate'],
  ['TaskTemplate', 'ContainerSpec'],
  ['TaskTemplate', 'RestartPolicy'],
  ['TaskTemplate', 'Placement'],
  ['TaskTemplate', 'Resources'],
  ['Mode'],
  ['UpdateConfig'],
  ['RollbackConfig'],
  ['EndpointSpec'],
];

const unknownField: fc.Arbitrary<Mutation> = fc
  .tuple(fc.constantFrom(...OBJECTS), fc.stringMatching(/^X[A-Za-z0-9]{0,10}$/), fc.jsonValue())
  .map(([path, key, value]) => ({
    apply: (s) => {
      if (path.length > 0 && getAt(s, path) === undefined) setAt(s, path, {});
      const target = path.length > 0 ? (getAt(s, path) as Tree) : s;
      target[key] = value;
    },
    names: `unknown field ${toPath([...path, key])} (accepted: `,
  }));

const badName: fc.Arbitrary<Mutation> = fc
  .oneof(
    fc.constant(''),
    fc.stringMatching(/^[-_.][a-z]{0,5}$/),
    fc.stringMatching(/^[a-z]{1,5}[ !@#$%^&*()+=/:][a-z]{0,5}$/),
    fc.stringMatching(/^[a-z]{64,70}$/),
    fc.integer(),
  )
  .map((name) => ({
    apply: (s) => (s['Name'] = name),
    names: 'invalid ServiceSpec.Name: expected',
  }));

describe('validateServiceSpec, for invalid mutations of valid specs', () => {
  it.each<[string, fc.Arbitrary<Mutation>]>([
    ['bad replica counts', negativeReplicas],
    ['two modes', twoModes],
    ['bad durations', badDuration],
    ['bad constraints', badConstraint],
    ['bad ports', badPort],
    ['duplicate published ports', duplicatePort],
    ['unknown fields', unknownField],
    ['bad names', badName],
  ])('rejects %s with a message naming the field', (_title, mutationArb) => {
    fc.assert(
      fc.property(serviceSpecArb, mutationArb, (spec, mutation) => {
        const broken = clone(spec) as Tree;
        mutation.apply(broken);
        expect(refusal(broken)).toContain(mutation.names);
      }),
      { numRuns: 200 },
    );
  });
});
