import { type Task, type TaskStatus } from '@shoal/api';
import { ManualClock, nullLogger } from '@shoal/common';
import { ENDED_WHILE_AWAY } from '@shoal/exec';
import { RecordingExecutor, type ControllerScript } from '@shoal/exec/testing/recording.executor';
import { type AssignmentMessage } from '@shoal/dispatcher';
import { describe, expect, it } from 'vitest';
import { MemoryAgentState, type SavedTask } from './agent-state.store';
import { TaskWorker } from './task.worker';

const tick = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};

function task(
  id: string,
  desired: Task['DesiredState'] = 'running',
  extra: Partial<Task> = {},
): Task {
  return {
    ID: id,
    DesiredState: desired,
    NodeID: 'n1',
    Spec: { ContainerSpec: { Image: 'busybox', StopGracePeriod: 3e9 } },
    Status: { State: 'assigned' },
    ...extra,
  };
}

const complete = (tasks: Task[], sequence = 1): AssignmentMessage => ({
  type: 'complete',
  sequence,
  appliesTo: 0,
  updated: tasks,
  removed: [],
});
const incremental = (updated: Task[], removed: string[] = []): AssignmentMessage => ({
  type: 'incremental',
  sequence: 2,
  appliesTo: 1,
  updated,
  removed,
});

function setup(script?: (t: Task) => ControllerScript, saved: SavedTask[] = []) {
  const executor = new RecordingExecutor(script ? { script } : {});
  const state = new MemoryAgentState();
  void state.save(() => saved);
  const reports: { taskId: string; status: TaskStatus }[] = [];
  const worker = new TaskWorker({
    executor,
    state,
    clock: new ManualClock(),
    report: (taskId, status) => reports.push({ taskId, status }),
    logger: nullLogger,
  });
  const statesOf = (id: string) =>
    reports.filter((r) => r.taskId === id).map((r) => r.status.State);
  return { executor, state, worker, reports, statesOf };
}

describe('TaskWorker', () => {
  it('runs every assigned task once, through the state machine', async () => {
    const { worker, statesOf, executor } = setup();
    worker.apply(complete([task('a'), task('b')]));
    worker.apply(complete([task('a'), task('b')], 2)); // a resync changes nothing
    await tick();
    for (const id of ['a', 'b']) {
      expect(statesOf(id)).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running']);
    }
    expect(executor.calls.filter((c) => c.op === 'start')).toHaveLength(2);
  });

  it('stops a task whose desired state becomes shutdown, with its StopGracePeriod', async () => {
    const { worker, statesOf, executor } = setup();
    worker.apply(complete([task('a')]));
    await tick();
    worker.apply(incremental([task('a', 'shutdown')]));
    await tick();
    expect(statesOf('a').at(-1)).toBe('shutdown');
    expect(executor.calls.find((c) => c.op === 'shutdown')?.gracePeriodMs).toBe(3_000);
    expect(executor.calls.some((c) => c.op === 'remove')).toBe(false);
  });

  it('stops and removes a task no longer assigned, or desired remove, and forgets the first', async () => {
    const { worker, executor, state } = setup();
    worker.apply(complete([task('a'), task('b')]));
    await tick();
    worker.apply(incremental([task('b', 'remove')], ['a']));
    await tick();
    const removed = executor.calls.filter((c) => c.op === 'remove').map((c) => c.taskId);
    expect(removed.sort()).toEqual(['a', 'b']);
    expect(worker.tasks().map((t) => t.task.ID)).toEqual(['b']);
    expect((await state.load()).map((t) => t.task.ID)).toEqual(['b']);
  });

  it('runs a job task (desired complete) to its end instead of stopping it', async () => {
    const { worker, executor, statesOf } = setup(() => ({ exit: 0 }));
    worker.apply(complete([task('j', 'complete')]));
    await tick();
    expect(statesOf('j').at(-1)).toBe('complete');
    expect(executor.calls.some((c) => c.op === 'shutdown')).toBe(false);
  });

  it('a task first seen with desired shutdown is never started', async () => {
    const { worker, executor, statesOf } = setup();
    worker.apply(complete([task('a', 'shutdown')]));
    await tick();
    expect(executor.calls.some((c) => c.op === 'start')).toBe(false);
    expect(statesOf('a')).toEqual(['shutdown']);
  });

  it('keeps assignments and statuses in its state store', async () => {
    const { worker, state } = setup();
    worker.apply(complete([task('a')]));
    await tick();
    const saved = await state.load();
    expect(saved).toHaveLength(1);
    expect(saved[0]!.status?.State).toBe('running');
  });

  describe('after a restart', () => {
    const saved = (id: string, state: TaskStatus['State'], ts = '2026-01-01T00:00:00Z') => ({
      task: task(id),
      status: { State: state, Timestamp: ts, Message: 'x' },
    });

    it('adopts what still runs, keeping its running-since time, and starts nothing', async () => {
      const { worker, executor, reports } = setup(() => ({ adopt: true }), [saved('a', 'running')]);
      await worker.restore();
      await tick();
      expect(executor.calls.map((c) => c.op)).toEqual(['adopt', 'wait']);
      expect(reports).toEqual([
        {
          taskId: 'a',
          status: expect.objectContaining({ State: 'running', Timestamp: '2026-01-01T00:00:00Z' }),
        },
      ]);
    });

    it('adopts a task saved as starting only once it is healthy', async () => {
      const { worker, executor, statesOf } = setup(
        () => ({ adopt: true, awaitHealthy: 'hold' }),
        [saved('a', 'starting')],
      );
      await worker.restore();
      await tick();
      expect(executor.calls.map((c) => c.op)).toEqual(['adopt', 'awaitHealthy']);
      expect(statesOf('a')).toEqual([]);
      executor.controllers[0]!.release('awaitHealthy');
      await tick();
      expect(statesOf('a')).toEqual(['running']);
    });

    it('reports a started task that died meanwhile as failed instead of rerunning it', async () => {
      const { worker, executor, statesOf, reports } = setup(
        () => ({ adopt: false }),
        [saved('a', 'running')],
      );
      await worker.restore();
      await tick();
      expect(executor.calls.map((c) => c.op)).toEqual(['adopt']);
      expect(statesOf('a')).toEqual(['failed']);
      expect(reports[0]!.status.Err).toBe(ENDED_WHILE_AWAY);
    });

    it('starts a task that had not started only once the manager still wants it', async () => {
      const { worker, executor } = setup(
        () => ({ adopt: false }),
        [saved('a', 'preparing'), saved('b', 'complete'), saved('c', 'accepted')],
      );
      await worker.restore();
      await tick();
      expect(executor.calls).toEqual([]);
      // The first complete set: a is still wanted, c was shut down meanwhile, b is done.
      worker.apply(complete([task('a'), task('b'), task('c', 'shutdown')]));
      await tick();
      expect(executor.calls.filter((c) => c.op === 'start').map((c) => c.taskId)).toEqual(['a']);
    });

    it('finds a task it was stopping still running, and stops it', async () => {
      const { worker, executor, statesOf } = setup(
        () => ({ adopt: true }),
        [{ task: task('a', 'shutdown'), status: { State: 'running' } }],
      );
      await worker.restore();
      await tick();
      expect(executor.calls.map((c) => c.op)).toEqual(['adopt', 'wait', 'shutdown']);
      expect(statesOf('a')).toEqual(['running', 'shutdown']);
    });
  });

  it('detach() leaves tasks running and reports nothing more', async () => {
    const { worker, executor, reports } = setup();
    worker.apply(complete([task('a')]));
    await tick();
    const before = reports.length;
    worker.detach();
    executor.controllerFor('a')!.exit(0);
    await tick();
    expect(reports.length).toBe(before);
    expect(executor.calls.some((c) => c.op === 'shutdown')).toBe(false);
  });

  it('stopAll() (swarm leave) stops and removes every task', async () => {
    const { worker, executor } = setup();
    worker.apply(complete([task('a'), task('b')]));
    await tick();
    await worker.stopAll();
    expect(executor.calls.filter((c) => c.op === 'remove')).toHaveLength(2);
    expect(worker.tasks()).toEqual([]);
  });
});
