import { type NodeSpec, type Node } from '@shoal/api/swarm/node.types';
import { type Service, type ServiceSpec } from '@shoal/api/swarm/service.types';
import { type Task } from '@shoal/api/swarm/task.types';
import { type StoredObject } from '@shoal/store';

/**
 * The node, task and service shapes as the store holds them (the Docker API shapes with the
 * fields every stored object has made required). Local equivalents of the daemon's stored
 * types, which live in apps/ and so may not be imported from a lib.
 */
export type SchedulerNode = Node & StoredObject & { Spec: NodeSpec };
export type SchedulerTask = Task & StoredObject;
export type SchedulerService = Service & StoredObject & { Spec: ServiceSpec };
