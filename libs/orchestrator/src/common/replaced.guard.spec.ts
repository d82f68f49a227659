import { ManualClock } from '@shoal/common';
import { MemoryStore, StoreError } from '@shoal/store';
import { QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { T0 } from '@shoal/store/testing/store.fixtures';
import { describe, expect, it } from 'vitest';
import { type OrchestratedTask } from '../replicated/replicated.types';
import { guardReplaced } from './replaced.guard';

describe('guardReplaced', () => {
  it.each([
    [[0, 1], 'the start-first create first'],
    [[1, 0], 'the orchestrator first'],
  ])(
    'of two writers refilling one slot from the same view, only one commits (%j: %s)',
    async (order) => {
      const proposer = new QueuedProposer();
      const store = new MemoryStore({ proposer, clock: new ManualClock(T0) });
      proposer.attach(store);
      const seeded = store.update((tx) => {
        tx.create<OrchestratedTask>('task', {
          ID: 'old',
          ServiceID: 's',
          Slot: 1,
          DesiredState: 'running',
        });
      });
      await proposer.commit();
      await seeded;
      // Both decide from the same committed view, as two leader components do.
      const startFirst = store.update((tx) => {
        tx.create<OrchestratedTask>('task', {
          ID: 'new',
          ServiceID: 's',
          Slot: 1,
          DesiredState: 'running',
        });
        guardReplaced(tx, 'old');
      });
      const orchestrator = store.update((tx) => {
        const old = tx.get<OrchestratedTask>('task', 'old')!;
        tx.update<OrchestratedTask>('task', { ...old, DesiredState: 'shutdown' });
        tx.create<OrchestratedTask>('task', {
          ID: 'refill',
          ServiceID: 's',
          Slot: 1,
          DesiredState: 'running',
        });
      });
      await proposer.commit(order);
      const outcomes = await Promise.allSettled([startFirst, orchestrator]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(failed.reason).toBeInstanceOf(StoreError);
      const slot = store.view((tx) => tx.tasksByService<OrchestratedTask>('s'));
      expect(slot.filter((t) => t.DesiredState === 'running' && t.ID !== 'old')).toHaveLength(1);
    },
  );
});
