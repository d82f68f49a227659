import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_TASKS } from './batch.planner';
import { DEFAULT_FILTERS } from './pipeline/filter.pipeline';
import { type Filter } from './pipeline/filter.types';
import { Scheduler } from './scheduler';
import { type SchedulerNode, type SchedulerTask } from './scheduler.types';
import { clusterOf, node, service, tasks } from './testing/cluster.fixtures';
import { ClusterRunner } from './testing/cluster.runner';

/**
 * Sanity at scale, without timing: the work done is counted instead, so the test says
 * whether placement stays near O(nodes per group + tasks · log nodes), not how fast a
 * machine is. (Timings belong to bench/.)
 */
describe('scale sanity', () => {
  it('places 20,000 replicas of 100 services on 1,000 nodes with bounded filter work', () => {
    const NODES = 1000;
    const SERVICES = 100;
    const REPLICAS = 200;
    const nodes = Array.from({ length: NODES }, (_, i) =>
      node(`n${String(i).padStart(4, '0')}`, {
        cpus: 8e9,
        memory: 32 * 1024 ** 3,
        labels: { zone: `z${i % 3}` },
      }),
    );
    const all = Array.from({ length: SERVICES }, (_, s) =>
      tasks(`s${String(s).padStart(3, '0')}`, REPLICAS, {
        cpus: 1e7,
        memory: 1024 ** 2,
        ...(s % 2
          ? { placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } }
          : {}),
      }),
    ).flat();
    let checks = 0;
    const counted: Filter[] = DEFAULT_FILTERS.map((f) => ({
      ...f,
      check: (n, d) => (checks++, f.check(n, d)),
    }));
    const state = clusterOf(nodes, all, [service('unused')]);
    const runner = new ClusterRunner(state, all, undefined, counted);
    runner.pass();
    const placed = runner.list().filter((t) => t.NodeID);
    expect(placed).toHaveLength(SERVICES * REPLICAS);
    // Two whole services per batch of 500: a third does not fit whole, so it starts the next.
    expect(runner.proposals).toBe(SERVICES / Math.floor(MAX_BATCH_TASKS / REPLICAS));
    const spreadOf = (list: SchedulerTask[], key: (t: SchedulerTask) => string) => {
      const counts = new Map<string, number>();
      for (const t of list) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
      return Math.max(...counts.values()) - Math.min(...counts.values());
    };
    const zone = (t: SchedulerTask) => `z${Number(t.NodeID!.slice(1)) % 3}`;
    for (let s = 0; s < SERVICES; s++) {
      const mine = placed.filter((t) => t.ServiceID === `s${String(s).padStart(3, '0')}`);
      // Odd services spread over zones first (zones of 334, 333 and 333 nodes).
      expect(spreadOf(mine, s % 2 ? zone : (t) => t.NodeID!)).toBeLessThanOrEqual(1);
    }
    // Zone-first services leave the bigger zone's nodes a little lighter.
    expect(spreadOf(placed, (t) => t.NodeID!)).toBeLessThanOrEqual(2);
    // Per group slice: 3 filters apply (ready, availability, resources) on every node; per
    // task: the resource re-check. Checking every node for every task would be 60 million.
    expect(checks).toBeLessThanOrEqual(runner.parts * NODES * 3 + SERVICES * REPLICAS);
    expect(runner.parts).toBeLessThan(2 * SERVICES);
  });
});

describe('scale sanity through the store', () => {
  it('assigns 5,000 tasks on 200 nodes in ceil(5000 / batch) proposals', async () => {
    const clock = new ManualClock(0);
    const proposer = new DirectProposer();
    const store = new MemoryStore({
      proposer,
      clock,
      newId: objectIdGenerator(seededRandomBytes(1)),
    });
    proposer.attach(store);
    await store.update((tx) => {
      for (let i = 0; i < 200; i++) tx.create<SchedulerNode>('node', node(`n${i}`));
    });
    const scheduler = new Scheduler({ store, clock });
    scheduler.start();
    for (let s = 0; s < 10; s++) {
      await store.update((tx) => {
        for (const t of tasks(`s${s}`, 500)) tx.create<SchedulerTask>('task', t);
      });
    }
    await scheduler.settled();
    await scheduler.stop();
    const all = store.view((tx) => tx.list<SchedulerTask>('task'));
    expect(all.every((t) => t.NodeID && t.Status?.State === 'assigned')).toBe(true);
    expect(scheduler.stats.assigned).toBe(5000);
    // Each service's 500 tasks arrive in their own commit and fill one batch.
    expect(scheduler.stats.proposals).toBe(10);
  });
});
