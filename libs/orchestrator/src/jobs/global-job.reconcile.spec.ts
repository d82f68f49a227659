import {
  type NodeAvailability,
  type NodeState,
  type RestartCondition,
  type RestartPolicy,
  type TaskState,
} from '@shoal/api';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeFitOf } from '../common/node.eligibility';
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
import { reconcileGlobalJob } from './global-job.reconcile';

function globalJob(
  opts: {
    restart?: RestartPolicy;
    iteration?: number;
    startedAt?: number;
    constraints?: string[];
  } = {},
) {
  return service(
    { GlobalJob: {} },
    {
      RestartPolicy: opts.restart,
      Placement: opts.constraints ? { Constraints: opts.constraints } : undefined,
    },
    {
      JobStatus: {
        JobIteration: { Index: opts.iteration ?? 0 },
        LastExecution: rfc3339Nano(opts.startedAt ?? T0),
      },
    },
  );
}

const NODES = [node('a'), node('b')];
const onNode = (n: string, o: { state?: TaskState; exit?: number; iteration?: number } = {}) =>
  task({ node: n, desired: 'complete', iteration: 0, ...o });
const nodesOf = (out: { create: { nodeId?: string }[] }) => out.create.map((p) => p.nodeId);

describe('reconcileGlobalJob', () => {
  it('runs once on every node that takes new tasks, with the run number', () => {
    const nodes = [...NODES, node('p', { availability: 'pause' }), node('d', { state: 'down' })];
    expect(reconcileGlobalJob(globalJob({ iteration: 4 }), [], nodes, T0)).toEqual({
      create: [
        { nodeId: 'a', jobIteration: 4 },
        { nodeId: 'b', jobIteration: 4 },
      ],
      shutdown: [],
    });
  });

  it('does not run on nodes that joined after the run started', () => {
    const late = node('late', { createdAt: T0 + 1 });
    const out = reconcileGlobalJob(globalJob(), [], [...NODES, late], T0 + 60_000);
    expect(nodesOf(out)).toEqual(['a', 'b']);
    // Without LastExecution, the service's creation time is the start.
    const noStatus = { ...globalJob(), JobStatus: undefined };
    expect(nodesOf(reconcileGlobalJob(noStatus, [], [...NODES, late], T0))).toEqual(['a', 'b']);
  });

  it('never runs again on a node where the run completed, whatever the condition', () => {
    const tasks = [onNode('a', { state: 'complete', exit: 0 }), onNode('b')];
    const any = globalJob({ restart: { Condition: 'any', Delay: 0 } });
    expect(reconcileGlobalJob(any, tasks, NODES, T0 + 60_000)).toEqual({
      create: [],
      shutdown: [],
    });
  });

  it('retries a failed run on its node after the delay, up to MaxAttempts', () => {
    const failed = onNode('a', { state: 'failed' });
    const tasks = [failed, onNode('b')];
    expect(reconcileGlobalJob(globalJob(), tasks, NODES, T0 + 1).nextWakeAt).toBe(T0 + 5_000);
    expect(reconcileGlobalJob(globalJob(), tasks, NODES, T0 + 5_000)).toEqual({
      create: [{ nodeId: 'a', jobIteration: 0, restart: true }],
      shutdown: [failed.ID],
    });
    const once = globalJob({ restart: { MaxAttempts: 1, Delay: 0 } });
    const history = [
      { ...onNode('a', { state: 'failed' }), DesiredState: 'shutdown' as const },
      failed,
    ];
    expect(reconcileGlobalJob(once, [...madeFrom(once, history), onNode('b')], NODES, T0)).toEqual({
      create: [],
      shutdown: [],
    });
    const none = globalJob({ restart: { Condition: 'none' } });
    expect(reconcileGlobalJob(none, tasks, NODES, T0 + 60_000).create).toEqual([]);
  });

  it('stops unfinished runs on drained, unfitting and removed nodes; keeps those on down nodes', () => {
    const drained = onNode('a');
    const unfit = onNode('b');
    const gone = onNode('gone');
    const doneOnGone = onNode('gone2', { state: 'complete', exit: 0 });
    const onDown = onNode('c');
    const nodes = [
      node('a', { availability: 'drain' }),
      node('b', { labels: { zone: 'us' } }),
      node('c', { state: 'down' }),
    ];
    const svc = globalJob({ constraints: ['node.labels.zone!=us'] });
    expect(reconcileGlobalJob(svc, [drained, unfit, gone, doneOnGone, onDown], nodes, T0)).toEqual({
      create: [],
      shutdown: [drained.ID, unfit.ID, gone.ID],
    });
  });

  it('starts a new run when the iteration changes, shutting the old one down', () => {
    const old = [onNode('a', { state: 'complete', exit: 0 }), onNode('b')];
    const out = reconcileGlobalJob(globalJob({ iteration: 1 }), old, NODES, T0);
    expect(out.shutdown).toEqual(old.map((t) => t.ID));
    expect(out.create).toEqual([
      { nodeId: 'a', jobIteration: 1 },
      { nodeId: 'b', jobIteration: 1 },
    ]);
  });

  it('leaves other modes alone', () => {
    for (const mode of [{ Replicated: {} }, { Global: {} }, { ReplicatedJob: {} }]) {
      expect(reconcileGlobalJob(service(mode), [], NODES, T0)).toEqual({
        create: [],
        shutdown: [],
      });
    }
  });
});

describe('reconcileGlobalJob (property)', () => {
  const nodeStates: NodeState[] = ['ready', 'ready', 'down', 'unknown'];
  const availabilities: NodeAvailability[] = ['active', 'active', 'pause', 'drain'];
  const taskStates: TaskState[] = [
    'pending',
    'assigned',
    'running',
    'complete',
    'failed',
    'rejected',
  ];
  const arbNode = fc.record({
    state: fc.constantFrom(...nodeStates),
    availability: fc.constantFrom(...availabilities),
    zone: fc.constantFrom('eu', 'us'),
    late: fc.boolean(),
  });
  const arbTask = fc.record({
    node: fc.option(fc.constantFrom('n0', 'n1', 'n2', 'n3', 'gone'), { nil: undefined }),
    state: fc.constantFrom(...taskStates),
    exit: fc.constantFrom(0, 0, 1),
    desired: fc.constantFrom<TaskState>('complete', 'complete', 'shutdown'),
    iteration: fc.constantFrom(1, 1, 2),
  });

  const wantedOn = (tasks: OrchestratedTask[], n: string) =>
    tasks.filter(
      (t) => t.NodeID === n && t.JobIteration?.Index === 2 && t.DesiredState === 'complete',
    );

  it('one run per eligible node that existed at the start, completed nodes never again, fixed point', () => {
    fc.assert(
      fc.property(
        fc.array(arbNode, { maxLength: 4 }),
        fc.array(arbTask, { maxLength: 16 }),
        fc.constantFrom<RestartCondition>('any', 'on-failure', 'none'),
        fc.option(fc.constantFrom('node.labels.zone==eu'), { nil: undefined }),
        (nodeSpecs, taskSpecs, condition, constraint) => {
          const nodes = nodeSpecs.map((n, i) =>
            node(`n${i}`, {
              state: n.state,
              availability: n.availability,
              labels: { zone: n.zone },
              createdAt: n.late ? T0 + 1 : T0 - 1,
            }),
          );
          const svc = globalJob({
            iteration: 2,
            restart: { Condition: condition, Delay: 0 },
            constraints: constraint ? [constraint] : undefined,
          });
          const fits = nodeFitOf(svc.Spec);
          const before = taskSpecs.map((s) =>
            task({
              node: s.node,
              state: s.state,
              exit: s.state === 'complete' ? s.exit : undefined,
              desired: s.desired,
              iteration: s.iteration,
            }),
          );
          const out = reconcileGlobalJob(svc, before, nodes, T0);
          expect(out.nextWakeAt).toBeUndefined();
          const after = applyActions(before, out, T0);

          for (const plan of out.create) {
            const n = nodes.find((x) => x.ID === plan.nodeId)!;
            expect(
              fits(n) && n.Status?.State === 'ready' && n.Spec?.Availability === 'active',
            ).toBe(true);
            expect(plan.jobIteration).toBe(2);
            const hadRun = wantedOn(before, n.ID).length > 0;
            // A node that joined after the start only ever retries a run it already had.
            if (nodeSpecs[Number(n.ID.slice(1))]!.late) expect(hadRun).toBe(true);
            const succeeded = wantedOn(before, n.ID).some(
              (t) =>
                t.Status?.State === 'complete' && (t.Status.ContainerStatus?.ExitCode ?? 0) === 0,
            );
            expect(succeeded).toBe(false);
          }
          for (const n of nodes) {
            const live = wantedOn(after, n.ID).filter((t) => !isTerminalState(t.Status?.State));
            expect(live.length).toBeLessThanOrEqual(1);
            if (!fits(n) || n.Spec?.Availability === 'drain') expect(live).toHaveLength(0);
          }
          expect(
            after.filter((t) => t.JobIteration?.Index !== 2 && t.DesiredState !== 'shutdown'),
          ).toEqual([]);
          expect(reconcileGlobalJob(svc, after, nodes, T0)).toEqual({ create: [], shutdown: [] });
        },
      ),
      { numRuns: 400 },
    );
  });
});
