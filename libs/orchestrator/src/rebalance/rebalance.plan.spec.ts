import { type TaskSpec } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import {
  node,
  type NodeOptions,
  service,
  T0,
  task,
  type TaskOptions,
} from '../common/testing/orchestrator.fixtures';
import { type OrchestratedService, type OrchestratedTask } from '../replicated/replicated.types';
import { REPLACES_LABEL } from './rebalance.labels';
import {
  DEFAULT_MOVE_TIMEOUT_MS,
  holdKey,
  planRebalance,
  type RebalanceInput,
} from './rebalance.plan';

const NOW = T0 + 600_000;

function svc(
  replicas: number,
  labels: Record<string, string> = { 'shoal.rebalance': 'true' },
  template: TaskSpec = {},
): OrchestratedService {
  const s = service({ Replicated: { Replicas: replicas } }, template);
  s.Spec.Labels = labels;
  return s;
}

/** `layout` like { n1: 3, n2: 3 }: that many running replicas per node, slots in order. */
function running(layout: Record<string, number>): OrchestratedTask[] {
  const out: OrchestratedTask[] = [];
  let slot = 1;
  for (const [nodeId, n] of Object.entries(layout)) {
    for (let i = 0; i < n; i++) out.push(task({ node: nodeId, slot: slot++, at: T0 + slot }));
  }
  return out;
}

function newTask(replaced: OrchestratedTask, o: TaskOptions & { err?: string } = {}) {
  const t = task({ slot: replaced.Slot, state: 'pending', at: NOW - 1_000, ...o });
  t.Labels = { [REPLACES_LABEL]: replaced.ID };
  t.CreatedAt = rfc3339Nano(NOW - 1_000);
  if (o.err) t.Status = { ...t.Status, Err: o.err };
  return t;
}

function plan(
  s: OrchestratedService,
  tasks: OrchestratedTask[],
  nodes: Record<string, NodeOptions> = { n1: {}, n2: {}, n3: {} },
  extra: Partial<RebalanceInput> = {},
) {
  const list = Object.entries(nodes).map(([id, o]) => node(id, o));
  return planRebalance({ service: s, tasks, nodes: list, now: NOW, ...extra });
}

describe('planRebalance: starting a move', () => {
  it('moves the youngest replica of the busiest node toward the emptiest', () => {
    const tasks = running({ n1: 3, n2: 3 });
    expect(plan(svc(6), tasks)).toEqual({
      action: 'start',
      slot: 3,
      replaces: tasks[2]!.ID,
      from: 'n1',
      to: 'n3',
    });
  });

  it('leaves a spread within one alone', () => {
    expect(plan(svc(5), running({ n1: 2, n2: 2, n3: 1 }))).toEqual({
      action: 'none',
      reason: 'balanced',
    });
  });

  it('counts only eligible nodes: ready, active and matching the placement', () => {
    const tasks = running({ n1: 3, n2: 3 });
    for (const n3 of [
      { availability: 'pause' },
      { availability: 'drain' },
      { state: 'down' },
      { labels: { zone: 'us' } },
    ] as NodeOptions[]) {
      const constrained = svc(6, undefined, {
        Placement: { Constraints: ['node.labels.zone!=us'] },
      });
      expect(plan(constrained, tasks, { n1: {}, n2: {}, n3 }), JSON.stringify(n3)).toEqual({
        action: 'none',
        reason: 'balanced',
      });
    }
    // A paused node keeps what it runs: it is no source either.
    expect(
      plan(svc(5), running({ n1: 4, n2: 1 }), { n1: { availability: 'pause' }, n2: {}, n3: {} }),
    ).toMatchObject({ action: 'none', reason: 'balanced' });
  });

  it('moves onto no node at Placement.MaxReplicas', () => {
    const capped = svc(5, undefined, { Placement: { MaxReplicas: 1 } });
    expect(plan(capped, running({ n1: 3, n2: 1, n3: 1 }))).toMatchObject({ reason: 'balanced' });
  });

  it('needs the label, a replicated service and no placement preferences', () => {
    const tasks = running({ n1: 3, n2: 3 });
    expect(plan(svc(6, {}), tasks)).toEqual({ action: 'none', reason: 'not-opted-in' });
    expect(plan(svc(6, { 'shoal.rebalance': 'false' }), tasks)).toMatchObject({
      reason: 'not-opted-in',
    });
    const global = svc(6);
    global.Spec.Mode = { Global: {} };
    expect(plan(global, tasks)).toMatchObject({ reason: 'not-replicated' });
    const preferring = svc(6, undefined, {
      Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] },
    });
    expect(plan(preferring, tasks)).toMatchObject({ reason: 'preferences' });
    const updating = svc(6);
    updating.UpdateStatus = { State: 'updating' };
    expect(plan(updating, tasks)).toMatchObject({ reason: 'updating' });
  });

  it('waits until every replica runs and every replaced task has stopped', () => {
    const tasks = running({ n1: 3, n2: 3 });
    expect(plan(svc(7), tasks)).toMatchObject({ reason: 'converging' });
    const starting = tasks.map((t, i) =>
      i === 0 ? { ...t, Status: { State: 'starting' as const } } : t,
    );
    expect(plan(svc(6), starting)).toMatchObject({ reason: 'converging' });
    const stopping = task({ node: 'n1', slot: 1, desired: 'shutdown', state: 'running' });
    expect(plan(svc(6), [...tasks, stopping])).toMatchObject({ reason: 'stopping' });
    // A down node never reports its tasks stopped, and one that stopped is done.
    expect(plan(svc(6), [...tasks, { ...stopping, NodeID: 'gone' }])).toMatchObject({
      action: 'start',
    });
    expect(plan(svc(6), [...tasks, { ...stopping, Status: { State: 'shutdown' } }])).toMatchObject({
      action: 'start',
    });
  });

  it('waits for the delay since the last move, 5 s unless the label says otherwise', () => {
    const tasks = running({ n1: 3, n2: 3 });
    expect(plan(svc(6), tasks, undefined, { lastMoveAt: NOW - 1_000 })).toEqual({
      action: 'none',
      reason: 'rate',
      nextLookAt: NOW + 4_000,
    });
    expect(plan(svc(6), tasks, undefined, { lastMoveAt: NOW - 5_000 })).toMatchObject({
      action: 'start',
    });
    const slow = svc(6, { 'shoal.rebalance': 'true', 'shoal.rebalance.delay': '1m' });
    expect(plan(slow, tasks, undefined, { lastMoveAt: NOW - 5_000 })).toMatchObject({
      reason: 'rate',
      nextLookAt: NOW + 55_000,
    });
  });

  it('holds after a given-up move until a node or the service changes', () => {
    const s = svc(6);
    const tasks = running({ n1: 3, n2: 3 });
    const nodes = ['n1', 'n2', 'n3'].map((id) => node(id));
    const heldKey = holdKey(s, nodes);
    expect(plan(s, tasks, undefined, { heldKey })).toEqual({ action: 'none', reason: 'held' });
    const edited = { ...s, Version: { Index: 2 } };
    expect(plan(edited, tasks, undefined, { heldKey })).toMatchObject({ action: 'start' });
    nodes[2]!.Version = { Index: 5 };
    expect(planRebalance({ service: s, tasks, nodes, now: NOW, heldKey })).toMatchObject({
      action: 'start',
    });
  });
});

describe('planRebalance: a move in flight', () => {
  const base = () => running({ n1: 3, n2: 3 });

  it('waits for the new task to run, up to the timeout', () => {
    const tasks = base();
    const moving = newTask(tasks[2]!);
    expect(plan(svc(6), [...tasks, moving])).toEqual({
      action: 'none',
      reason: 'moving',
      nextLookAt: NOW - 1_000 + DEFAULT_MOVE_TIMEOUT_MS,
    });
    const assigned = { ...moving, NodeID: 'n3', Status: { State: 'preparing' as const } };
    expect(plan(svc(6), [...tasks, assigned], undefined, { now: NOW + 298_999 })).toMatchObject({
      reason: 'moving',
    });
    expect(plan(svc(6), [...tasks, assigned], undefined, { now: NOW + 299_000 })).toMatchObject({
      action: 'cancel',
      why: 'timeout',
      shutdown: [moving.ID],
    });
  });

  it('finishes once the new task runs on a node that holds at most one fewer', () => {
    const tasks = base();
    const moved = newTask(tasks[2]!, { node: 'n3', state: 'running' });
    expect(plan(svc(6), [...tasks, moved])).toEqual({
      action: 'finish',
      slot: 3,
      task: moved.ID,
      to: 'n3',
      shutdown: [tasks[2]!.ID],
    });
  });

  it('gives up a move that gains nothing, failed, was lost or found no node', () => {
    const tasks = base();
    const old = tasks[2]!;
    const cases: [OrchestratedTask, string][] = [
      [newTask(old, { node: 'n2', state: 'running' }), 'futile'],
      [newTask(old, { node: 'n1', state: 'running' }), 'futile'],
      [newTask(old, { node: 'n3', state: 'failed' }), 'failed'],
      [newTask(old, { node: 'gone', state: 'running' }), 'lost'],
      [newTask(old, { err: 'no suitable node (insufficient resources on 1 node)' }), 'unplaced'],
    ];
    for (const [moving, why] of cases) {
      expect(plan(svc(6), [...tasks, moving]), why).toMatchObject({
        action: 'cancel',
        why,
        task: moving.ID,
        shutdown: [moving.ID],
        holdKey: holdKey(
          svc(6),
          ['n1', 'n2', 'n3'].map((id) => node(id)),
        ),
      });
    }
    // Onto a node paused meanwhile: the operator wants nothing new there.
    const onPaused = newTask(old, { node: 'n3', state: 'running' });
    expect(
      plan(svc(6), [...tasks, onPaused], { n1: {}, n2: {}, n3: { availability: 'pause' } }),
    ).toMatchObject({ action: 'cancel', why: 'futile' });
  });

  it('finishes whatever the gain when the old task ended meanwhile', () => {
    const tasks = base();
    tasks[2] = { ...tasks[2]!, Status: { State: 'failed' } };
    const moved = newTask(tasks[2], { node: 'n1', state: 'running' });
    expect(plan(svc(6), [...tasks, moved])).toMatchObject({
      action: 'finish',
      shutdown: [tasks[2].ID],
    });
  });

  it('completes a move of a service whose label was removed, and starts none', () => {
    const tasks = base();
    const moved = newTask(tasks[2]!, { node: 'n3', state: 'running' });
    expect(plan(svc(6, {}), [...tasks, moved])).toMatchObject({ action: 'finish' });
    const done = tasks.map((t, i) => (i === 2 ? { ...t, DesiredState: 'shutdown' as const } : t));
    expect(plan(svc(6, {}), [...done, moved])).toMatchObject({ reason: 'not-opted-in' });
  });

  it('takes a second task in a slot without our label for no move of ours', () => {
    const tasks = base();
    const other = task({ node: 'n3', slot: 3, state: 'running' });
    expect(plan(svc(6), [...tasks, other])).toEqual({ action: 'none', reason: 'converging' });
  });
});
