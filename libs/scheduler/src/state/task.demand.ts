import { type Platform } from '@shoal/api/swarm/common.types';
import { type EndpointPortConfig } from '@shoal/api/swarm/service.types';
import {
  type Constraint,
  normalizeNodeAttribute,
  parseConstraint,
} from '@shoal/api/validation/constraint.parser';
import { type SchedulerService, type SchedulerTask } from '../scheduler.types';
import { type GenericRequest, genericRequests } from './generic.resources';

/**
 * What a group of tasks (same service, same spec) asks of a node, read once per group:
 * the filters and the ranking work from this, never from the raw spec.
 */
export interface TaskDemand {
  readonly serviceId: string;
  /** Service and spec: failures are counted per version (see FailureTracker). */
  readonly versionKey: string;
  readonly nanoCPUs: number;
  readonly memoryBytes: number;
  readonly generic: readonly GenericRequest[];
  /** The request names a unit, which cannot be met (see genericRequests). */
  readonly genericUnsatisfiable: boolean;
  /** `tcp/8080`: host-mode published ports, which only one task per node can hold. */
  readonly hostPorts: readonly string[];
  /** Values lower-cased: constraint values match case-insensitively. */
  readonly constraints: readonly Constraint[];
  /** A constraint failed to parse: no node satisfies it (see constraintFilter). */
  readonly constraintsInvalid: boolean;
  /** Architecture aliases resolved (see normalizeArch). */
  readonly platforms: readonly Platform[];
  /** Normalized node attributes, outermost first. */
  readonly spreadOver: readonly string[];
  /** 0: no limit. */
  readonly maxReplicas: number;
}

/**
 * A stable name for a task's spec. Tasks never change their spec (an update replaces the
 * task), and every task of one service version is created from the same template in the
 * same key order, so the JSON text identifies the version.
 */
export function specKeyOf(task: SchedulerTask): string {
  return JSON.stringify(task.Spec ?? {});
}

export function versionKeyOf(serviceId: string, specKey: string): string {
  return `${serviceId}\n${specKey}`;
}

/** Swarm's architecture aliases: engines report x86_64 and aarch64, images say amd64, arm64. */
export function normalizeArch(arch: string | undefined): string {
  if (arch === 'x86_64') return 'amd64';
  if (arch === 'aarch64') return 'arm64';
  return arch ?? '';
}

export function portKey(protocol: string | undefined, port: number): string {
  return `${protocol || 'tcp'}/${port}`;
}

/**
 * The service's host-mode published ports. Ingress ports and host ports left to the engine
 * (PublishedPort 0) never conflict. Endpoint.Ports (as resolved) win over the spec's.
 */
export function hostPortsOf(service: SchedulerService | undefined): readonly string[] {
  const ports: EndpointPortConfig[] =
    service?.Endpoint?.Ports ?? service?.Spec.EndpointSpec?.Ports ?? [];
  const keys = new Set<string>();
  for (const p of ports) {
    if (p.PublishMode === 'host' && p.PublishedPort) keys.add(portKey(p.Protocol, p.PublishedPort));
  }
  return [...keys];
}

export function taskDemand(
  task: SchedulerTask,
  hostPorts: readonly string[],
  specKey: string = specKeyOf(task),
): TaskDemand {
  const serviceId = task.ServiceID ?? '';
  const spec = task.Spec;
  const reservations = spec?.Resources?.Reservations;
  const placement = spec?.Placement;
  const { requests, unsatisfiable } = genericRequests(reservations?.GenericResources);
  const constraints: Constraint[] = [];
  let constraintsInvalid = false;
  for (const expr of placement?.Constraints ?? []) {
    try {
      const c = parseConstraint(expr);
      constraints.push({ ...c, value: c.value.toLowerCase() });
    } catch {
      constraintsInvalid = true;
    }
  }
  const spreadOver: string[] = [];
  for (const pref of placement?.Preferences ?? []) {
    const descriptor = pref.Spread?.SpreadDescriptor;
    if (descriptor === undefined) continue;
    const normalized = normalizeNodeAttribute(descriptor);
    if ('key' in normalized) spreadOver.push(normalized.key);
  }
  return {
    serviceId,
    versionKey: versionKeyOf(serviceId, specKey),
    nanoCPUs: Math.max(0, reservations?.NanoCPUs ?? 0),
    memoryBytes: Math.max(0, reservations?.MemoryBytes ?? 0),
    generic: requests,
    genericUnsatisfiable: unsatisfiable,
    hostPorts,
    constraints,
    constraintsInvalid,
    platforms: (placement?.Platforms ?? []).map((p) => ({
      OS: p.OS ?? '',
      Architecture: normalizeArch(p.Architecture),
    })),
    spreadOver,
    maxReplicas: Math.max(0, placement?.MaxReplicas ?? 0),
  };
}
