import { noSuitableNode, PipelineRun } from '../pipeline/filter.pipeline';
import { type Filter } from '../pipeline/filter.types';
import { type ClusterState } from '../state/cluster.state';
import { type Holding, type NodeInfo } from '../state/node.info';
import { type TaskDemand } from '../state/task.demand';
import { SpreadTree } from './spread.tree';

export interface GroupPlacement {
  /** Task ID → where it goes and what it holds there, in the order decided. */
  placed: Map<string, { node: NodeInfo; holding: Holding }>;
  /** For the tasks left over: "no suitable node (…)". */
  reason: string;
}

/**
 * Node order for one demand: nodes where this version keeps failing last (most failures
 * last of all), then the fewest replicas of the service, then the fewest replicas in all,
 * then the node ID, so that equal clusters get equal answers.
 */
export function nodeOrder(
  serviceId: string,
  penalties: ReadonlyMap<string, number>,
): (a: NodeInfo, b: NodeInfo) => boolean {
  return (a, b) => {
    const pa = penalties.get(a.id) ?? 0;
    const pb = penalties.get(b.id) ?? 0;
    if (pa !== pb) return pa < pb;
    const sa = a.replicasOf(serviceId);
    const sb = b.replicasOf(serviceId);
    if (sa !== sb) return sa < sb;
    if (a.totalReplicas !== b.totalReplicas) return a.totalReplicas < b.totalReplicas;
    return a.id < b.id;
  };
}

/**
 * Places the tasks of one group (one service version) together: every node goes through
 * the filters once, the admitted ones into a SpreadTree, and each task takes the tree's pick;
 * the pick is re-checked by the filters that placements change and drops out once full.
 * Holdings go into `state` as tasks land (the caller takes them back, see ClusterState), so
 * groups decided after this one see them. O(nodes · filters + tasks · log nodes).
 */
export function placeGroup(
  state: ClusterState,
  filters: readonly Filter[],
  demand: TaskDemand,
  taskIds: readonly string[],
  now: number,
): GroupPlacement {
  const run = new PipelineRun(filters, demand);
  const admitted = new Set<NodeInfo>();
  for (const node of state.nodes.values()) if (run.admits(node)) admitted.add(node);
  const placed = new Map<string, { node: NodeInfo; holding: Holding }>();
  if (admitted.size > 0 && taskIds.length > 0) {
    const penalties = state.failures.penalties(demand.versionKey, now);
    const tree = new SpreadTree(
      state.nodes.values(),
      admitted,
      demand.spreadOver,
      (n) => n.replicasOf(demand.serviceId),
      nodeOrder(demand.serviceId, penalties),
    );
    for (const taskId of taskIds) {
      const node = tree.next((n) => {
        placed.set(taskId, { node: n, holding: state.hold(taskId, n, demand) });
        return run.stillAdmits(n);
      });
      if (!node) break;
    }
  }
  return { placed, reason: noSuitableNode(run.explain()) };
}

/**
 * swarmkit's check of a task created on its node: Status.Err is the bare explanation
 * ("insufficient resources on 1 node"), as swarmkit writes it for these.
 */
export function confirmOnNode(
  state: ClusterState,
  filters: readonly Filter[],
  demand: TaskDemand,
  taskId: string,
  node: NodeInfo,
): { holding: Holding } | { reason: string } {
  const run = new PipelineRun(filters, demand);
  if (!run.admits(node)) return { reason: run.explain() };
  return { holding: state.hold(taskId, node, demand) };
}
