import {
  type Node,
  type NodeSpec,
  type Service,
  type ServiceSpec,
  type Swarm,
  type SwarmSpec,
  type Task,
} from '@shoal/api';
import { type StoredObject } from '@shoal/store';

/**
 * The objects as the store holds them: the Docker API shapes, with the fields every stored
 * object has made required. The control classes read and write these; what leaves the API
 * goes through the toApi* functions, which drop the fields that are ours alone.
 */

export type StoredCluster = Swarm &
  StoredObject & {
    Spec: SwarmSpec;
    /**
     * The root CA's certificate and signing key, replicated so that any manager can admit
     * nodes (as swarmkit keeps them in the cluster object). Never leaves the store through the
     * API: toApiCluster drops it. On disk only inside the Raft log, which managers encrypt
     * under a per-manager data key (swarm/certificates/data.key).
     */
    RootCA?: { CACert: string; CAKey: string };
    /**
     * IDs of removed nodes. Their certificates stay valid until they expire, so the cluster
     * port refuses them by ID (swarmkit's removed-node list).
     */
    RemovedNodes?: string[];
    /**
     * SWMKEY-1-…, while autolock is on: every manager keeps its Raft data key wrapped by it.
     * Served only by GET /swarm/unlockkey.
     */
    UnlockKey?: string;
  };

export type StoredNode = Node & StoredObject & { Spec: NodeSpec };

export interface StoredService extends Omit<Service, 'ID' | 'Version' | 'CreatedAt' | 'UpdatedAt'> {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  /**
   * X-Registry-Auth sent with the current and the previous spec. Not part of the Docker API
   * (swarmkit keeps it in ContainerSpec.PullOptions, which Docker never returns either); the
   * executor reads it to pull. Kept here so `registryAuthFrom=previous-spec` and rollbacks can
   * carry the right credentials forward.
   */
  RegistryAuth?: string;
  PreviousRegistryAuth?: string;
}

export type StoredTask = Task & StoredObject;

/** Fields of a stored service that never appear in API responses. */
const INTERNAL_SERVICE_FIELDS = ['RegistryAuth', 'PreviousRegistryAuth'] as const;

/** A detached, mutable copy of a (deep-frozen) stored object. */
export function mutableCopy<T>(object: T): T {
  return structuredClone(object);
}

export function toApiService(service: StoredService): Service {
  const out = mutableCopy(service) as StoredService;
  for (const field of INTERNAL_SERVICE_FIELDS) delete out[field];
  // The updater's canary marker (see @shoal/orchestrator's StoredUpdateStatus): UpdateStatus
  // leaves in Docker's shape; its Message says what the canary is waiting for.
  if (out.UpdateStatus) delete (out.UpdateStatus as { ShoalCanary?: unknown }).ShoalCanary;
  return out as Service;
}

export function toApiCluster(cluster: StoredCluster): Swarm {
  const out = mutableCopy(cluster);
  delete out.RootCA;
  delete out.RemovedNodes;
  delete out.UnlockKey;
  return out;
}

export function toApiNode(node: StoredNode): Node {
  return mutableCopy(node);
}

/**
 * Without ContainerSpec.PullOptions: the orchestrator copies the service's registry
 * credentials there for the executor, and, as in Docker, they never leave through the API.
 */
export function toApiTask(task: StoredTask): Task {
  const out = mutableCopy(task);
  const container = out.Spec?.ContainerSpec as { PullOptions?: unknown } | undefined;
  if (container) delete container.PullOptions;
  return out;
}
