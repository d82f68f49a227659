import { type ServiceSpec } from '@shoal/api';
import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore, type Proposer, type StoreAction, type WriteTx } from '@shoal/store';
import { decodeProposal } from '@shoal/store/proposal.codec';
import { QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { directStore, T0 } from '@shoal/store/testing/store.fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { type OrchestratorStore } from '../common/orchestrator.types';
import { DEFAULT_WRITE_BUDGET } from '../common/transaction.budget';
import {
  ReplicatedOrchestrator,
  type ReplicatedOrchestratorOptions,
} from './replicated.orchestrator';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from './replicated.types';

/** Raft's default maxEntryBytes. */
const MAX_ENTRY_BYTES = 1024 * 1024;

/** A template of about 2.4 KiB encoded per task: the byte budget binds before the count. */
function largeTemplate(): ServiceSpec['TaskTemplate'] {
  const env = Array.from({ length: 20 }, (_, i) => `VAR_${i}=${'v'.repeat(100)}`);
  return { ContainerSpec: { Image: 'registry.example.com/team/app:1.2.3', Env: env } };
}

function spec(replicas: number, template: ServiceSpec['TaskTemplate'] = smallTemplate()) {
  return { Name: 'big', Mode: { Replicated: { Replicas: replicas } }, TaskTemplate: template };
}

function smallTemplate(): ServiceSpec['TaskTemplate'] {
  return { ContainerSpec: { Image: 'busybox', Args: ['httpd'] } };
}

interface Entry {
  bytes: number;
  actions: StoreAction[];
}

const running: ReplicatedOrchestrator[] = [];
afterEach(() => {
  for (const o of running.splice(0)) o.stop();
});

/**
 * The orchestrator over a DirectProposer behind a Raft-like limit: entries over 1 MiB are
 * refused, as RaftNode.propose does. Only the orchestrator's writes go through the limit and
 * are recorded; the test's own writes (as the control API, scheduler, agents) do not.
 */
function setup(opts: Partial<ReplicatedOrchestratorOptions> = {}) {
  const { store, proposer, clock } = directStore(21);
  const entries: Entry[] = [];
  const refused: number[] = [];
  const raftLike: Proposer = {
    propose(data) {
      if (data.byteLength > MAX_ENTRY_BYTES) {
        refused.push(data.byteLength);
        return Promise.reject(new Error(`entry of ${data.byteLength} bytes exceeds maxEntryBytes`));
      }
      entries.push({ bytes: data.byteLength, actions: decodeProposal(data)!.actions });
      return proposer.propose(data);
    },
  };
  const limited: OrchestratorStore = {
    view: (fn) => store.view(fn),
    viewAndWatch: (fn, listener, o) => store.viewAndWatch(fn, listener, o),
    update: (fn) => store.update(fn, { proposer: raftLike }),
  };
  let yields = 0;
  const orch = new ReplicatedOrchestrator({
    store: limited,
    clock,
    yieldToEventLoop: async () => {
      yields++;
    },
    ...opts,
  });
  running.push(orch);
  const write = async (fn: (tx: WriteTx) => void) => {
    await store.update(fn);
    await orch.settled();
  };
  const createService = async (s: ServiceSpec) => {
    const r = await store.update((tx) => {
      tx.create<OrchestratedService>('service', { Spec: s });
    });
    await orch.settled();
    return r.created[0]!;
  };
  const tasks = (serviceId: string) =>
    store.view((tx) => tx.tasksByService<OrchestratedTask>(serviceId));
  return {
    store,
    orch,
    entries,
    refused,
    write,
    createService,
    tasks,
    yields: () => yields,
  };
}

/** Each slot's tasks desired running: exactly one per slot 1..n, or the test fails. */
function expectOnePerSlot(tasks: readonly OrchestratedTask[], n: number): void {
  const bySlot = new Map<number, number>();
  for (const t of tasks) {
    if (t.DesiredState === 'running') bySlot.set(t.Slot!, (bySlot.get(t.Slot!) ?? 0) + 1);
  }
  expect(bySlot.size).toBe(n);
  for (let slot = 1; slot <= n; slot++) expect(bySlot.get(slot), `slot ${slot}`).toBe(1);
}

function expectWithinBudget(entries: readonly Entry[]): void {
  for (const e of entries) {
    expect(e.actions.length).toBeLessThanOrEqual(DEFAULT_WRITE_BUDGET.maxTasks);
    expect(e.bytes).toBeLessThanOrEqual(DEFAULT_WRITE_BUDGET.maxBytes);
  }
}

describe('ReplicatedOrchestrator at scale', () => {
  it('creates 2,000 replicas in transactions of at most 500 tasks', async () => {
    const h = setup();
    h.orch.start();
    const id = await h.createService(spec(2000));
    expect(h.refused).toEqual([]);
    expect(h.entries.map((e) => e.actions.length)).toEqual([500, 500, 500, 500]);
    expectWithinBudget(h.entries);
    expectOnePerSlot(h.tasks(id), 2000);
    expect(h.tasks(id)).toHaveLength(2000);
  });

  it('cuts large tasks by their encoded size, well under the entry limit', async () => {
    const h = setup();
    h.orch.start();
    const id = await h.createService(spec(2000, largeTemplate()));
    expect(h.refused).toEqual([]);
    expectWithinBudget(h.entries);
    // The byte budget binds first here: fewer than 500 tasks per transaction.
    expect(Math.max(...h.entries.map((e) => e.actions.length))).toBeLessThan(500);
    expect(h.entries.length).toBeGreaterThanOrEqual(9);
    // ...and each but the last is nearly full: the estimate is not wildly pessimistic.
    for (const e of h.entries.slice(0, -1)) expect(e.bytes).toBeGreaterThan(400 * 1024);
    expectOnePerSlot(h.tasks(id), 2000);
    expect(h.tasks(id)).toHaveLength(2000);
  });

  it('without the bound, the same write is refused and retried forever', async () => {
    const h = setup({ writeBudget: { maxTasks: Infinity, maxBytes: Infinity } });
    h.orch.start();
    const id = await h.createService(spec(2000, largeTemplate()));
    await h.orch.tick();
    expect(h.refused.length).toBe(2);
    expect(h.refused[0]).toBeGreaterThan(MAX_ENTRY_BYTES);
    expect(h.tasks(id)).toHaveLength(0);
  });

  it('replaces the 2,000 tasks of a drained node, each with its shutdown in one transaction', async () => {
    const h = setup();
    for (const node of ['n1', 'n2']) {
      await h.write((tx) => {
        tx.create<OrchestratedNode>('node', {
          ID: node,
          Spec: { Role: 'worker', Availability: 'active' },
          Status: { State: 'ready' },
        });
      });
    }
    h.orch.start();
    const id = await h.createService(spec(2000, largeTemplate()));
    // The scheduler and the agent: everything runs on n1.
    await h.write((tx) => {
      for (const t of tx.tasksByService<OrchestratedTask>(id)) {
        tx.update('task', { ...t, NodeID: 'n1', Status: { State: 'running' } });
      }
    });
    h.entries.length = 0;
    await h.write((tx) => {
      const n = tx.get<OrchestratedNode>('node', 'n1')!;
      tx.update('node', { ...n, Spec: { ...n.Spec, Availability: 'drain' } });
    });

    expect(h.refused).toEqual([]);
    expectWithinBudget(h.entries);
    // A replacement and a shutdown per slot; the shutdown travels as its changed field, so
    // the replacements cost about what the creation did.
    expect(h.entries.length).toBeGreaterThanOrEqual(9);
    for (const e of h.entries.slice(0, -1)) expect(e.bytes).toBeGreaterThan(400 * 1024);
    // A shutdown names its task by ID (the store proposes only the fields that change).
    const slotOf = (a: StoreAction) =>
      a.op === 'create'
        ? (a.object as OrchestratedTask).Slot
        : h.store.view((tx) => tx.get<OrchestratedTask>('task', 'id' in a ? a.id : a.object.ID))!
            .Slot;
    for (const e of h.entries) {
      const created = e.actions.filter((a) => a.op === 'create').map(slotOf);
      const stopped = e.actions.filter((a) => a.op === 'update').map(slotOf);
      // Whole decisions: every slot written has its new task and its old one's shutdown.
      expect(created.sort()).toEqual(stopped.sort());
    }
    const tasks = h.tasks(id);
    expectOnePerSlot(tasks, 2000);
    expect(tasks.filter((t) => t.DesiredState === 'shutdown')).toHaveLength(2000);
    for (const t of tasks.filter((t) => t.DesiredState === 'running')) {
      expect(t.NodeID).toBeUndefined();
    }
  });

  it('sends every task of a removed 1,200-task service to remove, 500 at a time', async () => {
    const h = setup();
    h.orch.start();
    const id = await h.createService(spec(1200));
    h.entries.length = 0;
    await h.write((tx) => tx.remove('service', id));
    expect(h.entries.map((e) => e.actions.length)).toEqual([500, 500, 200]);
    expect(h.tasks(id).every((t) => t.DesiredState === 'remove')).toBe(true);
  });

  it('yields between the passes that finish a cut service', async () => {
    const h = setup();
    h.orch.start();
    await h.createService(spec(2000));
    // Four passes that write, and a fifth (marked by the fourth's own changes) that finds
    // nothing to do: a yield before each pass after the first.
    expect(h.yields()).toBe(4);
  });
});

describe('ReplicatedOrchestrator, a cut service changed between its passes', () => {
  /** Every write, the test's too, waits for the test to commit it. */
  function queued() {
    const clock = new ManualClock(T0);
    const proposer = new QueuedProposer();
    const store = new MemoryStore({
      proposer,
      clock,
      newId: objectIdGenerator(seededRandomBytes(5)),
    });
    proposer.attach(store);
    const orch = new ReplicatedOrchestrator({
      store,
      clock,
      yieldToEventLoop: () => Promise.resolve(),
    });
    running.push(orch);
    /** Lets the orchestrator run until it waits on a commit. */
    const drain = async () => {
      for (let i = 0; i < 200; i++) await Promise.resolve();
    };
    /** Commits whatever the orchestrator proposes until it has nothing left to do. */
    const settle = async () => {
      let done = false;
      void orch.settled().then(() => (done = true));
      for (let turns = 0; !done; turns++) {
        if (turns > 100_000) throw new Error('the orchestrator did not settle');
        if (proposer.pending > 0) await proposer.commit();
        else await Promise.resolve();
      }
    };
    return { store, proposer, orch, drain, settle };
  }

  it('recomputes from the store: a scale-down between chunks ends with exactly N', async () => {
    const { store, proposer, orch, drain, settle } = queued();
    orch.start();
    const creating = store.update((tx) => {
      tx.create<OrchestratedService>('service', { Spec: spec(1200) });
    });
    await proposer.commit();
    const id = (await creating).created[0]!;
    await drain();

    // Pass 1 proposed slots 1..500; once committed, pass 2 proposes 501..1000.
    expect(proposer.pending).toBe(1);
    await proposer.commit();
    await drain();
    expect(proposer.pending).toBe(1);

    // The operator scales down while the second chunk is in flight.
    const scaling = store.update((tx) => {
      const s = tx.get<OrchestratedService>('service', id)!;
      tx.update('service', { ...s, Spec: spec(700) });
    });
    await proposer.commit();
    await scaling;
    await settle();
    expect(proposer.pending).toBe(0);

    const tasks = store.view((tx) => tx.tasksByService<OrchestratedTask>(id));
    expectOnePerSlot(tasks, 700);
    // Slots 1001..1200 were never created: the third pass decided afresh.
    expect(tasks).toHaveLength(1000);
    expect(tasks.filter((t) => t.DesiredState === 'shutdown')).toHaveLength(300);
  });
});
