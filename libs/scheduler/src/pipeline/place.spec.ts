import fc from 'fast-check';
import { type NodeAvailability, type NodeState } from '@shoal/api/swarm/node.types';
import { describe, expect, it } from 'vitest';
import { type PlacedTask, type SchedulerNode, type SchedulerTask } from '../scheduler.types';
import { availabilityFilter, DEFAULT_FILTERS, readyFilter } from './filters';
import { placeTasks } from './place';

const V = { Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' };

function node(id: string, state: NodeState = 'ready', availability?: NodeAvailability) {
  return {
    ID: id,
    ...V,
    Spec: { Availability: availability },
    Status: { State: state },
  } as SchedulerNode;
}

function task(id: string, serviceId = 's1', slot = 1): SchedulerTask {
  return {
    ID: id,
    ...V,
    ServiceID: serviceId,
    Slot: slot,
    DesiredState: 'running',
    Status: { State: 'pending' },
  };
}

function tasks(n: number, serviceId = 's1'): SchedulerTask[] {
  return Array.from({ length: n }, (_, i) => task(`${serviceId}-t${i + 1}`, serviceId, i + 1));
}

function countByNode(assignments: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const nodeId of assignments.values()) out[nodeId] = (out[nodeId] ?? 0) + 1;
  return out;
}

describe('filters', () => {
  it('ReadyFilter passes only ready nodes and explains in swarmkit words', () => {
    expect(readyFilter.check(node('a'), task('t'))).toBe(true);
    for (const s of ['down', 'unknown', 'disconnected'] as const)
      expect(readyFilter.check(node('a', s), task('t'))).toBe(false);
    expect(readyFilter.explain(1)).toBe('1 node not ready');
    expect(readyFilter.explain(3)).toBe('3 nodes not ready');
  });

  it('AvailabilityFilter passes active (and unset) nodes only', () => {
    expect(availabilityFilter.check(node('a', 'ready', 'active'), task('t'))).toBe(true);
    expect(availabilityFilter.check(node('a'), task('t'))).toBe(true);
    expect(availabilityFilter.check(node('a', 'ready', 'drain'), task('t'))).toBe(false);
    expect(availabilityFilter.check(node('a', 'ready', 'pause'), task('t'))).toBe(false);
    expect(availabilityFilter.explain(1)).toBe('1 node not available for new tasks');
    expect(availabilityFilter.explain(2)).toBe('2 nodes not available for new tasks');
  });
});

describe('placeTasks', () => {
  it('spreads a batch evenly across nodes, ties broken by node ID', () => {
    const { assignments, unschedulable } = placeTasks(tasks(7), [node('c'), node('a'), node('b')]);
    expect(unschedulable.size).toBe(0);
    expect(countByNode(assignments)).toEqual({ a: 3, b: 2, c: 2 });
    expect([...assignments.values()].slice(0, 3)).toEqual(['a', 'b', 'c']);
  });

  it('ranks by tasks of the same service first, then by tasks in total', () => {
    // a runs 1 task of s1; b runs 3 tasks of other services; c runs 2 of s2.
    const existing = new Map<string, PlacedTask[]>([
      ['a', [{ ServiceID: 's1' }]],
      ['b', [{ ServiceID: 's2' }, { ServiceID: 's3' }, { ServiceID: 's3' }]],
      ['c', [{ ServiceID: 's2' }, { ServiceID: 's2' }]],
    ]);
    const nodes = [node('a'), node('b'), node('c')];
    // Both b and c have no s1 task: c wins on fewer in total, then b, then a.
    const { assignments } = placeTasks(tasks(3), nodes, existing);
    expect([...assignments.values()]).toEqual(['c', 'b', 'a']);
    // A task of s2 goes to a, the only node without an s2 task.
    expect(placeTasks([task('x', 's2')], nodes, existing).assignments.get('x')).toBe('a');
  });

  it('skips drained, paused and down nodes', () => {
    const nodes = [
      node('a', 'ready', 'drain'),
      node('b', 'ready', 'pause'),
      node('c', 'down'),
      node('d', 'disconnected'),
      node('e'),
    ];
    const { assignments } = placeTasks(tasks(4), nodes);
    expect(countByNode(assignments)).toEqual({ e: 4 });
  });

  it('explains unschedulable tasks by the filters that removed nodes', () => {
    const nodes = [node('a', 'ready', 'drain'), node('b', 'down'), node('c', 'down', 'pause')];
    const { assignments, unschedulable } = placeTasks(tasks(2), nodes);
    expect(assignments.size).toBe(0);
    // c fails both filters but is charged to the first (ready); most removals first.
    expect(unschedulable.get('s1-t1')).toBe(
      'no suitable node (2 nodes not ready; 1 node not available for new tasks)',
    );
    expect(unschedulable.get('s1-t2')).toBe(unschedulable.get('s1-t1'));
    expect(placeTasks(tasks(1), []).unschedulable.get('s1-t1')).toBe('no suitable node');
    expect(placeTasks(tasks(1), [node('a', 'ready', 'pause')]).unschedulable.get('s1-t1')).toBe(
      'no suitable node (1 node not available for new tasks)',
    );
  });

  it('is pure: inputs are not mutated and the result is deterministic', () => {
    const existing = new Map([['a', [{ ServiceID: 's1' }]]]);
    const nodes = [node('b'), node('a')];
    const first = placeTasks(tasks(5), nodes, existing);
    expect(placeTasks(tasks(5), nodes, existing)).toEqual(first);
    expect(existing.get('a')).toHaveLength(1);
    expect(nodes.map((n) => n.ID)).toEqual(['b', 'a']);
  });

  it('property: only eligible nodes get tasks; per-service counts differ by at most 1', () => {
    const arbNode = fc.record({
      state: fc.constantFrom<NodeState>('ready', 'ready', 'down', 'unknown', 'disconnected'),
      availability: fc.constantFrom<NodeAvailability | undefined>(
        'active',
        undefined,
        'pause',
        'drain',
      ),
    });
    fc.assert(
      fc.property(
        fc.array(arbNode, { maxLength: 12 }),
        fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 4 }),
        (specs, perService) => {
          const nodes = specs.map((s, i) =>
            node(`n${String(i).padStart(2, '0')}`, s.state, s.availability),
          );
          const eligible = new Set(
            nodes
              .filter((n) => DEFAULT_FILTERS.every((f) => f.check(n, task('x'))))
              .map((n) => n.ID),
          );
          const batch = perService.flatMap((n, s) => tasks(n, `s${s}`));
          const { assignments, unschedulable } = placeTasks(batch, nodes);
          expect(assignments.size + unschedulable.size).toBe(batch.length);
          if (eligible.size === 0) expect(assignments.size).toBe(0);
          else expect(unschedulable.size).toBe(0);
          for (const nodeId of assignments.values()) expect(eligible.has(nodeId)).toBe(true);
          perService.forEach((_, s) => {
            const counts = [...eligible].map(
              (id) =>
                [...assignments].filter(([t, n]) => n === id && t.startsWith(`s${s}-`)).length,
            );
            if (counts.length > 0)
              expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
          });
          // Totals spread too: ties on the service count go to the least loaded node.
          const totals = [...eligible].map(
            (id) => [...assignments.values()].filter((n) => n === id).length,
          );
          if (totals.length > 0)
            expect(Math.max(...totals) - Math.min(...totals)).toBeLessThanOrEqual(
              perService.length,
            );
        },
      ),
      { numRuns: 300 },
    );
  });
});
