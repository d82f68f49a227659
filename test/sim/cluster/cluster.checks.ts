import { type ServiceSpec } from '@shoal/api/swarm';
import { type ReadTx, type StoredObject } from '@shoal/store';
import { type StoredNode, type StoredTask } from '../agents/cluster.views';

/**
 * The properties of issue #6 under chaos, as pure functions of what the leader's store says
 * and of what really runs on the agents' (fake) engines:
 *
 * - every replicated service runs exactly its replicas;
 * - no slot holds two running tasks (checked continuously once the cluster has settled);
 * - a global service runs exactly one task on every eligible node, and none elsewhere.
 */

export type ServiceRecord = StoredObject & { Spec: ServiceSpec };

/** A workload the engine of `nodeId` runs now: the truth, whatever the store believes. */
export interface Workload {
  nodeId: string;
  taskId: string;
}

export interface ClusterFacts {
  services: ServiceRecord[];
  tasks: StoredTask[];
  nodes: StoredNode[];
  /** Every workload running on every live agent's engine. */
  workloads: Workload[];
}

export function readFacts(tx: ReadTx, workloads: Workload[]): ClusterFacts {
  return {
    services: tx.list<ServiceRecord>('service'),
    tasks: tx.list<StoredTask>('task'),
    nodes: tx.list<StoredNode>('node'),
    workloads,
  };
}

const isGlobal = (s: ServiceRecord) => s.Spec.Mode?.Global !== undefined;
const replicasOf = (s: ServiceRecord) => s.Spec.Mode?.Replicated?.Replicas ?? 1;
const imageOf = (spec: { ContainerSpec?: { Image?: string } } | undefined) =>
  spec?.ContainerSpec?.Image;

/** The identity a task holds: its slot, or for a global service its node. */
function slotOf(service: ServiceRecord, t: StoredTask): string {
  return isGlobal(service) ? `node ${t.NodeID ?? '?'}` : `slot ${t.Slot ?? '?'}`;
}

/** Nodes a global service must run on: ready and active (this sim sets no constraints). */
export function eligibleNodes(nodes: StoredNode[]): StoredNode[] {
  return nodes.filter((n) => n.Status?.State === 'ready' && n.Spec?.Availability === 'active');
}

/**
 * Two running tasks in one slot, as the store sees them (observed state running, whatever the
 * desired state) and as the engines see them (two workloads of one slot). Empty means fine.
 */
export function duplicateSlots(f: ClusterFacts): string[] {
  const problems: string[] = [];
  const byId = new Map(f.tasks.map((t) => [t.ID, t]));
  for (const s of f.services) {
    const label = s.Spec.Name ?? s.ID;
    const stored = new Map<string, string[]>();
    for (const t of f.tasks) {
      if (t.ServiceID !== s.ID || t.Status?.State !== 'running') continue;
      const key = slotOf(s, t);
      stored.set(key, [...(stored.get(key) ?? []), t.ID]);
    }
    for (const [slot, ids] of stored) {
      if (ids.length > 1)
        problems.push(
          `${label} ${slot}: ${ids.length} tasks running in the store (${ids.join(', ')})`,
        );
    }
    const real = new Map<string, string[]>();
    for (const w of f.workloads) {
      const t = byId.get(w.taskId);
      if (!t || t.ServiceID !== s.ID) continue;
      const key = slotOf(s, t);
      real.set(key, [...(real.get(key) ?? []), `${w.taskId}@${w.nodeId}`]);
    }
    for (const [slot, ids] of real) {
      if (ids.length > 1)
        problems.push(`${label} ${slot}: ${ids.length} workloads running (${ids.join(', ')})`);
    }
  }
  return problems;
}

/**
 * What is still wrong with the cluster: empty once it has converged. `agents` are the nodes
 * whose agents run (all of them, after the heal).
 */
export function convergenceProblems(f: ClusterFacts, agents: readonly string[]): string[] {
  const problems = duplicateSlots(f);
  const byId = new Map(f.tasks.map((t) => [t.ID, t]));
  const nodeById = new Map(f.nodes.map((n) => [n.ID, n]));
  for (const id of agents) {
    const n = nodeById.get(id);
    if (n?.Status?.State !== 'ready')
      problems.push(`node ${id} is ${n?.Status?.State ?? 'missing'}`);
  }
  const eligible = eligibleNodes(f.nodes).map((n) => n.ID);
  const services = new Set(f.services.map((s) => s.ID));
  for (const w of f.workloads) {
    const t = byId.get(w.taskId);
    if (!t) problems.push(`workload ${w.taskId} runs on ${w.nodeId}, unknown to the store`);
    else if (t.NodeID !== w.nodeId)
      problems.push(`workload ${w.taskId} runs on ${w.nodeId}, assigned to ${t.NodeID}`);
    else if (t.DesiredState !== 'running')
      problems.push(`workload ${w.taskId} on ${w.nodeId} runs, desired ${t.DesiredState}`);
    else if (!t.ServiceID || !services.has(t.ServiceID))
      problems.push(`workload ${w.taskId} belongs to no service`);
  }
  for (const s of f.services) {
    const label = s.Spec.Name ?? s.ID;
    const running = f.tasks.filter((t) => t.ServiceID === s.ID && t.Status?.State === 'running');
    const real = f.workloads.filter((w) => byId.get(w.taskId)?.ServiceID === s.ID);
    const image = imageOf(s.Spec.TaskTemplate);
    const stale = running.filter((t) => imageOf(t.Spec) !== image);
    if (stale.length > 0)
      problems.push(`${label}: ${stale.length} running task(s) of an older spec`);
    if (isGlobal(s)) {
      for (const node of eligible) {
        const n = running.filter((t) => t.NodeID === node).length;
        const w = real.filter((x) => x.nodeId === node).length;
        if (n !== 1 || w !== 1)
          problems.push(`${label} on ${node}: ${n} running in the store, ${w} workloads`);
      }
      const elsewhere = running.filter((t) => !eligible.includes(t.NodeID ?? ''));
      if (elsewhere.length > 0)
        problems.push(`${label}: ${elsewhere.length} running on ineligible nodes`);
    } else {
      const want = replicasOf(s);
      if (running.length !== want || real.length !== want) {
        problems.push(
          `${label}: ${running.length} running in the store, ${real.length} workloads, want ${want}`,
        );
      }
    }
  }
  return problems;
}
