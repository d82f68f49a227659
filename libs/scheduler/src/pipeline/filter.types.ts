import { type NodeInfo } from '../state/node.info';
import { type TaskDemand } from '../state/task.demand';

/**
 * One placement check, after swarmkit's scheduler filters. `explain` says why `count` nodes
 * were turned away, in swarmkit's words, for the task's Status.Err.
 */
export interface Filter {
  readonly name: string;
  /**
   * Whether placing tasks can change the answer (resources, ports, replica counts). The
   * others depend on the node object alone, so a placement re-checks only these.
   */
  readonly dynamic: boolean;
  /** swarmkit's SetTask: false when the task asks nothing of this filter, which then passes. */
  enabled(demand: TaskDemand): boolean;
  check(node: NodeInfo, demand: TaskDemand): boolean;
  explain(count: number): string;
}

export function nodes(count: number): string {
  return count === 1 ? '1 node' : `${count} nodes`;
}
