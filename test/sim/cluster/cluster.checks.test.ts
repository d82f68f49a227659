import { describe, expect, it } from 'vitest';
import { type StoredNode, type StoredTask } from '../agents/cluster.views';
import {
  type ClusterFacts,
  convergenceProblems,
  duplicateSlots,
  type ServiceRecord,
} from './cluster.checks';

const meta = { Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };
const service = (ID: string, mode: ServiceRecord['Spec']['Mode']): ServiceRecord => ({
  ID,
  ...meta,
  Spec: { Name: ID, Mode: mode, TaskTemplate: { ContainerSpec: { Image: 'img:1' } } },
});
const node = (ID: string): StoredNode =>
  ({ ID, ...meta, Spec: { Availability: 'active' }, Status: { State: 'ready' } }) as StoredNode;
const task = (
  ID: string,
  ServiceID: string,
  NodeID: string,
  Slot?: number,
  State: 'running' | 'shutdown' = 'running',
): StoredTask =>
  ({
    ID,
    ...meta,
    ServiceID,
    NodeID,
    ...(Slot !== undefined ? { Slot } : {}),
    DesiredState: State,
    Status: { State },
    Spec: { ContainerSpec: { Image: 'img:1' } },
  }) as StoredTask;

/** Two nodes; web (2 replicas) and mon (global), everything in place. */
function healthy(): ClusterFacts {
  const tasks = [
    task('w1', 'web', 'n1', 1),
    task('w2', 'web', 'n2', 2),
    task('m1', 'mon', 'n1'),
    task('m2', 'mon', 'n2'),
  ];
  return {
    services: [service('web', { Replicated: { Replicas: 2 } }), service('mon', { Global: {} })],
    tasks,
    nodes: [node('n1'), node('n2')],
    workloads: tasks.map((t) => ({ nodeId: t.NodeID!, taskId: t.ID })),
  };
}

describe('cluster checks', () => {
  it('find nothing wrong with a converged cluster', () => {
    expect(convergenceProblems(healthy(), ['n1', 'n2'])).toEqual([]);
  });

  it('see two running tasks of one slot in the store, whatever their desired state', () => {
    const f = healthy();
    f.tasks.push({ ...task('w3', 'web', 'n2', 1), DesiredState: 'shutdown' });
    expect(duplicateSlots(f)).toEqual(['web slot 1: 2 tasks running in the store (w1, w3)']);
  });

  it('see two workloads of one slot on the engines though the store knows one', () => {
    const f = healthy();
    f.tasks.push(task('w3', 'web', 'n2', 1, 'shutdown'));
    f.workloads.push({ nodeId: 'n2', taskId: 'w3' });
    expect(duplicateSlots(f)).toEqual(['web slot 1: 2 workloads running (w1@n1, w3@n2)']);
    expect(convergenceProblems(f, ['n1', 'n2'])).toContain(
      'workload w3 on n2 runs, desired shutdown',
    );
  });

  it('count replicas and global tasks against the store and the engines', () => {
    const f = healthy();
    f.workloads = f.workloads.filter((w) => w.taskId !== 'm2' && w.taskId !== 'w2');
    expect(convergenceProblems(f, ['n1', 'n2'])).toEqual([
      'web: 2 running in the store, 1 workloads, want 2',
      'mon on n2: 1 running in the store, 0 workloads',
    ]);
  });
});
