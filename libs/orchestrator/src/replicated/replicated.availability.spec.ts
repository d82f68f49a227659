import { type RestartPolicy, type ServiceSpec } from '@shoal/api';
import { afterEach, describe, expect, it } from 'vitest';
import { leaderLoop, type LeaderLoop } from '../testing/leader-loop.harness';
import { type OrchestratedNode } from './replicated.types';

const MS = 1_000_000;

function spec(replicas: number, restart?: RestartPolicy): ServiceSpec {
  return {
    Name: 'web',
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: restart },
  };
}

const loops: LeaderLoop[] = [];
function setup() {
  const h = leaderLoop({ run: { orchestrator: true } });
  loops.push(h);
  return h;
}
afterEach(() => {
  for (const h of loops.splice(0)) h.stop();
});

const availability = (a: 'active' | 'pause' | 'drain') => (n: OrchestratedNode) => ({
  Spec: { ...n.Spec, Availability: a },
});

/** Two replicas on n1, one on n2, all running. */
async function spread(h: LeaderLoop, restart?: RestartPolicy) {
  await h.start();
  await h.addNode('n1');
  await h.addNode('n2');
  const id = await h.createService(spec(3, restart));
  for (const t of h.tasks(id, 'running')) {
    await h.patchTask(t.ID, {
      NodeID: t.Slot! <= 2 ? 'n1' : 'n2',
      Status: { State: 'running', Timestamp: '2026-11-22T08:00:00.123Z' },
    });
  }
  return id;
}

describe('ReplicatedOrchestrator: node availability', () => {
  it('drain: stops every task on the node and replaces it at once, in one proposal', async () => {
    const h = setup();
    // Even with Condition none and a long delay: draining is not a failure.
    const id = await spread(h, { Condition: 'none', Delay: 60_000 * MS });
    const onN1 = h.tasks(id, 'running').filter((t) => t.NodeID === 'n1');
    const before = h.proposer.log.length;
    await h.updateNode('n1', availability('drain'));
    expect(h.proposer.log.length - before).toBe(2); // the node, then the service's write
    expect(h.tasks(id, 'shutdown').map((t) => t.ID)).toEqual(onN1.map((t) => t.ID));
    expect(h.tasks(id, 'running').map((t) => [t.Slot, t.NodeID ?? null])).toEqual([
      [1, null],
      [2, null],
      [3, 'n2'],
    ]);
    expect(h.orchestrator!.nextWakeAt()).toBeUndefined();
    // The agent stops them; nothing more to do.
    await h.obeyShutdowns(id);
    expect(h.proposer.log.length - before).toBe(4);
  });

  it('pause: existing tasks keep running and nothing is written', async () => {
    const h = setup();
    const id = await spread(h);
    const running = h.tasks(id, 'running').map((t) => t.ID);
    const before = h.proposer.log.length;
    await h.updateNode('n1', availability('pause'));
    expect(h.proposer.log.length - before).toBe(1);
    expect(h.tasks(id, 'running').map((t) => t.ID)).toEqual(running);
    // Back to active: nothing to undo, nothing rebalanced (as Swarm).
    await h.updateNode('n1', availability('active'));
    expect(h.proposer.log.length - before).toBe(2);
    expect(h.tasks(id, 'running').map((t) => t.ID)).toEqual(running);
  });

  it('active after drain: the replacements stay where they are', async () => {
    const h = setup();
    const id = await spread(h);
    await h.updateNode('n1', availability('drain'));
    await h.runPending(id, 'n2');
    const placed = h.tasks(id, 'running').map((t) => [t.ID, t.NodeID]);
    await h.updateNode('n1', availability('active'));
    expect(h.tasks(id, 'running').map((t) => [t.ID, t.NodeID])).toEqual(placed);
  });

  it('a drained node going down does not get its tasks replaced twice', async () => {
    const h = setup();
    const id = await spread(h);
    await h.updateNode('n1', availability('drain'));
    const after = h.tasks(id).length;
    await h.updateNode('n1', () => ({ Status: { State: 'down' } }));
    expect(h.tasks(id)).toHaveLength(after);
  });
});

describe('ReplicatedOrchestrator: restart policy', () => {
  it('gives up on a slot after MaxAttempts, and waits out Delay before each restart', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1, { MaxAttempts: 2, Delay: 2_000 * MS }));
    for (let i = 0; i < 3; i++) {
      await h.runPending(id, 'n1');
      const [t] = h.tasks(id, 'running');
      await h.end(t!.ID);
      if (i < 2) {
        expect(h.orchestrator!.nextWakeAt()).toBe(h.clock.now() + 2_000);
        h.clock.advance(1_999);
        await h.orchestrator!.tick();
        expect(h.tasks(id, 'running').map((x) => x.ID)).toEqual([t!.ID]);
        h.clock.advance(1);
        await h.orchestrator!.tick();
        expect(h.tasks(id, 'running').map((x) => x.Status?.State)).toEqual(['pending']);
      } else {
        // Two restarts made: the third failure is final; the slot still counts as one of 1.
        expect(h.orchestrator!.nextWakeAt()).toBeUndefined();
        h.clock.advance(3_600_000);
        await h.orchestrator!.tick();
        expect(h.tasks(id, 'running').map((x) => x.Status?.State)).toEqual(['failed']);
      }
    }
    expect(h.tasks(id)).toHaveLength(3);
  });

  it('keeps restarting a task that fails less often than MaxAttempts per Window', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1, { MaxAttempts: 1, Window: 10_000 * MS, Delay: 0 }));
    for (let i = 0; i < 4; i++) {
      await h.runPending(id, 'n1');
      h.clock.advance(10_000);
      await h.end(h.tasks(id, 'running')[0]!.ID);
    }
    expect(h.tasks(id)).toHaveLength(5);
    // A failure within the Window of the last one is one too many.
    await h.runPending(id, 'n1');
    h.clock.advance(9_999);
    await h.end(h.tasks(id, 'running')[0]!.ID);
    expect(h.tasks(id)).toHaveLength(5);
  });

  it('on-failure: a clean exit ends the slot, a failure restarts it', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(2, { Condition: 'on-failure', Delay: 0 }));
    await h.runPending(id, 'n1');
    const [a, b] = h.tasks(id, 'running');
    await h.end(a!.ID, 'complete', 0);
    await h.end(b!.ID, 'failed', 1);
    expect(h.tasks(id, 'running').map((t) => [t.Slot, t.Status?.State])).toEqual([
      [1, 'complete'],
      [2, 'pending'],
    ]);
  });
});
