import { TASK_STATE_ORDER, type Task } from '@shoal/api';
import { ManualClock } from '@shoal/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TaskExitError, UNHEALTHY_REASON } from '../executor.port';
import { type ControllerScript, RecordingExecutor } from '../testing/recording.executor';
import { type TaskStatusReport, TaskController, ENDED_WHILE_AWAY } from './task.controller';

const task: Task = { ID: 't1', ServiceID: 's1', Slot: 1, DesiredState: 'running' };

function setup(script: ControllerScript = {}) {
  const executor = new RecordingExecutor().script('t1', script);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const reports: TaskStatusReport[] = [];
  const tc = new TaskController({
    executor,
    clock,
    report: (s) => {
      reports.push(s);
      clock.advance(1);
    },
  });
  const engine = () => {
    const c = executor.controllerFor('t1');
    if (!c) throw new Error('no controller yet');
    return c;
  };
  return { executor, tc, reports, engine, states: () => reports.map((r) => r.state) };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function expectIncreasing(reports: TaskStatusReport[]) {
  for (let i = 1; i < reports.length; i++) {
    expect(TASK_STATE_ORDER[reports[i]!.state]).toBeGreaterThan(
      TASK_STATE_ORDER[reports[i - 1]!.state],
    );
    expect(reports[i]!.timestamp >= reports[i - 1]!.timestamp).toBe(true);
  }
}

describe('TaskController', () => {
  it('runs prepare, start, wait in order and reports every state up to complete', async () => {
    const { tc, reports, engine, states } = setup();
    const done = tc.run(task);
    await tick();
    expect(engine().ops()).toEqual(['prepare', 'start', 'wait']);
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running']);
    engine().exit(0);
    const final = await done;
    expect(final).toMatchObject({ state: 'complete', exitCode: 0 });
    expect(final.err).toBeUndefined();
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'running', 'complete']);
    expect(reports[0]!.timestamp).toBe('2026-01-01T00:00:00.000Z');
    expect(tc.currentState).toBe('complete');
    expect(tc.lastStatus).toBe(final);
    expectIncreasing(reports);
  });

  it('reports failed with the error when prepare fails, and never starts', async () => {
    const { tc, engine, states } = setup({ prepare: new Error('image not found: busybox') });
    const final = await tc.run(task);
    expect(final).toMatchObject({ state: 'failed', err: 'image not found: busybox' });
    expect(states()).toEqual(['accepted', 'preparing', 'failed']);
    expect(engine().ops()).toEqual(['prepare']);
  });

  it('reports failed with the error when start fails', async () => {
    const { tc, engine, states } = setup({ start: 'exec: "nope": not found' });
    const final = await tc.run(task);
    expect(final).toMatchObject({ state: 'failed', err: 'exec: "nope": not found' });
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'failed']);
    expect(engine().ops()).toEqual(['prepare', 'start']);
  });

  it('reports failed with the exit code on a non-zero exit', async () => {
    const { tc, states } = setup({ exit: 3 });
    const final = await tc.run(task);
    expect(final).toMatchObject({ state: 'failed', exitCode: 3, err: 'task: non-zero exit (3)' });
    expect(states().at(-2)).toBe('running');
  });

  it('adds the engine reason to a non-zero exit', async () => {
    const { tc } = setup({ exit: { exitCode: 137, reason: 'OOM killed' } });
    expect((await tc.run(task)).err).toBe('task: non-zero exit (137): OOM killed');
  });

  it('stops a running task with shutdown(grace) and ends in shutdown', async () => {
    const { tc, reports, engine, states } = setup();
    const done = tc.run(task);
    await tick();
    expect(tc.currentState).toBe('running');
    const stopped = await tc.stop(7_500);
    expect(stopped).toMatchObject({ state: 'shutdown', exitCode: 143 });
    expect(await done).toBe(stopped);
    expect(engine().calls.at(-1)).toEqual({ taskId: 't1', op: 'shutdown', gracePeriodMs: 7_500 });
    expect(engine().ops()).toEqual(['prepare', 'start', 'wait', 'shutdown']);
    expect(states().slice(-2)).toEqual(['running', 'shutdown']);
    expectIncreasing(reports);
    // Stopping again is a no-op.
    expect(await tc.stop(1)).toBe(stopped);
    expect(
      engine()
        .ops()
        .filter((o) => o === 'shutdown'),
    ).toHaveLength(1);
  });

  it('does not start a task stopped while it prepares', async () => {
    const { tc, engine, states } = setup({ prepare: 'hold' });
    const done = tc.run(task);
    await tick();
    const stopping = tc.stop(1_000);
    engine().release('prepare');
    expect(await stopping).toMatchObject({ state: 'shutdown' });
    expect(await done).toMatchObject({ state: 'shutdown' });
    expect(engine().ops()).toEqual(['prepare']);
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'shutdown']);
  });

  it('shuts down a task stopped while it starts, without waiting for start() to end', async () => {
    // start() may wait long for a first healthy check: stop() must not wait for it.
    const { tc, engine, states } = setup({ start: 'hold' });
    const done = tc.run(task);
    await tick();
    const stopping = tc.stop(2_000);
    await tick();
    expect(engine().ops()).toEqual(['prepare', 'start', 'shutdown']);
    expect(engine().calls.find((c) => c.op === 'shutdown')?.gracePeriodMs).toBe(2_000);
    engine().release('start');
    expect(await stopping).toMatchObject({ state: 'shutdown', exitCode: 143 });
    await done;
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'shutdown']);
  });

  it('a start() that rejects once the task is being stopped ends in shutdown, not failed', async () => {
    const { tc, engine, states } = setup({ start: 'hold' });
    const done = tc.run(task);
    await tick();
    const stopping = tc.stop(2_000);
    await tick();
    engine().release('start', new TaskExitError({ exitCode: 143 }));
    expect(await stopping).toMatchObject({ state: 'shutdown', exitCode: 143 });
    expect(await done).toMatchObject({ state: 'shutdown' });
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'shutdown']);
  });

  it('a start() that rejects with a TaskExitError fails the task with its exit code', async () => {
    const unhealthy = { exitCode: 137, reason: UNHEALTHY_REASON, unhealthy: true };
    const { tc, states } = setup({ start: new TaskExitError(unhealthy) });
    expect(await tc.run(task)).toMatchObject({
      state: 'failed',
      err: 'task: non-zero exit (137): dockerexec: unhealthy container',
      exitCode: 137,
    });
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'failed']);
  });

  it('a workload stopped as unhealthy fails, whatever its exit code', async () => {
    const sick = setup({ exit: { exitCode: 137, reason: UNHEALTHY_REASON, unhealthy: true } });
    expect(await sick.tc.run(task)).toMatchObject({
      state: 'failed',
      err: 'task: non-zero exit (137): dockerexec: unhealthy container',
      exitCode: 137,
    });
    // Its stop signal made it exit 0: still a failure, not complete.
    const clean = setup({ exit: { exitCode: 0, reason: UNHEALTHY_REASON, unhealthy: true } });
    expect(await clean.tc.run(task)).toMatchObject({
      state: 'failed',
      err: UNHEALTHY_REASON,
      exitCode: 0,
    });
  });

  it('reports shutdown without touching the engine when stopped before run()', async () => {
    const { executor, tc, states } = setup();
    expect(await tc.stop(1_000)).toMatchObject({ state: 'shutdown' });
    expect(await tc.run(task)).toMatchObject({ state: 'shutdown' });
    expect(executor.calls).toEqual([]);
    expect(states()).toEqual(['shutdown']);
  });

  it('lets stop() be retried when shutdown() fails', async () => {
    const { tc, engine } = setup({ shutdown: 'hold' });
    const done = tc.run(task);
    await tick();
    const first = tc.stop(1_000);
    await tick();
    engine().release('shutdown', 'engine unreachable');
    await expect(first).rejects.toThrow('engine unreachable');
    expect(tc.currentState).toBe('running');
    const second = tc.stop(1_000);
    await tick();
    engine().release('shutdown');
    expect(await second).toMatchObject({ state: 'shutdown' });
    await done;
  });

  it('adopts a task still running: no prepare or start, running at once', async () => {
    const { tc, engine, states } = setup({ adopt: true });
    const done = tc.run(task);
    await tick();
    expect(engine().ops()).toEqual(['adopt', 'wait']);
    expect(states()).toEqual(['running']);
    expect(tc.lastStatus?.message).toBe('adopted');
    engine().exit(0);
    expect(await done).toMatchObject({ state: 'complete' });
    expect(engine().ops()).not.toContain('prepare');
    expect(engine().ops()).not.toContain('start');
  });

  it('adopts a task that was waiting for its first healthy check: running only once healthy', async () => {
    const { tc, engine, states } = setup({ adopt: true, awaitHealthy: 'hold' });
    const done = tc.run(task, { resumed: true, healthPending: true });
    await tick();
    expect(engine().ops()).toEqual(['adopt', 'awaitHealthy']);
    expect(states()).toEqual([]);
    engine().release('awaitHealthy');
    await tick();
    expect(states()).toEqual(['running']);
    engine().exit(0);
    expect(await done).toMatchObject({ state: 'complete' });
  });

  it('an adopted task found unhealthy before its first healthy check fails', async () => {
    const unhealthy = new TaskExitError({
      exitCode: 137,
      reason: UNHEALTHY_REASON,
      unhealthy: true,
    });
    const { tc, states } = setup({ adopt: true, awaitHealthy: unhealthy });
    const final = await tc.run(task, { resumed: true, healthPending: true });
    expect(final).toMatchObject({ state: 'failed', exitCode: 137 });
    expect(states()).not.toContain('running');
  });

  it('stopping an adopted task still waiting for health ends it shut down', async () => {
    const { tc, engine } = setup({ adopt: true, awaitHealthy: 'hold' });
    const done = tc.run(task, { resumed: true, healthPending: true });
    await tick();
    const stopped = tc.stop(1000);
    await tick();
    engine().release('awaitHealthy', 'stopped');
    expect(await stopped).toMatchObject({ state: 'shutdown' });
    expect(await done).toMatchObject({ state: 'shutdown' });
  });

  it('does not wait for health when the task was running before the restart', async () => {
    const { tc, engine, states } = setup({ adopt: true, awaitHealthy: 'hold' });
    void tc.run(task, { resumed: true });
    await tick();
    expect(engine().ops()).toEqual(['adopt', 'wait']);
    expect(states()).toEqual(['running']);
  });

  it('runs the task normally when adopt() finds nothing', async () => {
    const { tc, engine } = setup({ adopt: false, exit: 0 });
    expect(await tc.run(task)).toMatchObject({ state: 'complete' });
    expect(engine().ops()).toEqual(['adopt', 'prepare', 'start', 'wait']);
  });

  it('after an agent restart, a started task that cannot be adopted fails; it is not rerun', async () => {
    const { tc, engine } = setup({ adopt: false });
    expect(await tc.run(task, { resumed: true })).toMatchObject({
      state: 'failed',
      err: ENDED_WHILE_AWAY,
    });
    expect(engine().ops()).toEqual(['adopt']);
  });

  it('may be run only once', async () => {
    const { tc } = setup({ exit: 0 });
    await tc.run(task);
    await expect(tc.run(task)).rejects.toThrow('only once');
  });

  it('never reports out of order, whatever the script and wherever stop() lands', async () => {
    const outcome = fc.constantFrom<'ok' | 'hold' | 'fail'>('ok', 'hold', 'fail');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          adopt: fc.option(fc.boolean(), { nil: undefined }),
          prepare: outcome,
          start: outcome,
          exitCode: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
          stopAfterTicks: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        }),
        async (p) => {
          const asStep = (o: 'ok' | 'hold' | 'fail') => (o === 'fail' ? new Error('boom') : o);
          const script: ControllerScript = { prepare: asStep(p.prepare), start: asStep(p.start) };
          if (p.adopt !== undefined) script.adopt = p.adopt;
          const { tc, reports, engine } = setup(script);
          const done = tc.run(task);
          let stopping: Promise<TaskStatusReport> | undefined;
          for (let i = 0; i < 6; i++) {
            if (i === p.stopAfterTicks) stopping = tc.stop(100);
            await tick();
            const c = engine();
            if (c.isHeld('prepare')) c.release('prepare');
            if (c.isHeld('start')) c.release('start');
          }
          if (p.exitCode !== undefined) engine().exit(p.exitCode);
          else if (!stopping) stopping = tc.stop(100);
          const final = await done;
          if (stopping) expect(await stopping).toBe(final);
          expectIncreasing(reports);
          expect(reports.at(-1)).toBe(final);
          expect(['complete', 'failed', 'shutdown']).toContain(final.state);
        },
      ),
      { numRuns: 200 },
    );
  });
});
