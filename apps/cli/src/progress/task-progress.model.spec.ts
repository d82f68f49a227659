import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Service, Task, TaskState } from '../api/swarm.types';
import { frameItems, renderFrame } from './progress.renderer';
import { ProgressTracker, truncateError } from './task-progress.model';

const replicated = (replicas: number): Service => ({
  ID: 'svc1',
  Spec: { Name: 'web', Mode: { Replicated: { Replicas: replicas } } },
});

let seq = 0;
const task = (slot: number, state: TaskState, extra: Partial<Task> = {}): Task => ({
  ID: `task${++seq}`,
  ServiceID: 'svc1',
  Slot: slot,
  NodeID: 'node1',
  DesiredState: 'running',
  Status: { State: state },
  ...extra,
});

const lines = (tracker: ProgressTracker, service: Service, tasks: Task[], rollback = false) =>
  renderFrame(frameItems(tracker.update({ service, tasks, rollback }), []));

const FULL = `[${'='.repeat(50)}>]`;

describe('ProgressTracker, replicated services', () => {
  it('draws the overall count and one line per slot, in slot order, blank until a task shows', () => {
    const tracker = new ProgressTracker();
    expect(lines(tracker, replicated(3), [])).toEqual([
      'overall progress: 0 out of 3 tasks',
      '1/3:',
      '2/3:',
      '3/3:',
    ]);
    const view = tracker.update({
      service: replicated(3),
      tasks: [task(2, 'preparing'), task(1, 'running')],
      rollback: false,
    });
    expect(view).toMatchObject({ done: 1, desired: 3, converged: false });
    expect(renderFrame(frameItems(view, []))).toEqual([
      'overall progress: 1 out of 3 tasks',
      `1/3: running   ${FULL}`,
      `2/3: preparing [${'='.repeat(33)}>${' '.repeat(17)}]`,
      '3/3:',
    ]);
  });

  it('is converged once every slot runs; a rollback says so in the overall line', () => {
    const tracker = new ProgressTracker();
    const tasks = [task(1, 'running'), task(2, 'running')];
    const view = tracker.update({ service: replicated(2), tasks, rollback: true });
    expect(view.converged).toBe(true);
    expect(view.summary[0]?.text).toBe('rolling back update: 2 out of 2 tasks');
  });

  it('of two tasks in one slot it shows the lower desired state, then the lower state', () => {
    const tracker = new ProgressTracker();
    // start-first: the new task starting beside the old one still running.
    const startFirst = [task(1, 'running'), task(1, 'starting')];
    expect(lines(tracker, replicated(1), startFirst)[1]).toMatch(/^1\/1: starting /);
    // The old one told to shut down: the new one is the slot's task.
    const replaced = [
      task(1, 'running', { DesiredState: 'shutdown' }),
      task(1, 'ready', { DesiredState: 'running' }),
    ];
    expect(
      tracker.update({ service: replicated(1), tasks: replaced, rollback: false }),
    ).toMatchObject({ done: 0, converged: false });
  });

  it('shows a task error, cut to fit, and ignores tasks on nodes that are down', () => {
    const tracker = new ProgressTracker();
    const err = `starting container failed: ${'x'.repeat(100)}\nsecond line`;
    const view = tracker.update({
      service: replicated(2),
      tasks: [
        task(1, 'rejected', { Status: { State: 'rejected', Err: err } }),
        task(2, 'running', { NodeID: 'gone' }),
      ],
      activeNodes: new Set(['node1']),
      rollback: false,
    });
    expect(view.done).toBe(0);
    expect(renderFrame(frameItems(view, []))[1]).toBe(`1/2: ${truncateError(err)}`);
    expect(truncateError(err)).toHaveLength(75);
    expect(truncateError(err)).not.toContain('\n');
  });

  it('a task going away keeps its slot line as last drawn', () => {
    const tracker = new ProgressTracker();
    lines(tracker, replicated(1), [task(1, 'starting')]);
    expect(lines(tracker, replicated(1), [task(1, 'failed')])[1]).toMatch(/^1\/1: starting /);
  });

  it('above 20 replicas only the overall line is drawn', () => {
    const tracker = new ProgressTracker();
    const tasks = Array.from({ length: 25 }, (_, i) => task(i + 1, 'running'));
    expect(lines(tracker, replicated(25), tasks)).toEqual(['overall progress: 25 out of 25 tasks']);
  });
});

describe('ProgressTracker, other modes', () => {
  it('global: one line per node, waiting until tasks exist', () => {
    const tracker = new ProgressTracker();
    const service: Service = { ID: 'svc1', Spec: { Mode: { Global: {} } } };
    expect(lines(tracker, service, [])).toEqual(['overall progress: waiting for new tasks']);
    const view = tracker.update({
      service,
      tasks: [
        task(0, 'running', { NodeID: 'bbbbbbbbbbbbbbbbbbbbbbbbb' }),
        task(0, 'assigned', { NodeID: 'aaaaaaaaaaaaaaaaaaaaaaaaa' }),
      ],
      rollback: false,
    });
    expect(view).toMatchObject({ done: 1, desired: 2, converged: false });
    expect(renderFrame(frameItems(view, []))).toEqual([
      'overall progress: 1 out of 2 tasks',
      expect.stringMatching(/^aaaaaaaaaaaa: assigned {2}\[=+>/),
      `bbbbbbbbbbbb: running   ${FULL}`,
    ]);
  });

  it('replicated job: completions of the current iteration, and active tasks', () => {
    const tracker = new ProgressTracker();
    const service: Service = {
      ID: 'svc1',
      Spec: { Mode: { ReplicatedJob: { TotalCompletions: 3, MaxConcurrent: 2 } } },
      JobStatus: { JobIteration: { Index: 7 } },
    };
    const it7 = { JobIteration: { Index: 7 }, DesiredState: 'complete' as const };
    const view = tracker.update({
      service,
      tasks: [
        task(0, 'complete', it7),
        task(1, 'running', it7),
        task(2, 'complete', { JobIteration: { Index: 6 }, DesiredState: 'complete' }),
      ],
      rollback: false,
    });
    expect(view).toMatchObject({ kind: 'replicated-job', done: 1, desired: 3, converged: false });
    expect(renderFrame(frameItems(view, [])).slice(0, 2)).toEqual([
      `job progress: 1 out of 3 complete [${'='.repeat(16)}>${' '.repeat(34)}]`,
      'active tasks: 1 out of 2 tasks',
    ]);
  });

  it('global job: the nodes it started on, complete when all are', () => {
    const tracker = new ProgressTracker();
    const service: Service = {
      ID: 'svc1',
      Spec: { Mode: { GlobalJob: {} } },
      JobStatus: { JobIteration: { Index: 1 } },
    };
    const it1 = { JobIteration: { Index: 1 }, DesiredState: 'complete' as const };
    expect(tracker.update({ service, tasks: [], rollback: false }).summary[0]?.text).toBe(
      'waiting for tasks',
    );
    const view = tracker.update({
      service,
      tasks: [
        task(0, 'complete', { ...it1, NodeID: 'n1' }),
        task(0, 'complete', { ...it1, NodeID: 'n2' }),
      ],
      rollback: false,
    });
    expect(view).toMatchObject({ kind: 'global-job', done: 2, desired: 2, converged: true });
  });
});

const STATES: TaskState[] = [
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
];

const arbTask = (maxSlot: number) =>
  fc.record({
    slot: fc.integer({ min: 0, max: maxSlot + 2 }),
    state: fc.constantFrom(...STATES),
    desired: fc.constantFrom<TaskState>('running', 'shutdown', 'complete', 'remove'),
    node: fc.constantFrom('n1', 'n2', 'n3', ''),
    err: fc.option(fc.string(), { nil: undefined }),
    iteration: fc.integer({ min: 0, max: 2 }),
  });

const arbMode = fc.constantFrom<NonNullable<Service['Spec']>['Mode']>(
  { Replicated: { Replicas: 3 } },
  { Replicated: { Replicas: 0 } },
  { Replicated: { Replicas: 25 } },
  { Global: {} },
  { ReplicatedJob: { TotalCompletions: 4, MaxConcurrent: 2 } },
  { GlobalJob: {} },
  {},
);

describe('ProgressTracker, properties', () => {
  it('any sequence of service and task states renders without throwing', () => {
    fc.assert(
      fc.property(
        arbMode,
        fc.array(fc.tuple(fc.array(arbTask(4), { maxLength: 12 }), fc.boolean()), {
          maxLength: 8,
        }),
        fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        (mode, polls, columns) => {
          const tracker = new ProgressTracker();
          const service: Service = {
            ID: 's',
            Spec: { Mode: mode },
            JobStatus: { JobIteration: { Index: 1 } },
          };
          for (const [tasks, rollback] of polls) {
            const view = tracker.update({
              service,
              tasks: tasks.map((t) => ({
                ID: `${t.slot}${t.state}`,
                Slot: t.slot,
                NodeID: t.node || undefined,
                DesiredState: t.desired,
                Status: { State: t.state, Err: t.err },
                JobIteration: { Index: t.iteration },
              })),
              activeNodes: new Set(['n1', 'n2']),
              rollback,
            });
            const out = renderFrame(frameItems(view, []), columns);
            expect(view.done).toBeLessThanOrEqual(Math.max(view.desired, view.done));
            for (const line of out) expect(line).not.toContain('\n');
          }
        },
      ),
    );
  });

  it('the frame of a converged replicated service shows N out of N and every slot running', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.constantFrom<TaskState>('new', 'pending', 'starting', 'failed'), {
          maxLength: 6,
        }),
        (replicas, history) => {
          const tracker = new ProgressTracker();
          const service = replicated(replicas);
          // Earlier polls with slots in other states, then all running.
          for (const state of history) {
            tracker.update({
              service,
              tasks: Array.from({ length: replicas }, (_, i) => task(i + 1, state)),
              rollback: false,
            });
          }
          const running = Array.from({ length: replicas }, (_, i) => task(i + 1, 'running'));
          const view = tracker.update({ service, tasks: running, rollback: false });
          expect(view.converged).toBe(true);
          const out = renderFrame(frameItems(view, []));
          expect(out[0]).toBe(`overall progress: ${replicas} out of ${replicas} tasks`);
          expect(out.slice(1)).toEqual(
            Array.from({ length: replicas }, (_, i) => `${i + 1}/${replicas}: running   ${FULL}`),
          );
        },
      ),
    );
  });
});
