import { type ServiceSpec, type TaskState } from '@shoal/api';
import { type MemoryStore, rfc3339Nano, StoreError, type WriteTx } from '@shoal/store';
import { directStore } from '@shoal/store/testing/store.fixtures';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicatedOrchestrator } from './replicated.orchestrator';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from './replicated.types';

function spec(replicas: number, extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    Name: 'web',
    Labels: { tier: 'front' },
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: 'busybox', Args: ['httpd'] } },
    ...extra,
  };
}

function setup(opts: { wrap?: (store: MemoryStore) => MemoryStore } = {}) {
  const { store, proposer, clock } = directStore(7);
  const orch = new ReplicatedOrchestrator({
    store: opts.wrap ? opts.wrap(store) : store,
    clock,
  });
  running.push(orch);
  const tasks = (desired: TaskState = 'running') =>
    store
      .view((tx) => tx.tasksByService<OrchestratedTask>(serviceId))
      .filter((t) => t.DesiredState === desired)
      .sort((a, b) => a.Slot! - b.Slot!);
  let serviceId = '';
  const createService = async (s: ServiceSpec, extra: Partial<OrchestratedService> = {}) => {
    const r = await store.update((tx) => {
      tx.create<OrchestratedService>('service', { ...extra, Spec: s });
    });
    serviceId = r.created[0]!;
    await orch.settled();
    return serviceId;
  };
  const write = async (fn: (tx: WriteTx) => void) => {
    await store.update(fn);
    await orch.settled();
  };
  const scale = (n: number) =>
    write((tx) => {
      const s = tx.get<OrchestratedService>('service', serviceId)!;
      tx.update('service', { ...s, Spec: { ...s.Spec, Mode: { Replicated: { Replicas: n } } } });
    });
  const setTask = (id: string, patch: Partial<OrchestratedTask>) =>
    write((tx) => {
      const t = tx.get<OrchestratedTask>('task', id)!;
      tx.update('task', { ...t, ...patch });
    });
  const addNode = (id: string) =>
    write((tx) => {
      tx.create<OrchestratedNode>('node', { ID: id, Spec: {}, Status: { State: 'ready' } });
    });
  return { store, proposer, clock, orch, tasks, createService, write, scale, setTask, addNode };
}

const running: ReplicatedOrchestrator[] = [];
afterEach(() => {
  for (const o of running.splice(0)) o.stop();
});

describe('ReplicatedOrchestrator', () => {
  it('creates N pending tasks for a new service in one proposal', async () => {
    const h = setup();
    h.orch.start();
    const before = h.proposer.log.length;
    const id = await h.createService(spec(3));
    expect(h.proposer.log.length - before).toBe(2); // the service, then its tasks
    const tasks = h.tasks();
    expect(tasks.map((t) => t.Slot)).toEqual([1, 2, 3]);
    for (const t of tasks) {
      expect(t).toMatchObject({
        ServiceID: id,
        DesiredState: 'running',
        Status: { State: 'pending', Message: 'created', Timestamp: rfc3339Nano(h.clock.now()) },
        ServiceAnnotations: { Name: 'web', Labels: { tier: 'front' } },
        Spec: { ContainerSpec: { Image: 'busybox', Args: ['httpd'] } },
      });
      expect(t.NodeID).toBeUndefined();
      expect(t.Version.Index).toBe(before + 2);
    }
    // Nothing more to do: the orchestrator's own write does not make it write again.
    expect(h.proposer.log.length).toBe(before + 2);
  });

  it('reconciles the services that exist when it starts, and orphaned tasks', async () => {
    const h = setup();
    await h.createService(spec(2));
    const orphans: string[] = [];
    await h.write((tx) => {
      for (const desired of ['running', 'shutdown'] as const) {
        const t = tx.create<OrchestratedTask>('task', {
          ServiceID: `gone-${desired}`,
          Slot: 1,
          DesiredState: desired,
          Status: { State: desired === 'running' ? 'running' : 'failed' },
        });
        orphans.push(t.ID);
      }
    });
    expect(h.tasks()).toHaveLength(0);
    h.orch.start();
    await h.orch.settled();
    expect(h.tasks()).toHaveLength(2);
    // Both a live task and a stopped one of a service removed while no orchestrator ran.
    for (const id of orphans) {
      expect(h.store.view((tx) => tx.get<OrchestratedTask>('task', id))?.DesiredState).toBe(
        'remove',
      );
    }
  });

  it('scales up and down, removing from the busiest node first', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.createService(spec(3));
    await h.scale(5);
    expect(h.tasks().map((t) => t.Slot)).toEqual([1, 2, 3, 4, 5]);
    // The scheduler's part: n1 gets slots 1-3, n2 gets 4-5.
    for (const t of h.tasks()) {
      await h.setTask(t.ID, { NodeID: t.Slot! <= 3 ? 'n1' : 'n2', Status: { State: 'running' } });
    }
    await h.scale(3);
    expect(h.tasks().map((t) => [t.Slot, t.NodeID])).toEqual([
      [1, 'n1'],
      [2, 'n1'],
      [4, 'n2'],
    ]);
    expect(h.tasks('shutdown').map((t) => t.Slot)).toEqual([3, 5]);
    await h.scale(4);
    expect(h.tasks().map((t) => t.Slot)).toEqual([1, 2, 3, 4]);
  });

  it('replaces a failed task only after a tick past the restart delay', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.createService(spec(2));
    const victim = h.tasks()[1]!;
    await h.setTask(victim.ID, {
      NodeID: 'n1',
      Status: { State: 'failed', Timestamp: rfc3339Nano(h.clock.now()), Err: 'exit 1' },
    });
    expect(h.tasks()).toHaveLength(2); // still desired running: waiting
    expect(h.orch.nextWakeAt()).toBe(h.clock.now() + 5_000);

    h.clock.advance(4_999);
    await h.orch.tick();
    expect(h.tasks().map((t) => t.ID)).toContain(victim.ID);

    h.clock.advance(1);
    const before = h.proposer.log.length;
    await h.orch.tick();
    expect(h.proposer.log.length).toBe(before + 1);
    const now = h.tasks();
    expect(now.map((t) => t.Slot)).toEqual([1, 2]);
    expect(now[1]!.ID).not.toBe(victim.ID);
    expect(now[1]!.Status).toMatchObject({ State: 'pending' });
    expect(h.store.view((tx) => tx.get<OrchestratedTask>('task', victim.ID))?.DesiredState).toBe(
      'shutdown',
    );
    expect(h.orch.nextWakeAt()).toBeUndefined();
  });

  it('replaces the tasks of a node that goes down', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.createService(spec(2));
    const [a, b] = h.tasks();
    const started = rfc3339Nano(h.clock.now());
    await h.setTask(a!.ID, { NodeID: 'n1', Status: { State: 'running', Timestamp: started } });
    await h.setTask(b!.ID, { NodeID: 'n2', Status: { State: 'running', Timestamp: started } });
    h.clock.advance(60_000);
    await h.write((tx) => {
      const n = tx.get<OrchestratedNode>('node', 'n2')!;
      tx.update('node', { ...n, Status: { State: 'down' } });
    });
    const live = h.tasks();
    expect(live.map((t) => t.Slot)).toEqual([1, 2]);
    expect(live[0]!.ID).toBe(a!.ID);
    expect(live[1]!.NodeID).toBeUndefined();
    expect(h.tasks('shutdown').map((t) => t.ID)).toEqual([b!.ID]);
  });

  it('marks every task of a removed service for removal, stopped ones too', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    const id = await h.createService(spec(3));
    // Slot 1 failed and was replaced: its old task stays, desired shutdown, as history.
    const failed = h.tasks()[0]!;
    await h.setTask(failed.ID, {
      NodeID: 'n1',
      Status: { State: 'failed', Timestamp: rfc3339Nano(h.clock.now()) },
    });
    h.clock.advance(5_000);
    await h.orch.tick();
    expect(h.tasks('shutdown').map((t) => t.ID)).toEqual([failed.ID]);

    const before = h.proposer.log.length;
    await h.write((tx) => tx.remove('service', id));
    expect(h.proposer.log.length - before).toBe(2); // the removal, then one write of the tasks
    expect(h.tasks()).toHaveLength(0);
    expect(h.tasks('shutdown')).toHaveLength(0);
    const removed = h.tasks('remove');
    expect(removed).toHaveLength(4);
    expect(removed.map((t) => t.ID)).toContain(failed.ID);

    // Nothing is written again for them, whatever else commits.
    const after = h.proposer.log.length;
    await h.addNode('n2');
    await h.orch.tick(h.clock.now() + 60_000);
    expect(h.proposer.log.length).toBe(after + 1);
  });

  it("puts the service's registry credentials on its tasks, for the executor's pull", async () => {
    const h = setup();
    h.orch.start();
    const auth = Buffer.from('{"username":"u","password":"p"}').toString('base64url');
    const id = await h.createService(spec(2), { RegistryAuth: auth });
    const tasks = h.tasks();
    expect(tasks).toHaveLength(2);
    for (const t of tasks) {
      expect(t.Spec?.ContainerSpec).toEqual({
        Image: 'busybox',
        Args: ['httpd'],
        PullOptions: { RegistryAuth: auth },
      });
    }
    // The service's own template is left as it was.
    const service = h.store.view((tx) => tx.get<OrchestratedService>('service', id))!;
    expect(service.Spec.TaskTemplate?.ContainerSpec).toEqual({ Image: 'busybox', Args: ['httpd'] });
  });

  it('gives tasks no PullOptions when the service has no registry credentials', async () => {
    const h = setup();
    h.orch.start();
    await h.createService(spec(1));
    expect(h.tasks()[0]!.Spec?.ContainerSpec).not.toHaveProperty('PullOptions');
  });

  it('leaves global services alone', async () => {
    const h = setup();
    h.orch.start();
    await h.createService({ Name: 'g', Mode: { Global: {} } });
    expect(h.tasks()).toHaveLength(0);
  });

  it('retries a failed write at the next commit', async () => {
    let fail = 1;
    const h = setup({
      wrap: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'update') {
              return (fn: (tx: WriteTx) => void) => {
                if (fail-- > 0) {
                  return Promise.reject(
                    new StoreError({
                      code: 'VersionConflict',
                      kind: 'task',
                      id: 'x',
                      message: 'update out of sequence',
                    }),
                  );
                }
                return target.update(fn);
              };
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    h.orch.start();
    await h.createService(spec(2));
    expect(h.tasks()).toHaveLength(0);
    await h.addNode('n1'); // any commit
    expect(h.tasks()).toHaveLength(2);
  });

  it('writes nothing once stopped', async () => {
    const h = setup();
    h.orch.start();
    h.orch.stop();
    await h.createService(spec(2));
    expect(h.tasks()).toHaveLength(0);
    await h.orch.tick(h.clock.now() + 60_000);
    expect(h.tasks()).toHaveLength(0);
  });
});
