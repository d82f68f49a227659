import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export { Registry } from 'prom-client';

/** This node in its swarm, as shoal_node_info labels it. */
export interface NodeInfo {
  nodeId: string;
  role: 'manager' | 'worker';
}

export interface DaemonRegistryOptions {
  /** The running build, exported as shoal_build_info{version}. */
  version: string;
  /**
   * Read at every scrape for shoal_node_info; undefined (outside a swarm) exports no series.
   * Reading it rather than being told keeps the series right through every way a node
   * joins, leaves, is promoted or demoted, with no call to forget on any of those paths.
   */
  nodeInfo?: () => NodeInfo | undefined;
}

/**
 * One registry per daemon, never prom-client's global one: tests run several daemons in one
 * process, and each must export only its own series. It starts with the default Node.js
 * metrics (process_*, nodejs_*, event-loop lag included), the build and node info; the
 * manager, leader and agent metrics come and go on it as the node's role changes.
 */
export function createDaemonRegistry(opts: DaemonRegistryOptions): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'shoal_build_info',
    help: 'The running Shoal build (always 1).',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: opts.version }, 1);
  const nodeInfo = opts.nodeInfo;
  new Gauge({
    name: 'shoal_node_info',
    help: "This node's swarm ID and role (always 1; absent outside a swarm).",
    labelNames: ['node_id', 'role'],
    registers: [registry],
    collect() {
      // One series at most: a role change replaces the old one rather than adding to it.
      this.reset();
      const info = nodeInfo?.();
      if (info) this.set({ node_id: info.nodeId, role: info.role }, 1);
    },
  });
  return registry;
}
