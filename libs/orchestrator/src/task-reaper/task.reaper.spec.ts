import { type RestartPolicy, type ServiceSpec } from '@shoal/api';
import { StoreError, type WriteTx } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { type HarnessOptions, leaderLoop, type LeaderLoop } from '../testing/leader-loop.harness';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import { type OrchestratedTask } from '../replicated/replicated.types';
import { TaskReaper } from './task.reaper';

function spec(replicas: number, restart: RestartPolicy = { Delay: 0 }): ServiceSpec {
  return {
    Name: 'web',
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: restart },
  };
}

const loops: LeaderLoop[] = [];
function setup(opts: HarnessOptions = {}) {
  const h = leaderLoop(opts);
  loops.push(h);
  return h;
}
afterEach(() => {
  for (const h of loops.splice(0)) h.stop();
});

/** Fails the running task of each slot and lets the orchestrator replace it, `n` times. */
async function crashLoop(h: LeaderLoop, serviceId: string, n: number) {
  for (let i = 0; i < n; i++) {
    await h.runPending(serviceId, 'n1');
    h.clock.advance(1_000);
    for (const t of h.tasks(serviceId, 'running')) {
      if (t.Status?.State === 'running') await h.end(t.ID);
    }
    await h.orchestrator?.tick();
    await h.settle();
  }
}

describe('TaskReaper', () => {
  it("keeps each slot's history at the cluster's limit while tasks crash", async () => {
    const h = setup({ retention: 3 });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(2));
    await crashLoop(h, id, 6);
    for (const slot of [1, 2]) {
      const history = h.tasks(id).filter((t) => t.Slot === slot);
      expect(history).toHaveLength(3);
      // The newest are kept; the current task is among them.
      expect(history.filter((t) => t.DesiredState === 'running')).toHaveLength(1);
    }
    expect(h.reaper!.stats.deleted).toBe(2 * 4);
  });

  it('reaps at start, in one proposal, and then rests', async () => {
    const h = setup({ retention: 1, run: { orchestrator: true } });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(3));
    await crashLoop(h, id, 3);
    expect(h.tasks(id)).toHaveLength(12);

    const reaper = new TaskReaper({ store: h.store, clock: h.clock });
    const before = h.proposer.log.length;
    reaper.start();
    await reaper.settled();
    expect(h.proposer.log.length).toBe(before + 1);
    expect(h.tasks(id)).toHaveLength(3);
    await h.addNode('n2');
    await reaper.settled();
    expect(h.proposer.log.length).toBe(before + 2); // the node only
    reaper.stop();
  });

  it('follows `swarm update` of TaskHistoryRetentionLimit', async () => {
    const h = setup({ retention: 10 });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1));
    await crashLoop(h, id, 5);
    expect(h.tasks(id)).toHaveLength(6);
    await h.write((tx) => {
      const c = tx.list('cluster')[0]!;
      tx.update('cluster', {
        ...c,
        Spec: { ...c.Spec, Orchestration: { TaskHistoryRetentionLimit: 2 } },
      });
    });
    expect(h.tasks(id)).toHaveLength(2);
    // 0: no history at all, the current task only.
    await h.write((tx) => {
      const c = tx.list('cluster')[0]!;
      tx.update('cluster', {
        ...c,
        Spec: { ...c.Spec, Orchestration: { TaskHistoryRetentionLimit: 0 } },
      });
    });
    expect(h.tasks(id).map((t) => t.DesiredState)).toEqual(['running']);
  });

  it('uses 5 when the cluster sets no limit', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1));
    await crashLoop(h, id, 7);
    expect(h.tasks(id)).toHaveLength(5);
  });

  it('deletes in batches of at most maxDeletesPerWrite, one proposal each', async () => {
    const h = setup({ retention: 10, maxDeletesPerWrite: 2 });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1));
    await crashLoop(h, id, 5);
    const before = h.proposer.log.length;
    const writes = h.reaper!.stats.writes;
    await h.write((tx) => {
      const c = tx.list('cluster')[0]!;
      tx.update('cluster', {
        ...c,
        Spec: { ...c.Spec, Orchestration: { TaskHistoryRetentionLimit: 1 } },
      });
    });
    expect(h.tasks(id)).toHaveLength(1);
    expect(h.reaper!.stats.writes - writes).toBe(3); // 5 deletions, 2 at a time
    expect(h.proposer.log.length - before).toBe(4); // and the cluster update
  });

  it("deletes a removed service's tasks once their agents have stopped them", async () => {
    const h = setup({ retention: 5 });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(2));
    await crashLoop(h, id, 1);
    await h.runPending(id, 'n1');
    expect(h.tasks(id)).toHaveLength(4);
    await h.write((tx) => tx.remove('service', id));
    // The stopped history goes at once; the running tasks wait for their agents.
    expect(h.tasks(id).map((t) => [t.DesiredState, t.Status?.State])).toEqual([
      ['remove', 'running'],
      ['remove', 'running'],
    ]);
    await h.obeyShutdowns(id);
    expect(h.tasks(id)).toHaveLength(0);
  });

  it('lets the tasks of a removed node go', async () => {
    const h = setup({ retention: 1 });
    await h.start();
    await h.addNode('n1');
    await h.addNode('n2');
    const id = await h.createService(spec(1, { Delay: 0 }));
    await h.runPending(id, 'n1');
    const first = h.tasks(id)[0]!;
    await h.updateNode('n1', () => ({ Status: { State: 'down' } }));
    // Replaced; the lost task is kept while its node may come back to learn it must stop.
    await h.runPending(id, 'n2');
    expect(h.tasks(id).map((t) => t.ID)).toContain(first.ID);
    await h.write((tx) => tx.remove('node', 'n1'));
    expect(h.tasks(id).map((t) => t.ID)).not.toContain(first.ID);
    expect(h.tasks(id)).toHaveLength(1);
  });

  it('keeps what MaxAttempts counts, so neither reaping nor a new leader resets it', async () => {
    const policy: RestartPolicy = { Delay: 0, MaxAttempts: 3, Window: 0 };
    const h = setup({ retention: 1 });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1, policy));
    await crashLoop(h, id, 6);
    // The first task and three restarts, all failed; no fifth task.
    const slot = h.tasks(id);
    expect(slot.every((t) => t.Status?.State === 'failed')).toBe(true);
    expect(slot).toHaveLength(4);
    expect(h.reaper!.stats.deleted).toBe(0);

    // A new leader's orchestrator, on the same store, decides the same.
    h.stop();
    const orch = new ReplicatedOrchestrator({ store: h.store, clock: h.clock });
    orch.start();
    await orch.settled();
    h.clock.advance(3_600_000);
    await orch.tick();
    expect(h.tasks(id)).toHaveLength(4);
    orch.stop();

    // Updating the service starts afresh: the old template's attempts go.
    h.orchestrator!.start();
    h.reaper!.start();
    await h.settle();
    await h.updateService(id, (s) => ({
      ...s,
      TaskTemplate: { ...s.TaskTemplate, ContainerSpec: { Image: 'busybox:2' } },
    }));
    await h.orchestrator!.tick();
    await h.settle();
    const after = h.tasks(id);
    expect(after).toHaveLength(1);
    expect(after[0]!.Spec?.ContainerSpec?.Image).toBe('busybox:2');
  });

  it('retries a failed write at the next commit', async () => {
    let fail = 0;
    const h = setup({
      retention: 1,
      run: { reaper: true },
      wrap: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'update') {
              return (fn: (tx: WriteTx) => void) =>
                fail-- > 0
                  ? Promise.reject(
                      new StoreError({ code: 'NotFound', kind: 'task', id: 'x', message: 'gone' }),
                    )
                  : target.update(fn);
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await h.start();
    await h.write((tx) => {
      for (let i = 0; i < 3; i++) {
        tx.create<OrchestratedTask>('task', {
          ServiceID: 'svc',
          Slot: 1,
          DesiredState: 'shutdown',
          Status: { State: 'failed', Timestamp: `2026-11-22T08:00:0${i}Z` },
        });
      }
      tx.create('service', { ID: 'svc', Spec: spec(1) });
    });
    // The write above carried the service in the same proposal; make the reaper's fail once.
    expect(h.tasks('svc')).toHaveLength(1);
    fail = 1;
    await h.write((tx) => {
      tx.create<OrchestratedTask>('task', {
        ServiceID: 'svc',
        Slot: 1,
        DesiredState: 'shutdown',
        Status: { State: 'failed', Timestamp: '2026-11-22T07:00:00Z' },
      });
    });
    expect(h.tasks('svc')).toHaveLength(2);
    await h.write((tx) => {
      tx.create('node', { ID: 'any', Spec: {} });
    });
    expect(h.tasks('svc')).toHaveLength(1);
  });
});
