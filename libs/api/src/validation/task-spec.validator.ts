import {
  type DiscreteResourceSpec,
  type GenericResource,
  type Limit,
  type NamedResourceSpec,
  type ResourceObject,
} from '../swarm/common.types';
import {
  type NetworkAttachmentConfig,
  type Placement,
  type PlacementPreference,
  type ResourceRequirements,
  type RestartPolicy,
  type SpreadOver,
  type TaskSpec,
} from '../swarm/task-spec.types';
import { duration, logDriver, nonNegativeInteger, platform, stringList } from './common.checks';
import { normalizeNodeAttribute, parseConstraint } from './constraint.parser';
import { containerSpec } from './container-spec.validator';
import {
  arrayOf,
  check,
  type Check,
  expected,
  invalid,
  nonEmptyString,
  object,
  oneOf,
  required,
  stringMap,
} from './field-schema';

// swarmkit's floors: below these a task could not start anyway.
const MIN_NANO_CPUS = 1_000_000;
const MIN_MEMORY_BYTES = 4 * 1024 * 1024;

const nanoCPUs = check('0 or an integer of at least 1000000 (0.001 CPU)', (value, path) => {
  const n = nonNegativeInteger(value, path);
  if (n !== 0 && n < MIN_NANO_CPUS) throw expected(path, nanoCPUs.what, value);
  return n;
});

const memoryBytes = check('0 or an integer of at least 4194304 (4MiB)', (value, path) => {
  const n = nonNegativeInteger(value, path);
  if (n !== 0 && n < MIN_MEMORY_BYTES) throw expected(path, memoryBytes.what, value);
  return n;
});

const genericResource = object<GenericResource>(
  {
    NamedResourceSpec: object<NamedResourceSpec>({
      Kind: required(nonEmptyString),
      Value: required(nonEmptyString),
    }),
    DiscreteResourceSpec: object<DiscreteResourceSpec>({
      Kind: required(nonEmptyString),
      Value: required(nonNegativeInteger),
    }),
  },
  (r, path) => {
    if ((r.NamedResourceSpec === undefined) === (r.DiscreteResourceSpec === undefined)) {
      throw invalid(path, 'exactly one of NamedResourceSpec and DiscreteResourceSpec must be set');
    }
  },
);

export const resourceObject = object<ResourceObject>({
  NanoCPUs: nanoCPUs,
  MemoryBytes: memoryBytes,
  GenericResources: arrayOf(genericResource),
});

const limit = object<Limit>({
  NanoCPUs: nanoCPUs,
  MemoryBytes: memoryBytes,
  Pids: nonNegativeInteger,
});

const resources = object<ResourceRequirements>({ Limits: limit, Reservations: resourceObject });

export const restartPolicy = object<RestartPolicy>({
  Condition: oneOf(['none', 'on-failure', 'any']),
  Delay: duration,
  MaxAttempts: nonNegativeInteger,
  Window: duration,
});

const constraint: Check<string> = check(
  'a constraint such as node.role==manager',
  (value, path) => {
    if (typeof value !== 'string') throw expected(path, constraint.what, value);
    parseConstraint(value, path);
    return value;
  },
);

const spreadDescriptor: Check<string> = check(
  'a node attribute such as node.labels.zone',
  (value, path) => {
    if (typeof value !== 'string' || value.trim() === '') {
      throw expected(path, spreadDescriptor.what, value);
    }
    const normalized = normalizeNodeAttribute(value);
    if ('error' in normalized) throw invalid(path, `spread over ${normalized.error}`);
    return value;
  },
);

const placementPreference = object<PlacementPreference>({
  Spread: required(object<SpreadOver>({ SpreadDescriptor: required(spreadDescriptor) })),
});

const placement = object<Placement>({
  Constraints: arrayOf(constraint, 'an array of constraints'),
  Preferences: arrayOf(placementPreference),
  MaxReplicas: nonNegativeInteger,
  Platforms: arrayOf(platform),
});

export const networkAttachmentConfig = object<NetworkAttachmentConfig>({
  Target: required(nonEmptyString),
  Aliases: stringList,
  DriverOpts: stringMap,
});

function unsupported<T>(what: string, reason: string): Check<T> {
  return check<T>(what, (_value, path) => {
    throw invalid(path, reason);
  });
}

export const taskSpec: Check<TaskSpec> = object<TaskSpec>({
  PluginSpec: unsupported(
    'nothing',
    'plugin services are not supported; Shoal runs containers only, set ContainerSpec',
  ),
  ContainerSpec: required(containerSpec),
  NetworkAttachmentSpec: unsupported(
    'nothing',
    'network attachment tasks are created by the swarm itself; set ContainerSpec',
  ),
  Resources: resources,
  RestartPolicy: restartPolicy,
  Placement: placement,
  ForceUpdate: nonNegativeInteger,
  Runtime: oneOf(['container'], 'container (plugin and attachment runtimes are not supported)'),
  Networks: arrayOf(networkAttachmentConfig),
  LogDriver: logDriver,
});
