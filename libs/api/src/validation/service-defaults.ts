import { type ServiceSpec, type RollbackConfig, type UpdateConfig } from '../swarm/service.types';
import { type RestartPolicy } from '../swarm/task-spec.types';

/** Swarm's server-side defaults for UpdateConfig and RollbackConfig. */
export const DEFAULT_UPDATE_CONFIG: Readonly<Required<UpdateConfig>> = Object.freeze({
  Parallelism: 1,
  Delay: 0,
  FailureAction: 'pause',
  Monitor: 5e9,
  MaxFailureRatio: 0,
  Order: 'stop-first',
});

export const DEFAULT_ROLLBACK_CONFIG: Readonly<Required<RollbackConfig>> = Object.freeze({
  Parallelism: 1,
  Delay: 0,
  FailureAction: 'pause',
  Monitor: 5e9,
  MaxFailureRatio: 0,
  Order: 'stop-first',
});

export const DEFAULT_RESTART_POLICY: Readonly<Omit<Required<RestartPolicy>, 'Window'>> =
  Object.freeze({ Condition: 'any', Delay: 5e9, MaxAttempts: 0 });

/**
 * Returns a copy of a validated spec with the defaults dockerd fills in on the server, so
 * `docker service inspect` shows the same fields it would against Docker. Only missing fields
 * are filled; the input is not modified.
 *
 * Jobs differ as they do in Docker: they get no UpdateConfig/RollbackConfig (a job is re-run,
 * not rolled), and their tasks restart only on failure, since a job's task that exits 0 is done.
 */
export function applyServiceDefaults(input: ServiceSpec): ServiceSpec {
  const spec = structuredClone(input);
  const mode = (spec.Mode ??= {});
  if (!mode.Replicated && !mode.Global && !mode.ReplicatedJob && !mode.GlobalJob) {
    mode.Replicated = {};
  }
  if (mode.Replicated) mode.Replicated.Replicas ??= 1;
  if (mode.ReplicatedJob) {
    const job = mode.ReplicatedJob;
    job.MaxConcurrent ??= 1;
    job.TotalCompletions ??= job.MaxConcurrent;
  }
  const isJob = mode.ReplicatedJob !== undefined || mode.GlobalJob !== undefined;

  const task = (spec.TaskTemplate ??= {});
  task.RestartPolicy = {
    ...DEFAULT_RESTART_POLICY,
    ...(isJob ? { Condition: 'on-failure' } : {}),
    ...task.RestartPolicy,
  };
  task.ForceUpdate ??= 0;
  // dockerd reports the runtime it picked; Shoal only runs containers.
  if (!task.Runtime) task.Runtime = 'container';

  if (!isJob) {
    spec.UpdateConfig = { ...DEFAULT_UPDATE_CONFIG, ...spec.UpdateConfig };
    spec.RollbackConfig = { ...DEFAULT_ROLLBACK_CONFIG, ...spec.RollbackConfig };
  }

  const endpoint = (spec.EndpointSpec ??= {});
  endpoint.Mode ??= 'vip';
  endpoint.Ports = endpoint.Ports?.map((p) => ({ Protocol: 'tcp', PublishMode: 'ingress', ...p }));
  if (endpoint.Ports === undefined) delete endpoint.Ports;
  return spec;
}
