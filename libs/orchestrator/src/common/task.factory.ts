import { type ContainerSpec } from '@shoal/api/swarm';
import { type NewObject, rfc3339Nano } from '@shoal/store';
import { type OrchestratedService, type OrchestratedTask } from '../replicated/replicated.types';

/** swarmkit's ContainerSpec.PullOptions: on tasks only, never in the Docker API's shapes. */
interface PullOptions {
  RegistryAuth: string;
}

/** Where a new task goes and what it is for. */
export interface NewTaskPlan {
  /** Replica slot (replicated jobs); global tasks have none and are named by node. */
  slot?: number;
  /** Set for tasks bound to a node (global modes): "preassigned", see newServiceTask. */
  nodeId?: string;
  /** The job run the task belongs to (job modes only). */
  jobIteration?: number;
  /** It replaces a task the restart supervisor restarted (see RestartHooks). */
  restart?: boolean;
}

/**
 * A task for `service` in the shape the replicated orchestrator writes (name and labels
 * copied as ServiceAnnotations, the template copied as Spec, registry credentials as
 * PullOptions). Jobs' tasks are desired `complete`, as in swarmkit: exiting 0 is their goal,
 * not a failure to restart.
 *
 * Every task starts `pending`. One created with its NodeID (global modes) is what swarmkit
 * calls preassigned: the scheduler does not choose a node for it but runs its filters
 * (resources, host ports, generic resources...) against that node, then makes it `assigned`
 * or leaves it pending with the reason. The orchestrator only creates it on a node that is
 * ready, active and fits the placement (see node.eligibility.ts), so what is left to the
 * scheduler is what depends on the other tasks there.
 */
export function newServiceTask(
  service: OrchestratedService,
  plan: NewTaskPlan,
  now: number,
  id?: string,
): NewObject<OrchestratedTask> {
  const task: NewObject<OrchestratedTask> = {
    ServiceID: service.ID,
    Spec: taskSpecOf(service),
    ServiceAnnotations: {
      Name: service.Spec.Name,
      Labels: service.Spec.Labels ?? {},
    },
    Labels: {},
    DesiredState: plan.jobIteration === undefined ? 'running' : 'complete',
    Status: { State: 'pending', Timestamp: rfc3339Nano(now), Message: 'created' },
  };
  if (plan.slot !== undefined) task.Slot = plan.slot;
  if (plan.nodeId) task.NodeID = plan.nodeId;
  if (plan.jobIteration !== undefined) task.JobIteration = { Index: plan.jobIteration };
  if (id) task.ID = id;
  return task;
}

/**
 * The service's task template, plus its registry credentials where swarmkit carries them
 * (ContainerSpec.PullOptions.RegistryAuth), which is where the docker executor reads them.
 * The API never shows them: toApiTask strips PullOptions.
 */
export function taskSpecOf(service: OrchestratedService): OrchestratedTask['Spec'] {
  // Not copied: the store's service is frozen, so a task made from it shares the template
  // (and its cached key, see taskTemplateKey) with its siblings in the leader's memory; the
  // store copies whatever is not frozen.
  const template = service.Spec.TaskTemplate ?? {};
  if (!service.RegistryAuth) return template;
  const pull: PullOptions = { RegistryAuth: service.RegistryAuth };
  return {
    ...template,
    ContainerSpec: { ...template.ContainerSpec, PullOptions: pull } as ContainerSpec,
  };
}
