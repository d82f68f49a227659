import {
  type BindOptions,
  type HealthConfig,
  type Mount,
  type TmpfsOptions,
  type VolumeDriverConfig,
  type VolumeOptions,
} from '../swarm/common.types';
import {
  type AppArmorOpts,
  type ContainerSpec,
  type CredentialSpec,
  type DNSConfig,
  type Privileges,
  type ReferenceFileTarget,
  type SeccompOpts,
  type SELinuxContext,
  type TaskConfigReference,
  type TaskSecretReference,
  type Ulimit,
} from '../swarm/task-spec.types';
import {
  duration,
  envEntry,
  fileMode,
  imageReference,
  INT64_MAX,
  labels,
  nonNegativeInteger,
  stringList,
  UINT32_MAX,
} from './common.checks';
import {
  arrayOf,
  boolean,
  check,
  type Check,
  emptyObject,
  expected,
  integer,
  invalid,
  nonEmptyString,
  object,
  oneOf,
  refine,
  required,
  string,
  stringMap,
} from './field-schema';

const bindOptions = object<BindOptions>({
  Propagation: oneOf(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']),
  NonRecursive: boolean,
  CreateMountpoint: boolean,
  ReadOnlyNonRecursive: boolean,
  ReadOnlyForceRecursive: boolean,
});

const volumeOptions = object<VolumeOptions>({
  NoCopy: boolean,
  Labels: labels,
  DriverConfig: object<VolumeDriverConfig>({ Name: string, Options: stringMap }),
});

const tmpfsOptions = object<TmpfsOptions>({
  SizeBytes: nonNegativeInteger,
  Mode: integer(0, UINT32_MAX, 'a file mode as a decimal integer'),
});

// Linux absolute paths, Windows drive paths, and Windows named pipes (\\.\pipe\name).
const ABSOLUTE_PATH = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;

const OPTIONS_FOR_TYPE = {
  BindOptions: 'bind',
  VolumeOptions: 'volume',
  TmpfsOptions: 'tmpfs',
  ClusterOptions: 'cluster',
} as const;

export const mount: Check<Mount> = object<Mount>(
  {
    Target: required(nonEmptyString),
    Source: string,
    Type: required(oneOf(['bind', 'volume', 'tmpfs', 'npipe', 'cluster'])),
    ReadOnly: boolean,
    Consistency: oneOf(['default', 'consistent', 'cached', 'delegated']),
    BindOptions: bindOptions,
    VolumeOptions: volumeOptions,
    TmpfsOptions: tmpfsOptions,
    ClusterOptions: emptyObject,
  },
  (m, path) => {
    if (!ABSOLUTE_PATH.test(m.Target ?? '')) {
      throw invalid(`${path}.Target`, `expected an absolute path, got ${JSON.stringify(m.Target)}`);
    }
    const hasSource = m.Source !== undefined && m.Source !== '';
    if (m.Type === 'tmpfs' && hasSource) {
      throw invalid(`${path}.Source`, 'must not be set for tmpfs mounts');
    }
    if ((m.Type === 'bind' || m.Type === 'npipe' || m.Type === 'cluster') && !hasSource) {
      throw invalid(`${path}.Source`, `missing, expected a non-empty string for ${m.Type} mounts`);
    }
    for (const [field, type] of Object.entries(OPTIONS_FOR_TYPE)) {
      if (m[field as keyof typeof OPTIONS_FOR_TYPE] !== undefined && m.Type !== type) {
        throw invalid(`${path}.${field}`, `only allowed when Type is ${type}, not ${m.Type}`);
      }
    }
  },
);

// 0 means "inherit from the image"; anything else must be at least a millisecond.
const healthDuration = check(
  '0 or an integer of nanoseconds of at least 1000000 (1ms)',
  (value, path) => {
    const ns = duration(value, path);
    if (ns !== 0 && ns < 1_000_000) throw expected(path, healthDuration.what, value);
    return ns;
  },
);

const healthTest = refine(stringList, (test, path) => {
  if (test.length === 0) return;
  const [kind] = test;
  if (kind === 'NONE') {
    if (test.length > 1) throw invalid(path, '["NONE"] takes no further elements');
  } else if (kind === 'CMD' || kind === 'CMD-SHELL') {
    if (test.length < 2) throw invalid(path, `${kind} needs a command after it`);
  } else {
    throw invalid(
      `${path}[0]`,
      `expected NONE, CMD or CMD-SHELL (or an empty array to inherit), got ${JSON.stringify(kind)}`,
    );
  }
});

export const healthConfig = object<HealthConfig>({
  Test: healthTest,
  Interval: healthDuration,
  Timeout: healthDuration,
  Retries: nonNegativeInteger,
  StartPeriod: healthDuration,
  StartInterval: healthDuration,
});

const privileges = object<Privileges>({
  CredentialSpec: object<CredentialSpec>(
    { Config: string, File: string, Registry: string },
    (c, path) => {
      const set = (['Config', 'File', 'Registry'] as const).filter((k) => (c[k] ?? '') !== '');
      if (set.length > 1)
        throw invalid(
          path,
          `only one of Config, File, Registry may be set, got ${set.join(' and ')}`,
        );
    },
  ),
  SELinuxContext: object<SELinuxContext>({
    Disable: boolean,
    User: string,
    Role: string,
    Type: string,
    Level: string,
  }),
  Seccomp: object<SeccompOpts>(
    { Mode: oneOf(['default', 'unconfined', 'custom']), Profile: string },
    (s, path) => {
      if (s.Mode === 'custom' && (s.Profile ?? '') === '') {
        throw invalid(`${path}.Profile`, 'missing, expected the profile JSON when Mode is custom');
      }
      if (s.Mode !== 'custom' && s.Profile !== undefined && s.Profile !== '') {
        throw invalid(`${path}.Profile`, 'only allowed when Mode is custom');
      }
    },
  ),
  AppArmor: object<AppArmorOpts>({ Mode: oneOf(['default', 'disabled']) }),
  NoNewPrivileges: boolean,
});

const dnsConfig = object<DNSConfig>({
  Nameservers: stringList,
  Search: stringList,
  Options: stringList,
});

const fileTarget = object<ReferenceFileTarget>({
  Name: required(nonEmptyString),
  UID: string,
  GID: string,
  Mode: fileMode,
});

/**
 * Secret and config references. dockerd wants both the ID and the name; Shoal takes either
 * and leaves resolving the other to the service layer. Two references may not write the
 * same file.
 */
function referenceList<R extends { File?: ReferenceFileTarget }>(
  item: Check<R>,
  kind: 'secret' | 'config',
  id: (r: R) => string | undefined,
  name: (r: R) => string | undefined,
): Check<R[]> {
  return refine(arrayOf(item), (refs, path) => {
    const targets = new Map<string, number>();
    refs.forEach((ref, i) => {
      if ((id(ref) ?? '') === '' && (name(ref) ?? '') === '') {
        const Kind = kind === 'secret' ? 'Secret' : 'Config';
        throw invalid(`${path}[${i}]`, `missing ${Kind}ID or ${Kind}Name, expected at least one`);
      }
      const file = ref.File?.Name;
      if (file === undefined) return;
      const earlier = targets.get(file);
      if (earlier !== undefined) {
        throw invalid(
          `${path}[${i}].File.Name`,
          `${JSON.stringify(file)} is already the target of ${path}[${earlier}]`,
        );
      }
      targets.set(file, i);
    });
  });
}

const secretReference = object<TaskSecretReference>({
  File: required(fileTarget),
  SecretID: string,
  SecretName: string,
});

const configReference = object<TaskConfigReference>(
  { File: fileTarget, Runtime: emptyObject, ConfigID: string, ConfigName: string },
  (ref, path) => {
    if ((ref.File === undefined) === (ref.Runtime === undefined)) {
      throw invalid(path, 'exactly one of File and Runtime must be set');
    }
  },
);

const ulimit = object<Ulimit>(
  {
    Name: required(nonEmptyString),
    // -1 is "unlimited".
    Soft: integer(-1, INT64_MAX, 'an integer, or -1 for unlimited'),
    Hard: integer(-1, INT64_MAX, 'an integer, or -1 for unlimited'),
  },
  (u, path) => {
    const { Soft: soft, Hard: hard } = u;
    if (soft !== undefined && hard !== undefined && hard !== -1 && (soft === -1 || soft > hard)) {
      throw invalid(`${path}.Soft`, `must not exceed Hard (${hard}), got ${soft}`);
    }
  },
);

export const containerSpec: Check<ContainerSpec> = object<ContainerSpec>(
  {
    Image: required(imageReference),
    Labels: labels,
    Command: stringList,
    Args: stringList,
    Hostname: string,
    Env: arrayOf(envEntry, 'an array of KEY=VALUE strings'),
    Dir: string,
    User: string,
    Groups: stringList,
    Privileges: privileges,
    TTY: boolean,
    OpenStdin: boolean,
    ReadOnly: boolean,
    Mounts: arrayOf(mount),
    StopSignal: string,
    StopGracePeriod: duration,
    HealthCheck: healthConfig,
    Hosts: stringList,
    DNSConfig: dnsConfig,
    Secrets: referenceList(
      secretReference,
      'secret',
      (r) => r.SecretID,
      (r) => r.SecretName,
    ),
    Configs: referenceList(
      configReference,
      'config',
      (r) => r.ConfigID,
      (r) => r.ConfigName,
    ),
    Isolation: oneOf(['default', 'process', 'hyperv', '']),
    Init: boolean,
    Sysctls: stringMap,
    CapabilityAdd: stringList,
    CapabilityDrop: stringList,
    Ulimits: arrayOf(ulimit),
  },
  (spec, path) => {
    const targets = new Map<string, number>();
    spec.Mounts?.forEach((m, i) => {
      const target = m.Target ?? '';
      const earlier = targets.get(target);
      if (earlier !== undefined) {
        throw invalid(
          `${path}.Mounts[${i}].Target`,
          `${JSON.stringify(target)} is already mounted by Mounts[${earlier}]`,
        );
      }
      targets.set(target, i);
    });
  },
);
