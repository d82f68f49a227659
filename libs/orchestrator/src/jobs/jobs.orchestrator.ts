import { noActions, type ServiceActions } from '../common/orchestrator.types';
import { ServiceLoop, type ServiceLoopOptions } from '../common/service.loop';
import { serviceModeKind } from '../common/service-mode.rules';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { reconcileGlobalJob } from './global-job.reconcile';
import { reconcileReplicatedJob } from './replicated-job.reconcile';

export type JobsOrchestratorOptions = ServiceLoopOptions;

/**
 * The jobs orchestrator (leader-only), for both job modes, as swarmkit has one: replicated
 * jobs run TotalCompletions successful tasks at most MaxConcurrent at a time
 * (reconcileReplicatedJob); global jobs run once on each node that fits
 * (reconcileGlobalJob). Their tasks are desired `complete` and carry the run's
 * JobIteration. All are created `pending` for the scheduler; global jobs' tasks with their
 * NodeID set, as the global orchestrator's.
 *
 * A new run starts when the service's JobStatus.JobIteration changes, which the control
 * API does on every update of a job (spec change or ForceUpdate); the tasks of the
 * earlier run are then shut down.
 */
export class JobsOrchestrator extends ServiceLoop {
  constructor(opts: JobsOrchestratorOptions) {
    super('jobs orchestrator', opts);
  }

  protected owns(service: OrchestratedService): boolean {
    const kind = serviceModeKind(service);
    return kind === 'replicated-job' || kind === 'global-job';
  }

  protected reconcile(
    service: OrchestratedService,
    tasks: OrchestratedTask[],
    nodes: OrchestratedNode[],
    now: number,
  ): ServiceActions {
    switch (serviceModeKind(service)) {
      case 'replicated-job':
        return reconcileReplicatedJob(service, tasks, nodes, now, this.restartDelayMs);
      case 'global-job':
        return reconcileGlobalJob(service, tasks, nodes, now, this.restartDelayMs);
      default:
        return noActions();
    }
  }
}
