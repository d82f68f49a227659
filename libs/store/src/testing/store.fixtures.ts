import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore, type MemoryStoreOptions } from '../memory.store';
import { type StoredObject } from '../store.contract';
import { type NewObject } from '../store.types';
import { DirectProposer } from './direct.proposer';

/** 2026-11-22T08:00:00.123Z: a fixed time with a millisecond part. */
export const T0 = 1_795_334_400_123;

export interface ServiceLike extends StoredObject {
  Spec: { Name?: string; Labels?: Record<string, string>; Image?: string };
}

export interface TaskLike extends StoredObject {
  ServiceID?: string;
  NodeID?: string;
  DesiredState?: string;
}

/** A store on a DirectProposer, with a manual clock and reproducible IDs. */
export function directStore(seed = 1, opts: Partial<MemoryStoreOptions> = {}) {
  const clock = new ManualClock(T0);
  const proposer = new DirectProposer();
  const store = new MemoryStore({
    proposer,
    clock,
    newId: objectIdGenerator(seededRandomBytes(seed)),
    ...opts,
  });
  proposer.attach(store);
  return { store, proposer, clock };
}

export function service(name: string, labels: Record<string, string> = {}): NewObject<ServiceLike> {
  return { Spec: { Name: name, Labels: labels } };
}

export function task(serviceId: string, nodeId: string, state = 'running'): NewObject<TaskLike> {
  return { ServiceID: serviceId, NodeID: nodeId, DesiredState: state };
}
