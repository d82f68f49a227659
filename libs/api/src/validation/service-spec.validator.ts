import {
  type EndpointPortConfig,
  type EndpointSpec,
  type ReplicatedJob,
  type ReplicatedService,
  type RollbackConfig,
  type ServiceMode,
  type ServiceSpec,
  type UpdateConfig,
} from '../swarm/service.types';
import { duration, labels, nonNegativeInteger, port, serviceName } from './common.checks';
import {
  arrayOf,
  check,
  type Check,
  emptyObject,
  integer,
  invalid,
  number,
  object,
  oneOf,
  required,
  string,
} from './field-schema';
import { networkAttachmentConfig, taskSpec } from './task-spec.validator';

/** Replica counts above this are refused: no cluster Shoal targets runs that many tasks. */
export const MAX_REPLICAS = 2 ** 31;

const replicaCount = integer(0, MAX_REPLICAS, `a non-negative integer up to ${MAX_REPLICAS}`);

const MODES = ['Replicated', 'Global', 'ReplicatedJob', 'GlobalJob'] as const;

const serviceMode = object<ServiceMode>(
  {
    Replicated: object<ReplicatedService>({ Replicas: replicaCount }),
    Global: emptyObject,
    ReplicatedJob: object<ReplicatedJob>({
      MaxConcurrent: replicaCount,
      TotalCompletions: replicaCount,
    }),
    GlobalJob: emptyObject,
  },
  (mode, path) => {
    // No mode at all is allowed: dockerd then runs one replica (see applyServiceDefaults).
    if (MODES.filter((m) => mode[m] !== undefined).length > 1) {
      throw invalid(path, `only one of ${MODES.join(', ')} may be set`);
    }
  },
);

const failureRatio = number(0, 1, 'a number from 0 to 1');
const updateOrder = oneOf(['stop-first', 'start-first']);

const updateConfig = object<UpdateConfig>({
  Parallelism: nonNegativeInteger,
  Delay: duration,
  FailureAction: oneOf(['continue', 'pause', 'rollback']),
  Monitor: duration,
  MaxFailureRatio: failureRatio,
  Order: updateOrder,
});

const rollbackFailureAction: Check<'continue' | 'pause'> = check(
  'one of continue, pause',
  (value, path) => {
    if (typeof value === 'string' && value.toLowerCase() === 'rollback') {
      throw invalid(path, 'a rollback cannot itself roll back; expected one of continue, pause');
    }
    return oneOf(['continue', 'pause'])(value, path);
  },
);

const rollbackConfig = object<RollbackConfig>({
  Parallelism: nonNegativeInteger,
  Delay: duration,
  FailureAction: rollbackFailureAction,
  Monitor: duration,
  MaxFailureRatio: failureRatio,
  Order: updateOrder,
});

const publishedPort = integer(0, 65535, 'an integer from 0 (let the swarm pick) to 65535');

export const endpointPortConfig = object<EndpointPortConfig>({
  Name: string,
  Protocol: oneOf(['tcp', 'udp', 'sctp']),
  TargetPort: required(port),
  PublishedPort: publishedPort,
  PublishMode: oneOf(['ingress', 'host']),
});

export const endpointSpec = object<EndpointSpec>(
  { Mode: oneOf(['vip', 'dnsrr']), Ports: arrayOf(endpointPortConfig) },
  (spec, path) => {
    const published = new Map<string, number>();
    spec.Ports?.forEach((p, i) => {
      const at = `${path}.Ports[${i}]`;
      const publishMode = p.PublishMode ?? 'ingress';
      // The routing mesh balances through a virtual IP, which dnsrr services do not have.
      if (spec.Mode === 'dnsrr' && publishMode === 'ingress') {
        throw invalid(
          `${at}.PublishMode`,
          'ports published in ingress mode cannot be used with endpoint mode dnsrr; use host',
        );
      }
      // Port 0 asks the swarm to pick one, so it never collides.
      if (p.PublishedPort === undefined || p.PublishedPort === 0) return;
      const key = `${p.PublishedPort}/${p.Protocol ?? 'tcp'}`;
      const earlier = published.get(key);
      if (earlier !== undefined) {
        throw invalid(
          `${at}.PublishedPort`,
          `${key} is already published by ${path}.Ports[${earlier}]`,
        );
      }
      published.set(key, i);
    });
  },
);

export const serviceSpec: Check<ServiceSpec> = object<ServiceSpec>({
  Name: required(serviceName),
  Labels: labels,
  TaskTemplate: required(taskSpec),
  Mode: serviceMode,
  UpdateConfig: updateConfig,
  RollbackConfig: rollbackConfig,
  Networks: arrayOf(networkAttachmentConfig),
  EndpointSpec: endpointSpec,
});

/**
 * Validates the body of POST /services/create and /services/{id}/update. Returns the spec with
 * field names in the spec's spelling, enum values lower-cased and nulls dropped; defaults are
 * not applied (see applyServiceDefaults).
 */
export function validateServiceSpec(input: unknown): ServiceSpec {
  return serviceSpec(input, 'ServiceSpec');
}
