import { type GenericResources, type Platform } from '@shoal/api/swarm/common.types';
import { type NodeAvailability, type NodeState } from '@shoal/api/swarm/node.types';
import { type EndpointPortConfig } from '@shoal/api/swarm/service.types';
import { type Placement } from '@shoal/api/swarm/task-spec.types';
import { type TaskState } from '@shoal/api/swarm/task.types';
import { type ReadTx } from '@shoal/store';
import { type SchedulerNode, type SchedulerService, type SchedulerTask } from '../scheduler.types';
import { ClusterState } from '../state/cluster.state';

/** Builders for scheduler tests: plain objects in the store's shapes. */

const V = { Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };

export interface NodeOptions {
  state?: NodeState;
  availability?: NodeAvailability;
  labels?: Record<string, string>;
  engineLabels?: Record<string, string>;
  hostname?: string;
  role?: 'manager' | 'worker';
  platform?: Platform;
  cpus?: number;
  memory?: number;
  generic?: GenericResources;
}

export function node(id: string, o: NodeOptions = {}): SchedulerNode {
  return {
    ID: id,
    ...V,
    Spec: {
      Availability: o.availability ?? 'active',
      Role: o.role ?? 'worker',
      ...(o.labels ? { Labels: o.labels } : {}),
    },
    Description: {
      Hostname: o.hostname ?? id,
      Platform: o.platform ?? { OS: 'linux', Architecture: 'x86_64' },
      Resources: {
        NanoCPUs: o.cpus ?? 0,
        MemoryBytes: o.memory ?? 0,
        ...(o.generic ? { GenericResources: o.generic } : {}),
      },
      Engine: { EngineVersion: 'test', ...(o.engineLabels ? { Labels: o.engineLabels } : {}) },
    },
    Status: { State: o.state ?? 'ready' },
  };
}

export interface TaskOptions {
  nodeId?: string;
  state?: TaskState;
  desired?: TaskState;
  cpus?: number;
  memory?: number;
  generic?: GenericResources;
  assignedGeneric?: GenericResources;
  placement?: Placement;
  image?: string;
}

export function task(
  id: string,
  serviceId: string,
  slot: number,
  o: TaskOptions = {},
): SchedulerTask {
  const reservations =
    o.cpus || o.memory || o.generic
      ? {
          Reservations: {
            ...(o.cpus ? { NanoCPUs: o.cpus } : {}),
            ...(o.memory ? { MemoryBytes: o.memory } : {}),
            ...(o.generic ? { GenericResources: o.generic } : {}),
          },
        }
      : {};
  return {
    ID: id,
    ...V,
    ServiceID: serviceId,
    Slot: slot,
    Spec: {
      ContainerSpec: { Image: o.image ?? 'busybox' },
      Resources: reservations,
      ...(o.placement ? { Placement: o.placement } : {}),
    },
    ...(o.nodeId ? { NodeID: o.nodeId } : {}),
    ...(o.assignedGeneric ? { AssignedGenericResources: o.assignedGeneric } : {}),
    DesiredState: o.desired ?? 'running',
    Status: { State: o.state ?? (o.nodeId ? 'running' : 'pending') },
  };
}

export function tasks(
  serviceId: string,
  count: number,
  o: TaskOptions = {},
  firstSlot = 1,
): SchedulerTask[] {
  return Array.from({ length: count }, (_, i) =>
    task(`${serviceId}.${firstSlot + i}`, serviceId, firstSlot + i, o),
  );
}

export function service(id: string, ports: EndpointPortConfig[] = []): SchedulerService {
  return { ID: id, ...V, Spec: { Name: id, EndpointSpec: { Ports: ports } } };
}

/** A ClusterState as the scheduler would build it from a view holding these objects. */
export function clusterOf(
  nodes: readonly SchedulerNode[],
  taskList: readonly SchedulerTask[] = [],
  services: readonly SchedulerService[] = [],
): ClusterState {
  const byKind: Record<string, readonly unknown[]> = {
    node: nodes,
    task: taskList,
    service: services,
  };
  const tx = { list: (kind: string) => [...(byKind[kind] ?? [])] } as unknown as ReadTx;
  return ClusterState.fromView(tx);
}
