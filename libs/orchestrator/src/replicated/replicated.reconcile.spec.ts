import { type RestartPolicy, type TaskState } from '@shoal/api';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESTART_DELAY_MS,
  isReplicatedService,
  reconcileReplicated,
} from './replicated.reconcile';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from './replicated.types';
import { parseRfc3339Ms } from './task.time';

const T0 = 1_795_334_400_123;
const S = 1_000_000; // ns per ms

function service(replicas?: number, restart?: RestartPolicy): OrchestratedService {
  return {
    ID: 'svc',
    Version: { Index: 1 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Spec: {
      Name: 'web',
      Mode: { Replicated: replicas === undefined ? {} : { Replicas: replicas } },
      TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: restart },
    },
  };
}

let seq = 0;
function task(
  slot: number,
  nodeId: string | undefined,
  state: TaskState = 'running',
  opts: { at?: number; desired?: TaskState; exit?: number } = {},
): OrchestratedTask {
  seq++;
  return {
    ID: `t${slot}-${seq}`,
    Version: { Index: seq },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    ServiceID: 'svc',
    Slot: slot,
    NodeID: nodeId,
    DesiredState: opts.desired ?? 'running',
    Status: {
      State: state,
      Timestamp: rfc3339Nano(opts.at ?? T0),
      ContainerStatus: opts.exit === undefined ? undefined : { ExitCode: opts.exit },
    },
  };
}

function node(id: string, state: 'ready' | 'down' = 'ready'): OrchestratedNode {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Status: { State: state },
  };
}

const NODES = [node('a'), node('b'), node('c')];

describe('parseRfc3339Ms', () => {
  it('reads back what the store prints, and offsets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        expect(parseRfc3339Ms(rfc3339Nano(ms))).toBe(ms);
      }),
    );
    expect(parseRfc3339Ms('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(parseRfc3339Ms('2026-01-01T00:00:00.5Z')).toBe(Date.UTC(2026, 0, 1) + 500);
    expect(parseRfc3339Ms('yesterday')).toBeUndefined();
    expect(parseRfc3339Ms(undefined)).toBeUndefined();
  });
});

describe('reconcileReplicated', () => {
  it('creates every slot of a new service, lowest numbers first', () => {
    expect(reconcileReplicated(service(3), [], NODES, T0)).toEqual({
      create: [1, 2, 3],
      shutdown: [],
    });
    // No Mode and an empty Replicated both mean one replica.
    expect(reconcileReplicated(service(), [], NODES, T0).create).toEqual([1]);
  });

  it('scales up into the lowest free slots', () => {
    const tasks = [task(2, 'a'), task(5, 'b')];
    expect(reconcileReplicated(service(4), tasks, NODES, T0)).toEqual({
      create: [1, 3],
      shutdown: [],
    });
  });

  it('does nothing when the slots are all live, whatever their progress', () => {
    const tasks = [task(1, undefined, 'pending'), task(2, 'a', 'assigned'), task(3, 'b')];
    expect(reconcileReplicated(service(3), tasks, NODES, T0)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('scales down from the nodes with the most replicas first, ties by highest slot', () => {
    // a: slots 1,2,3; b: slots 4,5; c: slot 6.
    const tasks = [
      task(1, 'a'),
      task(2, 'a'),
      task(3, 'a'),
      task(4, 'b'),
      task(5, 'b'),
      task(6, 'c'),
    ];
    const ids = (slots: number[]) => slots.map((s) => tasks[s - 1]!.ID);
    // 6 -> 5: a has the most.
    expect(reconcileReplicated(service(5), tasks, NODES, T0).shutdown).toEqual(ids([3]));
    // 6 -> 4: a (3), then a and b tie at 2: the highest slot (5 on b).
    expect(reconcileReplicated(service(4), tasks, NODES, T0).shutdown.sort()).toEqual(
      ids([3, 5]).sort(),
    );
    // 6 -> 3: one per node is left.
    const left = new Set([1, 2, 3, 4, 5, 6]);
    for (const id of reconcileReplicated(service(3), tasks, NODES, T0).shutdown) {
      left.delete(tasks.findIndex((t) => t.ID === id) + 1);
    }
    expect(new Set([...left].map((s) => tasks[s - 1]!.NodeID))).toEqual(new Set(['a', 'b', 'c']));
    // 6 -> 0: everything.
    expect(reconcileReplicated(service(0), tasks, NODES, T0).shutdown).toHaveLength(6);
  });

  it('removes dead and unassigned slots before running ones', () => {
    const tasks = [task(1, 'a'), task(2, undefined, 'pending'), task(3, 'b', 'failed')];
    const out = reconcileReplicated(service(1), tasks, NODES, T0);
    expect(out.shutdown.sort()).toEqual([tasks[1]!.ID, tasks[2]!.ID].sort());
    expect(out.create).toEqual([]);
  });

  it('replaces a failed task in its slot only after the restart delay', () => {
    const failed = task(2, 'a', 'failed', { at: T0 });
    const tasks = [task(1, 'a'), failed];
    const early = reconcileReplicated(service(2), tasks, NODES, T0 + 4_999);
    expect(early).toEqual({ create: [], shutdown: [], nextWakeAt: T0 + DEFAULT_RESTART_DELAY_MS });
    const due = reconcileReplicated(service(2), tasks, NODES, T0 + 5_000);
    expect(due).toEqual({ create: [2], restarts: [2], shutdown: [failed.ID] });
  });

  it('takes the delay from RestartPolicy.Delay (ns), or the given default', () => {
    const tasks = [task(1, 'a', 'failed', { at: T0 })];
    expect(reconcileReplicated(service(1, { Delay: 200 * S }), tasks, NODES, T0).nextWakeAt).toBe(
      T0 + 200,
    );
    expect(reconcileReplicated(service(1), tasks, NODES, T0, 1_000).nextWakeAt).toBe(T0 + 1_000);
    expect(reconcileReplicated(service(1, { Delay: 0 }), tasks, NODES, T0).create).toEqual([1]);
  });

  it('counts the delay from the newest task of the slot', () => {
    const tasks = [
      task(1, 'a', 'failed', { at: T0, desired: 'shutdown' }),
      task(1, 'a', 'failed', { at: T0 + 3_000 }),
    ];
    expect(reconcileReplicated(service(1), tasks, NODES, T0 + 5_000).nextWakeAt).toBe(T0 + 8_000);
  });

  it('restart condition none: never replaces, and the slot still counts', () => {
    const policy: RestartPolicy = { Condition: 'none', Delay: 0 };
    const tasks = [task(1, 'a', 'failed'), task(2, 'b', 'complete'), task(3, 'c', 'running')];
    const down = [node('a'), node('b'), node('c', 'down')];
    expect(reconcileReplicated(service(3, policy), tasks, down, T0 + 60_000)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('restart condition on-failure: replaces failures, not clean completions', () => {
    const policy: RestartPolicy = { Condition: 'on-failure', Delay: 0 };
    const failed = task(1, 'a', 'failed', { exit: 1 });
    const nonZero = task(2, 'a', 'complete', { exit: 3 });
    const clean = task(3, 'b', 'complete', { exit: 0 });
    const onDown = task(4, 'c', 'running');
    const nodes = [node('a'), node('b'), node('c', 'down')];
    const out = reconcileReplicated(
      service(4, policy),
      [failed, nonZero, clean, onDown],
      nodes,
      T0,
    );
    expect(out.create).toEqual([1, 2, 4]);
    expect(out.shutdown.sort()).toEqual([failed.ID, nonZero.ID, onDown.ID].sort());
  });

  it('restart condition any: also replaces completed and shut-down tasks', () => {
    const tasks = [task(1, 'a', 'complete', { exit: 0 }), task(2, 'a', 'shutdown')];
    const out = reconcileReplicated(service(2, { Condition: 'any' }), tasks, NODES, T0 + 5_000);
    expect(out.create).toEqual([1, 2]);
    expect(out.shutdown).toHaveLength(2);
  });

  it('replaces tasks on down or vanished nodes and shuts the old ones down', () => {
    const onDown = task(1, 'a', 'running', { at: T0 - 60_000 });
    const onGone = task(2, 'zz', 'running', { at: T0 - 60_000 });
    const fine = task(3, 'b');
    const nodes = [node('a', 'down'), node('b')];
    expect(reconcileReplicated(service(3), [onDown, onGone, fine], nodes, T0)).toEqual({
      create: [1, 2],
      restarts: [1, 2],
      shutdown: [onDown.ID, onGone.ID],
    });
  });

  it('waits out the delay for a task that just started on a node that went down', () => {
    const onDown = task(1, 'a', 'running', { at: T0 - 1_000 });
    const out = reconcileReplicated(service(1), [onDown], [node('a', 'down')], T0);
    expect(out).toEqual({ create: [], shutdown: [], nextWakeAt: T0 + 4_000 });
  });

  it('ignores tasks no longer desired running', () => {
    const tasks = [task(1, 'a', 'running', { desired: 'shutdown' })];
    expect(reconcileReplicated(service(1), tasks, NODES, T0).create).toEqual([1]);
  });

  it('leaves global services and jobs alone', () => {
    const global = { ...service(3), Spec: { Name: 'g', Mode: { Global: {} } } };
    const job = { ...service(3), Spec: { Name: 'j', Mode: { ReplicatedJob: {} } } };
    expect(isReplicatedService(global)).toBe(false);
    expect(reconcileReplicated(global, [], NODES, T0)).toEqual({ create: [], shutdown: [] });
    expect(reconcileReplicated(job, [], NODES, T0)).toEqual({ create: [], shutdown: [] });
  });
});

describe('reconcileReplicated (property)', () => {
  const states: TaskState[] = ['pending', 'assigned', 'running', 'complete', 'failed', 'shutdown'];
  const arbTask = fc.record({
    slot: fc.integer({ min: 1, max: 12 }),
    node: fc.option(fc.constantFrom('a', 'b', 'c', 'gone'), { nil: undefined }),
    state: fc.constantFrom(...states),
    desired: fc.constantFrom<TaskState>('running', 'running', 'shutdown'),
    ago: fc.integer({ min: 0, max: 20_000 }),
  });

  it('after applying the actions once the delays have passed, N slots are live and it is a fixpoint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 }),
        fc.array(arbTask, { maxLength: 25 }),
        fc.subarray(['a', 'b', 'c']),
        (replicas, specs, downNodes) => {
          const nodes = ['a', 'b', 'c'].map((id) =>
            node(id, downNodes.includes(id) ? 'down' : 'ready'),
          );
          const svc = service(replicas);
          let tasks = specs.map((s) =>
            task(s.slot, s.node, s.state, { at: T0 - s.ago, desired: s.desired }),
          );
          const now = T0 + DEFAULT_RESTART_DELAY_MS;
          const out = reconcileReplicated(svc, tasks, nodes, now);
          expect(out.nextWakeAt).toBeUndefined();
          expect(new Set(out.create).size).toBe(out.create.length);
          const shut = new Set(out.shutdown);
          tasks = tasks.map((t) => (shut.has(t.ID) ? { ...t, DesiredState: 'shutdown' } : t));
          tasks.push(...out.create.map((slot) => task(slot, undefined, 'pending', { at: now })));

          const liveSlots = new Set(
            tasks
              .filter(
                (t) =>
                  t.DesiredState === 'running' &&
                  ['pending', 'assigned', 'running'].includes(t.Status!.State!) &&
                  !(t.NodeID && downNodes.includes(t.NodeID)) &&
                  t.NodeID !== 'gone',
              )
              .map((t) => t.Slot),
          );
          expect(liveSlots.size).toBe(replicas);
          expect(reconcileReplicated(svc, tasks, nodes, now)).toEqual({ create: [], shutdown: [] });
        },
      ),
      { numRuns: 300 },
    );
  });
});
