import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type NodeAvailability, type NodeState } from '@shoal/api/swarm/node.types';
import { MemoryStore, rfc3339Nano, type WriteTx } from '@shoal/store';
import { DirectProposer, QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ASSIGNED_MESSAGE, PENDING_MESSAGE } from './batch.writer';
import { Scheduler, type SchedulerOptions } from './scheduler';
import { type SchedulerNode, type SchedulerTask } from './scheduler.types';
import {
  node as makeNode,
  service,
  task as makeTask,
  type TaskOptions,
} from './testing/cluster.fixtures';

const T0 = 1_795_334_400_123;

function setup(
  proposer: DirectProposer | QueuedProposer = new DirectProposer(),
  opts: Partial<SchedulerOptions> = {},
) {
  const clock = new ManualClock(T0);
  const store = new MemoryStore({
    proposer,
    clock,
    newId: objectIdGenerator(seededRandomBytes(7)),
  });
  proposer.attach(store);
  const errors: unknown[] = [];
  const scheduler = new Scheduler({ store, clock, onError: (e) => errors.push(e), ...opts });
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
      Status: { State: 'pending', Message: 'created' },
    });
}

function createTask(tx: WriteTx, id: string, serviceId: string, slot: number, o: TaskOptions) {
  const { ID, ...rest } = makeTask(id, serviceId, slot, o);
  tx.create<SchedulerTask>('task', { ...rest, ID });
}

function tasks(store: MemoryStore): SchedulerTask[] {
  return store.view((tx) => tx.list<SchedulerTask>('task'));
}

function get(store: MemoryStore, id: string): SchedulerTask {
  return store.view((tx) => tx.get<SchedulerTask>('task', id))!;
}

function perNode(store: MemoryStore, serviceId?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks(store))
    if (t.NodeID && (serviceId === undefined || t.ServiceID === serviceId))
      out[t.NodeID] = (out[t.NodeID] ?? 0) + 1;
  return out;
}

async function setNode(store: MemoryStore, id: string, change: (n: SchedulerNode) => void) {
  await store.update((tx) => {
    const n = structuredClone(tx.get<SchedulerNode>('node', id)!);
    change(n);
    tx.update('node', n);
  });
}

async function setTaskState(store: MemoryStore, id: string, state: SchedulerTask['Status']) {
  await store.update((tx) => {
    const t = structuredClone(tx.get<SchedulerTask>('task', id)!);
    t.Status = state;
    tx.update('task', t);
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
    expect(perNode(store, 'web')).toEqual({ a: 2, b: 1, c: 2 });
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

  it('keeps unschedulable tasks pending with Swarm’s Err, written once, and places them when a node opens', async () => {
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
      expect(t.Status).toEqual({
        State: 'pending',
        Message: PENDING_MESSAGE,
        Err: 'no suitable node (1 node not ready; 1 node not available for new tasks)',
        Timestamp: rfc3339Nano(T0),
      });
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
    expect(tasks(store)[0]!.Status?.Err).toBe(
      'no suitable node (3 nodes not ready; 1 node not available for new tasks)',
    );
    expect(scheduler.stats.proposals).toBe(2);

    await setNode(store, 'b', (n) => (n.Spec.Availability = 'active'));
    await scheduler.settled();
    expect(perNode(store)).toEqual({ b: 2 });
    const placed = tasks(store)[0]!;
    expect(placed.Status?.Message).toBe(ASSIGNED_MESSAGE);
    expect(placed.Status?.Err).toBeUndefined();
  });

  it('places a task waiting for resources once a task on a full node stops', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    const GiB = 1024 ** 3;
    await store.update((tx) => {
      tx.create<SchedulerNode>('node', makeNode('a', { cpus: 2e9, memory: 4 * GiB }));
      tx.create<SchedulerNode>('node', makeNode('b', { cpus: 2e9, memory: 4 * GiB }));
      for (let i = 1; i <= 3; i++) createTask(tx, `db.${i}`, 'db', i, { memory: 3 * GiB });
    });
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 1, b: 1 });
    expect(get(store, 'db.3').Status?.Err).toBe(
      'no suitable node (insufficient resources on 2 nodes)',
    );

    // Told to shut down, db.1 still holds its memory until it reports that it stopped.
    await store.update((tx) => {
      const t = structuredClone(tx.get<SchedulerTask>('task', 'db.1')!);
      t.DesiredState = 'shutdown';
      tx.update('task', t);
    });
    await scheduler.settled();
    expect(get(store, 'db.3').NodeID).toBeUndefined();
    await setTaskState(store, 'db.1', { State: 'shutdown' });
    await scheduler.settled();
    expect(get(store, 'db.3').NodeID).toBe(get(store, 'db.1').NodeID);
  });

  it('writes a large service in bounded batches, one proposal each, still spread evenly', async () => {
    const { store, scheduler } = setup(new DirectProposer(), { batch: { maxTasks: 4 } });
    scheduler.start();
    await store.update((tx) => ['a', 'b', 'c'].forEach((id) => addNode(tx, id)));
    await store.update((tx) => {
      addTasks(tx, 'web', 10);
      addTasks(tx, 'x', 1);
      addTasks(tx, 'y', 2);
    });
    await scheduler.settled();
    // web: 4 + 4 + 2, then x (1) and y (2) share the third batch's room? 2 + 1 fits, 2 more
    // do not, so y starts the fourth: [web×4] [web×4] [web×2, x×1] [y×2].
    expect(scheduler.stats).toEqual({ proposals: 4, assigned: 13, conflicts: 0 });
    expect(perNode(store, 'web')).toEqual({ a: 4, b: 3, c: 3 });
  });

  it('cuts batches by size too', async () => {
    const { store, scheduler } = setup(new DirectProposer(), { batch: { maxBytes: 4000 } });
    scheduler.start();
    await store.update((tx) => {
      addNode(tx, 'a');
      for (let i = 1; i <= 6; i++)
        createTask(tx, `big.${i}`, 'big', i, { image: 'x'.repeat(1000) });
    });
    await scheduler.settled();
    // ~1.2 KB of task + 512 bytes of room each: two per 4,000-byte batch.
    expect(scheduler.stats).toMatchObject({ proposals: 3, assigned: 6 });
  });

  it('puts last a node where this service version failed 5 times in 5 minutes', async () => {
    const { store, scheduler, clock } = setup();
    scheduler.start();
    await store.update((tx) => {
      tx.create<SchedulerNode>('node', makeNode('a'));
      tx.create<SchedulerNode>('node', makeNode('b'));
      // b is busier: without the failures, new tasks go to a.
      createTask(tx, 'other.1', 'other', 1, { nodeId: 'b' });
      for (let i = 1; i <= 5; i++)
        createTask(tx, `web.f${i}`, 'web', i, { nodeId: 'a', state: 'starting' });
    });
    for (let i = 1; i <= 5; i++) {
      clock.advance(1000);
      await setTaskState(store, `web.f${i}`, { State: 'failed', Err: 'exit 1' });
    }
    await store.update((tx) => createTask(tx, 'web.6', 'web', 6, {}));
    await scheduler.settled();
    expect(get(store, 'web.6').NodeID).toBe('b');

    // Another version of the service is not penalized on a.
    await store.update((tx) => createTask(tx, 'web.7', 'web', 7, { image: 'v2' }));
    await scheduler.settled();
    expect(get(store, 'web.7').NodeID).toBe('a');

    // Five minutes on, the failures have aged out.
    clock.advance(5 * 60_000);
    await store.update((tx) => createTask(tx, 'web.8', 'web', 8, {}));
    await scheduler.settled();
    expect(get(store, 'web.8').NodeID).toBe('a');
  });

  it('claims named generic resources and records them on the task', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    const gpus = ['g0', 'g1', 'g2'].map((v) => ({ NamedResourceSpec: { Kind: 'gpu', Value: v } }));
    await store.update((tx) => {
      tx.create<SchedulerNode>('node', makeNode('a', { generic: gpus }));
      for (let i = 1; i <= 2; i++)
        createTask(tx, `ml.${i}`, 'ml', i, {
          generic: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }],
        });
    });
    await scheduler.settled();
    expect(get(store, 'ml.1').AssignedGenericResources).toEqual([
      { NamedResourceSpec: { Kind: 'gpu', Value: 'g0' } },
      { NamedResourceSpec: { Kind: 'gpu', Value: 'g1' } },
    ]);
    expect(get(store, 'ml.2').NodeID).toBeUndefined();
    expect(get(store, 'ml.2').Status?.Err).toBe(
      'no suitable node (insufficient resources on 1 node)',
    );
  });

  it('keeps two host-mode publishers of one port apart', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    await store.update((tx) => {
      tx.create(
        'service',
        service('lb', [{ PublishMode: 'host', PublishedPort: 80, TargetPort: 80 }]),
      );
      tx.create<SchedulerNode>('node', makeNode('a'));
      tx.create<SchedulerNode>('node', makeNode('b'));
      for (let i = 1; i <= 3; i++) createTask(tx, `lb.${i}`, 'lb', i, {});
    });
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 1, b: 1 });
    expect(get(store, 'lb.3').Status?.Err).toBe(
      'no suitable node (host-mode port already in use on 2 nodes)',
    );
  });

  it('places job tasks (desired complete) and confirms tasks created on their node', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    await store.update((tx) => {
      tx.create<SchedulerNode>('node', makeNode('a', { memory: 100 }));
      tx.create<SchedulerNode>('node', makeNode('b', { memory: 100 }));
      createTask(tx, 'job.1', 'job', 1, { desired: 'complete' });
      createTask(tx, 'g.a', 'g', 0, { nodeId: 'a', state: 'pending', memory: 60 });
      createTask(tx, 'g.b', 'g', 0, { nodeId: 'b', state: 'pending', memory: 60 });
      createTask(tx, 'h.b', 'h', 0, { nodeId: 'b', state: 'pending', memory: 60 });
    });
    await scheduler.settled();
    expect(get(store, 'job.1').NodeID).toBeDefined();
    expect(get(store, 'g.a').Status?.State).toBe('assigned');
    expect(get(store, 'g.b').Status?.State).toBe('assigned');
    // g.b (service g first) took b's memory: h.b gets swarmkit's bare explanation.
    expect(get(store, 'h.b').Status).toMatchObject({
      State: 'pending',
      Err: 'insufficient resources on 1 node',
    });
  });

  it('rebuilds its picture after a snapshot restore', async () => {
    const { store, scheduler } = setup();
    scheduler.start();
    await store.update((tx) => addNode(tx, 'a'));
    const onlyA = store.snapshot();
    await store.update((tx) => addNode(tx, 'b'));
    // Back to the snapshot, as a follower catching up would be: b is gone.
    store.restore(onlyA);
    await store.update((tx) => addTasks(tx, 'web', 2));
    await scheduler.settled();
    expect(perNode(store)).toEqual({ a: 2 });
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
