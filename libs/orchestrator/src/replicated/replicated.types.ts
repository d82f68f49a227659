import type { Labels, Node, Service, ServiceSpec, Task } from '@shoal/api/swarm';
import type { StoredObject } from '@shoal/store';

/**
 * The objects as the store holds them (the Docker API shapes with the store's required
 * fields). Local equivalents of the daemon's stored types: libs may not import apps.
 */
export type OrchestratedService = Omit<Service, 'ID' | 'Version' | 'CreatedAt' | 'UpdatedAt'> &
  StoredObject & {
    Spec: ServiceSpec;
    /** The X-Registry-Auth the service was created or updated with (`--with-registry-auth`). */
    RegistryAuth?: string;
  };

/** The service's name and labels, copied onto each task as swarmkit does. */
export interface ServiceAnnotations {
  Name?: string;
  Labels?: Labels;
}

export type OrchestratedTask = Task & StoredObject & { ServiceAnnotations?: ServiceAnnotations };

export type OrchestratedNode = Node & StoredObject;

/** What one reconciliation of one replicated service asks for. */
export interface ReplicatedActions {
  /** Slot numbers to create a new task in (DesiredState running, State pending). */
  create: number[];
  /** Those of `create` that restart their slot's task (see RestartHooks); unset if none. */
  restarts?: number[];
  /** IDs of tasks whose DesiredState becomes 'shutdown'. */
  shutdown: string[];
  /** The earliest time (ms since the epoch) a delayed restart becomes due, if any waits. */
  nextWakeAt?: number;
}
