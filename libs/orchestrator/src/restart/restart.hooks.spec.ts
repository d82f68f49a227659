import { type ServiceSpec } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { orchestratorHarness } from '../common/testing/orchestrator.harness';
import { GlobalOrchestrator } from '../global/global.orchestrator';
import { ReplicatedOrchestrator } from '../replicated/replicated.orchestrator';
import { type RestartHooks } from './restart.hooks';

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((s) => s()));

function recorder() {
  const restarts: [string, string][] = [];
  const hooks: RestartHooks = { taskRestarted: (id, name) => restarts.push([id, name]) };
  return { hooks, restarts };
}

const spec = (mode: ServiceSpec['Mode']): ServiceSpec => ({
  Name: 'web',
  Mode: mode,
  TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
});

describe('restart hooks', () => {
  it('replicated: one call per task replaced by the restart supervisor, none for scaling', async () => {
    const { hooks, restarts } = recorder();
    const h = orchestratorHarness(
      (store, clock) => new ReplicatedOrchestrator({ store, clock, hooks }),
    );
    stops.push(() => h.orch.stop());
    h.orch.start();
    await h.addNode('n1');
    const id = await h.createService(spec({ Replicated: { Replicas: 2 } }));
    await h.updateService((s) => ({ ...s, Spec: spec({ Replicated: { Replicas: 3 } }) }));
    expect(h.tasks('running')).toHaveLength(3);
    expect(restarts).toEqual([]);

    const [a, b] = h.tasks('running');
    for (const t of [a!, b!]) {
      await h.setTask(t.ID, {
        NodeID: 'n1',
        Status: { State: 'failed', Timestamp: rfc3339Nano(h.clock.now()) },
      });
    }
    // Not before the restart delay: nothing replaced, nothing counted.
    h.clock.advance(4_999);
    await h.orch.tick();
    expect(restarts).toEqual([]);
    h.clock.advance(1);
    await h.orch.tick();
    expect(
      h
        .tasks('shutdown')
        .map((t) => t.ID)
        .sort(),
    ).toEqual([a!.ID, b!.ID].sort());
    expect(restarts).toEqual([
      [id, 'web'],
      [id, 'web'],
    ]);
  });

  it('global: a failed task replaced on its node is a restart; a task for a new node is not', async () => {
    const { hooks, restarts } = recorder();
    const h = orchestratorHarness(
      (store, clock) => new GlobalOrchestrator({ store, clock, hooks }),
    );
    stops.push(() => h.orch.stop());
    h.orch.start();
    await h.addNode('n1');
    const id = await h.createService(spec({ Global: {} }));
    await h.addNode('n2');
    expect(h.tasks('running')).toHaveLength(2);
    expect(restarts).toEqual([]);

    const onN1 = h.tasks('running').find((t) => t.NodeID === 'n1')!;
    await h.setTask(onN1.ID, {
      Status: { State: 'failed', Timestamp: rfc3339Nano(h.clock.now()) },
    });
    h.clock.advance(5_000);
    await h.orch.tick();
    expect(h.tasks('running').filter((t) => t.NodeID === 'n1')).toHaveLength(1);
    expect(restarts).toEqual([[id, 'web']]);
  });
});
