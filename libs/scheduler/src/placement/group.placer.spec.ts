import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS } from '../pipeline/filter.pipeline';
import { type ClusterState } from '../state/cluster.state';
import { taskDemand } from '../state/task.demand';
import { clusterOf, node, task, type TaskOptions } from '../testing/cluster.fixtures';
import { placeGroup } from './group.placer';

function place(state: ClusterState, count: number, o: TaskOptions = {}, serviceId = 's', now = 0) {
  const ids = Array.from({ length: count }, (_, i) => `${serviceId}.${i + 1}`);
  const demand = taskDemand(task(ids[0]!, serviceId, 1, o), []);
  return placeGroup(state, DEFAULT_FILTERS, demand, ids, now);
}

function tally(placed: ReturnType<typeof place>['placed'], key: (id: string) => string) {
  const out: Record<string, number> = {};
  for (const { node: n } of placed.values()) out[key(n.id)] = (out[key(n.id)] ?? 0) + 1;
  return out;
}

const spread = (...descriptors: string[]): TaskOptions => ({
  placement: { Preferences: descriptors.map((d) => ({ Spread: { SpreadDescriptor: d } })) },
});

describe('placeGroup', () => {
  it('spreads over label values first, nodes without the label forming their own group', () => {
    const nodes = [
      node('a1', { labels: { zone: 'a' } }),
      node('a2', { labels: { zone: 'a' } }),
      node('a3', { labels: { zone: 'a' } }),
      node('b1', { labels: { zone: 'b' } }),
      node('x1'),
    ];
    const zone = (id: string) => nodes.find((n) => n.ID === id)!.Spec.Labels?.zone ?? '-';
    const { placed } = place(clusterOf(nodes), 9, spread('node.labels.zone'));
    expect(tally(placed, zone)).toEqual({ a: 3, b: 3, '-': 3 });
    expect(tally(placed, (id) => id)).toEqual({ a1: 1, a2: 1, a3: 1, b1: 3, x1: 3 });
  });

  it('nests preferences: zones even, then racks even within each zone', () => {
    const nodes = ['a/r1', 'a/r1', 'a/r2', 'b/r1', 'b/r3', 'b/r3'].map((p, i) => {
      const [zone, rack] = p.split('/');
      return node(`n${i}`, { labels: { zone: zone!, rack: rack! } });
    });
    const label = (key: string) => (id: string) =>
      nodes.find((n) => n.ID === id)!.Spec.Labels![key]!;
    const { placed } = place(clusterOf(nodes), 8, spread('node.labels.zone', 'node.labels.rack'));
    expect(tally(placed, label('zone'))).toEqual({ a: 4, b: 4 });
    const byZoneRack = tally(placed, (id) => `${label('zone')(id)}/${label('rack')(id)}`);
    expect(byZoneRack).toEqual({ 'a/r1': 2, 'a/r2': 2, 'b/r1': 2, 'b/r3': 2 });
  });

  it('counts replicas on nodes that cannot take more, as swarmkit does', () => {
    // Zone a already runs 4 replicas, on a node now drained: new ones go to zone b first.
    const nodes = [
      node('a1', { labels: { zone: 'a' }, availability: 'drain' }),
      node('a2', { labels: { zone: 'a' } }),
      node('b1', { labels: { zone: 'b' } }),
    ];
    const running = Array.from({ length: 4 }, (_, i) => task(`old.${i}`, 's', i, { nodeId: 'a1' }));
    const { placed } = place(clusterOf(nodes, running), 6, spread('node.labels.zone'));
    expect(tally(placed, (id) => id)).toEqual({ a2: 1, b1: 5 });
  });

  it('moves on to the next branch when one fills up, and explains the rest', () => {
    const nodes = [
      node('a1', { labels: { zone: 'a' }, memory: 100 }),
      node('b1', { labels: { zone: 'b' }, memory: 1000 }),
    ];
    const { placed, reason } = place(clusterOf(nodes), 12, {
      memory: 100,
      ...spread('node.labels.zone'),
    });
    expect(tally(placed, (id) => id)).toEqual({ a1: 1, b1: 10 });
    expect(reason).toBe('no suitable node (insufficient resources on 2 nodes)');
  });

  it('puts penalized nodes last, the most failures last of all', () => {
    const state = clusterOf([node('a'), node('b'), node('c')]);
    const demand = taskDemand(task('s.1', 's', 1), []);
    for (let i = 0; i < 6; i++) state.failures.record(demand.versionKey, 'a', 100 + i);
    for (let i = 0; i < 5; i++) state.failures.record(demand.versionKey, 'b', 100 + i);
    const { placed } = placeGroup(
      state,
      DEFAULT_FILTERS,
      demand,
      ['s.1', 's.2', 's.3', 's.4'],
      200,
    );
    expect([...placed.values()].map((p) => p.node.id)).toEqual(['c', 'c', 'c', 'c']);
    const only = clusterOf([node('a'), node('b')]);
    for (let i = 0; i < 6; i++) only.failures.record(demand.versionKey, 'a', 100 + i);
    for (let i = 0; i < 5; i++) only.failures.record(demand.versionKey, 'b', 100 + i);
    const r = placeGroup(only, DEFAULT_FILTERS, demand, ['s.1', 's.2'], 200);
    expect([...r.placed.values()].map((p) => p.node.id)).toEqual(['b', 'b']);
  });

  it('is deterministic: equal states give equal answers, whatever the node order', () => {
    const make = (order: string[]) =>
      clusterOf(
        order.map((id) => node(id, { labels: { zone: id < 'c' ? 'x' : 'y' } })),
        [task('o.1', 'other', 1, { nodeId: 'b' })],
      );
    const a = place(make(['a', 'b', 'c', 'd']), 7, spread('node.labels.zone'));
    const b = place(make(['d', 'c', 'b', 'a']), 7, spread('node.labels.zone'));
    const ids = (r: typeof a) => [...r.placed].map(([t, p]) => `${t}@${p.node.id}`);
    expect(ids(a)).toEqual(ids(b));
  });
});
