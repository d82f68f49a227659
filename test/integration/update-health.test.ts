import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSwarm, running, settle, type TaskView } from '../support/shoald/local-swarm';

type TaskStatusView = TaskView['Status'];

const S = 1e9;
const MS = 1e6;

/** Passes on any host; fails on any host. The process executor runs them on the host. */
const PASSING = ['CMD-SHELL', 'test -d /'];
const FAILING = ['CMD-SHELL', 'test -f /nonexistent'];

/**
 * Issue 7, "Task health" and "Unhealthy tasks": real shoald processes (a manager and a worker)
 * with the process executor, whose healthcheck runs the command at the configured interval. A
 * task with a healthcheck is `running` only from its first passing check, and a new version
 * whose healthcheck fails counts as a failed update, as under Swarm.
 */
describe('rolling updates and task health', () => {
  let swarm: LocalSwarm;
  const api = (method: string, p: string, body?: unknown) => swarm.api(method, p, body);
  const tasksOf = (serviceId: string) => swarm.tasksOf(serviceId);
  const service = (id: string) => swarm.service(id);
  const create = (spec: object) => swarm.createService(spec);

  beforeAll(async () => {
    swarm = await LocalSwarm.start('shoal-uh', { workers: 1 });
  }, 60_000);

  afterAll(async () => {
    await swarm?.dispose();
  });

  it('a task with a healthcheck is starting until its first check passes, then running', async () => {
    const INTERVAL_MS = 1500;
    const sid = await create({
      Name: 'healthy',
      TaskTemplate: {
        ContainerSpec: {
          Image: 'busybox:local',
          Command: ['sleep'],
          Args: ['3600'],
          HealthCheck: { Test: PASSING, Interval: INTERVAL_MS * MS, Retries: 3 },
        },
      },
      Mode: { Replicated: { Replicas: 2 } },
    });
    // Every status each task is seen in, sampled until both run.
    const seen = new Map<string, TaskStatusView[]>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const tasks = await tasksOf(sid);
      for (const t of tasks) {
        const list = seen.get(t.ID) ?? [];
        if (list.at(-1)?.State !== t.Status.State) list.push(t.Status);
        seen.set(t.ID, list);
      }
      if (running(tasks).length === 2) break;
      await settle(50);
    }
    const tasks = running(await tasksOf(sid));
    expect(tasks).toHaveLength(2);
    for (const t of tasks) {
      const states = seen.get(t.ID)!;
      // Seen `starting` for a while (the first check runs one Interval after the start), and
      // never `running` before it.
      const starting = states.find((s) => s.State === 'starting');
      expect(starting, JSON.stringify(states)).toBeDefined();
      const runningAt = Date.parse(t.Status.Timestamp);
      expect(t.Status.Message).toBe('started');
      expect(runningAt - Date.parse(starting!.Timestamp)).toBeGreaterThanOrEqual(INTERVAL_MS - 100);
      expect(runningAt - Date.parse(t.CreatedAt)).toBeGreaterThanOrEqual(INTERVAL_MS - 100);
      expect(states.findIndex((s) => s.State === 'running')).toBeGreaterThan(
        states.indexOf(starting!),
      );
    }
    expect((await api('DELETE', `/services/${sid}`)).status).toBe(200);
  }, 60_000);

  it('an update whose healthcheck fails counts its unhealthy tasks as failures and rolls back', async () => {
    const sid = await create({
      Name: 'healthroll',
      TaskTemplate: {
        ContainerSpec: {
          Image: 'busybox:local',
          Command: ['sleep'],
          Args: ['3600'],
          Env: ['V=1'],
          HealthCheck: { Test: PASSING, Interval: 200 * MS, Retries: 2 },
        },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: 3 } },
      UpdateConfig: { Parallelism: 1, FailureAction: 'rollback', Monitor: 2 * S },
      RollbackConfig: { Parallelism: 0, Monitor: 1 * S },
    });
    await expect.poll(async () => running(await tasksOf(sid)).length, { timeout: 20_000 }).toBe(3);
    const before = running(await tasksOf(sid)).map((t) => t.ID);

    // The new version runs (sleep does not crash) but fails every check.
    const current = await service(sid);
    const spec = structuredClone(current.Spec);
    spec.TaskTemplate = {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...(spec.TaskTemplate.ContainerSpec as object),
        Env: ['V=2'],
        HealthCheck: { Test: FAILING, Interval: 200 * MS, Retries: 2 },
      },
    };
    const r = await api('POST', `/services/${sid}/update?version=${current.Version.Index}`, spec);
    expect(r.status, r.text).toBe(200);

    const isNew = (t: TaskView) => t.Spec.ContainerSpec?.Env?.includes('V=2') === true;
    // Sampled throughout: a new-version task must never be seen running (it never got healthy).
    const newSeenRunning = new Set<string>();
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const [tasks, svc] = await Promise.all([tasksOf(sid), service(sid)]);
      for (const t of tasks) if (isNew(t) && t.Status.State === 'running') newSeenRunning.add(t.ID);
      if (svc.UpdateStatus?.State === 'rollback_completed') break;
      await settle(50);
    }
    expect(newSeenRunning).toEqual(new Set());
    const svc = await service(sid);
    expect(svc.UpdateStatus?.State).toBe('rollback_completed');
    expect(svc.UpdateStatus?.Message).toBe('rollback completed');
    const template = svc.Spec.TaskTemplate.ContainerSpec as {
      Env: string[];
      HealthCheck: { Test: string[] };
    };
    expect(template.Env).toEqual(['V=1']);
    expect(template.HealthCheck.Test).toEqual(PASSING);

    const all = await tasksOf(sid);
    // The new version's tasks failed as unhealthy, without ever counting as running.
    const failed = all.filter((t) => isNew(t) && t.Status.State === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const t of failed) {
      expect(t.Status.Err).toBe('task: non-zero exit (137): dockerexec: unhealthy container');
      expect(t.Status.ContainerStatus?.ExitCode).toBe(137);
    }
    // Every replica ends on the old spec, running and healthy.
    await expect
      .poll(
        async () =>
          running(await tasksOf(sid))
            .map((t) => t.Spec.ContainerSpec?.Env?.[0])
            .sort(),
        { timeout: 20_000 },
      )
      .toEqual(['V=1', 'V=1', 'V=1']);
    const after = running(await tasksOf(sid));
    expect(new Set(after.map((t) => t.Slot))).toEqual(new Set([1, 2, 3]));
    for (const t of after) expect(t.Spec.ContainerSpec?.HealthCheck?.Test).toEqual(PASSING);
    // The slot that was updated got a new task of the old spec; the others kept theirs.
    expect(after.filter((t) => before.includes(t.ID)).length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
