import { type Node, type Task } from '@shoal/api/swarm';
import { type ReadTx, type StoredObject } from '@shoal/store';

/**
 * Read-only questions about the leader's store that the simulated-agents tests and benches
 * ask, as pure functions of a read transaction, so `SimulatedCluster.waitFor` can evaluate
 * them at every commit.
 */

export type StoredTask = Task & StoredObject;
export type StoredNode = Node & StoredObject;

/** A replica: one slot of one service. */
export interface SlotRef {
  serviceId: string;
  slot: number;
}

const slotKey = (s: SlotRef) => `${s.serviceId}/${s.slot}`;

/** Tasks meant to run whose agent reported them running (to the leader, so: in the store). */
export function runningTasks(tx: ReadTx, serviceId?: string): StoredTask[] {
  const tasks =
    serviceId === undefined
      ? tx.list<StoredTask>('task')
      : tx.tasksByService<StoredTask>(serviceId);
  return tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running');
}

/** Running tasks per node (nodes running none are absent). */
export function runningPerNode(tx: ReadTx, serviceId?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of runningTasks(tx, serviceId)) {
    if (t.NodeID) out.set(t.NodeID, (out.get(t.NodeID) ?? 0) + 1);
  }
  return out;
}

export function nodeState(tx: ReadTx, nodeId: string): string | undefined {
  return tx.get<StoredNode>('node', nodeId)?.Status?.State;
}

/** The replicas `nodeId` runs, as far as the store knows. */
export function slotsOn(tx: ReadTx, nodeId: string): SlotRef[] {
  return runningTasks(tx)
    .filter((t) => t.NodeID === nodeId && t.ServiceID && t.Slot !== undefined)
    .map((t) => ({ serviceId: t.ServiceID!, slot: t.Slot! }));
}

/**
 * Whether every one of `slots` has a task reported running on a node other than `notOn`:
 * the moment a lost node's replicas have been replaced.
 */
export function runningElsewhere(tx: ReadTx, slots: readonly SlotRef[], notOn: string): boolean {
  const want = new Set(slots.map(slotKey));
  const services = new Set(slots.map((s) => s.serviceId));
  for (const serviceId of services) {
    for (const t of runningTasks(tx, serviceId)) {
      if (t.NodeID && t.NodeID !== notOn && t.Slot !== undefined) {
        want.delete(slotKey({ serviceId, slot: t.Slot }));
      }
    }
  }
  return want.size === 0;
}
