import { ApiError, applySwarmSpecDefaults, type ServiceSpec, type TaskState } from '@shoal/api';
import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type NewObject } from '@shoal/store';
import { expect } from 'vitest';
import { type MemoryManagerHandle, MemorySwarmRuntime } from '../../api/testing/memory-runtime';
import { type StoredNode, type StoredService, type StoredTask } from '../stored.types';

/** 2026-03-01T12:00:00.250Z. */
export const T0 = Date.UTC(2026, 2, 1, 12, 0, 0, 250);

/**
 * A memory swarm runtime on a manual clock at T0 with IDs reproducible from `seed`, not yet
 * initialised. The control specs (startSwarm) and the HTTP harness (startApi in
 * api/testing/api-test.harness) both build theirs here, so the two set-ups cannot drift apart.
 */
export function memoryRuntime(seed: number): { runtime: MemorySwarmRuntime; clock: ManualClock } {
  const clock = new ManualClock(T0);
  const runtime = new MemorySwarmRuntime({
    clock,
    newId: objectIdGenerator(seededRandomBytes(seed)),
    hostname: 'manager-1',
  });
  return { runtime, clock };
}

/** `swarm init` with Swarm's default spec, as manager-1 at 10.0.0.1; answers the node ID. */
export function initSwarm(runtime: MemorySwarmRuntime): Promise<string> {
  return runtime.init({
    listenAddr: '0.0.0.0:7377',
    advertiseAddr: '10.0.0.1:7377',
    forceNewCluster: false,
    spec: applySwarmSpecDefaults({}) as Record<string, unknown>,
  });
}

/** A one-manager memory swarm with a manual clock and reproducible IDs, already initialised. */
export async function startSwarm(seed = 7): Promise<{
  runtime: MemorySwarmRuntime;
  manager: MemoryManagerHandle;
  clock: ManualClock;
  nodeId: string;
}> {
  const { runtime, clock } = memoryRuntime(seed);
  const nodeId = await initSwarm(runtime);
  return { runtime, manager: runtime.manager(), clock, nodeId };
}

/** Awaits `p`, which must reject with an ApiError, and answers the error for assertions. */
export async function rejects(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

/** The `filters` argument of the list methods: the JSON the API's `?filters=` carries. */
export const filtersJson = (filters: Record<string, string[]>): string => JSON.stringify(filters);

/** A minimal valid ServiceSpec body. */
export function serviceBody(name: string, extra: ServiceSpec = {}): ServiceSpec {
  return { Name: name, TaskTemplate: { ContainerSpec: { Image: 'nginx:alpine' } }, ...extra };
}

/** Writes a node straight into the store (joining is a later issue). */
export async function addNode(
  manager: MemoryManagerHandle,
  node: Partial<NewObject<StoredNode>> & { ID: string },
): Promise<StoredNode> {
  await manager.store.update((tx) => {
    tx.create<StoredNode>('node', {
      Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
      Description: { Hostname: `host-${node.ID}` },
      Status: { State: 'ready', Addr: '10.0.0.9' },
      ...node,
    });
  });
  return manager.store.view((tx) => tx.get<StoredNode>('node', node.ID)!);
}

/** Writes a task straight into the store (the orchestrator is a later issue). */
export async function addTask(
  manager: MemoryManagerHandle,
  task: Partial<NewObject<StoredTask>> & { ID: string; ServiceID: string },
  state: TaskState = 'running',
): Promise<StoredTask> {
  const service = manager.store.view((tx) => tx.get<StoredService>('service', task.ServiceID));
  await manager.store.update((tx) => {
    tx.create<StoredTask>('task', {
      Spec: service ? structuredClone(service.Spec.TaskTemplate) : {},
      Slot: 1,
      DesiredState: 'running',
      Status: { State: state, Timestamp: '2026-03-01T12:00:00.000000000Z' },
      ...task,
    });
  });
  return manager.store.view((tx) => tx.get<StoredTask>('task', task.ID)!);
}

/** The stored services, for "nothing changed" assertions. */
export function storedServices(manager: MemoryManagerHandle): StoredService[] {
  return manager.store.view((tx) => tx.list<StoredService>('service'));
}

export { testRootCa } from './test-root-ca';
