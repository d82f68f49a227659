import fc from 'fast-check';
import { ManualClock } from '@shoal/common';
import { type TaskState } from '@shoal/api/swarm/task.types';
import { MemoryStore, type StoreEvent } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { describe, expect, it } from 'vitest';
import { type SchedulerNode, type SchedulerTask } from '../scheduler.types';
import { node, service, task } from '../testing/cluster.fixtures';
import { ClusterState } from './cluster.state';

/** Everything placement reads of the state, in comparable form. */
function summary(state: ClusterState) {
  const nodes = [...state.nodes.values()]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((n) => ({
      id: n.id,
      cpus: n.availableCPUs,
      memory: n.availableMemory,
      replicas: n.totalReplicas,
      perService: ['s0', 's1', 's2'].map((s) => n.replicasOf(s)),
      gpus: n.generic.available('gpu'),
      ports: ['tcp/80', 'udp/53'].filter((p) => n.hostPortInUse(p)),
      holding: n.holdingCount,
    }));
  return { nodes, pending: [...state.pending.keys()].sort() };
}

const STATES: TaskState[] = ['pending', 'assigned', 'running', 'shutdown', 'failed', 'complete'];
const DESIRED: TaskState[] = ['running', 'complete', 'shutdown', 'remove'];

const arbOp = fc.oneof(
  fc.record({
    op: fc.constant('task' as const),
    id: fc.nat({ max: 15 }),
    service: fc.nat({ max: 2 }),
    node: fc.option(fc.nat({ max: 4 })),
    state: fc.constantFrom(...STATES),
    desired: fc.constantFrom(...DESIRED),
    memory: fc.constantFrom(0, 100),
    gpus: fc.nat({ max: 2 }),
    assigned: fc.boolean(),
  }),
  fc.record({ op: fc.constant('removeTask' as const), id: fc.nat({ max: 15 }) }),
  fc.record({
    op: fc.constant('node' as const),
    id: fc.nat({ max: 4 }),
    memory: fc.constantFrom(0, 500),
    gpus: fc.nat({ max: 3 }),
    remove: fc.boolean(),
  }),
);

describe('ClusterState', () => {
  it('kept current by events, it equals one rebuilt from a fresh view', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { minLength: 10, maxLength: 80 }), async (ops) => {
        const clock = new ManualClock(0);
        const proposer = new DirectProposer();
        const store = new MemoryStore({ proposer, clock });
        proposer.attach(store);
        await store.update((tx) => {
          tx.create('service', service('s0', [{ PublishMode: 'host', PublishedPort: 80 }]));
          tx.create(
            'service',
            service('s1', [{ PublishMode: 'host', Protocol: 'udp', PublishedPort: 53 }]),
          );
          tx.create('service', service('s2'));
        });
        const { value: live } = store.viewAndWatch(
          (tx) => ClusterState.fromView(tx),
          (e: StoreEvent) => {
            if (e.type === 'change') live.apply(e);
          },
          { kinds: ['node', 'service', 'task'] },
        );
        for (const o of ops) {
          await store.update((tx) => {
            if (o.op === 'node') {
              const id = `n${o.id}`;
              const existing = tx.get<SchedulerNode>('node', id);
              if (o.remove) {
                if (existing) tx.remove('node', id);
                return;
              }
              const gpus = Array.from({ length: o.gpus }, (_, g) => ({
                NamedResourceSpec: { Kind: 'gpu', Value: `g${g}` },
              }));
              const next = node(id, { memory: o.memory, generic: gpus });
              if (existing) tx.update('node', { ...next, Version: existing.Version });
              else tx.create('node', next);
            } else if (o.op === 'removeTask') {
              if (tx.get('task', `t${o.id}`)) tx.remove('task', `t${o.id}`);
            } else {
              const id = `t${o.id}`;
              const existing = tx.get<SchedulerTask>('task', id);
              const generic = o.gpus
                ? [{ DiscreteResourceSpec: { Kind: 'gpu', Value: o.gpus } }]
                : undefined;
              const next = task(id, `s${o.service}`, o.id, {
                ...(o.node !== null ? { nodeId: `n${o.node}` } : {}),
                state: o.state,
                desired: o.desired,
                memory: o.memory,
                ...(generic ? { generic } : {}),
                ...(o.assigned && o.gpus
                  ? { assignedGeneric: [{ NamedResourceSpec: { Kind: 'gpu', Value: 'g0' } }] }
                  : {}),
              });
              // A task keeps its spec for life: only its placement and states change.
              if (existing)
                tx.update('task', { ...next, Spec: existing.Spec, Version: existing.Version });
              else tx.create('task', next);
            }
          });
        }
        const rebuilt = store.view((tx) => ClusterState.fromView(tx));
        expect(summary(live)).toEqual(summary(rebuilt));
      }),
      { numRuns: 150 },
    );
  });
});
