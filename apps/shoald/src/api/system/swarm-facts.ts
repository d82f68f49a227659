import { ApiError, type ClusterInfo } from '@shoal/api';
import { type ManagerHandle, type SwarmRuntime } from '../../manager/swarm-runtime.port';
import { type SwarmFacts } from './system-info.builder';

/** The manager handle when this node is an active manager; undefined otherwise. */
export function activeManager(runtime: SwarmRuntime): ManagerHandle | undefined {
  if (runtime.localState() !== 'active') return undefined;
  try {
    return runtime.manager();
  } catch (err) {
    // 503 "not a swarm manager": an active worker. Anything else is a bug worth a 500.
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

/** The Swarm header of /_ping, as dockerd computes it. */
export function swarmStatus(runtime: SwarmRuntime): string {
  const state = runtime.localState();
  if (state !== 'active') return state;
  return activeManager(runtime) ? 'active/manager' : 'active/worker';
}

/**
 * What /info's Swarm section needs. Read from this manager's store without a read barrier:
 * /info is a local, best-effort view in Docker too, and must answer even without a leader.
 */
export function readSwarmFacts(runtime: SwarmRuntime): SwarmFacts {
  const facts: SwarmFacts = {
    state: runtime.localState(),
    nodeId: runtime.nodeId(),
    nodeAddr: runtime.nodeAddr(),
  };
  const manager = activeManager(runtime);
  if (!manager) return facts;
  const counts = manager.store.view((tx) => {
    const nodes = tx.list('node');
    return {
      cluster: tx.list('cluster')[0] as (ClusterInfo & Record<string, unknown>) | undefined,
      nodes: nodes.length,
      // Docker counts nodes that have a ManagerStatus, i.e. Raft members.
      managers: nodes.filter((n) => (n as { ManagerStatus?: unknown }).ManagerStatus).length,
    };
  });
  return {
    ...facts,
    manager: {
      ...counts,
      remoteManagers: manager.members().map((m) => ({ NodeID: m.id, Addr: m.addr })),
    },
  };
}
