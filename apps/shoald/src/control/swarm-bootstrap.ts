import { type NodeDescription, type SwarmSpec } from '@shoal/api';
import { generateJoinToken, generateUnlockKey, tlsInfoOf } from '@shoal/ca';
import { type MemoryStore, type NewObject, type UpdateResult } from '@shoal/store';
import { type StoredCluster, type StoredNode } from './stored.types';

/** Docker's defaults for the cluster-wide network settings of `swarm init`. */
export const DEFAULT_DATA_PATH_PORT = 4789;
export const DEFAULT_ADDR_POOL: readonly string[] = ['10.0.0.0/8'];
export const DEFAULT_SUBNET_SIZE = 24;

export interface BootstrapParams {
  clusterId: string;
  /** The first manager's node ID. */
  nodeId: string;
  /** The validated, defaulted SwarmSpec of `swarm init`. */
  spec: SwarmSpec;
  /** What the node reports about itself (hostname, platform, resources, engine). */
  description: NodeDescription;
  /** The node's IP address as other nodes see it (NodeStatus.Addr). */
  addr: string;
  /** The manager's Raft address, host:port (ManagerStatus.Addr). */
  raftAddr: string;
  dataPathPort?: number;
  defaultAddrPool?: string[];
  subnetSize?: number;
  /** The root CA made by `swarm init`; replicated so any manager can admit nodes. */
  rootCa: { certPem: string; keyPem: string };
}

/**
 * Writes the state of a new swarm: the Cluster object and the first manager's Node, in ONE
 * store update, so no reader ever sees a cluster without a manager or the reverse. The daemon
 * calls it right after Raft starts on `swarm init`.
 *
 * Idempotent: when the log already holds a cluster (a daemon restarted between Raft starting
 * and the call returning replays it), nothing is written and the current index is returned.
 *
 */
export async function bootstrapClusterState(
  store: MemoryStore,
  params: BootstrapParams,
): Promise<UpdateResult> {
  return store.update((tx) => {
    if (tx.list('cluster').length > 0) return;
    tx.create<StoredCluster>('cluster', {
      ID: params.clusterId,
      // Docker refuses any other name for the swarm's spec.
      Spec: { ...structuredClone(params.spec), Name: 'default' },
      TLSInfo: tlsInfoOf(params.rootCa.certPem),
      RootCA: { CACert: params.rootCa.certPem, CAKey: params.rootCa.keyPem },
      RootRotationInProgress: false,
      DataPathPort: params.dataPathPort || DEFAULT_DATA_PATH_PORT,
      DefaultAddrPool: params.defaultAddrPool?.length
        ? [...params.defaultAddrPool]
        : [...DEFAULT_ADDR_POOL],
      SubnetSize: params.subnetSize || DEFAULT_SUBNET_SIZE,
      ...(params.spec.EncryptionConfig?.AutoLockManagers ? { UnlockKey: generateUnlockKey() } : {}),
      JoinTokens: {
        Worker: generateJoinToken(params.rootCa.certPem),
        Manager: generateJoinToken(params.rootCa.certPem),
      },
    } satisfies NewObject<StoredCluster>);
    tx.create<StoredNode>('node', {
      ID: params.nodeId,
      Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
      Description: structuredClone(params.description),
      Status: { State: 'ready', Addr: params.addr },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: params.raftAddr },
    } satisfies NewObject<StoredNode>);
  });
}
