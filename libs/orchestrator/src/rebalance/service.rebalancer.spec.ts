import { type ResourceObject, type ServiceSpec, type TaskState } from '@shoal/api/swarm';
import { Scheduler } from '@shoal/scheduler';
import { rfc3339Nano, type WriteTx } from '@shoal/store';
import { directStore } from '@shoal/store/testing/store.fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { REPLACES_LABEL } from './rebalance.labels';
import { ServiceRebalancer } from './service.rebalancer';

const GiB = 2 ** 30;

function spec(replicas: number, labels: Record<string, string>, memory?: number): ServiceSpec {
  return {
    Name: 'web',
    Labels: labels,
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: {
      ContainerSpec: { Image: 'busybox', Args: ['httpd'] },
      Resources: memory ? { Reservations: { MemoryBytes: memory } } : undefined,
    },
  };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/**
 * The rebalancer with the real replicated orchestrator and scheduler on one MemoryStore
 * (DirectProposer, ManualClock), and agents that do at once what they are told.
 */
function cluster() {
  const { store, proposer, clock } = directStore(21);
  const orchestrator = new ReplicatedOrchestrator({ store, clock });
  const scheduler = new Scheduler({ store, clock });
  let rebalancer = new ServiceRebalancer({ store, clock });
  const parts = () => [orchestrator, scheduler, rebalancer];
  stops.push(() => {
    orchestrator.stop();
    void scheduler.stop();
    rebalancer.stop();
  });

  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await Promise.all(parts().map((p) => p.settled()));
      await Promise.resolve();
    }
  };
  const write = async (fn: (tx: WriteTx) => void) => {
    await store.update(fn);
    await settle();
  };
  const tasks = () =>
    store.view((tx) => tx.list<OrchestratedTask>('task')).filter((t) => t.ServiceID === serviceId);
  const live = () => tasks().filter((t) => t.DesiredState === 'running');
  /** Running replicas per node. */
  const layout = () => {
    const out: Record<string, number> = {};
    for (const t of live()) {
      if (t.Status?.State === 'running') out[t.NodeID!] = (out[t.NodeID!] ?? 0) + 1;
    }
    return out;
  };
  const status = (state: TaskState) => ({ State: state, Timestamp: rfc3339Nano(clock.now()) });
  /** Agents start what was assigned to them and stop what they were told to stop. */
  const agents = async () => {
    for (let round = 0; round < 20; round++) {
      let changed = false;
      await write((tx) => {
        for (const t of tx.list<OrchestratedTask>('task')) {
          const state = t.Status?.State;
          if (t.DesiredState === 'running' && state === 'assigned') {
            tx.update('task', { ...t, Status: status('running') });
            changed = true;
          } else if (
            t.DesiredState !== 'running' &&
            (state === 'assigned' || state === 'running')
          ) {
            tx.update('task', { ...t, Status: status('shutdown') });
            changed = true;
          }
        }
      });
      if (!changed) return;
    }
  };
  const addNode = (id: string, resources?: ResourceObject) =>
    write((tx) => {
      tx.create<OrchestratedNode>('node', {
        ID: id,
        Spec: { Role: 'worker', Availability: 'active' },
        Description: {
          Hostname: `host-${id}`,
          Platform: { OS: 'linux', Architecture: 'x86_64' },
          Resources: resources,
        },
        Status: { State: 'ready' },
      });
    });
  let serviceId = '';
  const createService = async (s: ServiceSpec) => {
    const r = await store.update((tx) => {
      tx.create<OrchestratedService>('service', { Spec: s });
    });
    serviceId = r.created[0]!;
    await settle();
    await agents();
  };
  const updateService = (patch: (s: ServiceSpec) => ServiceSpec) =>
    write((tx) => {
      const s = tx.get<OrchestratedService>('service', serviceId)!;
      tx.update('service', { ...s, Spec: patch(s.Spec) });
    });
  /** The lowest number of replicas running at any commit from now on. */
  const watchRunning = () => {
    let min = Infinity;
    const cancel = store.watch((e) => {
      if (e.type === 'commit')
        min = Math.min(
          min,
          Object.values(layout()).reduce((a, b) => a + b, 0),
        );
    });
    stops.push(cancel);
    return () => min;
  };
  const tick = async (advanceMs: number) => {
    clock.advance(advanceMs);
    await Promise.all([orchestrator.tick(), rebalancer.tick()]);
    await settle();
    await agents();
  };
  return {
    store,
    proposer,
    clock,
    orchestrator,
    scheduler,
    get rebalancer() {
      return rebalancer;
    },
    /** A new leader's rebalancer: nothing remembered, the store as it is. */
    replaceRebalancer() {
      rebalancer.stop();
      rebalancer = new ServiceRebalancer({ store, clock });
      rebalancer.start();
    },
    async start() {
      for (const p of parts()) p.start();
      await settle();
    },
    settle,
    agents,
    write,
    tasks,
    live,
    layout,
    addNode,
    createService,
    updateService,
    watchRunning,
    tick,
  };
}

describe('ServiceRebalancer', () => {
  it('spreads 3/3 onto a joining node, 2/2/2, one move at a time at the bounded rate', async () => {
    const c = cluster();
    await c.start();
    await c.addNode('n1');
    await c.addNode('n2');
    await c.createService(spec(6, { 'shoal.rebalance': 'true' }));
    expect(c.layout()).toEqual({ n1: 3, n2: 3 });
    const lowest = c.watchRunning();

    // The node joins: the first move starts at once, the new task runs there, the old stops.
    await c.addNode('n3');
    await c.agents();
    expect(c.rebalancer.stats).toEqual({ started: 1, finished: 1, cancelled: 0 });
    const first = c.layout();
    expect(first.n3).toBe(1);
    expect([first.n1, first.n2].sort()).toEqual([2, 3]);
    expect(c.live()).toHaveLength(6);

    // Not before the delay (5 s by default) has passed since the move finished.
    expect(c.rebalancer.nextWakeAt()).toBe(c.clock.now() + 5_000);
    await c.tick(4_999);
    expect(c.rebalancer.stats.started).toBe(1);
    expect(c.layout()).toEqual(first);

    await c.tick(1);
    expect(c.rebalancer.stats).toEqual({ started: 2, finished: 2, cancelled: 0 });
    expect(c.layout()).toEqual({ n1: 2, n2: 2, n3: 2 });

    // Balanced: nothing more, however long.
    await c.tick(60_000);
    expect(c.rebalancer.stats.started).toBe(2);
    expect(c.rebalancer.nextWakeAt()).toBeUndefined();
    // Start-first: six replicas ran at every commit, and each slot kept one task.
    expect(lowest()).toBe(6);
    expect(
      c
        .live()
        .map((t) => t.Slot)
        .sort(),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    // Each moved slot's history: the old task shut down, the new one marked as its successor.
    const moved = c.live().filter((t) => t.Labels?.[REPLACES_LABEL]);
    expect(moved).toHaveLength(2);
    for (const t of moved) {
      const old = c.tasks().find((x) => x.ID === t.Labels![REPLACES_LABEL])!;
      expect(old).toMatchObject({ Slot: t.Slot, DesiredState: 'shutdown' });
      expect(old.Status?.State).toBe('shutdown');
    }
  });

  it('moves nothing for a service without the label', async () => {
    const c = cluster();
    await c.start();
    await c.addNode('n1');
    await c.addNode('n2');
    await c.createService(spec(6, {}));
    await c.addNode('n3');
    await c.tick(60_000);
    expect(c.layout()).toEqual({ n1: 3, n2: 3 });
    expect(c.rebalancer.stats.started).toBe(0);

    // Adding the label later is enough.
    await c.updateService((s) => ({ ...s, Labels: { 'shoal.rebalance': 'true' } }));
    await c.agents();
    await c.tick(5_000);
    expect(c.layout()).toEqual({ n1: 2, n2: 2, n3: 2 });
  });

  it('gives up a move the scheduler will not make, holds, and retries when the node changes', async () => {
    const c = cluster();
    await c.start();
    await c.addNode('n1', { MemoryBytes: 16 * GiB });
    await c.addNode('n2', { MemoryBytes: 16 * GiB });
    await c.createService(spec(6, { 'shoal.rebalance': 'true' }, GiB));
    const before = c.live().map((t) => t.ID);
    const lowest = c.watchRunning();

    // Too small for one more replica: the scheduler puts the new task back on n1 or n2.
    await c.addNode('n3', { MemoryBytes: GiB / 2 });
    await c.agents();
    expect(c.rebalancer.stats).toEqual({ started: 1, finished: 0, cancelled: 1 });
    expect(c.layout()).toEqual({ n1: 3, n2: 3 });
    expect(c.live().map((t) => t.ID)).toEqual(before);

    const writes = c.proposer.log.length;
    await c.tick(60_000);
    await c.tick(60_000);
    expect(c.proposer.log.length).toBe(writes);

    // The operator gives n3 memory: the hold ends and the moves go through.
    await c.write((tx) => {
      const n = tx.get<OrchestratedNode>('node', 'n3')!;
      tx.update('node', {
        ...n,
        Description: { ...n.Description, Resources: { MemoryBytes: 16 * GiB } },
      });
    });
    await c.agents();
    await c.tick(5_000);
    expect(c.layout()).toEqual({ n1: 2, n2: 2, n3: 2 });
    expect(lowest()).toBe(6);
  });

  it('leaves a move in flight in the store, for the next leader to finish', async () => {
    const c = cluster();
    await c.start();
    await c.addNode('n1');
    await c.addNode('n2');
    await c.createService(spec(6, { 'shoal.rebalance': 'true' }));
    await c.addNode('n3');
    // The move has started and the scheduler placed it; no agent has run it yet.
    const moving = c.live().find((t) => t.Labels?.[REPLACES_LABEL])!;
    expect(moving.Status?.State).toBe('assigned');
    expect(c.live()).toHaveLength(7);

    c.replaceRebalancer();
    await c.settle();
    await c.agents();
    expect(c.rebalancer.stats).toMatchObject({ finished: 1 });
    expect(c.live()).toHaveLength(6);
    expect(c.layout().n3).toBe(1);
  });
});
