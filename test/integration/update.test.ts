import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalSwarm,
  running,
  type ServiceView,
  settle,
  type TaskView,
  withCommand,
} from '../support/shoald/local-swarm';

const S = 1e9;

/**
 * Issue 7, rolling updates end to end: one manager and two workers, each its own shoald with
 * the process executor (tasks are host processes; the Image is only recorded).
 */
describe('rolling updates', () => {
  let swarm: LocalSwarm;
  const api = (method: string, p: string, body?: unknown) => swarm.api(method, p, body);
  const tasksOf = (serviceId: string) => swarm.tasksOf(serviceId);
  const service = (id: string) => swarm.service(id);
  const update = (id: string, change: (spec: ServiceView['Spec']) => void) =>
    swarm.updateService(id, change);

  beforeAll(async () => {
    swarm = await LocalSwarm.start('shoal-upd', { workers: 2 });
  }, 60_000);

  afterAll(async () => {
    await swarm?.dispose();
  });

  let id = '';

  it('6 replicas, parallelism 2, delay 1 s: three batches, old and new per slot, completed', async () => {
    const r = await api('POST', '/services/create', {
      Name: 'rolling',
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:local', Command: ['sleep'], Args: ['3600'], Env: ['V=1'] },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: 6 } },
      UpdateConfig: { Parallelism: 2, Delay: 1 * S, Monitor: 1 * S },
    });
    expect(r.status, r.text).toBe(201);
    id = (r.json as { ID: string }).ID;
    await expect.poll(async () => running(await tasksOf(id)).length, { timeout: 20_000 }).toBe(6);
    const before = running(await tasksOf(id));

    await update(id, (spec) => {
      spec.TaskTemplate = {
        ...spec.TaskTemplate,
        ContainerSpec: { ...(spec.TaskTemplate.ContainerSpec as object), Env: ['V=2'] },
      };
    });
    await expect
      .poll(async () => (await service(id)).UpdateStatus?.State, { timeout: 40_000 })
      .toBe('completed');

    const status = (await service(id)).UpdateStatus!;
    expect(status.Message).toBe('update completed');
    expect(Date.parse(status.CompletedAt!)).toBeGreaterThan(Date.parse(status.StartedAt!));

    const all = await tasksOf(id);
    const isNew = (t: TaskView) => t.Spec.ContainerSpec?.Env?.includes('V=2') === true;
    // Each slot: its old task shut down, then one new task, running.
    for (let slot = 1; slot <= 6; slot++) {
      const history = all
        .filter((t) => t.Slot === slot)
        .sort((a, b) => Date.parse(a.CreatedAt) - Date.parse(b.CreatedAt));
      expect(history.map((t) => [isNew(t), t.DesiredState, t.Status.State])).toEqual([
        [false, 'shutdown', 'shutdown'],
        [true, 'running', 'running'],
      ]);
      expect(history[0]!.ID).toBe(before.find((t) => t.Slot === slot)!.ID);
    }
    // Three batches of two, at least Delay apart.
    const created = all
      .filter(isNew)
      .map((t) => Date.parse(t.CreatedAt))
      .sort((a, b) => a - b);
    const batches: number[][] = [];
    for (const at of created) {
      const last = batches.at(-1);
      if (last && at - last[0]! < 500) last.push(at);
      else batches.push([at]);
    }
    expect(batches.map((b) => b.length)).toEqual([2, 2, 2]);
    for (let i = 1; i < batches.length; i++) {
      expect(batches[i]![0]! - batches[i - 1]![0]!).toBeGreaterThanOrEqual(1000);
    }
  }, 90_000);

  it('--force (ForceUpdate + 1) replaces every task of an unchanged spec', async () => {
    const before = running(await tasksOf(id)).map((t) => t.ID);
    expect(before).toHaveLength(6);
    await update(id, (spec) => {
      spec.TaskTemplate = {
        ...spec.TaskTemplate,
        ForceUpdate: ((spec.TaskTemplate.ForceUpdate as number | undefined) ?? 0) + 1,
      };
      spec.UpdateConfig = { Parallelism: 0, Monitor: 1 * S };
    });
    await expect
      .poll(async () => (await service(id)).UpdateStatus?.State, { timeout: 40_000 })
      .toBe('completed');
    const after = running(await tasksOf(id));
    expect(after).toHaveLength(6);
    for (const t of after) {
      expect(before).not.toContain(t.ID);
      expect(t.Spec.ForceUpdate).toBe(1);
    }
    expect(new Set(after.map((t) => t.Slot))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  }, 90_000);

  it('service rollback returns to PreviousSpec with RollbackConfig, ending rollback_completed', async () => {
    const before = running(await tasksOf(id)).map((t) => t.ID);
    const current = await service(id);
    const r = await api(
      'POST',
      `/services/${id}/update?version=${current.Version.Index}&rollback=previous`,
      current.Spec,
    );
    expect(r.status, r.text).toBe(200);
    expect((await service(id)).UpdateStatus).toMatchObject({
      State: 'rollback_started',
      Message: 'manually requested rollback',
    });
    await expect
      .poll(async () => (await service(id)).UpdateStatus?.State, { timeout: 40_000 })
      .toBe('rollback_completed');
    expect((await service(id)).UpdateStatus?.Message).toBe('rollback completed');
    const after = running(await tasksOf(id));
    expect(after).toHaveLength(6);
    for (const t of after) {
      expect(before).not.toContain(t.ID);
      expect(t.Spec.ForceUpdate ?? 0).toBe(0);
    }
  }, 90_000);

  const sleepers = (name: string, replicas: number, extra: object = {}) =>
    swarm.createSleepers(name, replicas, extra);
  const CRASH = ['sh', '-c', 'exit 3'];
  const SLEEP = ['sleep'];
  const envOf = (t: TaskView) => t.Spec.ContainerSpec?.Env?.[0];

  it('FailureAction rollback: a crashing version rolls back on its own to rollback_completed', async () => {
    const sid = await sleepers('rollsback', 4, {
      UpdateConfig: { Parallelism: 1, FailureAction: 'rollback', Monitor: 2 * S },
      RollbackConfig: { Parallelism: 0, Monitor: 1 * S },
    });
    await update(sid, withCommand(CRASH, 'V=bad'));
    await expect
      .poll(async () => (await service(sid)).UpdateStatus?.State, { timeout: 40_000 })
      .toBe('rollback_completed');
    const svc = await service(sid);
    expect(svc.UpdateStatus?.Message).toBe('rollback completed');
    expect((svc.Spec.TaskTemplate.ContainerSpec as { Env: string[] }).Env).toEqual(['V=1']);
    // As swarmkit: an automatic rollback leaves no previous spec to roll back to.
    expect((svc as { PreviousSpec?: unknown }).PreviousSpec).toBeUndefined();
    await expect
      .poll(async () => running(await tasksOf(sid)).map(envOf), { timeout: 20_000 })
      .toEqual(['V=1', 'V=1', 'V=1', 'V=1']);
  }, 90_000);

  it('FailureAction pause: pauses with the failed task in the message; service update resumes', async () => {
    const sid = await sleepers('pauses', 3, { UpdateConfig: { Parallelism: 1, Monitor: 1 * S } });
    await update(sid, withCommand(CRASH, 'V=bad'));
    await expect
      .poll(async () => (await service(sid)).UpdateStatus?.State, { timeout: 40_000 })
      .toBe('paused');
    const message = (await service(sid)).UpdateStatus?.Message ?? '';
    const failed = /^update paused due to failure or early termination of task (\w+)$/.exec(
      message,
    );
    expect(failed, message).not.toBeNull();
    expect((await tasksOf(sid)).find((t) => t.ID === failed![1])?.Status.State).toBe('failed');
    // Paused: the other slots keep the old version.
    await settle(1500);
    expect(running(await tasksOf(sid)).filter((t) => envOf(t) === 'V=1')).toHaveLength(2);

    await update(sid, withCommand(SLEEP, 'V=2'));
    await expect
      .poll(async () => (await service(sid)).UpdateStatus?.State, { timeout: 40_000 })
      .toBe('completed');
    await expect
      .poll(async () => running(await tasksOf(sid)).map(envOf), { timeout: 20_000 })
      .toEqual(['V=2', 'V=2', 'V=2']);
  }, 90_000);

  it('MaxFailureRatio 0.5: with one bad node of three the update completes; with 0 it pauses', async () => {
    const [bad] = await swarm.readyNodes();
    // The new version fails at once on one node (the process executor sets SHOAL_NODE_ID).
    const failsOnBadNode = withCommand(
      ['sh', '-c', `test "$SHOAL_NODE_ID" != ${bad} && exec sleep "$0"`],
      'V=2',
    );
    const global = (ratio: number) => ({
      Mode: { Global: {} },
      UpdateConfig: {
        Parallelism: 1,
        Monitor: 1 * S,
        FailureAction: 'pause',
        MaxFailureRatio: ratio,
      },
    });
    const stateOf = async (id: string) => (await service(id)).UpdateStatus?.State;

    const tolerant = await sleepers('tolerant', 3, global(0.5));
    await update(tolerant, failsOnBadNode);
    await expect.poll(() => stateOf(tolerant), { timeout: 60_000 }).toBe('completed');
    const tasks = await tasksOf(tolerant);
    expect(
      running(tasks)
        .filter((t) => t.NodeID !== bad)
        .map(envOf),
    ).toEqual(['V=2', 'V=2']);
    expect(
      tasks.some((t) => t.NodeID === bad && envOf(t) === 'V=2' && t.Status.State === 'failed'),
    ).toBe(true);

    const strict = await sleepers('strict', 3, global(0));
    await update(strict, failsOnBadNode);
    await expect.poll(() => stateOf(strict), { timeout: 60_000 }).toBe('paused');
  }, 150_000);

  it('start-first: running replicas never drop below Replicas during the update', async () => {
    const sid = await sleepers('startfirst', 4, {
      UpdateConfig: { Parallelism: 2, Order: 'start-first', Monitor: 1 * S },
    });
    await update(sid, withCommand(SLEEP, 'V=2'));
    let lowest = Infinity;
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      const [tasks, svc] = await Promise.all([tasksOf(sid), service(sid)]);
      lowest = Math.min(lowest, running(tasks).length);
      if (svc.UpdateStatus?.State === 'completed') break;
      await settle(50);
    }
    expect((await service(sid)).UpdateStatus?.State).toBe('completed');
    expect(lowest).toBeGreaterThanOrEqual(4);
    expect(running(await tasksOf(sid)).map(envOf)).toEqual(['V=2', 'V=2', 'V=2', 'V=2']);
  }, 90_000);
});
