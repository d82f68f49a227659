import { type Task } from '@shoal/api';
import { ManualClock } from '@shoal/common';
import { RecordingExecutor } from '@shoal/exec/testing/recording.executor';
import { describe, expect, it } from 'vitest';
import { type ExecutorOperation, type OperationOutcome, timedExecutor } from './timed.executor';

type Observation = [ExecutorOperation, OperationOutcome, number];

const task = (id: string): Task => ({ ID: id, Spec: { ContainerSpec: { Image: 'x' } } });

function setup() {
  const inner = new RecordingExecutor();
  const clock = new ManualClock();
  const seen: Observation[] = [];
  const executor = timedExecutor(inner, (op, outcome, s) => seen.push([op, outcome, s]), clock);
  return { inner, clock, seen, executor };
}

describe('timedExecutor', () => {
  it('times each call from its start until it settles, on the injected clock', async () => {
    const { inner, clock, seen, executor } = setup();
    inner.script('a', { prepare: 'hold', start: 'hold' });
    const c = executor.controller(task('a'));
    const prepared = c.prepare();
    clock.advance(1_500);
    inner.controllerFor('a')!.release('prepare');
    await prepared;
    const started = c.start();
    clock.advance(250);
    inner.controllerFor('a')!.release('start');
    await started;
    await c.shutdown(5_000);
    await c.remove();
    expect(seen).toEqual([
      ['prepare', 'ok', 1.5],
      ['start', 'ok', 0.25],
      ['shutdown', 'ok', 0],
      ['remove', 'ok', 0],
    ]);
    // The calls reached the engine unchanged, grace period included.
    expect(inner.calls.map((x) => [x.op, x.gracePeriodMs])).toEqual([
      ['prepare', undefined],
      ['start', undefined],
      ['shutdown', 5_000],
      ['remove', undefined],
    ]);
  });

  it('records a rejection as an error and passes it on untouched', async () => {
    const { inner, clock, seen, executor } = setup();
    const boom = new Error('no such image');
    inner.script('a', { prepare: 'hold' });
    const c = executor.controller(task('a'));
    const prepared = c.prepare();
    clock.advance(40);
    inner.controllerFor('a')!.release('prepare', boom);
    await expect(prepared).rejects.toBe(boom);
    expect(seen).toEqual([['prepare', 'error', 0.04]]);
  });

  it('does not time wait(), which lasts as long as the workload', async () => {
    const { inner, seen, executor } = setup();
    const c = executor.controller(task('a'));
    await c.prepare();
    await c.start();
    const waited = c.wait();
    inner.controllerFor('a')!.exit(3);
    expect(await waited).toEqual({ exitCode: 3 });
    expect(seen.map((o) => o[0])).toEqual(['prepare', 'start']);
  });

  it('keeps exactly the optional capabilities of the inner controller and executor', async () => {
    const { inner, seen, executor } = setup();
    expect(executor.stats).toBeUndefined();
    const plain = executor.controller(task('plain'));
    expect(plain.adopt).toBeUndefined();
    expect(plain.awaitHealthy).toBeUndefined();
    expect(plain.logs).toBeUndefined();

    inner.script('adopted', { adopt: true, awaitHealthy: 'ok' });
    const adopted = executor.controller(task('adopted'));
    expect(await adopted.adopt!()).toBe(true);
    await adopted.awaitHealthy!();
    expect(seen.map((o) => o[0])).toEqual(['adopt', 'await_healthy']);

    await executor.describe();
    expect(seen.at(-1)?.slice(0, 2)).toEqual(['describe', 'ok']);
  });

  it('times stats() when the executor has it', async () => {
    const clock = new ManualClock();
    const seen: Observation[] = [];
    const inner = Object.assign(new RecordingExecutor(), {
      stats: async () => {
        clock.advance(12);
        return { stats: new Map(), errors: [] };
      },
    });
    const executor = timedExecutor(inner, (op, outcome, s) => seen.push([op, outcome, s]), clock);
    expect(await executor.stats!([task('a')])).toEqual({ stats: new Map(), errors: [] });
    expect(seen).toEqual([['stats', 'ok', 0.012]]);
  });
});
