import { type PlacedTask, type SchedulerNode, type SchedulerTask } from '../scheduler.types';
import { DEFAULT_FILTERS, type Filter } from './filters';

export interface Placement {
  /** Task ID → node ID, for every task that found a node. */
  assignments: Map<string, string>;
  /** Task ID → why no node fits, e.g. "no suitable node (2 nodes not ready)". */
  unschedulable: Map<string, string>;
}

/** Runs the filters over the nodes for one task; counts each rejected node once. */
export function filterNodes(
  task: SchedulerTask,
  nodes: readonly SchedulerNode[],
  filters: readonly Filter[] = DEFAULT_FILTERS,
): { eligible: SchedulerNode[]; reason: string } {
  const failures = filters.map(() => 0);
  const eligible: SchedulerNode[] = [];
  for (const node of nodes) {
    // Like swarmkit's pipeline, a node is charged to the first filter that rejects it.
    const failed = filters.findIndex((f) => !f.check(node, task));
    if (failed < 0) eligible.push(node);
    else failures[failed]!++;
  }
  return { eligible, reason: explain(filters, failures) };
}

/**
 * "no suitable node (…)": the filters that removed nodes, most removals first (ties in
 * filter order), as swarmkit's Pipeline.Explain orders them.
 */
function explain(filters: readonly Filter[], failures: number[]): string {
  const parts = filters
    .map((filter, i) => ({ filter, count: failures[i]!, i }))
    .filter((e) => e.count > 0)
    .sort((a, b) => b.count - a.count || a.i - b.i)
    .map((e) => e.filter.explain(e.count));
  return parts.length > 0 ? `no suitable node (${parts.join('; ')})` : 'no suitable node';
}

/** Per-node load: tasks in total and per service. Mutated as a batch is placed. */
class Load {
  private readonly total = new Map<string, number>();
  private readonly byService = new Map<string, Map<string, number>>();

  constructor(tasksByNode: ReadonlyMap<string, readonly PlacedTask[]>) {
    for (const [nodeId, tasks] of tasksByNode) {
      for (const t of tasks) this.add(nodeId, t.ServiceID ?? '');
    }
  }

  add(nodeId: string, serviceId: string): void {
    this.total.set(nodeId, (this.total.get(nodeId) ?? 0) + 1);
    let perNode = this.byService.get(serviceId);
    if (!perNode) this.byService.set(serviceId, (perNode = new Map()));
    perNode.set(nodeId, (perNode.get(nodeId) ?? 0) + 1);
  }

  ofService(nodeId: string, serviceId: string): number {
    return this.byService.get(serviceId)?.get(nodeId) ?? 0;
  }

  all(nodeId: string): number {
    return this.total.get(nodeId) ?? 0;
  }
}

/**
 * Places `tasks`, in the order given, on `nodes` (pure; nothing is mutated). Each task goes
 * to the eligible node (every filter passes) with the fewest tasks of its service, then the
 * fewest tasks in all (Swarm's spread), then the lowest node ID, so the result is
 * deterministic. Counts start from `tasksByNode` (the tasks each node already runs or will
 * run) and grow with every assignment, so a batch spreads evenly.
 */
export function placeTasks(
  tasks: readonly SchedulerTask[],
  nodes: readonly SchedulerNode[],
  tasksByNode: ReadonlyMap<string, readonly PlacedTask[]> = new Map(),
  filters: readonly Filter[] = DEFAULT_FILTERS,
): Placement {
  const load = new Load(tasksByNode);
  const assignments = new Map<string, string>();
  const unschedulable = new Map<string, string>();
  for (const task of tasks) {
    const { eligible, reason } = filterNodes(task, nodes, filters);
    const service = task.ServiceID ?? '';
    // Fewest tasks of this service, then fewest in all, then the lowest ID.
    const rank = (n: SchedulerNode) => [load.ofService(n.ID, service), load.all(n.ID)] as const;
    let best: SchedulerNode | undefined;
    for (const node of eligible) {
      if (!best) {
        best = node;
        continue;
      }
      const [svc, all] = rank(node);
      const [bestSvc, bestAll] = rank(best);
      if (
        svc < bestSvc ||
        (svc === bestSvc && (all < bestAll || (all === bestAll && node.ID < best.ID)))
      )
        best = node;
    }
    if (!best) {
      unschedulable.set(task.ID, reason);
      continue;
    }
    assignments.set(task.ID, best.ID);
    load.add(best.ID, service);
  }
  return { assignments, unschedulable };
}
