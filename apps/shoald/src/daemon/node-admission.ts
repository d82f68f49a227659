import { sanitizeNodeDescription } from '@shoal/dispatcher';
import { isIP } from 'node:net';
import {
  InvalidJoinTokenError,
  MANAGER_ROLE_OU,
  WORKER_ROLE_OU,
  sameJoinToken,
  signCertificateRequest,
} from '@shoal/ca';
import {
  NodeRemovedError,
  type AdmittedNode,
  type NodeAdmissionRequest,
  type NodeCaPolicy,
} from '@shoal/ca/grpc';
import { type StoredCluster, type StoredNode } from '../control/stored.types';
import { type ManagerHandle } from '../manager/swarm-runtime.port';
import { formatHostPort, parseHostPort } from '../config/host-port';

const AVAILABILITIES = ['active', 'pause', 'drain'] as const;

/**
 * Which nodes get certificates: the manager side of `swarm join`. Any manager can admit (the
 * CA key is in the replicated cluster object); the Node it writes is what makes the node a
 * member, and for a manager the leader then adds it to Raft as a learner.
 */
export class StoreNodeAdmission implements NodeCaPolicy {
  constructor(
    private readonly manager: ManagerHandle,
    private readonly caPem: string,
  ) {}

  rootCaPem(): string {
    return this.caPem;
  }

  async admit(req: NodeAdmissionRequest): Promise<AdmittedNode> {
    await this.manager.readBarrier();
    const cluster = this.cluster();
    const role = this.roleFor(req.token, cluster);
    const availability = (AVAILABILITIES as readonly string[]).includes(req.availability)
      ? (req.availability as (typeof AVAILABILITIES)[number])
      : 'active';
    const addr = advertisedAddress(req.advertiseAddr, req.peerAddress);
    const nodeId = this.manager.newId();
    const certPem = await signCertificateRequest(
      { certPem: cluster.RootCA!.CACert, keyPem: cluster.RootCA!.CAKey },
      req.csrPem,
      {
        nodeId,
        role: role === 'manager' ? MANAGER_ROLE_OU : WORKER_ROLE_OU,
        clusterId: cluster.ID,
        validDays: certificateDays(cluster),
        ...sans(addr.host),
      },
    );
    await this.manager.store.update((tx) => {
      tx.create<StoredNode>('node', {
        ID: nodeId,
        Spec: { Labels: {}, Role: role, Availability: availability },
        Description: sanitizeNodeDescription(req.descriptionJson) ?? {},
        // Workers report their state through the dispatcher (issue #5); until a session says
        // otherwise their state is unknown. A manager is ready once it serves Raft.
        Status: { State: role === 'manager' ? 'ready' : 'unknown', Addr: addr.host },
        ...(role === 'manager'
          ? {
              ManagerStatus: { Leader: false, Reachability: 'unknown', Addr: formatHostPort(addr) },
            }
          : {}),
      } as never);
    });
    return {
      nodeId,
      clusterId: cluster.ID,
      role: role === 'manager' ? MANAGER_ROLE_OU : WORKER_ROLE_OU,
      certPem,
      managers: this.manager.members().map((m) => ({ nodeId: m.id, addr: m.addr })),
    };
  }

  async renew(req: { nodeId: string; csrPem: string }): Promise<{ certPem: string; role: string }> {
    await this.manager.readBarrier();
    const cluster = this.cluster();
    const node = this.manager.store.view((tx) => tx.get<StoredNode>('node', req.nodeId));
    if (!node) throw new NodeRemovedError(req.nodeId);
    const role = node.Spec.Role === 'manager' ? MANAGER_ROLE_OU : WORKER_ROLE_OU;
    const certPem = await signCertificateRequest(
      { certPem: cluster.RootCA!.CACert, keyPem: cluster.RootCA!.CAKey },
      req.csrPem,
      {
        nodeId: node.ID,
        role,
        clusterId: cluster.ID,
        validDays: certificateDays(cluster),
        ...sans(node.Status?.Addr ?? ''),
      },
    );
    return { certPem, role };
  }

  /**
   * A node's role as the store has it. A node promoted to manager reports the address its
   * Raft will listen at; writing it into ManagerStatus is what makes the leader add it to
   * Raft (as a learner).
   */
  async nodeRole(req: {
    nodeId: string;
    advertiseAddr: string;
  }): Promise<{ role: string; managers: { nodeId: string; addr: string }[] }> {
    await this.manager.readBarrier();
    const node = this.manager.store.view((tx) => tx.get<StoredNode>('node', req.nodeId));
    if (!node) throw new NodeRemovedError(req.nodeId);
    const manager = node.Spec.Role === 'manager';
    if (manager && !node.ManagerStatus?.Addr && req.advertiseAddr) {
      await this.manager.store.update((tx) => {
        const current = tx.get<StoredNode>('node', req.nodeId);
        if (!current || current.ManagerStatus?.Addr) return;
        tx.update<StoredNode>('node', {
          ...structuredClone(current),
          ManagerStatus: { Leader: false, Reachability: 'unknown', Addr: req.advertiseAddr },
        });
      });
    }
    return {
      role: manager ? MANAGER_ROLE_OU : WORKER_ROLE_OU,
      managers: this.manager.members().map((m) => ({ nodeId: m.id, addr: m.addr })),
    };
  }

  private cluster(): StoredCluster {
    const cluster = this.manager.store.view((tx) => tx.list<StoredCluster>('cluster')[0]);
    if (!cluster?.RootCA) throw new Error('this swarm has no root CA yet');
    return cluster;
  }

  private roleFor(token: string, cluster: StoredCluster): 'manager' | 'worker' {
    // Both compared, in constant time, whatever the first result: no timing tells which.
    const worker = sameJoinToken(token, cluster.JoinTokens?.Worker ?? '');
    const manager = sameJoinToken(token, cluster.JoinTokens?.Manager ?? '');
    if (manager) return 'manager';
    if (worker) return 'worker';
    throw new InvalidJoinTokenError(
      'it matches neither the worker nor the manager token of this swarm (tokens may have been rotated)',
    );
  }
}

/** `swarm update --cert-expiry` (Spec.CAConfig.NodeCertExpiry, in ns); Swarm's 90 days if unset. */
function certificateDays(cluster: StoredCluster): number | undefined {
  const ns = cluster.Spec?.CAConfig?.NodeCertExpiry;
  return ns ? ns / 1e9 / 86_400 : undefined;
}

/** The node's own advertise address, else the address its call came from. */
function advertisedAddress(advertise: string, peer: string): { host: string; port: number } {
  const own = advertise ? parseHostPort(advertise) : undefined;
  if (own && typeof own !== 'string') return own;
  const seen = parseHostPort(peer.replace(/^ipv[46]:/, ''));
  return typeof seen === 'string' ? { host: peer, port: 0 } : seen;
}

function sans(host: string): { ips: string[]; dnsNames: string[] } {
  return isIP(host)
    ? { ips: [...new Set(['127.0.0.1', host])], dnsNames: ['localhost'] }
    : { ips: ['127.0.0.1'], dnsNames: [...new Set(['localhost', ...(host ? [host] : [])])] };
}
