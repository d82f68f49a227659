import { describe, expect, it } from 'vitest';
import {
  failedTasks,
  figures,
  orderOfRound,
  phaseBreakdown,
  type RunResult,
  runningCount,
  serviceSpec,
  tasksQuery,
  type TaskView,
} from './convergence';

const workload = { image: 'sha256:abc', command: ['httpd'], args: ['-f', '-p', '8080'] };

describe('serviceSpec', () => {
  it('is the same spec for both systems, with Init and the run label', () => {
    expect(serviceSpec('web', 20, workload, 'run-1')).toEqual({
      Name: 'web',
      Labels: { 'shoal.bench': 'run-1' },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'sha256:abc',
          Command: ['httpd'],
          Args: ['-f', '-p', '8080'],
          Init: true,
        },
        RestartPolicy: { Condition: 'any' },
      },
      Mode: { Replicated: { Replicas: 20 } },
    });
  });
});

describe('task counting', () => {
  const t = (DesiredState: string, State: string): TaskView => ({
    ID: `${DesiredState}-${State}`,
    DesiredState,
    Status: { State },
  });

  it('counts tasks desired running that run', () => {
    const tasks = [
      t('running', 'running'),
      t('running', 'starting'),
      t('shutdown', 'running'),
      t('running', 'running'),
    ];
    expect(runningCount(tasks)).toBe(2);
  });

  it('finds tasks that failed while they should run', () => {
    const tasks = [t('running', 'failed'), t('shutdown', 'failed'), t('running', 'rejected')];
    expect(failedTasks(tasks).map((x) => x.ID)).toEqual(['running-failed', 'running-rejected']);
  });

  it('asks for one service and desired state running', () => {
    const q = tasksQuery('svc1');
    expect(q.startsWith('/tasks?filters=')).toBe(true);
    expect(JSON.parse(decodeURIComponent(q.slice('/tasks?filters='.length)))).toEqual({
      service: ['svc1'],
      'desired-state': ['running'],
    });
  });
});

describe('figures', () => {
  it('takes medians per system and the Shoal/Swarm ratio', () => {
    const runs: RunResult[] = [
      { system: 'shoal', run: 2, createMs: 3000, scaleMs: 4000 },
      { system: 'shoal', run: 1, createMs: 2000.4, scaleMs: 5000 },
      { system: 'shoal', run: 3, createMs: 2500, scaleMs: 4500 },
      { system: 'swarm', run: 1, createMs: 2500, scaleMs: 5000 },
      { system: 'swarm', run: 2, createMs: 3500, scaleMs: 4000 },
    ];
    const f = figures(runs);
    expect(f.shoal).toEqual({
      createMs: [2000, 3000, 2500],
      scaleMs: [5000, 4000, 4500],
      createMedianMs: 2500,
      scaleMedianMs: 4500,
    });
    expect(f.swarm.createMedianMs).toBe(3000);
    expect(f.swarm.scaleMedianMs).toBe(4500);
    expect(f.ratio).toEqual({ create: 0.83, scale: 1 });
  });

  it('has no ratio without figures for both', () => {
    const f = figures([{ system: 'shoal', run: 1, createMs: 1, scaleMs: 1 }]);
    expect(f.swarm.createMedianMs).toBeNull();
    expect(f.ratio).toEqual({ create: null, scale: null });
  });
});

describe('orderOfRound', () => {
  it('alternates which system goes first', () => {
    expect([1, 2, 3].map(orderOfRound)).toEqual([
      ['shoal', 'swarm'],
      ['swarm', 'shoal'],
      ['shoal', 'swarm'],
    ]);
  });
});

describe('phaseBreakdown', () => {
  it("reads the engine's timestamps relative to the request, ignoring older containers", () => {
    const since = Date.parse('2026-03-01T12:00:00.000Z');
    const p = phaseBreakdown(since, [
      { Created: '2026-03-01T11:59:59.000000000Z', StartedAt: '2026-03-01T11:59:59.5Z' },
      { Created: '2026-03-01T12:00:00.100000000Z', StartedAt: '2026-03-01T12:00:01.000000000Z' },
      { Created: '2026-03-01T12:00:00.300000000Z', StartedAt: '2026-03-01T12:00:02.500000000Z' },
      { Created: '2026-03-01T12:00:00.200000000Z', StartedAt: '0001-01-01T00:00:00Z' },
    ]);
    expect(p).toEqual({
      containers: 3,
      firstCreatedMs: 100,
      lastCreatedMs: 300,
      lastStartedMs: 2500,
    });
  });

  it('is empty when no container is new', () => {
    expect(phaseBreakdown(Date.now(), [])).toEqual({
      containers: 0,
      firstCreatedMs: null,
      lastCreatedMs: null,
      lastStartedMs: null,
    });
  });
});
