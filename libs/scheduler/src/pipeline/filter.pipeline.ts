import { type NodeInfo } from '../state/node.info';
import { type TaskDemand } from '../state/task.demand';
import { constraintFilter } from './constraint.filter';
import { type Filter } from './filter.types';
import { hostPortFilter } from './host-port.filter';
import { maxReplicasFilter } from './max-replicas.filter';
import { availabilityFilter, readyFilter } from './node-state.filter';
import { platformFilter } from './platform.filter';
import { resourceFilter } from './resource.filter';

/** swarmkit's order: a node turned away is charged to the first filter that refuses it. */
export const DEFAULT_FILTERS: readonly Filter[] = Object.freeze([
  readyFilter,
  availabilityFilter,
  resourceFilter,
  constraintFilter,
  platformFilter,
  hostPortFilter,
  maxReplicasFilter,
]);

/**
 * The filters that apply to one demand, with a tally of the nodes each turned away. One run
 * serves one group of tasks: the nodes are checked once, then re-checked (dynamic filters
 * only) as tasks land on them.
 */
export class PipelineRun {
  private readonly active: readonly number[];
  private readonly dynamicOnly: readonly number[];
  private readonly failures: number[];

  constructor(
    private readonly filters: readonly Filter[],
    private readonly demand: TaskDemand,
  ) {
    this.active = filters.flatMap((f, i) => (f.enabled(demand) ? [i] : []));
    this.dynamicOnly = this.active.filter((i) => filters[i]!.dynamic);
    this.failures = filters.map(() => 0);
  }

  /** Checks every filter; a refusal is charged to the first that refuses. */
  admits(node: NodeInfo): boolean {
    return this.run(node, this.active);
  }

  /** After a placement on a node it admitted: only what placements change. */
  stillAdmits(node: NodeInfo): boolean {
    return this.run(node, this.dynamicOnly);
  }

  /** "insufficient resources on 2 nodes; …", most refusals first, ties in filter order. */
  explain(): string {
    return this.filters
      .map((filter, i) => ({ filter, count: this.failures[i]!, i }))
      .filter((e) => e.count > 0)
      .sort((a, b) => b.count - a.count || a.i - b.i)
      .map((e) => e.filter.explain(e.count))
      .join('; ');
  }

  private run(node: NodeInfo, indices: readonly number[]): boolean {
    for (const i of indices) {
      if (!this.filters[i]!.check(node, this.demand)) {
        this.failures[i]!++;
        return false;
      }
    }
    return true;
  }
}

/** swarmkit's Status.Err for a task no node can take. */
export function noSuitableNode(explanation: string): string {
  return explanation ? `no suitable node (${explanation})` : 'no suitable node';
}
