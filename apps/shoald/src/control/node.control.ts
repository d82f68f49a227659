import {
  InvalidArgumentError,
  type ManagerStatus,
  type Node,
  type NodeSpec,
  TASK_STATE_ORDER,
  validateNodeSpec,
} from '@shoal/api';
import { rfc3339Nano } from '@shoal/store';
import { type ManagerHandle, type RaftMemberView } from '../manager/swarm-runtime.port';
import { ListFilters } from './list.filters';
import { nodeNames, resolveNode } from './resolve';
import { updateStore } from './store-error.mapper';
import {
  mutableCopy,
  type StoredCluster,
  type StoredNode,
  type StoredTask,
  toApiNode,
} from './stored.types';

export const NODE_LIST_FILTERS = ['id', 'name', 'label', 'role', 'membership', 'node.label'];

/** Docker's texts (swarmkit controlapi/node.go); the CLI and scripts match on them. */
export const LAST_MANAGER_MESSAGE = 'attempting to demote the last manager of the swarm';
export const QUORUM_LOSS_MESSAGE =
  "can't remove member from the raft: this would result in a loss of quorum";
export const ORPHANED_TASK_MESSAGE = 'Task belonged to a node that has been deleted';

export function managerRemovalMessage(id: string): string {
  return `node ${id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`;
}

export function nodeNotDownMessage(id: string): string {
  return `node ${id} is not down and can't be removed`;
}

/**
 * /nodes endpoints (swarmkit controlapi/node.go, moby cluster/nodes.go).
 *
 * Status codes: swarmkit answers the refusals below with gRPC FailedPrecondition, which moby
 * maps to 400 (daemon/server/httpstatus), so they are InvalidArgumentErrors here too.
 */
export class NodeControl {
  constructor(private readonly manager: ManagerHandle) {}

  /**
   * GET /nodes. Filters: id (prefix), name (hostname or Spec.Name prefix), role, membership
   * (every node is `accepted`: Shoal admits nodes on a valid join token, there is no pending
   * state), label (engine labels), node.label (the node's own Spec.Labels). Sorted by ID,
   * as swarmkit's ID index returns them.
   */
  async list(rawFilters?: unknown): Promise<Node[]> {
    const f = ListFilters.parse(rawFilters, NODE_LIST_FILTERS);
    const roles = f.enumValues('role', 'role', ['manager', 'worker']);
    const memberships = f.enumValues('membership', 'membership', ['accepted', 'pending']);
    await this.manager.readBarrier();
    const nodes = this.manager.store.view((tx) => tx.list<StoredNode>('node'));
    const members = this.manager.members();
    return nodes
      .filter(
        (n) =>
          f.prefix('id', n.ID) &&
          (!f.has('name') || nodeNames(n).some((name) => f.prefix('name', name))) &&
          (roles.length === 0 || roles.includes(n.Spec.Role ?? 'worker')) &&
          (memberships.length === 0 || memberships.includes('accepted')) &&
          f.labels('label', n.Description?.Engine?.Labels) &&
          f.labels('node.label', n.Spec.Labels),
      )
      .sort(byId)
      .map((n) => this.present(n, members));
  }

  /** GET /nodes/{id}: by ID, hostname or unique ID prefix. */
  async inspect(ref: string): Promise<Node> {
    await this.manager.readBarrier();
    const node = this.manager.store.view((tx) => resolveNode(tx, ref));
    return this.present(node, this.manager.members());
  }

  /**
   * POST /nodes/{id}/update?version=N. The body replaces the node's spec (the validator
   * requires Role and Availability, as dockerd does). A role change is acted on by the
   * leader (Raft membership follows the Node) and by the node itself (it re-certifies and
   * starts or stops its manager). Refused: demoting the last manager, or a Raft member whose
   * removal would lose quorum.
   *
   * Known gap: those two checks run on this manager's view when the entry is proposed, and
   * the store re-checks only versions at apply time. Two demotions of two different managers
   * racing each other could both pass (swarmkit serialises its store writes on the leader;
   * Shoal's proposals are not). Closing it needs an apply-time guard in the store.
   */
  async update(ref: string, version: number, body: unknown): Promise<void> {
    const spec: NodeSpec = validateNodeSpec(body);
    const members = this.manager.members();
    await updateStore(this.manager, (tx) => {
      const current = resolveNode(tx, ref);
      if (current.Spec.Role === 'manager' && spec.Role === 'worker') {
        const managers = tx.find<StoredNode>('node', (n) => n.Spec.Role === 'manager');
        if (managers.length === 1 && managers[0]!.ID === current.ID) {
          throw new InvalidArgumentError(LAST_MANAGER_MESSAGE);
        }
        if (!canRemoveMember(members, current.ID)) {
          throw new InvalidArgumentError(QUORUM_LOSS_MESSAGE);
        }
      }
      tx.update<StoredNode>('node', {
        ...mutableCopy(current),
        Spec: spec,
        Version: { Index: version },
      });
    });
  }

  /**
   * DELETE /nodes/{id}?force. Refuses a manager that is still a Raft member (it must be
   * demoted first; force does not override this, as in Docker) and, without force, a node
   * that is up. The node's unfinished tasks become `orphaned` in the same transaction: no
   * agent will report on them again, and their slots must be refilled elsewhere.
   * The node's ID joins the cluster's removed-node list in the same transaction, so the
   * cluster port refuses its certificate from then on.
   */
  async remove(ref: string, force: boolean): Promise<void> {
    const members = this.manager.members();
    const now = rfc3339Nano(this.manager.clock.now());
    await updateStore(this.manager, (tx) => {
      const node = resolveNode(tx, ref);
      if (node.Spec.Role === 'manager' && members.some((m) => m.id === node.ID)) {
        throw new InvalidArgumentError(managerRemovalMessage(node.ID));
      }
      if (!force && node.Status?.State === 'ready') {
        throw new InvalidArgumentError(nodeNotDownMessage(node.ID));
      }
      for (const task of tx.tasksByNode<StoredTask>(node.ID)) {
        const state = task.Status?.State ?? 'new';
        if (TASK_STATE_ORDER[state] >= TASK_STATE_ORDER.complete) continue;
        tx.update<StoredTask>('task', {
          ...mutableCopy(task),
          Status: { Timestamp: now, State: 'orphaned', Message: ORPHANED_TASK_MESSAGE },
        });
      }
      tx.remove('node', node.ID);
      const cluster = tx.list<StoredCluster>('cluster')[0];
      if (cluster && !cluster.RemovedNodes?.includes(node.ID)) {
        tx.update<StoredCluster>('cluster', {
          ...mutableCopy(cluster),
          RemovedNodes: [...(cluster.RemovedNodes ?? []), node.ID],
        });
      }
    });
  }

  /**
   * The API view of a node. ManagerStatus comes live from the Raft membership, as swarmkit
   * does: who leads and who is reachable changes without any store write.
   */
  private present(node: StoredNode, members: RaftMemberView[]): Node {
    const out = toApiNode(node);
    const member = members.find((m) => m.id === node.ID);
    if (member) out.ManagerStatus = managerStatus(member);
    // A worker shows none, whatever was stored while it was (or was becoming) a manager.
    else if (node.Spec.Role === 'worker') delete out.ManagerStatus;
    return out;
  }
}

function managerStatus(m: RaftMemberView): ManagerStatus {
  return {
    Leader: m.leader,
    Reachability: m.reachable ? 'reachable' : 'unreachable',
    Addr: m.addr,
  };
}

/**
 * swarmkit's CanRemoveMember: after the member goes, the reachable rest must still be a
 * majority of the (smaller) cluster. Not a Raft member → nothing to lose.
 */
export function canRemoveMember(members: RaftMemberView[], id: string): boolean {
  if (!members.some((m) => m.id === id)) return true;
  const remaining = members.filter((m) => m.id !== id);
  const reachable = remaining.filter((m) => m.reachable).length;
  return reachable >= Math.floor(remaining.length / 2) + 1;
}

function byId(a: { ID: string }, b: { ID: string }): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}
