import fc from 'fast-check';
import { ManualClock } from '@shoal/common';
import { MemoryStore } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler';
import { type SchedulerTask } from './scheduler.types';
import {
  arbScenario,
  serviceObject,
  serviceTasks,
  violations,
} from './testing/cluster.arbitraries';

describe('Scheduler over the store (random clusters and services)', () => {
  it('keeps the invariants through batches, stops and new tasks, and leaves nothing to write', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbScenario({ maxNodes: 8, maxServices: 3 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.constantFrom('shutdown', 'failed', 'keep'), { minLength: 1, maxLength: 20 }),
        async ({ nodes, services }, maxTasks, fates) => {
          const clock = new ManualClock(0);
          const proposer = new DirectProposer();
          const store = new MemoryStore({ proposer, clock });
          proposer.attach(store);
          await store.update((tx) => {
            for (const n of nodes) tx.create('node', n);
            for (const s of services) tx.create('service', serviceObject(s));
          });
          const scheduler = new Scheduler({ store, clock, batch: { maxTasks } });
          scheduler.start();
          const list = () => store.view((tx) => tx.list<SchedulerTask>('task'));
          try {
            await store.update((tx) => {
              for (const s of services) for (const t of serviceTasks(s)) tx.create('task', t);
            });
            await scheduler.settled();
            expect(violations(nodes, list(), services)).toEqual([]);

            await store.update((tx) => {
              list().forEach((t, i) => {
                const fate = fates[i % fates.length]!;
                if (t.NodeID && fate !== 'keep')
                  tx.update('task', { ...t, Status: { ...t.Status, State: fate } });
              });
              for (const s of services) for (const t of serviceTasks(s, 1000)) tx.create('task', t);
            });
            await scheduler.settled();
            const rules = violations(nodes, list(), services).filter(
              (v) => !/uneven|left a task pending/.test(v),
            );
            expect(rules).toEqual([]);

            // Settled means settled: an unrelated commit writes nothing.
            const proposals = scheduler.stats.proposals;
            await store.update((tx) =>
              tx.create('service', serviceObject({ ...services[0]!, id: 'late' })),
            );
            await scheduler.settled();
            expect(scheduler.stats.proposals).toBe(proposals);
          } finally {
            await scheduler.stop();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
