import { type Task, TASK_STATES } from '@shoal/api';
import { type ReadTx } from '@shoal/store';
import { type ManagerHandle } from '../manager/swarm-runtime.port';
import { ListFilters } from './list.filters';
import { resolveNode, resolveService, resolveTask, taskName } from './resolve';
import { type StoredService, type StoredTask, toApiTask } from './stored.types';

/**
 * `_up-to-date` is not for users: the docker CLI sends it while it follows a service's
 * rollout (`docker service create/update` without --detach). `runtime` is accepted because
 * moby accepts it; every Shoal task runs a container.
 */
export const TASK_LIST_FILTERS = [
  'id',
  'name',
  'label',
  'service',
  'node',
  'desired-state',
  'runtime',
  '_up-to-date',
];

/**
 * /tasks endpoints (swarmkit controlapi/task.go, moby cluster/tasks.go). Tasks are written
 * by the orchestrators and agents; this only reads them.
 */
export class TaskControl {
  constructor(private readonly manager: ManagerHandle) {}

  /**
   * GET /tasks. Filters: id (prefix), name (prefix of the task's name), label (the owning
   * service's labels, as swarmkit matches ServiceAnnotations), service and node (each value
   * resolved like a reference: ID, name or unique ID prefix; an unknown one → 404, as in
   * moby), desired-state, runtime, _up-to-date.
   */
  async list(rawFilters?: unknown): Promise<Task[]> {
    const f = ListFilters.parse(rawFilters, TASK_LIST_FILTERS);
    const states = f.enumValues('desired-state', 'desired-state', TASK_STATES);
    await this.manager.readBarrier();
    return this.manager.store.view((tx) => {
      const serviceIds = f.values('service').map((ref) => resolveService(tx, ref).ID);
      const nodeIds = f.values('node').map((ref) => resolveNode(tx, ref).ID);
      const upToDate = f.has('_up-to-date');
      return candidates(tx, serviceIds)
        .filter(
          (t) =>
            f.prefix('id', t.ID) &&
            f.prefix('name', taskName(tx, t)) &&
            f.labels('label', taskLabels(tx, t)) &&
            (nodeIds.length === 0 || (t.NodeID !== undefined && nodeIds.includes(t.NodeID))) &&
            (states.length === 0 ||
              (t.DesiredState !== undefined && states.includes(t.DesiredState))) &&
            f.exact('runtime', 'container') &&
            (!upToDate || isUpToDate(tx, t)),
        )
        .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))
        .map(toApiTask);
    });
  }

  /** GET /tasks/{id}: by ID, name or unique ID prefix. */
  async inspect(ref: string): Promise<Task> {
    await this.manager.readBarrier();
    return toApiTask(this.manager.store.view((tx) => resolveTask(tx, ref)));
  }
}

/** The service index narrows the scan when the filter names services. */
function candidates(tx: ReadTx, serviceIds: string[]): StoredTask[] {
  if (serviceIds.length === 0) return tx.list<StoredTask>('task');
  const seen = new Set<string>();
  const out: StoredTask[] = [];
  for (const id of serviceIds) {
    for (const t of tx.tasksByService<StoredTask>(id)) {
      if (!seen.has(t.ID)) out.push(t);
      seen.add(t.ID);
    }
  }
  return out;
}

function taskLabels(tx: ReadTx, task: StoredTask): Record<string, string> | undefined {
  const service = task.ServiceID ? tx.get<StoredService>('service', task.ServiceID) : undefined;
  return service ? service.Spec.Labels : task.Labels;
}

/**
 * Whether the task runs its service's current task template: the approximation of
 * swarmkit's orchestrator.IsTaskDirty that the CLI's progress display needs. The
 * orchestrator's own notion (node-specific placement, endpoint changes) lands with it.
 */
function isUpToDate(tx: ReadTx, task: StoredTask): boolean {
  const service = task.ServiceID ? tx.get<StoredService>('service', task.ServiceID) : undefined;
  // Compared as the API shows it: the pull credentials a task carries are not part of its spec.
  return service !== undefined && deepEqual(toApiTask(task).Spec, service.Spec.TaskTemplate);
}

/** Structural equality of JSON values, ignoring key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
