import { type ServiceSpec } from '@shoal/api/swarm';

export type ServiceModeKind = 'replicated' | 'global' | 'replicated-job' | 'global-job';

type WithSpec = { Spec: ServiceSpec };

/**
 * The mode a service runs in. No Mode at all is replicated with one replica, as in Docker;
 * the API refuses specs with more than one member, so the order of the checks only matters
 * for objects written by hand.
 */
export function serviceModeKind(service: WithSpec): ServiceModeKind {
  const mode = service.Spec.Mode;
  if (mode?.Global) return 'global';
  if (mode?.ReplicatedJob) return 'replicated-job';
  if (mode?.GlobalJob) return 'global-job';
  return 'replicated';
}

export function isGlobalService(service: WithSpec): boolean {
  return serviceModeKind(service) === 'global';
}

export function isReplicatedJob(service: WithSpec): boolean {
  return serviceModeKind(service) === 'replicated-job';
}

export function isGlobalJob(service: WithSpec): boolean {
  return serviceModeKind(service) === 'global-job';
}

export function isJobService(service: WithSpec): boolean {
  const kind = serviceModeKind(service);
  return kind === 'replicated-job' || kind === 'global-job';
}

/**
 * The run of a job that its tasks belong to. The control API bumps it on every update of a
 * job (spec change or ForceUpdate), which is what starts a new run; a job written without
 * JobStatus is on run 0.
 */
export function jobIterationOf(service: { JobStatus?: { JobIteration?: { Index?: number } } }) {
  return service.JobStatus?.JobIteration?.Index ?? 0;
}

/**
 * ReplicatedJob's limits with the API's defaults (MaxConcurrent 1, TotalCompletions =
 * MaxConcurrent), for specs stored without them. Bad numbers count as 0: nothing runs.
 */
export function replicatedJobLimits(service: WithSpec): {
  maxConcurrent: number;
  totalCompletions: number;
} {
  const job = service.Spec.Mode?.ReplicatedJob ?? {};
  const maxConcurrent = count(job.MaxConcurrent ?? 1);
  const totalCompletions = count(job.TotalCompletions ?? maxConcurrent);
  return { maxConcurrent, totalCompletions };
}

function count(n: number): number {
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}
