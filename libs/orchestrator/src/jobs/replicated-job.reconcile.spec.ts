import { type RestartCondition, type RestartPolicy, type TaskState } from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyActions,
  madeFrom,
  node,
  service,
  T0,
  task,
} from '../common/testing/orchestrator.fixtures';
import { isTerminalState } from '../replicated/replicated.reconcile';
import { type OrchestratedTask } from '../replicated/replicated.types';
import { reconcileReplicatedJob } from './replicated-job.reconcile';

function job(
  limits: { MaxConcurrent?: number; TotalCompletions?: number },
  restart?: RestartPolicy,
  iteration = 0,
) {
  return service(
    { ReplicatedJob: limits },
    { RestartPolicy: restart },
    { JobStatus: { JobIteration: { Index: iteration } } },
  );
}

const NODES = [node('a'), node('b')];
const done = (slot: number, iteration = 0) =>
  task({ slot, node: 'a', state: 'complete', exit: 0, desired: 'complete', iteration });
const runningIn = (slot: number, iteration = 0) =>
  task({ slot, node: 'a', desired: 'complete', iteration });
const slots = (out: { create: { slot?: number }[] }) => out.create.map((p) => p.slot);

describe('reconcileReplicatedJob', () => {
  it('starts MaxConcurrent tasks of the current run, lowest slots first', () => {
    const out = reconcileReplicatedJob(
      job({ MaxConcurrent: 2, TotalCompletions: 5 }, undefined, 3),
      [],
      NODES,
      T0,
    );
    expect(out).toEqual({
      create: [
        { slot: 1, jobIteration: 3 },
        { slot: 2, jobIteration: 3 },
      ],
      shutdown: [],
    });
  });

  it('defaults as the API: MaxConcurrent 1, TotalCompletions MaxConcurrent', () => {
    expect(slots(reconcileReplicatedJob(job({}), [], NODES, T0))).toEqual([1]);
    expect(slots(reconcileReplicatedJob(job({ MaxConcurrent: 3 }), [], NODES, T0))).toEqual([
      1, 2, 3,
    ]);
    expect(
      slots(reconcileReplicatedJob(job({ MaxConcurrent: 3, TotalCompletions: 2 }), [], NODES, T0)),
    ).toEqual([1, 2]);
  });

  it('starts the next slot as tasks complete, and nothing once all have', () => {
    const limits = { MaxConcurrent: 2, TotalCompletions: 4 };
    const out = reconcileReplicatedJob(job(limits), [done(1), runningIn(2)], NODES, T0);
    expect(slots(out)).toEqual([3]);
    const all = [done(1), done(2), done(3), done(4)];
    expect(reconcileReplicatedJob(job(limits), all, NODES, T0)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('never restarts a completed task, whatever the restart condition', () => {
    const any = job({ MaxConcurrent: 1, TotalCompletions: 1 }, { Condition: 'any', Delay: 0 });
    expect(reconcileReplicatedJob(any, [done(1)], NODES, T0 + 60_000)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('retries a failed slot in place after the delay (on-failure by default)', () => {
    const failed = task({ slot: 1, node: 'a', state: 'failed', desired: 'complete', iteration: 0 });
    const nonZero = task({
      slot: 2,
      node: 'a',
      state: 'complete',
      exit: 3,
      desired: 'complete',
      iteration: 0,
    });
    const j = job({ MaxConcurrent: 2, TotalCompletions: 3 });
    expect(reconcileReplicatedJob(j, [failed, nonZero], NODES, T0 + 1)).toEqual({
      create: [],
      shutdown: [],
      nextWakeAt: T0 + 5_000,
    });
    const out = reconcileReplicatedJob(j, [failed, nonZero], NODES, T0 + 5_000);
    expect(out.create).toEqual([
      { slot: 1, jobIteration: 0, restart: true },
      { slot: 2, jobIteration: 0, restart: true },
    ]);
    expect(out.shutdown.sort()).toEqual([failed.ID, nonZero.ID].sort());
  });

  it('retries failed slots before new ones, within MaxConcurrent', () => {
    const failed = task({ slot: 2, node: 'a', state: 'failed', desired: 'complete', iteration: 0 });
    const j = job({ MaxConcurrent: 2, TotalCompletions: 4 }, { Delay: 0 });
    const out = reconcileReplicatedJob(j, [runningIn(1), failed], NODES, T0);
    expect(slots(out)).toEqual([2]);
    // No room: the retry waits for a place without holding up anything else.
    const full = reconcileReplicatedJob(j, [runningIn(1), failed, runningIn(3)], NODES, T0);
    expect(full).toEqual({ create: [], shutdown: [] });
  });

  it('gives a slot up under condition none or once MaxAttempts are used, freeing its place', () => {
    const failed = () =>
      task({ slot: 1, node: 'a', state: 'failed', desired: 'complete', iteration: 0 });
    const limits = { MaxConcurrent: 1, TotalCompletions: 2 };
    const none = reconcileReplicatedJob(
      job(limits, { Condition: 'none' }),
      [failed()],
      NODES,
      T0 + 60_000,
    );
    expect(slots(none)).toEqual([2]);

    const history = [
      { ...failed(), DesiredState: 'shutdown' as const },
      { ...failed(), DesiredState: 'shutdown' as const },
      failed(),
    ];
    // Attempts are the slot's tasks made from the current template.
    const twice = job(limits, { MaxAttempts: 2, Delay: 0 });
    expect(slots(reconcileReplicatedJob(twice, madeFrom(twice, history), NODES, T0))).toEqual([2]);
    expect(slots(reconcileReplicatedJob(twice, history, NODES, T0))).toEqual([1]);
    const thrice = job(limits, { MaxAttempts: 3, Delay: 0 });
    expect(slots(reconcileReplicatedJob(thrice, madeFrom(thrice, history), NODES, T0))).toEqual([
      1,
    ]);
  });

  it('replaces tasks on down or removed nodes', () => {
    const onDown = task({ slot: 1, node: 'a', desired: 'complete', iteration: 0, at: T0 - 60_000 });
    const onGone = task({
      slot: 2,
      node: 'zz',
      desired: 'complete',
      iteration: 0,
      at: T0 - 60_000,
    });
    const nodes = [node('a', { state: 'down' })];
    const out = reconcileReplicatedJob(job({ MaxConcurrent: 2 }), [onDown, onGone], nodes, T0);
    expect(slots(out)).toEqual([1, 2]);
    expect(out.shutdown).toEqual([onDown.ID, onGone.ID]);
  });

  it('moves a task off a drained node at once, whatever the policy', () => {
    const onDrained = runningIn(1);
    const nodes = [node('a', { availability: 'drain' })];
    const none = job({}, { Condition: 'none', Delay: 60e9 });
    expect(reconcileReplicatedJob(none, [onDrained], nodes, T0)).toEqual({
      create: [{ slot: 1, jobIteration: 0, restart: true }],
      shutdown: [onDrained.ID],
    });
  });

  it('shuts down the tasks of earlier runs and starts the new run', () => {
    const old = [
      done(1, 0),
      runningIn(2, 0),
      task({ slot: 3, state: 'pending', desired: 'complete' }),
    ];
    const out = reconcileReplicatedJob(job({ MaxConcurrent: 2 }, undefined, 1), old, NODES, T0);
    expect(out.shutdown).toEqual(old.map((t) => t.ID));
    expect(out.create).toEqual([
      { slot: 1, jobIteration: 1 },
      { slot: 2, jobIteration: 1 },
    ]);
  });

  it('stops a retry that raced with the success of its slot', () => {
    const retry = runningIn(1);
    const out = reconcileReplicatedJob(job({}), [done(1), retry], NODES, T0);
    expect(out).toEqual({ create: [], shutdown: [retry.ID] });
  });

  it('counts a success of a task it had replaced as lost, and stops the retry', () => {
    const lost = { ...done(1), DesiredState: 'shutdown' as const };
    const retry = runningIn(1);
    const out = reconcileReplicatedJob(job({ TotalCompletions: 1 }), [lost, retry], NODES, T0);
    expect(out).toEqual({ create: [], shutdown: [retry.ID] });
  });

  it('leaves other modes alone', () => {
    for (const mode of [{ Replicated: {} }, { Global: {} }, { GlobalJob: {} }]) {
      expect(reconcileReplicatedJob(service(mode), [], NODES, T0)).toEqual({
        create: [],
        shutdown: [],
      });
    }
  });
});

describe('reconcileReplicatedJob (property)', () => {
  const states: TaskState[] = ['pending', 'assigned', 'running', 'complete', 'failed', 'rejected'];
  const arbTask = fc.record({
    slot: fc.integer({ min: 0, max: 8 }),
    node: fc.option(fc.constantFrom('a', 'b', 'drained', 'gone'), { nil: undefined }),
    state: fc.constantFrom(...states),
    exit: fc.constantFrom(0, 0, 1),
    desired: fc.constantFrom<TaskState>('complete', 'complete', 'running', 'shutdown'),
    iteration: fc.constantFrom(0, 1, 1, 1),
  });

  const isLive = (t: OrchestratedTask, down: string[]) =>
    t.JobIteration?.Index === 1 &&
    (t.DesiredState === 'complete' || t.DesiredState === 'running') &&
    !isTerminalState(t.Status?.State) &&
    !(t.NodeID && (down.includes(t.NodeID) || t.NodeID === 'gone' || t.NodeID === 'drained'));

  it('respects MaxConcurrent and TotalCompletions, keeps done slots done, and is a fixed point', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(arbTask, { maxLength: 20 }),
        fc.constantFrom<RestartCondition>('any', 'on-failure', 'none'),
        fc.subarray(['a', 'b']),
        (maxConcurrent, total, specs, condition, down) => {
          const svc = job(
            { MaxConcurrent: maxConcurrent, TotalCompletions: total },
            { Condition: condition, Delay: 0 },
            1,
          );
          const nodes = [
            ...['a', 'b'].map((id) => node(id, { state: down.includes(id) ? 'down' : 'ready' })),
            node('drained', { availability: 'drain' }),
          ];
          const before = specs.map((s) =>
            task({
              slot: s.slot,
              node: s.node,
              state: s.state,
              exit: s.state === 'complete' ? s.exit : undefined,
              desired: s.desired,
              iteration: s.iteration,
            }),
          );
          const out = reconcileReplicatedJob(svc, before, nodes, T0);
          expect(out.nextWakeAt).toBeUndefined();
          const after = applyActions(before, out, T0);

          const liveBefore = before.filter((t) => isLive(t, down)).length;
          const liveAfter = after.filter((t) => isLive(t, down)).length;
          expect(liveAfter).toBeLessThanOrEqual(Math.max(maxConcurrent, liveBefore));
          if (liveBefore <= maxConcurrent) expect(liveAfter).toBeLessThanOrEqual(maxConcurrent);

          const wanted = after.filter(
            (t) =>
              t.JobIteration?.Index === 1 &&
              (t.DesiredState === 'complete' || t.DesiredState === 'running'),
          );
          const usedSlots = new Set(
            wanted.filter((t) => t.Slot! >= 1 && t.Slot! <= total).map((t) => t.Slot),
          );
          expect(usedSlots.size).toBeLessThanOrEqual(total);
          for (const plan of out.create) {
            expect(plan.slot).toBeGreaterThanOrEqual(1);
            expect(plan.slot).toBeLessThanOrEqual(total);
            expect(plan.jobIteration).toBe(1);
            // A slot that succeeded in this run never runs again.
            const succeededBefore = before.some(
              (t) =>
                t.Slot === plan.slot &&
                t.JobIteration?.Index === 1 &&
                t.DesiredState !== 'shutdown' &&
                t.Status?.State === 'complete' &&
                (t.Status.ContainerStatus?.ExitCode ?? 0) === 0,
            );
            expect(succeededBefore).toBe(false);
          }
          // Nothing of an earlier run is left wanted.
          expect(
            after.filter((t) => t.JobIteration?.Index !== 1 && t.DesiredState !== 'shutdown'),
          ).toEqual([]);
          expect(reconcileReplicatedJob(svc, after, nodes, T0)).toEqual({
            create: [],
            shutdown: [],
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it('runs a job to completion when every task succeeds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 9 }),
        (maxConcurrent, total) => {
          const svc = job({ MaxConcurrent: maxConcurrent, TotalCompletions: total });
          let tasks: OrchestratedTask[] = [];
          for (let round = 0; round < 20; round++) {
            const out = reconcileReplicatedJob(svc, tasks, NODES, T0);
            tasks = applyActions(tasks, out, T0);
            const live = tasks.filter((t) => !isTerminalState(t.Status?.State));
            expect(live.length).toBeLessThanOrEqual(maxConcurrent);
            if (live.length === 0) break;
            // Every live task runs and exits 0.
            tasks = tasks.map((t) =>
              isTerminalState(t.Status?.State)
                ? t
                : { ...t, Status: { State: 'complete', ContainerStatus: { ExitCode: 0 } } },
            );
          }
          const completed = new Set(
            tasks.filter((t) => t.Status?.State === 'complete').map((t) => t.Slot),
          );
          expect(completed.size).toBe(total);
          expect(tasks).toHaveLength(total);
        },
      ),
    );
  });
});
