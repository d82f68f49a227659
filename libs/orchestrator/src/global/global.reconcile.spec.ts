import {
  type NodeAvailability,
  type NodeState,
  type RestartCondition,
  type RestartPolicy,
  type TaskState,
} from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeFitOf } from '../common/node.eligibility';
import {
  applyActions,
  madeFrom,
  node,
  NS_PER_MS,
  service,
  T0,
  task,
} from '../common/testing/orchestrator.fixtures';
import { isTerminalState } from '../replicated/replicated.reconcile';
import { type OrchestratedNode, type OrchestratedTask } from '../replicated/replicated.types';
import { reconcileGlobal } from './global.reconcile';

function global(restart?: RestartPolicy, constraints?: string[]) {
  return service(
    { Global: {} },
    { RestartPolicy: restart, Placement: constraints ? { Constraints: constraints } : undefined },
  );
}

const NODES = [node('a'), node('b'), node('c')];

describe('reconcileGlobal', () => {
  it('creates one task on every node that takes new tasks', () => {
    const nodes = [
      ...NODES,
      node('paused', { availability: 'pause' }),
      node('drained', { availability: 'drain' }),
      node('down', { state: 'down' }),
      node('unknown', { state: 'unknown' }),
    ];
    expect(reconcileGlobal(global(), [], nodes, T0)).toEqual({
      create: [{ nodeId: 'a' }, { nodeId: 'b' }, { nodeId: 'c' }],
      shutdown: [],
    });
  });

  it('does nothing once every node has its task, whatever its progress', () => {
    const tasks = [
      task({ node: 'a', state: 'assigned' }),
      task({ node: 'b', state: 'preparing' }),
      task({ node: 'c' }),
    ];
    expect(reconcileGlobal(global(), tasks, NODES, T0)).toEqual({ create: [], shutdown: [] });
  });

  it('follows the constraints, and stops tasks on nodes that no longer match', () => {
    const nodes = [node('a', { labels: { zone: 'eu' } }), node('b', { labels: { zone: 'us' } })];
    const onB = task({ node: 'b' });
    expect(reconcileGlobal(global(undefined, ['node.labels.zone==eu']), [onB], nodes, T0)).toEqual({
      create: [{ nodeId: 'a' }],
      shutdown: [onB.ID],
    });
  });

  it('stops the tasks of a drained node, keeps those of a paused one', () => {
    const onDrained = task({ node: 'a' });
    const onPaused = task({ node: 'b' });
    const nodes = [node('a', { availability: 'drain' }), node('b', { availability: 'pause' })];
    expect(reconcileGlobal(global(), [onDrained, onPaused], nodes, T0)).toEqual({
      create: [],
      shutdown: [onDrained.ID],
    });
  });

  it('keeps the task of a down node, and starts nothing anywhere else for it', () => {
    const onDown = task({ node: 'a', at: T0 - 60_000 });
    const nodes = [node('a', { state: 'down' }), node('b')];
    const out = reconcileGlobal(global(), [onDown, task({ node: 'b' })], nodes, T0);
    expect(out).toEqual({ create: [], shutdown: [] });
  });

  it('shuts down the tasks of removed nodes and tasks with no node', () => {
    const gone = task({ node: 'gone' });
    const nowhere = task({ state: 'pending' });
    const out = reconcileGlobal(global(), [gone, nowhere], [], T0);
    expect(out).toEqual({ create: [], shutdown: [gone.ID, nowhere.ID] });
  });

  it('keeps one of duplicate live tasks: the furthest along, then the oldest', () => {
    const running = task({ node: 'a' });
    const starting = task({ node: 'a', state: 'starting' });
    const older = task({ node: 'b' });
    const newer = task({ node: 'b' });
    const out = reconcileGlobal(global(), [starting, running, newer, older], NODES, T0);
    expect(out.create).toEqual([{ nodeId: 'c' }]);
    expect(out.shutdown.sort()).toEqual([starting.ID, newer.ID].sort());
  });

  it('restarts a failed task on its node after the delay, shutting the old one down', () => {
    const failed = task({ node: 'a', state: 'failed', at: T0 });
    const tasks = [failed, task({ node: 'b' }), task({ node: 'c' })];
    expect(reconcileGlobal(global(), tasks, NODES, T0 + 4_999)).toEqual({
      create: [],
      shutdown: [],
      nextWakeAt: T0 + 5_000,
    });
    expect(reconcileGlobal(global(), tasks, NODES, T0 + 5_000)).toEqual({
      create: [{ nodeId: 'a', restart: true }],
      shutdown: [failed.ID],
    });
    const quick = global({ Delay: 100 * NS_PER_MS });
    expect(reconcileGlobal(quick, tasks, NODES, T0).nextWakeAt).toBe(T0 + 100);
  });

  it('follows the restart condition', () => {
    const clean = task({ node: 'a', state: 'complete', exit: 0 });
    const crashed = task({ node: 'b', state: 'failed', exit: 2 });
    const tasks = [clean, crashed, task({ node: 'c' })];
    const at = (condition: RestartCondition) =>
      reconcileGlobal(global({ Condition: condition, Delay: 0 }), tasks, NODES, T0).create;
    expect(at('any')).toEqual([
      { nodeId: 'a', restart: true },
      { nodeId: 'b', restart: true },
    ]);
    expect(at('on-failure')).toEqual([{ nodeId: 'b', restart: true }]);
    expect(at('none')).toEqual([]);
  });

  it("counts MaxAttempts over the node's tasks made from the current template", () => {
    const svc = global({ MaxAttempts: 1, Delay: 0 });
    const history = madeFrom(svc, [
      task({ node: 'a', state: 'failed', desired: 'shutdown', at: T0 - 2 }),
      task({ node: 'a', state: 'failed', at: T0 - 1 }),
    ]);
    const others = [task({ node: 'b' }), task({ node: 'c' })];
    expect(reconcileGlobal(svc, [...history, ...others], NODES, T0).create).toEqual([]);
    // An update (a new template) starts the count afresh.
    const updated = global({ MaxAttempts: 1, Delay: 1 });
    expect(reconcileGlobal(updated, [...history, ...others], NODES, T0 + 1).create).toEqual([
      { nodeId: 'a', restart: true },
    ]);
  });

  it('does not restart a failed task while its node is paused or down', () => {
    const tasks = [task({ node: 'a', state: 'failed' }), task({ node: 'b', state: 'failed' })];
    const nodes = [node('a', { availability: 'pause' }), node('b', { state: 'down' })];
    expect(reconcileGlobal(global({ Delay: 0 }), tasks, nodes, T0)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('leaves other modes alone', () => {
    for (const mode of [
      { Replicated: { Replicas: 2 } },
      { GlobalJob: {} },
      { ReplicatedJob: {} },
    ]) {
      expect(reconcileGlobal(service(mode), [], NODES, T0)).toEqual({ create: [], shutdown: [] });
    }
  });
});

describe('reconcileGlobal (property)', () => {
  const nodeStates: NodeState[] = ['ready', 'ready', 'down', 'unknown', 'disconnected'];
  const availabilities: NodeAvailability[] = ['active', 'active', 'pause', 'drain'];
  const taskStates: TaskState[] = [
    'pending',
    'assigned',
    'running',
    'complete',
    'failed',
    'shutdown',
    'rejected',
  ];
  const arbNode = fc.record({
    state: fc.constantFrom(...nodeStates),
    availability: fc.constantFrom(...availabilities),
    zone: fc.constantFrom('eu', 'us'),
  });
  const arbTask = fc.record({
    node: fc.option(fc.constantFrom('n0', 'n1', 'n2', 'n3', 'n4', 'gone'), { nil: undefined }),
    state: fc.constantFrom(...taskStates),
    desired: fc.constantFrom<TaskState>('running', 'running', 'shutdown'),
    exit: fc.constantFrom(0, 1),
    ago: fc.integer({ min: 0, max: 20_000 }),
  });

  const liveWanted = (tasks: OrchestratedTask[], nodeId: string) =>
    tasks.filter(
      (t) =>
        t.NodeID === nodeId && t.DesiredState === 'running' && !isTerminalState(t.Status?.State),
    );

  it('leaves exactly one live task per eligible node, none where it may not run, and is a fixed point', () => {
    fc.assert(
      fc.property(
        fc.array(arbNode, { minLength: 0, maxLength: 5 }),
        fc.array(arbTask, { maxLength: 20 }),
        fc.constantFrom<RestartCondition>('any', 'on-failure', 'none'),
        fc.option(fc.constantFrom('node.labels.zone==eu', 'node.labels.zone!=eu'), {
          nil: undefined,
        }),
        (nodeSpecs, taskSpecs, condition, constraint) => {
          const nodes: OrchestratedNode[] = nodeSpecs.map((n, i) =>
            node(`n${i}`, {
              state: n.state,
              availability: n.availability,
              labels: { zone: n.zone },
            }),
          );
          const svc = global(
            { Condition: condition, Delay: 0 },
            constraint ? [constraint] : undefined,
          );
          const fits = nodeFitOf(svc.Spec);
          const before = taskSpecs.map((s) =>
            task({
              node: s.node,
              state: s.state,
              desired: s.desired,
              exit: s.exit,
              at: T0 - s.ago,
            }),
          );
          const out = reconcileGlobal(svc, before, nodes, T0);
          expect(out.nextWakeAt).toBeUndefined();
          const after = applyActions(before, out, T0);

          for (const plan of out.create) {
            const n = nodes.find((x) => x.ID === plan.nodeId)!;
            expect(n.Status?.State).toBe('ready');
            expect(n.Spec?.Availability).toBe('active');
            expect(fits(n)).toBe(true);
          }
          for (const n of nodes) {
            const live = liveWanted(after, n.ID);
            const wasLive = liveWanted(before, n.ID);
            if (!fits(n) || n.Spec?.Availability === 'drain') {
              expect(live).toHaveLength(0);
            } else if (wasLive.length > 0) {
              // A live task is never replaced, only deduplicated.
              expect(live).toHaveLength(1);
              expect(wasLive.map((t) => t.ID)).toContain(live[0]!.ID);
            } else if (n.Status?.State === 'ready' && n.Spec?.Availability === 'active') {
              // With 'any' nothing is ever finished; otherwise a node may be done with it.
              expect(live.length).toBe(condition === 'any' ? 1 : live.length);
              expect(live.length).toBeLessThanOrEqual(1);
            } else {
              expect(live).toHaveLength(0);
            }
          }
          for (const t of after) {
            if (t.DesiredState === 'running' && !nodes.some((n) => n.ID === t.NodeID)) {
              throw new Error(`task ${t.ID} left on a missing node`);
            }
          }
          expect(reconcileGlobal(svc, after, nodes, T0)).toEqual({ create: [], shutdown: [] });
        },
      ),
      { numRuns: 400 },
    );
  });
});
