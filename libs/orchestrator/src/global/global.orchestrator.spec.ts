import { type ServiceSpec } from '@shoal/api';
import { rfc3339Nano, StoreError, type WriteTx } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { orchestratorHarness } from '../common/testing/orchestrator.harness';
import { Scheduler } from '@shoal/scheduler';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import { type OrchestratedTask } from '../replicated/replicated.types';
import { GlobalOrchestrator } from './global.orchestrator';

function spec(extra: Partial<ServiceSpec['TaskTemplate']> = {}): ServiceSpec {
  return {
    Name: 'agent',
    Labels: { tier: 'infra' },
    Mode: { Global: {} },
    TaskTemplate: { ContainerSpec: { Image: 'busybox', Args: ['sleep', '1d'] }, ...extra },
  };
}

const running: { stop(): void }[] = [];
afterEach(() => {
  for (const o of running.splice(0)) o.stop();
});

function setup() {
  const h = orchestratorHarness((store, clock) => new GlobalOrchestrator({ store, clock }));
  running.push(h.orch);
  const byNode = () => Object.fromEntries(h.tasks('running').map((t) => [t.NodeID!, t] as const));
  return { ...h, byNode };
}

describe('GlobalOrchestrator', () => {
  it('creates one task per ready node, preassigned there, in one proposal', async () => {
    const h = setup();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.addNode('n3', {}, 'down');
    h.orch.start();
    const before = h.proposer.log.length;
    const id = await h.createService(spec());
    expect(h.proposer.log.length - before).toBe(2); // the service, then its tasks
    const tasks = h.tasks();
    expect(tasks.map((t) => t.NodeID).sort()).toEqual(['n1', 'n2']);
    for (const t of tasks) {
      expect(t).toMatchObject({
        ServiceID: id,
        DesiredState: 'running',
        Status: { State: 'pending', Message: 'created', Timestamp: rfc3339Nano(h.clock.now()) },
        ServiceAnnotations: { Name: 'agent', Labels: { tier: 'infra' } },
        Spec: { ContainerSpec: { Image: 'busybox', Args: ['sleep', '1d'] } },
      });
      expect(t.Slot).toBeUndefined();
      expect(t.JobIteration).toBeUndefined();
    }
    expect(h.proposer.log.length).toBe(before + 2);
  });

  it('reconciles the global services that exist when it starts', async () => {
    const h = setup();
    await h.addNode('n1');
    await h.createService(spec());
    expect(h.tasks()).toHaveLength(0);
    h.orch.start();
    await h.orch.settled();
    expect(Object.keys(h.byNode())).toEqual(['n1']);
  });

  it('follows nodes joining, draining, pausing and leaving', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.createService(spec());
    await h.addNode('n2');
    expect(Object.keys(h.byNode()).sort()).toEqual(['n1', 'n2']);
    const first = h.byNode().n2!;

    await h.setNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'drain' } }));
    expect(Object.keys(h.byNode())).toEqual(['n1']);
    expect(h.tasks('shutdown').map((t) => t.ID)).toEqual([first.ID]);

    // Paused: nothing new there, but what runs keeps running.
    await h.setNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'pause' } }));
    expect(Object.keys(h.byNode())).toEqual(['n1']);
    await h.setNode('n1', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'pause' } }));
    expect(Object.keys(h.byNode())).toEqual(['n1']);

    await h.setNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Availability: 'active' } }));
    expect(Object.keys(h.byNode()).sort()).toEqual(['n1', 'n2']);
    expect(h.byNode().n2!.ID).not.toBe(first.ID);

    const onN1 = h.byNode().n1!;
    await h.write((tx) => tx.remove('node', 'n1'));
    expect(Object.keys(h.byNode())).toEqual(['n2']);
    expect(h.store.view((tx) => tx.get<OrchestratedTask>('task', onN1.ID))?.DesiredState).toBe(
      'shutdown',
    );
  });

  it('keeps the task of a node that goes down, and does not restart it when it returns', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.createService(spec());
    const t = h.byNode().n1!;
    await h.setTask(t.ID, { Status: { State: 'running', Timestamp: rfc3339Nano(h.clock.now()) } });
    const writes = h.proposer.log.length;
    await h.setNode('n1', (n) => ({ ...n, Status: { State: 'down' } }));
    h.clock.advance(60_000);
    await h.orch.tick();
    await h.setNode('n1', (n) => ({ ...n, Status: { State: 'ready' } }));
    expect(h.proposer.log.length).toBe(writes + 2); // only the two node writes
    expect(h.tasks().map((x) => x.ID)).toEqual([t.ID]);
  });

  it('reacts to label and constraint changes', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1', { Labels: { zone: 'eu' } });
    await h.addNode('n2', { Labels: { zone: 'us' } });
    await h.createService(spec({ Placement: { Constraints: ['node.labels.zone==eu'] } }));
    expect(Object.keys(h.byNode())).toEqual(['n1']);

    await h.setNode('n2', (n) => ({ ...n, Spec: { ...n.Spec, Labels: { zone: 'eu' } } }));
    expect(Object.keys(h.byNode()).sort()).toEqual(['n1', 'n2']);

    await h.updateService((s) => ({
      ...s,
      Spec: {
        ...s.Spec,
        TaskTemplate: { ...s.Spec.TaskTemplate, Placement: { Constraints: ['node.id==n2'] } },
      },
    }));
    expect(Object.keys(h.byNode())).toEqual(['n2']);
  });

  it('restarts a failed task on its node after a tick past the restart delay', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.createService(spec());
    const victim = h.byNode().n1!;
    await h.setTask(victim.ID, {
      Status: { State: 'failed', Timestamp: rfc3339Nano(h.clock.now()), Err: 'exit 1' },
    });
    expect(h.orch.nextWakeAt()).toBe(h.clock.now() + 5_000);
    h.clock.advance(4_999);
    await h.orch.tick();
    expect(h.byNode().n1!.ID).toBe(victim.ID);

    h.clock.advance(1);
    const before = h.proposer.log.length;
    await h.orch.tick();
    expect(h.proposer.log.length).toBe(before + 1);
    const replacement = h.byNode().n1!;
    expect(replacement.ID).not.toBe(victim.ID);
    expect(replacement.Status?.State).toBe('pending');
    expect(h.tasks('shutdown').map((t) => t.ID)).toEqual([victim.ID]);
    expect(h.orch.nextWakeAt()).toBeUndefined();
  });

  it('does not restart a task that exited 0 under restart condition on-failure', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.createService(spec({ RestartPolicy: { Condition: 'on-failure', Delay: 0 } }));
    const t = h.byNode().n1!;
    await h.setTask(t.ID, {
      Status: { State: 'complete', ContainerStatus: { ExitCode: 0 } },
    });
    await h.orch.tick(h.clock.now() + 60_000);
    expect(h.tasks().map((x) => x.ID)).toEqual([t.ID]);
  });

  it('leaves its tasks to the scheduler to confirm on their node, or hold with the reason', async () => {
    const h = setup();
    const scheduler = new Scheduler({ store: h.store, clock: h.clock });
    running.push({ stop: () => void scheduler.stop() });
    scheduler.start();
    h.orch.start();
    await h.addNode('small');
    await h.setNode('small', (n) => ({
      ...n,
      Description: { ...n.Description, Resources: { NanoCPUs: 1e9, MemoryBytes: 2 ** 30 } },
    }));
    await h.addNode('big');
    await h.setNode('big', (n) => ({
      ...n,
      Description: { ...n.Description, Resources: { NanoCPUs: 8e9, MemoryBytes: 2 ** 34 } },
    }));
    await h.createService(spec({ Resources: { Reservations: { MemoryBytes: 2 ** 32 } } }));
    await scheduler.settled();
    await h.orch.settled();
    const tasks = h.byNode();
    expect(tasks.big!.Status?.State).toBe('assigned');
    expect(tasks.small!.Status).toMatchObject({ State: 'pending' });
    expect(tasks.small!.Status?.Err).toBeTruthy();
    // Waiting for room is not a failure: nothing is replaced, however long it waits.
    const writes = h.proposer.log.length;
    await h.orch.tick(h.clock.now() + 3_600_000);
    expect(h.proposer.log.length).toBe(writes);
  });

  it('puts the registry credentials on its tasks', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.createService(spec(), { RegistryAuth: 'c2VjcmV0' });
    expect(h.byNode().n1!.Spec?.ContainerSpec).toMatchObject({
      PullOptions: { RegistryAuth: 'c2VjcmV0' },
    });
  });

  it('leaves replicated services and jobs alone', async () => {
    const h = setup();
    h.orch.start();
    await h.addNode('n1');
    await h.createService({ Name: 'r', Mode: { Replicated: { Replicas: 2 } } });
    await h.createService({ Name: 'j', Mode: { GlobalJob: {} } });
    expect(h.store.view((tx) => tx.list('task'))).toHaveLength(0);
  });

  it('leaves a removed service to the replicated orchestrator, which removes its tasks', async () => {
    const h = setup();
    const replicated = new ReplicatedOrchestrator({ store: h.store, clock: h.clock });
    running.push(replicated);
    h.orch.start();
    replicated.start();
    await h.addNode('n1');
    const id = await h.createService(spec());
    await replicated.settled();
    expect(h.tasks()).toHaveLength(1);
    await h.write((tx) => tx.remove('service', id));
    await replicated.settled();
    expect(h.tasks().map((t) => t.DesiredState)).toEqual(['remove']);
  });

  it('retries a failed write at the next commit', async () => {
    let fail = 1;
    const h = orchestratorHarness(
      (store, clock) =>
        new GlobalOrchestrator({
          clock,
          store: {
            view: (fn) => store.view(fn),
            viewAndWatch: (fn, listener, opts) => store.viewAndWatch(fn, listener, opts),
            update: (fn: (tx: WriteTx) => void) =>
              fail-- > 0
                ? Promise.reject(
                    new StoreError({
                      code: 'VersionConflict',
                      kind: 'task',
                      id: 'x',
                      message: 'update out of sequence',
                    }),
                  )
                : store.update(fn),
          },
        }),
    );
    running.push(h.orch);
    await h.addNode('n1');
    h.orch.start();
    await h.createService(spec());
    expect(h.tasks()).toHaveLength(0);
    await h.addNode('n2'); // any commit
    expect(h.tasks()).toHaveLength(2);
  });

  it('writes nothing once stopped', async () => {
    const h = setup();
    await h.addNode('n1');
    h.orch.start();
    h.orch.stop();
    await h.createService(spec());
    await h.orch.tick(h.clock.now() + 60_000);
    expect(h.tasks()).toHaveLength(0);
  });
});
