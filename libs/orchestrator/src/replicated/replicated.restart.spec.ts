import { type NodeAvailability, type RestartPolicy, type TaskState } from '@shoal/api';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcileReplicated } from './replicated.reconcile';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from './replicated.types';

const T0 = 1_795_334_400_123;
const MS = 1_000_000;
const IMAGE_V1 = { ContainerSpec: { Image: 'app:1' } };

function service(
  replicas: number,
  restart?: RestartPolicy,
  template: object = IMAGE_V1,
): OrchestratedService {
  return {
    ID: 'svc',
    Version: { Index: 1 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Spec: {
      Name: 'web',
      Mode: { Replicated: { Replicas: replicas } },
      TaskTemplate: { ...template, RestartPolicy: restart },
    },
  };
}

let seq = 0;
function task(
  slot: number,
  nodeId: string | undefined,
  state: TaskState,
  opts: { at?: number; desired?: TaskState; restart?: RestartPolicy; template?: object } = {},
): OrchestratedTask {
  seq++;
  const at = opts.at ?? T0;
  return {
    ID: `t${slot}-${String(seq).padStart(4, '0')}`,
    Version: { Index: seq },
    CreatedAt: rfc3339Nano(at),
    UpdatedAt: rfc3339Nano(at),
    ServiceID: 'svc',
    Slot: slot,
    NodeID: nodeId,
    DesiredState: opts.desired ?? 'running',
    Spec: { ...(opts.template ?? IMAGE_V1), RestartPolicy: opts.restart },
    Status: { State: state, Timestamp: rfc3339Nano(at) },
  };
}

function node(
  id: string,
  availability: NodeAvailability = 'active',
  state: 'ready' | 'down' = 'ready',
): OrchestratedNode {
  return {
    ID: id,
    Version: { Index: 1 },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
    Spec: { Availability: availability },
    Status: { State: state },
  };
}

/** A slot's past: `n` tasks that failed one second apart, replaced each time. */
function failures(slot: number, n: number, restart?: RestartPolicy, template?: object) {
  return Array.from({ length: n }, (_, i) =>
    task(slot, 'a', 'failed', { at: T0 + i * 1_000, desired: 'shutdown', restart, template }),
  );
}

describe('reconcileReplicated: restart policy', () => {
  it('stops restarting a slot after MaxAttempts, and the slot still counts', () => {
    const policy: RestartPolicy = { MaxAttempts: 2, Delay: 0 };
    const past = failures(1, 2, policy);
    const last = task(1, 'a', 'failed', { at: T0 + 5_000, restart: policy });
    const out = reconcileReplicated(service(1, policy), [...past, last], [node('a')], T0 + 9_000);
    expect(out).toEqual({ create: [], shutdown: [] });

    // One attempt fewer: replaced.
    const fewer = reconcileReplicated(
      service(1, policy),
      [past[0]!, last],
      [node('a')],
      T0 + 9_000,
    );
    expect(fewer).toEqual({ create: [1], restarts: [1], shutdown: [last.ID] });
  });

  it('counts attempts within the Window only', () => {
    const policy: RestartPolicy = { MaxAttempts: 2, Window: 10_000 * MS, Delay: 0 };
    const past = failures(1, 2, policy); // ended at T0 and T0 + 1 s
    const soon = task(1, 'a', 'failed', { at: T0 + 9_999, restart: policy });
    expect(
      reconcileReplicated(service(1, policy), [...past, soon], [node('a')], T0 + 11_000).create,
    ).toEqual([]);
    // The attempt that ended at T0 is a whole Window older than this one: it no longer counts.
    const late = task(1, 'a', 'failed', { at: T0 + 10_000, restart: policy });
    expect(
      reconcileReplicated(service(1, policy), [...past, late], [node('a')], T0 + 11_000).create,
    ).toEqual([1]);
  });

  it('starts counting afresh when the task template changes', () => {
    const policy: RestartPolicy = { MaxAttempts: 1, Delay: 0 };
    const past = failures(1, 1, policy);
    const last = task(1, 'a', 'failed', { at: T0 + 5_000, restart: policy });
    const tasks = [...past, last];
    expect(reconcileReplicated(service(1, policy), tasks, [node('a')], T0 + 6_000).create).toEqual(
      [],
    );
    // `docker service update --image app:2`: the v1 failures no longer count.
    const v2 = { ContainerSpec: { Image: 'app:2' } };
    expect(
      reconcileReplicated(service(1, policy, v2), tasks, [node('a')], T0 + 6_000).create,
    ).toEqual([1]);
  });

  it('replaces a task on a down node even once MaxAttempts is used up', () => {
    const policy: RestartPolicy = { MaxAttempts: 1, Delay: 0 };
    const past = failures(1, 1, policy);
    const current = task(1, 'a', 'running', { at: T0 + 2_000, restart: policy });
    const out = reconcileReplicated(
      service(1, policy),
      [...past, current],
      [node('a', 'active', 'down')],
      T0 + 3_000,
    );
    expect(out).toEqual({ create: [1], restarts: [1], shutdown: [current.ID] });
  });
});

describe('reconcileReplicated: node availability', () => {
  it('drain: replaces the tasks at once, whatever the policy, and stops the old ones', () => {
    const nodes = [node('a', 'drain'), node('b')];
    for (const policy of [undefined, { Condition: 'none' as const }, { MaxAttempts: 1 }]) {
      const onDrained = task(1, 'a', 'running', { at: T0 + 59_999 });
      const pending = task(2, 'a', 'assigned', { at: T0 + 59_999 });
      const elsewhere = task(3, 'b', 'running');
      const out = reconcileReplicated(
        service(3, policy),
        [...failures(1, 3), onDrained, pending, elsewhere],
        nodes,
        T0 + 60_000,
      );
      expect(out).toEqual({
        create: [1, 2],
        restarts: [1, 2],
        shutdown: [onDrained.ID, pending.ID],
      });
    }
  });

  it('drain: leaves finished slots finished', () => {
    const policy: RestartPolicy = { Condition: 'none' };
    const done = task(1, 'a', 'complete', { restart: policy });
    expect(reconcileReplicated(service(1, policy), [done], [node('a', 'drain')], T0)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('pause: tasks keep running; active: nothing to undo', () => {
    const tasks = [task(1, 'a', 'running'), task(2, 'a', 'assigned')];
    for (const availability of ['pause', 'active'] as const) {
      expect(reconcileReplicated(service(2), tasks, [node('a', availability)], T0)).toEqual({
        create: [],
        shutdown: [],
      });
    }
  });

  it('a slot whose task a manager shut down is filled again at once', () => {
    // The constraint enforcer shut slot 2 down: it no longer has a task desired running.
    const tasks = [
      task(1, 'a', 'running'),
      task(2, 'a', 'running', { desired: 'shutdown' }),
      task(3, 'b', 'running'),
    ];
    expect(reconcileReplicated(service(3), tasks, [node('a'), node('b')], T0)).toEqual({
      create: [2],
      shutdown: [],
    });
  });
});

describe('reconcileReplicated: availability (property)', () => {
  it('drain stops every live task on the node; pause and active stop one only to scale down', () => {
    const arbTask = fc.record({
      slot: fc.integer({ min: 1, max: 8 }),
      node: fc.constantFrom('a', 'b', 'c'),
      state: fc.constantFrom<TaskState>('assigned', 'running', 'failed', 'complete'),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.array(arbTask, { maxLength: 12 }),
        fc.constantFrom<NodeAvailability>('active', 'pause', 'drain'),
        (replicas, specs, availability) => {
          const nodes = [node('a', availability), node('b'), node('c')];
          const tasks = specs.map((s) => task(s.slot, s.node, s.state, { at: T0 - 10_000 }));
          const out = reconcileReplicated(service(replicas), tasks, nodes, T0);
          const shut = new Set(out.shutdown);
          const isLive = (t: OrchestratedTask) =>
            !['failed', 'complete'].includes(t.Status!.State!);
          if (availability === 'drain') {
            for (const t of tasks.filter((x) => isLive(x) && x.NodeID === 'a')) {
              expect(shut.has(t.ID)).toBe(true);
            }
          } else {
            const liveSlots = new Set(tasks.filter(isLive).map((t) => t.Slot));
            if (tasks.some((t) => isLive(t) && shut.has(t.ID))) {
              expect(liveSlots.size).toBeGreaterThan(replicas);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
