import { describe, expect, it } from 'vitest';
import {
  availableContainers,
  markerOf,
  orderFigures,
  ratioOf,
  rollingSpec,
  runningWith,
  type SpecTaskView,
  updateProgress,
  type UpdateRun,
} from './rolling-update';

const workload = { image: 'sha256:abc', command: ['httpd'], args: ['-f', '-p', '8080'] };
const update = { parallelism: 2, delayMs: 0, monitorMs: 1000 };

describe('rollingSpec', () => {
  it("is convergence's spec plus the marker env, the run label and an explicit UpdateConfig", () => {
    expect(
      rollingSpec('web', 20, workload, 'rolling-update', 'run-1', {
        generation: 1,
        order: 'stop-first',
        update,
      }),
    ).toEqual({
      Name: 'web',
      Labels: { 'shoal.bench': 'rolling-update', 'shoal.bench.run': 'run-1' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'sha256:abc',
          Command: ['httpd'],
          Args: ['-f', '-p', '8080'],
          Init: true,
          Env: ['SHOAL_BENCH_ROLL=1'],
        },
        RestartPolicy: { Condition: 'any' },
      },
      Mode: { Replicated: { Replicas: 20 } },
      UpdateConfig: {
        Parallelism: 2,
        Delay: 0,
        FailureAction: 'pause',
        Monitor: 1_000_000_000,
        MaxFailureRatio: 0,
        Order: 'stop-first',
      },
    });
  });

  it('adds the healthcheck in nanoseconds when asked, and the order given', () => {
    const spec = rollingSpec('web', 20, workload, 'b', 'r', {
      generation: 0,
      order: 'start-first',
      update,
      health: { intervalMs: 1000, timeoutMs: 2000, retries: 3 },
    }) as {
      TaskTemplate: { ContainerSpec: { Healthcheck: unknown; Env: string[] } };
      UpdateConfig: { Order: string };
    };
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck).toEqual({
      Test: ['CMD', '/bin/busybox', 'true'],
      Interval: 1_000_000_000,
      Timeout: 2_000_000_000,
      Retries: 3,
      StartPeriod: 0,
    });
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(['SHOAL_BENCH_ROLL=0']);
    expect(spec.UpdateConfig.Order).toBe('start-first');
  });
});

const task = (DesiredState: string, State: string, generation: number): SpecTaskView => ({
  ID: `${DesiredState}-${State}-${generation}`,
  DesiredState,
  Status: { State },
  Spec: { ContainerSpec: { Env: [markerOf(generation)] } },
});

describe('runningWith', () => {
  it('counts only tasks desired running, running, on the given spec', () => {
    const tasks = [
      task('running', 'running', 1),
      task('running', 'running', 0),
      task('running', 'starting', 1),
      task('shutdown', 'running', 1),
      task('running', 'running', 1),
      { ID: 'no-spec', DesiredState: 'running', Status: { State: 'running' } },
    ];
    expect(runningWith(tasks, markerOf(1))).toBe(2);
  });
});

describe('updateProgress', () => {
  const two = [task('running', 'running', 1), task('running', 'running', 1)];

  it('is done only once completed and every replica runs the new spec', () => {
    expect(updateProgress({ State: 'completed' }, two, markerOf(1), 2)).toEqual({ kind: 'done' });
    expect(updateProgress({ State: 'completed' }, two.slice(1), markerOf(1), 2).kind).toBe(
      'waiting',
    );
    expect(updateProgress({ State: 'updating' }, two, markerOf(1), 2).kind).toBe('waiting');
    expect(updateProgress(undefined, two, markerOf(1), 2).kind).toBe('waiting');
  });

  it('is stuck when the update paused or rolled back', () => {
    expect(
      updateProgress({ State: 'paused', Message: 'update paused due to failure' }, [], 'x', 2),
    ).toEqual({ kind: 'stuck', why: 'update paused: update paused due to failure' });
    expect(updateProgress({ State: 'rollback_started' }, [], 'x', 2).kind).toBe('stuck');
  });
});

describe('availableContainers', () => {
  const c = (State: string, Status: string) => ({ State, Status });
  const list = [
    c('running', 'Up 3 seconds (healthy)'),
    c('running', 'Up 1 second (health: starting)'),
    c('running', 'Up 9 seconds (unhealthy)'),
    c('running', 'Up 2 seconds'),
    c('exited', 'Exited (0) 1 second ago'),
  ];

  it('counts running containers, and with a healthcheck only the healthy ones', () => {
    expect(availableContainers(list, false)).toBe(4);
    expect(availableContainers(list, true)).toBe(1);
  });
});

describe('orderFigures', () => {
  const r = (
    system: 'shoal' | 'swarm',
    order: 'stop-first' | 'start-first',
    run: number,
    updateMs: number,
    minEngine: number | null,
  ): UpdateRun => ({
    system,
    order,
    run,
    updateMs,
    minEngine,
    minApi: minEngine,
    samples: 10,
    maxGapMs: 100 + run,
  });

  it('takes one system and order, in run order: median, minima, samples, largest gap', () => {
    const runs = [
      r('shoal', 'stop-first', 2, 2000.4, 18),
      r('shoal', 'stop-first', 1, 3000, 19),
      r('shoal', 'stop-first', 3, 1000, null),
      r('swarm', 'stop-first', 1, 9000, 10),
      r('shoal', 'start-first', 1, 5000, 20),
    ];
    expect(orderFigures(runs, 'shoal', 'stop-first')).toEqual({
      updateMs: [3000, 2000, 1000],
      updateMedianMs: 2000,
      minEngine: 18,
      minApi: 18,
      samples: 30,
      maxGapMs: 103,
    });
  });

  it('has no figures without runs', () => {
    expect(orderFigures([], 'swarm', 'start-first')).toEqual({
      updateMs: [],
      updateMedianMs: null,
      minEngine: null,
      minApi: null,
      samples: 0,
      maxGapMs: null,
    });
  });
});

describe('ratioOf', () => {
  it('is Shoal over Swarm to two decimals, null when either is missing', () => {
    expect(ratioOf(2270, 5080)).toBe(0.45);
    expect(ratioOf(null, 5080)).toBeNull();
    expect(ratioOf(1, 0)).toBeNull();
  });
});
