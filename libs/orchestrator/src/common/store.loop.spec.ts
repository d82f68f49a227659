import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore, type ReadTx, type StoreChangeEvent, type WriteTx } from '@shoal/store';
import { QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { directStore, T0 } from '@shoal/store/testing/store.fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceRebalancer } from '../rebalance/service.rebalancer';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { UpdateSupervisor } from '../update/update.supervisor';
import { type OrchestratorStore } from './orchestrator.types';
import { DirtyServiceLoop, type ServiceWrite, type StoreLoopOptions } from './store.loop';

/**
 * The smallest loop: every service is dirty at start and on its own changes, a node's
 * availability concerns every service, and each write is whatever the test queued for it.
 */
class ProbeLoop extends DirtyServiceLoop {
  /** Services written, in order. */
  readonly writes: string[] = [];
  readonly committedIds: string[] = [];
  /** Per service, the results of its next writes, first first; then `{}`. */
  readonly results = new Map<string, ServiceWrite[]>();
  readonly notOurs = new Set<string>();
  /** Each write also creates a task, so that it is proposed. */
  createTasks = false;

  constructor(opts: StoreLoopOptions) {
    super('probe', opts);
  }

  protected markAll(tx: ReadTx): void {
    for (const s of tx.list('service')) this.markDirty(s.ID);
  }

  protected onServiceChange(e: StoreChangeEvent): void {
    if (e.action !== 'remove') this.markDirty(e.object.ID);
  }

  protected onTaskChange(): void {}

  protected nodeChangeMatters(
    before: OrchestratedNode | undefined,
    now: OrchestratedNode,
    action: StoreChangeEvent['action'],
  ): boolean {
    return action !== 'update' || before?.Spec?.Availability !== now.Spec?.Availability;
  }

  protected override isOurs(_tx: ReadTx, serviceId: string): boolean {
    return !this.notOurs.has(serviceId);
  }

  protected write(tx: WriteTx, serviceId: string): ServiceWrite {
    this.writes.push(serviceId);
    if (this.createTasks) tx.create<OrchestratedTask>('task', { ServiceID: serviceId });
    return this.results.get(serviceId)?.shift() ?? {};
  }

  protected override committed(serviceId: string): void {
    this.committedIds.push(serviceId);
  }
}

const running: { stop(): void }[] = [];
afterEach(() => {
  for (const l of running.splice(0)) l.stop();
});

/** A store whose update() can be made to fail, as a version conflict or lost leadership would. */
function failing(store: MemoryStore) {
  const control = { failures: 0 };
  const wrapped: OrchestratorStore = {
    view: (fn) => store.view(fn),
    viewAndWatch: (fn, listener, o) => store.viewAndWatch(fn, listener, o),
    update: (fn) => {
      if (control.failures === 0) return store.update(fn);
      control.failures--;
      return Promise.reject(new Error('version conflict'));
    },
  };
  return { wrapped, control };
}

function probe(seed: number, opts: Partial<StoreLoopOptions> = {}) {
  const { store, clock } = directStore(seed);
  const { wrapped, control } = failing(store);
  const loop = new ProbeLoop({
    store: wrapped,
    clock,
    yieldToEventLoop: () => Promise.resolve(),
    ...opts,
  });
  running.push(loop);
  const createServices = async (...names: string[]) =>
    (
      await store.update((tx) => {
        for (const Name of names) tx.create<OrchestratedService>('service', { Spec: { Name } });
      })
    ).created;
  return { store, clock, loop, control, createServices };
}

describe('DirtyServiceLoop', () => {
  it('writes every service at start, then each service its changes mark', async () => {
    const { store, loop, createServices } = probe(1);
    const [a, b] = await createServices('a', 'b');
    loop.start();
    await loop.settled();
    expect(loop.writes).toEqual([a, b]);
    expect(loop.committedIds).toEqual([a, b]);

    await store.update((tx) => {
      const s = tx.get<OrchestratedService>('service', b!)!;
      tx.update('service', { ...s, Spec: { ...s.Spec, Labels: { x: '1' } } });
    });
    await loop.settled();
    expect(loop.writes).toEqual([a, b, b]);
  });

  it('retries a failed write at the next tick or commit, never at once', async () => {
    const { store, loop, control, createServices } = probe(2);
    const [a] = await createServices('a');
    control.failures = 1;
    loop.start();
    await loop.settled();
    // store.update failed before write() ran: nothing built, nothing taken in, no spin.
    expect(loop.writes).toEqual([]);
    expect(loop.committedIds).toEqual([]);
    await loop.tick();
    expect(loop.writes).toEqual([a]);

    control.failures = 1;
    await store.update((tx) => {
      const s = tx.get<OrchestratedService>('service', a!)!;
      tx.update('service', { ...s, Spec: { ...s.Spec, Labels: { x: '1' } } });
    });
    await loop.settled();
    expect(loop.writes).toEqual([a]);
    const [other] = await createServices('other');
    await loop.settled();
    expect([...loop.writes].sort()).toEqual([a!, a!, other!].sort());
  });

  it('backs off a service whose writes keep failing, doubling the delay, and recovers', async () => {
    const { clock, loop, control, createServices } = probe(7);
    const [a] = await createServices('a');
    control.failures = 1_000;
    loop.start();
    await loop.settled();
    // Three failures in a row are retried at the next tick (or commit)...
    for (let i = 0; i < 3; i++) await loop.tick();
    expect(1_000 - control.failures).toBe(4);
    // ...then the service is left alone for 500 ms, then 1 s, whatever ticks come.
    expect(loop.nextWakeAt()).toBe(clock.now() + 500);
    await loop.tick();
    expect(1_000 - control.failures).toBe(4);
    clock.advance(500);
    await loop.tick();
    expect(1_000 - control.failures).toBe(5);
    expect(loop.nextWakeAt()).toBe(clock.now() + 1000);
    // Once a write succeeds, failures start over.
    control.failures = 0;
    clock.advance(1000);
    await loop.tick();
    expect(loop.writes).toEqual([a]);
    expect(loop.nextWakeAt()).toBeUndefined();
  });

  it('wakes a service at the first tick at or after its wakeAt', async () => {
    const { loop, createServices } = probe(3);
    const [a] = await createServices('a');
    loop.results.set(a!, [{ wakeAt: T0 + 1000 }]);
    loop.start();
    await loop.settled();
    expect(loop.nextWakeAt()).toBe(T0 + 1000);

    await loop.tick(T0 + 999);
    expect(loop.writes).toEqual([a]);
    await loop.tick(T0 + 1000);
    expect(loop.writes).toEqual([a, a]);
    // That write asked for no wake-up.
    expect(loop.nextWakeAt()).toBeUndefined();
  });

  it('writes a service again while its write says there is more', async () => {
    const { loop, createServices } = probe(4);
    const [a] = await createServices('a');
    loop.results.set(a!, [{ again: true }, { again: true }]);
    loop.start();
    await loop.settled();
    expect(loop.writes).toEqual([a, a, a]);
  });

  it('resolves node changes that matter to services at the pass, dropping those not ours', async () => {
    const { store, loop, createServices } = probe(5);
    await store.update((tx) => {
      tx.create<OrchestratedNode>('node', {
        ID: 'n1',
        Spec: { Role: 'worker', Availability: 'active' },
        Status: { State: 'ready' },
      });
    });
    const [a, b] = await createServices('a', 'b');
    loop.results.set(b!, [{ wakeAt: T0 + 5000 }]);
    loop.start();
    await loop.settled();
    loop.writes.length = 0;

    const patchNode = (spec: Partial<OrchestratedNode['Spec']>) =>
      store.update((tx) => {
        const n = tx.get<OrchestratedNode>('node', 'n1')!;
        tx.update('node', { ...n, Spec: { ...n.Spec, ...spec } });
      });
    await patchNode({ Labels: { zone: 'a' } });
    await loop.settled();
    expect(loop.writes).toEqual([]);

    // Every service by default; b is no longer ours, so its wake-up goes too.
    loop.notOurs.add(b!);
    await patchNode({ Availability: 'drain' });
    await loop.settled();
    expect(loop.writes).toEqual([a]);
    expect(loop.nextWakeAt()).toBeUndefined();
  });

  it('keeps nothing once stopped: no wake-up, no retry, no write', async () => {
    const { loop, control, createServices } = probe(6);
    const [a] = await createServices('a');
    loop.results.set(a!, [{ wakeAt: T0 + 1000 }]);
    loop.start();
    await loop.settled();
    control.failures = 1;
    loop.stop();
    expect(loop.nextWakeAt()).toBeUndefined();
    await loop.tick(T0 + 2000);
    await createServices('b');
    await loop.settled();
    expect(loop.writes).toEqual([a]);
  });

  it('yields between builds and keeps at most maxProposalsInFlight proposals waiting', async () => {
    const clock = new ManualClock(T0);
    const proposer = new QueuedProposer();
    const store = new MemoryStore({
      proposer,
      clock,
      newId: objectIdGenerator(seededRandomBytes(7)),
    });
    proposer.attach(store);
    const pendingAtYield: number[] = [];
    const loop = new ProbeLoop({
      store,
      clock,
      maxProposalsInFlight: 3,
      yieldToEventLoop: async () => {
        pendingAtYield.push(proposer.pending);
      },
    });
    loop.createTasks = true;
    running.push(loop);
    const created = store.update((tx) => {
      for (let i = 0; i < 10; i++) {
        tx.create<OrchestratedService>('service', { Spec: { Name: `s${i}` } });
      }
    });
    await proposer.commit();
    await created;
    loop.start();
    let done = false;
    void loop.settled().then(() => (done = true));
    for (let rounds = 0; !done && rounds < 100; rounds++) {
      for (let i = 0; i < 200; i++) await Promise.resolve();
      if (proposer.pending > 0) await proposer.commit();
    }
    expect(done).toBe(true);
    expect(loop.writes).toHaveLength(10);
    // A yield before every build but the first; never more than 3 proposals waiting.
    expect(pendingAtYield).toHaveLength(9);
    expect(Math.max(...pendingAtYield)).toBe(3);
  });
});

describe('every loop on DirtyServiceLoop yields between its services', () => {
  const serviceSpecs = (labels: Record<string, string>) =>
    Array.from({ length: 4 }, (_, i) => ({
      Name: `s${i}`,
      Labels: labels,
      Mode: { Replicated: { Replicas: 1 } },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
    }));

  it.each([
    ['UpdateSupervisor', (o: StoreLoopOptions) => new UpdateSupervisor(o), {}],
    [
      'ServiceRebalancer',
      (o: StoreLoopOptions) => new ServiceRebalancer(o),
      { 'shoal.rebalance': 'true' },
    ],
  ] as const)('%s', async (_name, build, labels) => {
    const { store, clock } = directStore(8);
    let yields = 0;
    const loop = build({
      store,
      clock,
      maxProposalsInFlight: 2,
      yieldToEventLoop: async () => {
        yields++;
      },
    });
    running.push(loop);
    await store.update((tx) => {
      for (const Spec of serviceSpecs(labels)) tx.create<OrchestratedService>('service', { Spec });
    });
    loop.start();
    await loop.settled();
    expect(yields).toBe(3);
  });
});
