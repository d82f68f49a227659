import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore, rfc3339Nano } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler';
import { type SchedulerNode, type SchedulerTask } from './scheduler.types';

const T0 = 1_795_334_400_123;
const running: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('Scheduler hooks', () => {
  it('reports each committed assignment with the task as created and the time it was assigned', async () => {
    const clock = new ManualClock(T0);
    const proposer = new DirectProposer();
    const store = new MemoryStore({
      proposer,
      clock,
      newId: objectIdGenerator(seededRandomBytes(5)),
    });
    proposer.attach(store);
    const seen: { id: string; createdAt: string; at: number }[] = [];
    const scheduler = new Scheduler({
      store,
      clock,
      hooks: { taskAssigned: (t, at) => seen.push({ id: t.ID, createdAt: t.CreatedAt, at }) },
    });
    running.push(scheduler);
    await store.update((tx) => {
      tx.create<SchedulerNode>('node', {
        ID: 'n1',
        Spec: { Availability: 'active' },
        Status: { State: 'ready' },
        Description: { Resources: { NanoCPUs: 1e9, MemoryBytes: 1 << 30 } },
      });
      for (const [id, cpus] of [
        ['fits', 5e8],
        ['too-big', 4e9],
      ] as const) {
        tx.create<SchedulerTask>('task', {
          ID: id,
          ServiceID: 's1',
          Slot: id === 'fits' ? 1 : 2,
          DesiredState: 'running',
          Spec: { Resources: { Reservations: { NanoCPUs: cpus } } },
          Status: { State: 'pending' },
        });
      }
    });
    clock.advance(250);
    scheduler.start();
    await scheduler.settled();

    const byId = new Map(store.view((tx) => tx.list<SchedulerTask>('task')).map((t) => [t.ID, t]));
    expect(byId.get('fits')!.Status?.State).toBe('assigned');
    expect(byId.get('too-big')!.Status?.State).toBe('pending');
    // Only the task that was placed; created at T0, assigned at T0 + 250 by the clock.
    expect(seen).toEqual([{ id: 'fits', createdAt: rfc3339Nano(T0), at: T0 + 250 }]);
  });
});
