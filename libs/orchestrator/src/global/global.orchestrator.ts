import { type ServiceActions } from '../common/orchestrator.types';
import { ServiceLoop, type ServiceLoopOptions } from '../common/service.loop';
import { isGlobalService } from '../common/service-mode.rules';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { reconcileGlobal } from './global.reconcile';

export type GlobalOrchestratorOptions = ServiceLoopOptions;

/**
 * The global orchestrator (leader-only): keeps one task of every global service on each
 * node that fits it (see reconcileGlobal). Any change to a node's state, availability,
 * labels, role or platform reconciles every global service, since each may want a task
 * there or have to stop one.
 *
 * Its tasks are created `pending` with their NodeID set, as swarmkit's: the scheduler
 * does not move them, but confirms them on that node through its filters (resources, host
 * ports...) and makes them `assigned`, or leaves them pending with the reason.
 */
export class GlobalOrchestrator extends ServiceLoop {
  constructor(opts: GlobalOrchestratorOptions) {
    super('global orchestrator', opts);
  }

  protected owns(service: OrchestratedService): boolean {
    return isGlobalService(service);
  }

  protected reconcile(
    service: OrchestratedService,
    tasks: OrchestratedTask[],
    nodes: OrchestratedNode[],
    now: number,
  ): ServiceActions {
    return reconcileGlobal(service, tasks, nodes, now, this.restartDelayMs);
  }
}
