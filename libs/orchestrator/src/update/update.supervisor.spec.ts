import { type ServiceSpec, type TaskState } from '@shoal/api/swarm';
import { type MemoryStore, rfc3339Nano, StoreError, type WriteTx } from '@shoal/store';
import { ManualClock } from '@shoal/common';
import { directStore, T0 } from '@shoal/store/testing/store.fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { GlobalOrchestrator } from '../global/global.orchestrator';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '../replicated/replicated.types';
import { MS, specWith } from './testing/update.sim';
import { UpdateSupervisor } from './update.supervisor';

type Part = { stop(): void; settled(): Promise<void> };
const parts: Part[] = [];
afterEach(() => {
  for (const p of parts.splice(0)) p.stop();
});

interface SetupOptions {
  wrap?: (s: MemoryStore) => MemoryStore;
  maxTaskWrites?: number;
  nodes?: string[];
  global?: boolean;
  /** The store's clock moves 1 ms at every reading, as a real one may between two reads. */
  ticking?: boolean;
}

function setup(opts: SetupOptions = {}) {
  const clock = new ManualClock(T0);
  const storeClock = opts.ticking ? { now: () => (clock.advance(1), clock.now()) } : clock;
  const { store, proposer } = directStore(5, { clock: storeClock });
  const target = opts.wrap ? opts.wrap(store) : store;
  const orchestrator = opts.global
    ? new GlobalOrchestrator({ store, clock })
    : new ReplicatedOrchestrator({ store, clock });
  const newUpdater = () => {
    const u = new UpdateSupervisor({
      store: target,
      clock: storeClock,
      maxTaskWrites: opts.maxTaskWrites,
    });
    parts.push(u);
    return u;
  };
  let updater = newUpdater();
  parts.push(orchestrator);
  let serviceId = '';

  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await Promise.all([orchestrator.settled(), updater.settled()]);
      await Promise.resolve();
    }
  };
  const write = async (fn: (tx: WriteTx) => void) => {
    await store.update(fn);
    await settle();
  };
  const tasks = () =>
    store
      .view((tx) => tx.tasksByService<OrchestratedTask>(serviceId))
      .sort((a, b) => a.Slot! - b.Slot! || (a.CreatedAt < b.CreatedAt ? -1 : 1));
  const service = () => store.view((tx) => tx.get<OrchestratedService>('service', serviceId)!);
  const status = (state: TaskState) => ({ State: state, Timestamp: rfc3339Nano(clock.now()) });
  /** The scheduler and the agents: place and run pending tasks, stop what must stop. */
  const agents = async () => {
    for (let i = 0; i < 3; i++) {
      await write((tx) => {
        for (const t of tx.tasksByService<OrchestratedTask>(serviceId)) {
          const s = t.Status?.State;
          if (t.DesiredState === 'running' && s === 'pending') {
            tx.update('task', { ...t, NodeID: t.NodeID ?? 'n1', Status: status('running') });
          } else if (t.DesiredState !== 'running' && s === 'running') {
            tx.update('task', { ...t, Status: status('shutdown') });
          }
        }
      });
    }
  };
  const updateSpec = (spec: ServiceSpec) =>
    write((tx) => {
      const s = tx.get<OrchestratedService>('service', serviceId)!;
      const next: OrchestratedService = { ...s, Spec: spec, PreviousSpec: s.Spec };
      delete next.UpdateStatus;
      tx.update('service', next);
    });

  return {
    store,
    proposer,
    clock,
    orchestrator,
    get updater() {
      return updater;
    },
    settle,
    write,
    tasks,
    service,
    agents,
    updateSpec,
    status,
    async start(spec: ServiceSpec) {
      await store.update((tx) => {
        for (const id of opts.nodes ?? ['n1']) {
          tx.create<OrchestratedNode>('node', {
            ID: id,
            Spec: { Role: 'worker', Availability: 'active' },
            Status: { State: 'ready' },
          });
        }
      });
      orchestrator.start();
      updater.start();
      const r = await store.update((tx) => {
        tx.create<OrchestratedService>('service', { Spec: spec });
      });
      serviceId = r.created[0]!;
      await settle();
      await agents();
      clock.advance(10_000);
    },
    /** Past the final monitor window (Delay + 1 s when Delay >= Monitor). */
    async finalWindow(ms = 1000) {
      clock.advance(ms);
      await updater.tick();
      await settle();
    },
    /** A new leader: a fresh updater on the same store. */
    async failover() {
      updater.stop();
      updater = newUpdater();
      updater.start();
      await settle();
    },
  };
}

describe('UpdateSupervisor', () => {
  it('rolls a service across in Parallelism batches, Delay apart, to completed', async () => {
    const c = await (async () => {
      const c = setup();
      await c.start(specWith('app:1', 6, { Parallelism: 2, Delay: 1000 * MS, Monitor: 0 }));
      return c;
    })();
    await c.updateSpec(specWith('app:2', 6, { Parallelism: 2, Delay: 1000 * MS, Monitor: 0 }));
    expect(c.service().UpdateStatus?.State).toBe('updating');
    const batches: number[] = [];
    for (let step = 0; step < 10 && c.service().UpdateStatus?.State !== 'completed'; step++) {
      await c.agents();
      batches.push(c.tasks().filter((t) => t.Spec?.ContainerSpec?.Image === 'app:2').length);
      expect(c.updater.nextWakeAt()).toBe(c.clock.now() + 1000);
      c.clock.advance(1000);
      await c.updater.tick();
      await c.settle();
    }
    // Three batches, then Delay + 1 s of monitoring (Delay >= Monitor), as swarmkit.
    expect(batches).toEqual([2, 4, 6, 6]);
    expect(c.service().UpdateStatus).toMatchObject({
      State: 'completed',
      Message: 'update completed',
    });
    // Each slot: its old task shut down, its new one running.
    for (let slot = 1; slot <= 6; slot++) {
      const history = c.tasks().filter((t) => t.Slot === slot);
      expect(history.map((t) => [t.Spec?.ContainerSpec?.Image, t.Status?.State])).toEqual([
        ['app:1', 'shutdown'],
        ['app:2', 'running'],
      ]);
    }
  });

  it('never lets the replicated orchestrator fill a slot being replaced', async () => {
    const c = setup();
    await c.start(specWith('app:1', 3, { Parallelism: 0 }));
    await c.updateSpec(specWith('app:2', 3, { Parallelism: 0 }));
    // Old tasks desired shutdown, held replacements: still 3 slots, 3 tasks desired running.
    const wanted = c.tasks().filter((t) => t.DesiredState === 'running');
    expect(wanted.map((t) => [t.Slot, t.Status?.State])).toEqual([
      [1, 'new'],
      [2, 'new'],
      [3, 'new'],
    ]);
    expect(c.tasks()).toHaveLength(6);
    await c.agents();
    expect(
      c
        .tasks()
        .filter((t) => t.DesiredState === 'running')
        .map((t) => t.Status?.State),
    ).toEqual(['running', 'running', 'running']);
    expect(c.tasks()).toHaveLength(6);
  });

  it('carries on after a failover with no slot replaced twice', async () => {
    const c = setup();
    await c.start(specWith('app:1', 4, { Parallelism: 1, Monitor: 0 }));
    await c.updateSpec(specWith('app:2', 4, { Parallelism: 1, Monitor: 0 }));
    await c.agents();
    await c.failover();
    await c.agents();
    await c.failover();
    for (let i = 0; i < 6; i++) await c.agents();
    await c.finalWindow();
    expect(c.service().UpdateStatus?.State).toBe('completed');
    for (let slot = 1; slot <= 4; slot++) {
      const images = c
        .tasks()
        .filter((t) => t.Slot === slot)
        .map((t) => t.Spec?.ContainerSpec?.Image);
      expect(images).toEqual(['app:1', 'app:2']);
    }
  });

  it('does not plan a quiet service again for replicas created from its current template', async () => {
    let plans = 0;
    const c = setup({
      wrap: (store) =>
        ({
          view: store.view.bind(store),
          viewAndWatch: store.viewAndWatch.bind(store),
          update: (fn: (tx: WriteTx) => void) => {
            plans++;
            return store.update(fn);
          },
        }) as unknown as MemoryStore,
    });
    await c.start(specWith('app:1', 3, {}));
    const quiet = plans;
    // The orchestrator refills a slot: a clean create, nothing for the updater.
    await c.write((tx) => {
      const t = tx.tasksByService<OrchestratedTask>(c.service().ID)[0]!;
      tx.update('task', { ...t, DesiredState: 'shutdown', Status: c.status('shutdown') });
    });
    await c.agents();
    expect(c.tasks().filter((t) => t.DesiredState === 'running')).toHaveLength(3);
    expect(plans).toBe(quiet);
    // A task from another template is planned at once.
    await c.write((tx) => {
      const t = tx.tasksByService<OrchestratedTask>(c.service().ID)[0]!;
      tx.create<OrchestratedTask>('task', {
        ServiceID: t.ServiceID,
        Slot: 99,
        Spec: { ContainerSpec: { Image: 'other' } },
        DesiredState: 'shutdown',
        Status: c.status('shutdown'),
      });
    });
    expect(plans).toBeGreaterThan(quiet);
  });

  it('retries a failed write at the next commit', async () => {
    let failNext = 0;
    const c = setup({
      wrap: (store) =>
        ({
          view: store.view.bind(store),
          viewAndWatch: store.viewAndWatch.bind(store),
          update: (fn: (tx: WriteTx) => void) => {
            if (failNext > 0) {
              failNext--;
              return Promise.reject(
                new StoreError({
                  code: 'VersionConflict',
                  kind: 'service',
                  id: 'x',
                  message: 'update out of sequence',
                }),
              );
            }
            return store.update(fn);
          },
        }) as unknown as MemoryStore,
    });
    await c.start(specWith('app:1', 2));
    failNext = 1;
    await c.updateSpec(specWith('app:2', 2));
    expect(c.service().UpdateStatus).toBeUndefined();
    await c.updater.tick();
    await c.settle();
    expect(c.service().UpdateStatus?.State).toBe('updating');
  });

  it('a new leader does not count a failure that came long after Monitor, before it led', async () => {
    const cfg = { Parallelism: 1, Delay: 60_000 * MS, Monitor: 1000 * MS };
    const c = setup();
    await c.start(specWith('app:1', 2, cfg));
    await c.updateSpec(specWith('app:2', 2, cfg));
    await c.agents();
    const updated = c.tasks().find((t) => t.Spec?.ContainerSpec?.Image === 'app:2')!;
    expect(updated.Status?.State).toBe('running');
    // It runs well past Monitor, then crashes; the update waits out its Delay meanwhile.
    c.clock.advance(10_000);
    await c.write((tx) => {
      const t = tx.get<OrchestratedTask>('task', updated.ID)!;
      tx.update('task', { ...t, Status: c.status('failed') });
    });
    expect(c.service().UpdateStatus?.State).toBe('updating');
    c.clock.advance(1000);
    await c.failover();
    await c.updater.tick();
    await c.settle();
    expect(c.service().UpdateStatus?.State).toBe('updating');
  });

  it('splits a large update into bounded writes', async () => {
    const c = setup({ maxTaskWrites: 10 });
    await c.start(specWith('app:1', 12, { Parallelism: 0 }));
    await c.updateSpec(specWith('app:2', 12, { Parallelism: 0 }));
    const held = c.tasks().filter((t) => t.Status?.State === 'new');
    expect(held).toHaveLength(12);
  });

  it('keeps each write within the byte budget when tasks are large', async () => {
    const c = setup();
    const big = (image: string) => {
      const spec = specWith(image, 60, { Parallelism: 0 });
      spec.TaskTemplate!.ContainerSpec!.Env = [`BLOB=${'x'.repeat(20_000)}`];
      return spec;
    };
    await c.start(big('app:1'));
    const before = c.proposer.log.length;
    await c.updateSpec(big('app:2'));
    expect(c.tasks().filter((t) => t.Status?.State === 'new')).toHaveLength(60);
    const sizes = c.proposer.log.slice(before).map((e) => e.data.byteLength);
    // 60 tasks of ~20 KB are 1.2 MB: more than one entry, each within half of Raft's 1 MiB.
    expect(sizes.filter((n) => n > 100_000).length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512 * 1024 + 4096);
  });

  it.each([false, true])(
    'rolls back automatically and ends rollback_completed on the previous spec (ticking clock: %s)',
    async (ticking) => {
      const cfg = { FailureAction: 'rollback' as const, Monitor: 0 };
      const c = setup({ ticking });
      await c.start(specWith('app:1', 2, cfg));
      await c.updateSpec(specWith('bad:2', 2, cfg));
      // The new task fails as soon as it is placed.
      await c.write((tx) => {
        for (const t of tx.tasksByService<OrchestratedTask>(c.service().ID)) {
          if (t.DesiredState !== 'running' && t.Status?.State === 'running') {
            tx.update('task', {
              ...t,
              Status: { State: 'shutdown', Timestamp: rfc3339Nano(c.clock.now()) },
            });
          }
        }
      });
      const held = c
        .tasks()
        .find((t) => t.DesiredState === 'running' && t.Status?.State === 'pending')!;
      await c.write((tx) => {
        const t = tx.get<OrchestratedTask>('task', held.ID)!;
        tx.update('task', {
          ...t,
          NodeID: 'n1',
          Status: { State: 'failed', Timestamp: rfc3339Nano(c.clock.now()) },
        });
      });
      expect(c.service().UpdateStatus).toMatchObject({
        State: 'rollback_started',
        Message: `update rolled back due to failure or early termination of task ${held.ID}`,
      });
      expect(c.service().PreviousSpec).toBeUndefined();
      for (let i = 0; i < 6; i++) await c.agents();
      // RollbackConfig's Monitor (its default, 5 s) is the final window of the rollback.
      await c.finalWindow(4000);
      expect(c.service().UpdateStatus?.State).toBe('rollback_started');
      await c.finalWindow(1000);
      expect(c.service().UpdateStatus).toMatchObject({ State: 'rollback_completed' });
      const running = c.tasks().filter((t) => t.DesiredState === 'running');
      expect(running.map((t) => [t.Spec?.ContainerSpec?.Image, t.Status?.State])).toEqual([
        ['app:1', 'running'],
        ['app:1', 'running'],
      ]);
    },
  );

  it('updates a global service node by node, the global orchestrator adding nothing', async () => {
    const global = (image: string): ServiceSpec => ({
      Name: 'agent',
      Mode: { Global: {} },
      TaskTemplate: { ContainerSpec: { Image: image } },
      UpdateConfig: { Parallelism: 1, Monitor: 0 },
    });
    const c = setup({ global: true, nodes: ['n1', 'n2', 'n3'] });
    await c.start(global('agent:1'));
    expect(c.tasks()).toHaveLength(3);
    await c.updateSpec(global('agent:2'));
    // One node at a time: its old task stopping, its new one held on that node.
    const held = c.tasks().filter((t) => t.Status?.State === 'new');
    expect(held.map((t) => t.NodeID)).toEqual(['n1']);
    expect(c.tasks()).toHaveLength(4);
    for (let i = 0; i < 6; i++) await c.agents();
    await c.finalWindow();
    expect(c.service().UpdateStatus?.State).toBe('completed');
    const byNode = new Map<string, string[]>();
    for (const t of c.tasks()) {
      byNode.set(t.NodeID!, [...(byNode.get(t.NodeID!) ?? []), t.Spec!.ContainerSpec!.Image!]);
    }
    expect(Object.fromEntries(byNode)).toEqual({
      n1: ['agent:1', 'agent:2'],
      n2: ['agent:1', 'agent:2'],
      n3: ['agent:1', 'agent:2'],
    });
  });
});

describe('UpdateSupervisor: canary and drain in the store', () => {
  const labelled = (spec: ServiceSpec, labels: Record<string, string>): ServiceSpec => ({
    ...spec,
    Labels: labels,
  });

  it('writes the draining mark on the task, and a new leader stops it at mark + delay', async () => {
    const c = setup();
    const drain = { 'shoal.update.drain': '4s' };
    await c.start(labelled(specWith('app:1', 2, { Monitor: 0 }), drain));
    await c.updateSpec(labelled(specWith('app:2', 2, { Monitor: 0 }), drain));
    const marked = c.tasks().filter((t) => t.Labels?.['shoal.draining-since'] !== undefined);
    expect(marked).toHaveLength(1);
    expect(marked[0]!.Labels!['shoal.draining-since']).toBe(rfc3339Nano(c.clock.now()));
    expect(marked[0]!.DesiredState).toBe('running');
    expect(c.updater.nextWakeAt()).toBe(c.clock.now() + 4000);
    c.clock.advance(2500);
    await c.failover();
    expect(c.tasks().find((t) => t.ID === marked[0]!.ID)!.DesiredState).toBe('running');
    expect(c.updater.nextWakeAt()).toBe(c.clock.now() + 1500);
    c.clock.advance(1500);
    await c.updater.tick();
    await c.settle();
    const old = c.tasks().find((t) => t.ID === marked[0]!.ID)!;
    expect(old.DesiredState).toBe('shutdown');
    // Its held replacement came in the same write.
    expect(
      c.tasks().filter((t) => t.Slot === old.Slot && t.DesiredState === 'running'),
    ).toMatchObject([{ Status: { State: 'new' } }]);
  });

  it('pauses after the canary with its marker, and a new leader resumes it at the pause end', async () => {
    const c = setup();
    const labels = { 'shoal.update.canary': '1', 'shoal.update.canary.pause': '5s' };
    const update = { Parallelism: 1, Monitor: 1000 * MS };
    await c.start(labelled(specWith('app:1', 3, update), labels));
    await c.updateSpec(labelled(specWith('app:2', 3, update), labels));
    await c.agents();
    await c.finalWindow(1000);
    const paused = c.service().UpdateStatus as { State: string; ShoalCanary?: object };
    expect(paused).toMatchObject({
      State: 'paused',
      ShoalCanary: { PausedAt: rfc3339Nano(c.clock.now()) },
    });
    const images = () =>
      c
        .tasks()
        .filter((t) => t.DesiredState === 'running')
        .map((t) => t.Spec?.ContainerSpec?.Image);
    expect(images()).toEqual(['app:2', 'app:1', 'app:1']);
    c.clock.advance(3000);
    await c.failover();
    expect(c.updater.nextWakeAt()).toBe(c.clock.now() + 2000);
    c.clock.advance(2000);
    await c.updater.tick();
    await c.settle();
    expect(c.service().UpdateStatus?.State).toBe('updating');
    for (let i = 0; i < 6 && c.service().UpdateStatus?.State !== 'completed'; i++) {
      await c.agents();
      await c.finalWindow(1000);
    }
    expect(c.service().UpdateStatus?.State).toBe('completed');
    expect(images()).toEqual(['app:2', 'app:2', 'app:2']);
  });
});
