import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type NodeAvailability, type NodeState } from '@shoal/api/swarm/node.types';
import { MemoryStore, rfc3339Nano, type WriteTx } from '@shoal/store';
import { DirectProposer, QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ASSIGNED_MESSAGE, Scheduler } from './scheduler';
import { type SchedulerNode, type SchedulerTask } from './scheduler.types';

const T0 = 1_795_334_400_123;

function setup(proposer: DirectProposer | QueuedProposer = new DirectProposer()) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore({
    proposer,
    clock,
    newId: objectIdGenerator(seededRandomBytes(7)),
  });
  proposer.attach(store);
  const errors: unknown[] = [];
  const scheduler = new Scheduler({ store, clock, onError: (e) => errors.push(e) });
  running.push(scheduler);
  return { store, proposer, clock, scheduler, errors };
}

const running: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function addNode(
  tx: WriteTx,
  id: string,
  state: NodeState = 'ready',
  availability: NodeAvailability = 'active',
) {
  tx.create<SchedulerNode>('node', {
    ID: id,
    Spec: { Availability: availability },
    Status: { State: state },
  });
}

function addTasks(tx: WriteTx, serviceId: string, count: number, firstSlot = 1) {
  for (let slot = firstSlot; slot < firstSlot + count; slot++)
    tx.create<SchedulerTask>('task', {
      ID: `${serviceId}.${slot}`,
      ServiceID: serviceId,
      Slot: slot,
      DesiredState: 'running',
      Status: { State: 'pending', Message: 'pending task scheduling' },
    });
}

function tasks(store: MemoryStore): SchedulerTask[] {
  return store.view((tx) => tx.list<SchedulerTask>('task'));
}

function perNode(store: MemoryStore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks(store)) if (t.NodeID) out[t.NodeID] = (out[t.NodeID] ?? 0) + 1;
  return out;
}

async function setNode(store: MemoryStore, id: string, change: (n: SchedulerNode) => void) {
  await store.update((tx) => {
    const n = structuredClone(tx.get<SchedulerNode>('node', id)!);
    change(n);
    tx.update('node', n);
  });
}

describe('Scheduler', () => {
  it('assigns pending tasks in one proposal, spread across ready active nodes', async () => {
    const { store, proposer, scheduler } = setup();
    scheduler.start();
    await store.update((tx) => ['a', 'b', 'c'].forEach((id) => addNode(tx, id)));
    const before = (proposer as DirectProposer).log.length;
    await store.update((tx) => {
      addTasks(tx, 'web', 5);
      addTasks(tx, 'db', 2);
    });
    await scheduler.settled();

    expect((proposer as DirectProposer).log.length - before).toBe(2); // ours + the scheduler's
    expect(scheduler.stats).toEqual({ proposals: 1, assigned: 7, conflicts: 0 });
    for (const t of tasks(store)) {
      expect(t.NodeID).toBeDefined();
      expect(t.Status).toEqual({
        State: 'assigned',
        Message: ASSIGNED_MESSAGE,
        Timestamp: rfc3339Nano(T0),
      });
      expect(t.DesiredState).toBe('running');
    }
    // db first (service order): a, b; then web fills c first, then spreads: a 3, b 2, c 2.
    expect(perNode(store)).toEqual({ a: 3, b: 2, c: 2 });
    const web = tasks(store).filter((t) => t.ServiceID === 'web');
    const webPerNode = new Map<string, number>();
    for (const t of web) webPerNode.set(t.NodeID!, (webPerNode.get(t.NodeID!) ?? 0) + 1);
    expect(Math.max(...webPerNode.values()) - Math.min(...webPerNode.values())).toBeLessThanOrEqual(
      1,
    );
  });

  it('schedules tasks that were pending before start()', async () => {
    const { store, scheduler } = setup();
    await store.update((tx) => {
      addNode(tx, 'a');
      addTasks(tx, 'web', 2);
    });
    scheduler.start();
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 2 });
  });

  it('gives no new tasks to a node drained later, counting the tasks it already has', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    await store.update((tx) => ['a', 'b'].forEach((id) => addNode(tx, id)));
    await store.update((tx) => addTasks(tx, 'web', 2));
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 1, b: 1 });

    await setNode(store, 'b', (n) => (n.Spec.Availability = 'drain'));
    await store.update((tx) => addTasks(tx, 'web', 3, 3));
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 4, b: 1 });
  });

  it('keeps unschedulable tasks pending with a reason, written once, and places them when a node opens', async () => {
    const { store, proposer, scheduler } = setup();
    scheduler.start();
    await store.update((tx) => {
      addNode(tx, 'a', 'down');
      addNode(tx, 'b', 'ready', 'pause');
      addTasks(tx, 'web', 2);
    });
    await scheduler.settled();
    for (const t of tasks(store)) {
      expect(t.NodeID).toBeUndefined();
      expect(t.Status?.State).toBe('pending');
      expect(t.Status?.Message).toBe(
        'no suitable node (1 node not ready; 1 node not available for new tasks)',
      );
    }
    expect(scheduler.stats.proposals).toBe(1);

    // An unrelated node change: the reason is the same, so nothing is written (no loop).
    const entries = (proposer as DirectProposer).log.length;
    await setNode(store, 'a', (n) => (n.Spec.Labels = { zone: 'z1' }));
    await scheduler.settled();
    expect((proposer as DirectProposer).log.length).toBe(entries + 1);
    expect(scheduler.stats.proposals).toBe(1);
    // The reason changes: one more write.
    await store.update((tx) => {
      addNode(tx, 'c', 'down');
      addNode(tx, 'd', 'unknown');
    });
    await scheduler.settled();
    expect(tasks(store)[0]!.Status?.Message).toBe(
      'no suitable node (3 nodes not ready; 1 node not available for new tasks)',
    );
    expect(scheduler.stats.proposals).toBe(2);

    await setNode(store, 'b', (n) => (n.Spec.Availability = 'active'));
    await scheduler.settled();
    expect(perNode(store)).toEqual({ b: 2 });
    expect(tasks(store)[0]!.Status?.Message).toBe(ASSIGNED_MESSAGE);
  });

  it('retries on the next commit after losing a race (VersionConflict)', async () => {
    const proposer = new QueuedProposer();
    const { store, scheduler, errors } = setup(proposer);
    scheduler.start();
    const setupDone = store.update((tx) => {
      addNode(tx, 'a');
      addTasks(tx, 'web', 1);
    });
    await proposer.commit();
    await setupDone;
    await vi.waitFor(() => expect(proposer.pending).toBe(1)); // the scheduler's proposal

    // The orchestrator rewrites the task meanwhile; its write commits first.
    const rewrite = store.update((tx) => {
      const t = structuredClone(tx.get<SchedulerTask>('task', 'web.1')!);
      t.Labels = { touched: 'yes' };
      tx.update('task', t);
    });
    await proposer.commit([1, 0]);
    await rewrite;
    await vi.waitFor(() => expect(proposer.pending).toBe(1)); // the retry, on the new version
    await proposer.commit();
    await scheduler.settled();

    const t = tasks(store)[0]!;
    expect(t.NodeID).toBe('a');
    expect(t.Labels).toEqual({ touched: 'yes' });
    expect(scheduler.stats).toMatchObject({ conflicts: 1, assigned: 1 });
    expect(errors).toEqual([]);
  });

  it('stop() unsubscribes: later tasks stay pending', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    expect(scheduler.running).toBe(true);
    await store.update((tx) => addNode(tx, 'a'));
    await scheduler.stop();
    expect(scheduler.running).toBe(false);
    await store.update((tx) => addTasks(tx, 'web', 2));
    await scheduler.settled();
    expect(perNode(store)).toEqual({});
    expect(tasks(store).every((t) => t.Status?.State === 'pending')).toBe(true);

    // Started again (a new leadership term), it picks up what is pending.
    scheduler.start();
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 2 });
  });
});
