import { type ServiceSpec } from '@shoal/api';
import { StoreError, type WriteTx } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { type HarnessOptions, leaderLoop, type LeaderLoop } from '../testing/leader-loop.harness';
import { type OrchestratedNode, type OrchestratedTask } from '../replicated/replicated.types';
import { ConstraintEnforcer } from './constraint.enforcer';

const CPU = 1e9;

function spec(replicas: number, constraints: string[] = [], cpus?: number): ServiceSpec {
  return {
    Name: 'web',
    Mode: { Replicated: { Replicas: replicas } },
    TaskTemplate: {
      ContainerSpec: { Image: 'busybox' },
      Placement: { Constraints: constraints },
      Resources: cpus === undefined ? undefined : { Reservations: { NanoCPUs: cpus } },
    },
  };
}

const loops: LeaderLoop[] = [];
function setup(opts: HarnessOptions = {}) {
  const h = leaderLoop({ run: { orchestrator: true, enforcer: true }, ...opts });
  loops.push(h);
  return h;
}
afterEach(() => {
  for (const h of loops.splice(0)) h.stop();
});

const labels = (l: Record<string, string>) => (n: OrchestratedNode) => ({
  Spec: { ...n.Spec, Labels: l },
});

describe('ConstraintEnforcer', () => {
  it('shuts down the tasks a label change makes ineligible, in one proposal, and they are replaced', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1', { Labels: { zone: 'a' } });
    const eu = await h.createService(spec(2, ['node.labels.zone==a']));
    const any = await h.createService({ ...spec(1), Name: 'any' });
    await h.runPending(eu, 'n1');
    await h.runPending(any, 'n1');
    const [a, b] = h.tasks(eu, 'running');

    const before = h.proposer.log.length;
    await h.updateNode('n1', labels({ zone: 'b' }));
    expect(h.enforcer!.stats).toEqual({ writes: 1, shutdown: 2 });
    // The label change, the enforcer's write, the orchestrator's replacements.
    expect(h.proposer.log.length - before).toBe(3);
    expect(h.tasks(eu, 'shutdown').map((t) => t.ID)).toEqual([a!.ID, b!.ID]);
    const replacements = h.tasks(eu, 'running');
    expect(replacements.map((t) => [t.Slot, t.NodeID, t.Status?.State])).toEqual([
      [1, undefined, 'pending'],
      [2, undefined, 'pending'],
    ]);
    // The unconstrained service is untouched.
    expect(h.tasks(any, 'running').map((t) => t.Status?.State)).toEqual(['running']);
  });

  it('checks every node when it starts', async () => {
    const h = setup({ run: { orchestrator: true } });
    await h.start();
    await h.addNode('n1');
    const id = await h.createService(spec(1, ['node.role==manager']));
    await h.runPending(id, 'n1');
    const enforcer = new ConstraintEnforcer({ store: h.store });
    enforcer.start();
    await enforcer.settled();
    enforcer.stop();
    await h.settle();
    expect(h.tasks(id, 'shutdown')).toHaveLength(1);
    expect(h.tasks(id, 'running').map((t) => t.Status?.State)).toEqual(['pending']);
  });

  it('follows role changes', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1', { Role: 'manager' });
    const id = await h.createService(spec(1, ['node.role==manager']));
    await h.runPending(id, 'n1');
    await h.updateNode('n1', (n) => ({ Spec: { ...n.Spec, Role: 'worker' } }));
    expect(h.tasks(id, 'shutdown')).toHaveLength(1);
  });

  it('sheds the newest tasks when reservations no longer fit', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1', {}, { NanoCPUs: 4 * CPU, MemoryBytes: 1 << 30 });
    const id = await h.createService(spec(2, [], CPU));
    await h.runPending(id, 'n1');
    h.clock.advance(1_000);
    await h.updateService(id, (s) => ({ ...s, Mode: { Replicated: { Replicas: 3 } } }));
    await h.runPending(id, 'n1');
    // The agent reports less CPU than before.
    await h.updateNode('n1', (n) => ({
      Description: { ...n.Description, Resources: { NanoCPUs: 2 * CPU, MemoryBytes: 1 << 30 } },
    }));
    expect(h.tasks(id, 'shutdown').map((t) => t.Slot)).toEqual([3]);
  });

  it('leaves paused nodes alone; drained ones are the orchestrator’s', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1', { Labels: { zone: 'a' } });
    const id = await h.createService(spec(1, ['node.labels.zone==a']));
    await h.runPending(id, 'n1');
    const task = h.tasks(id, 'running')[0]!;
    await h.updateNode('n1', (n) => ({
      Spec: { ...n.Spec, Availability: 'pause', Labels: { zone: 'b' } },
    }));
    expect(h.tasks(id, 'running').map((t) => t.ID)).toEqual([task.ID]);
    expect(h.enforcer!.stats.writes).toBe(0);
    // Back to active: the change is enforced then.
    await h.updateNode('n1', (n) => ({ Spec: { ...n.Spec, Availability: 'active' } }));
    expect(h.tasks(id, 'shutdown').map((t) => t.ID)).toEqual([task.ID]);
  });

  it('ignores changes that cannot make a task ineligible', async () => {
    const h = setup();
    await h.start();
    await h.addNode('n1', { Labels: { zone: 'a' } });
    const id = await h.createService(spec(1, ['node.labels.zone==b']));
    // The scheduler put it there against its constraints; only a change to n1 is acted on.
    await h.runPending(id, 'n1');
    await h.updateNode('n1', (n) => ({ Status: { ...n.Status, Message: 'heartbeat' } }));
    expect(h.tasks(id, 'shutdown')).toHaveLength(0);
    await h.updateNode('n1', labels({ zone: 'a', rack: '1' }));
    expect(h.tasks(id, 'shutdown')).toHaveLength(1);
  });

  it('retries when its write loses a race', async () => {
    let fail = 0;
    const h = setup({
      run: { enforcer: true },
      wrap: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'update') {
              return (fn: (tx: WriteTx) => void) =>
                fail-- > 0
                  ? Promise.reject(
                      new StoreError({
                        code: 'VersionConflict',
                        kind: 'task',
                        id: 'x',
                        message: 'update out of sequence',
                      }),
                    )
                  : target.update(fn);
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await h.start();
    await h.addNode('n1', { Labels: { zone: 'a' } });
    await h.write((tx) => {
      tx.create<OrchestratedTask>('task', {
        ServiceID: 's',
        Slot: 1,
        NodeID: 'n1',
        DesiredState: 'running',
        Spec: { Placement: { Constraints: ['node.labels.zone==a'] } },
        Status: { State: 'running' },
      });
    });
    fail = 1;
    await h.updateNode('n1', labels({ zone: 'b' }));
    expect(h.tasks('s', 'running')).toHaveLength(1);
    await h.addNode('n2'); // any commit
    expect(h.tasks('s', 'shutdown')).toHaveLength(1);
  });
});
