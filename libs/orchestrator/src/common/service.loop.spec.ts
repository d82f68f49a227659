import { type ServiceSpec } from '@shoal/api';
import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore, type WriteTx } from '@shoal/store';
import { QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { directStore, T0 } from '@shoal/store/testing/store.fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { GlobalOrchestrator } from '../global/global.orchestrator';
import { JobsOrchestrator } from '../jobs/jobs.orchestrator';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { yieldToEventLoop } from './event-loop.yield';
import { type OrchestratorStore } from './orchestrator.types';
import { DEFAULT_MAX_IN_FLIGHT, type ServiceLoop, type ServiceLoopOptions } from './service.loop';

const running: ServiceLoop[] = [];
afterEach(() => {
  for (const o of running.splice(0)) o.stop();
});

function replicated(name: string, replicas = 3): ServiceSpec {
  return {
    Name: name,
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
  };
}

/**
 * A store whose every proposal waits for the test to commit it, as Raft's would wait for a
 * quorum: what a pass proposes before any commit shows whether it awaited commits one by one.
 */
function queuedStore() {
  const clock = new ManualClock(T0);
  const proposer = new QueuedProposer();
  const store = new MemoryStore({
    proposer,
    clock,
    newId: objectIdGenerator(seededRandomBytes(9)),
  });
  proposer.attach(store);
  return { store, proposer, clock };
}

/** Counts the orchestrator's store.update calls, i.e. the services it built. */
function counted(store: MemoryStore) {
  const calls = { builds: 0 };
  const wrapped: OrchestratorStore = {
    view: (fn) => store.view(fn),
    viewAndWatch: (fn, listener, o) => store.viewAndWatch(fn, listener, o),
    update: (fn) => {
      calls.builds++;
      return store.update(fn);
    },
  };
  return { wrapped, calls };
}

async function createServices(
  store: MemoryStore,
  proposer: QueuedProposer,
  specs: ServiceSpec[],
): Promise<string[]> {
  const write = store.update((tx: WriteTx) => {
    for (const s of specs) tx.create<OrchestratedService>('service', { Spec: s });
  });
  await proposer.commit();
  return (await write).created;
}

/**
 * Commits whatever is proposed until the loop has nothing left to do, committing only once
 * the loop has had ample (microtask) time to propose all it will before a commit.
 */
async function settle(orch: ServiceLoop, proposer: QueuedProposer): Promise<void> {
  let done = false;
  void orch.settled().then(() => (done = true));
  for (let rounds = 0; !done; rounds++) {
    if (rounds > 1000) throw new Error('the loop did not settle');
    for (let i = 0; i < 2000 && !done; i++) await Promise.resolve();
    if (proposer.pending > 0) await proposer.commit();
  }
}

describe('ServiceLoop, many dirty services at once', () => {
  it('yields between services, proposing each before building the next', async () => {
    const { store, proposer, clock } = queuedStore();
    const { wrapped, calls } = counted(store);
    /** At each yield: how many services were built, and how many proposals await a commit. */
    const atYield: { built: number; pending: number }[] = [];
    const orch = new ReplicatedOrchestrator({
      store: wrapped,
      clock,
      yieldToEventLoop: async () => {
        atYield.push({ built: calls.builds, pending: proposer.pending });
      },
    });
    running.push(orch);
    orch.start();
    const names = Array.from({ length: 100 }, (_, i) => `svc-${i}`);
    await createServices(
      store,
      proposer,
      names.map((n) => replicated(n)),
    );
    await settle(orch, proposer);

    // One build per turn of the event loop, each proposed at once: the k-th yield comes
    // after k builds and k proposals, none of them committed yet (the commits are awaited
    // together, not one by one), up to DEFAULT_MAX_IN_FLIGHT; the 65th waits for those.
    const firstPass = atYield.slice(0, 99);
    firstPass.forEach((y, i) =>
      expect(y).toEqual({ built: i + 1, pending: i < DEFAULT_MAX_IN_FLIGHT ? i + 1 : i - 63 }),
    );
    // Then the pass their own changes mark reads each again, finds nothing to write, and
    // yields between those builds too.
    expect(DEFAULT_MAX_IN_FLIGHT).toBe(64);
    expect(atYield).toHaveLength(99 + 100);
    expect(calls.builds).toBe(200);
    const tasks = store.view((tx) => tx.tasksByDesiredState<OrchestratedTask>('running'));
    expect(tasks).toHaveLength(300);
  });

  it('keeps at most maxProposalsInFlight proposals of a pass waiting', async () => {
    const { store, proposer, clock } = queuedStore();
    const pendingAtYield: number[] = [];
    const orch = new GlobalOrchestrator({
      store,
      clock,
      maxProposalsInFlight: 8,
      yieldToEventLoop: async () => {
        pendingAtYield.push(proposer.pending);
      },
    });
    running.push(orch);
    const addNode = store.update((tx) => {
      tx.create<OrchestratedNode>('node', {
        ID: 'n1',
        Spec: { Role: 'worker', Availability: 'active' },
        Status: { State: 'ready' },
      });
    });
    await proposer.commit();
    await addNode;
    orch.start();
    const specs = Array.from({ length: 40 }, (_, i) => ({
      Name: `g-${i}`,
      Mode: { Global: {} },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
    }));
    await createServices(store, proposer, specs);
    await settle(orch, proposer);

    expect(Math.max(...pendingAtYield)).toBe(8);
    const tasks = store.view((tx) => tx.tasksByNode<OrchestratedTask>('n1'));
    expect(tasks).toHaveLength(40);
  });

  it('needs no yield for a single service', async () => {
    const { store, clock } = directStore(2);
    let yields = 0;
    const orch = new JobsOrchestrator({
      store,
      clock,
      yieldToEventLoop: async () => {
        yields++;
      },
    });
    running.push(orch);
    orch.start();
    await store.update((tx) => {
      tx.create<OrchestratedService>('service', {
        Spec: {
          Name: 'job',
          Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 2 } },
          TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
        },
      });
    });
    await orch.settled();
    expect(store.view((tx) => tx.tasksByDesiredState('complete'))).toHaveLength(2);
    // The pass marked by its own write's changes finds nothing: one yield before it.
    expect(yields).toBe(1);
  });
});

describe('ServiceLoop write budget, for every orchestrator', () => {
  it('creates a global service on 1,200 nodes in transactions of at most 500 tasks', async () => {
    const { store, proposer, clock } = directStore(5);
    await store.update((tx) => {
      for (let i = 0; i < 1200; i++) {
        tx.create<OrchestratedNode>('node', {
          ID: `n${i}`,
          Spec: { Role: 'worker', Availability: 'active' },
          Status: { State: 'ready' },
        });
      }
    });
    const opts: ServiceLoopOptions = { store, clock, yieldToEventLoop: () => Promise.resolve() };
    const orch = new GlobalOrchestrator(opts);
    running.push(orch);
    orch.start();
    const before = proposer.log.length;
    await store.update((tx) => {
      tx.create<OrchestratedService>('service', {
        Spec: { Name: 'g', Mode: { Global: {} }, TaskTemplate: { ContainerSpec: { Image: 'x' } } },
      });
    });
    await orch.settled();
    const sizes = proposer.log
      .slice(before + 1)
      .map((e) => JSON.parse(new TextDecoder().decode(e.data)).actions.length);
    expect(sizes).toEqual([500, 500, 200]);
    const tasks = store.view((tx) => tx.tasksByDesiredState<OrchestratedTask>('running'));
    expect(new Set(tasks.map((t) => t.NodeID)).size).toBe(1200);
    expect(tasks).toHaveLength(1200);
  });

  it('honours a smaller budget from the options', async () => {
    const { store, proposer, clock } = directStore(6);
    const orch = new ReplicatedOrchestrator({
      store,
      clock,
      writeBudget: { maxTasks: 4 },
      yieldToEventLoop: () => Promise.resolve(),
    });
    running.push(orch);
    orch.start();
    const before = proposer.log.length;
    await store.update((tx) => {
      tx.create<OrchestratedService>('service', { Spec: replicated('r', 10) });
    });
    await orch.settled();
    const sizes = proposer.log
      .slice(before + 1)
      .map((e) => JSON.parse(new TextDecoder().decode(e.data)).actions.length);
    expect(sizes).toEqual([4, 4, 2]);
  });
});

describe('ReplicatedOrchestrator on ServiceLoop: which node changes matter', () => {
  it('reconciles only the services with tasks desired running on a drained node', async () => {
    const { store, clock } = directStore(8);
    const { wrapped, calls } = counted(store);
    const orch = new ReplicatedOrchestrator({
      store: wrapped,
      clock,
      yieldToEventLoop: () => Promise.resolve(),
    });
    running.push(orch);
    for (const id of ['n1', 'n2']) {
      await store.update((tx) => {
        tx.create<OrchestratedNode>('node', {
          ID: id,
          Spec: { Role: 'worker', Availability: 'active' },
          Status: { State: 'ready' },
        });
      });
    }
    orch.start();
    const created = await store.update((tx) => {
      tx.create<OrchestratedService>('service', { Spec: replicated('a', 1) });
      tx.create<OrchestratedService>('service', { Spec: replicated('b', 1) });
    });
    await orch.settled();
    const [a, b] = created.created as [string, string];
    await store.update((tx) => {
      for (const [svc, nodeId] of [
        [a, 'n1'],
        [b, 'n2'],
      ] as const) {
        const t = tx.tasksByService<OrchestratedTask>(svc)[0]!;
        tx.update('task', { ...t, NodeID: nodeId, Status: { State: 'running' } });
      }
    });
    await orch.settled();

    // A label is not the replicated orchestrator's business (the scheduler and constraint
    // enforcer's): nothing is reconciled.
    calls.builds = 0;
    await store.update((tx) => {
      const n = tx.get<OrchestratedNode>('node', 'n1')!;
      tx.update('node', { ...n, Spec: { ...n.Spec, Labels: { zone: 'a' } } });
    });
    await orch.settled();
    expect(calls.builds).toBe(0);

    // Draining n1 concerns service a alone.
    await store.update((tx) => {
      const n = tx.get<OrchestratedNode>('node', 'n1')!;
      tx.update('node', { ...n, Spec: { ...n.Spec, Availability: 'drain' } });
    });
    await orch.settled();
    const desiredRunning = (svc: string) =>
      store
        .view((tx) => tx.tasksByService<OrchestratedTask>(svc))
        .filter((t) => t.DesiredState === 'running');
    expect(desiredRunning(a).map((t) => t.NodeID)).toEqual([undefined]);
    expect(desiredRunning(b).map((t) => t.NodeID)).toEqual(['n2']);
    // a's replacement, then the pass its own changes mark; b never.
    expect(calls.builds).toBe(2);
  });
});

describe('yieldToEventLoop', () => {
  it('lets callbacks already queued on the event loop run before it resolves', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('raft i/o'));
    await yieldToEventLoop();
    order.push('next build');
    expect(order).toEqual(['raft i/o', 'next build']);
  });
});
