import { type ReadTx, type StoreChangeEvent } from '@shoal/store';
import { type ServiceActions } from '../common/orchestrator.types';
import { ServiceLoop, type ServiceLoopOptions } from '../common/service.loop';
import { isReplicatedService, reconcileReplicated } from './replicated.reconcile';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from './replicated.types';

export { type OrchestratorStore } from '../common/orchestrator.types';

export type ReplicatedOrchestratorOptions = ServiceLoopOptions;

/**
 * The replicated orchestrator (leader-only; built on leadership, stopped on step-down):
 * keeps N tasks of every replicated service, one per slot, restarting them as their restart
 * policy says (see reconcileReplicated). It runs the store loop of ServiceLoop, with two
 * differences:
 *
 * - placement is the scheduler's, so of a node's changes only its state and availability
 *   matter (down and drained nodes lose their tasks; a paused one keeps them), and only to
 *   the services with tasks desired running there;
 * - it cleans up after removed services of every mode: all their tasks, history included,
 *   go to DesiredState `remove`.
 *
 * New tasks carry the service's registry credentials as ContainerSpec.PullOptions (see
 * taskSpecOf).
 */
export class ReplicatedOrchestrator extends ServiceLoop {
  constructor(opts: ReplicatedOrchestratorOptions) {
    super('replicated orchestrator', opts, { removesTasksOfRemovedServices: true });
  }

  protected owns(service: OrchestratedService): boolean {
    return isReplicatedService(service);
  }

  protected reconcile(
    service: OrchestratedService,
    tasks: OrchestratedTask[],
    nodes: OrchestratedNode[],
    now: number,
  ): ServiceActions {
    const actions = reconcileReplicated(service, tasks, nodes, now, this.restartDelayMs);
    const restarts = new Set(actions.restarts);
    return {
      create: actions.create.map((slot) =>
        restarts.has(slot) ? { slot, restart: true } : { slot },
      ),
      shutdown: actions.shutdown,
      nextWakeAt: actions.nextWakeAt,
    };
  }

  protected override nodeChangeMatters(
    before: OrchestratedNode | undefined,
    now: OrchestratedNode,
    action: StoreChangeEvent['action'],
  ): boolean {
    return (
      action !== 'update' ||
      before?.Status?.State !== now.Status?.State ||
      before?.Spec?.Availability !== now.Spec?.Availability
    );
  }

  protected override servicesAffectedByNodes(
    tx: ReadTx,
    nodeIds: ReadonlySet<string>,
  ): Iterable<string> {
    const services = new Set<string>();
    for (const nodeId of nodeIds) {
      for (const t of tx.tasksByNode<OrchestratedTask>(nodeId)) {
        if (t.ServiceID && t.DesiredState === 'running') services.add(t.ServiceID);
      }
    }
    return services;
  }
}
