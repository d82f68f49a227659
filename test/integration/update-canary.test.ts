import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalSwarm,
  running,
  type ServiceView,
  settle,
  type TaskView,
  withCommand,
} from '../support/shoald/local-swarm';
import { SHOAL_MAIN } from '../support/shoald/shoald-process';

const S = 1e9;
const DRAINING = 'shoal.draining-since';

function run(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [SHOAL_MAIN, ...args],
      { env: { PATH: process.env.PATH }, timeout: 20_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

/**
 * Issue 7, beyond Swarm: the canary step (`shoal.update.canary`, `shoal service promote`) and
 * drain before stop (`shoal.update.drain`), on one manager and two workers, each its own
 * shoald with the process executor.
 */
describe('rolling updates: canary and drain', () => {
  let swarm: LocalSwarm;
  const shoal = (...args: string[]) => run(['-H', `unix://${swarm.manager.socket}`, ...args]);
  const tasksOf = (serviceId: string) => swarm.tasksOf(serviceId);
  const service = (id: string) => swarm.service(id);
  const stateOf = async (id: string) => (await service(id)).UpdateStatus?.State;
  const update = (id: string, change: (spec: ServiceView['Spec']) => void) =>
    swarm.updateService(id, change);
  const envOf = (t: TaskView) => t.Spec.ContainerSpec?.Env?.[0];

  const sleepers = (name: string, replicas: number, extra: object = {}) =>
    swarm.createSleepers(name, replicas, extra);

  beforeAll(async () => {
    swarm = await LocalSwarm.start('shoal-can', { workers: 2 });
  }, 60_000);

  afterAll(async () => {
    await swarm?.dispose();
  });

  it('canary: pauses after N slots; shoal service promote continues it to completed', async () => {
    const sid = await sleepers('canary', 5, {
      Labels: { 'shoal.update.canary': '2' },
      UpdateConfig: { Parallelism: 1, Monitor: 1 * S },
    });
    await update(sid, withCommand(['sleep'], 'V=2'));
    await expect.poll(() => stateOf(sid), { timeout: 40_000 }).toBe('paused');
    expect((await service(sid)).UpdateStatus?.Message).toBe(
      'canary: 2 of 5 tasks updated; waiting for promotion',
    );
    // Exactly N slots on the new spec, and it stays so while paused.
    const envs = async () =>
      running(await tasksOf(sid))
        .map(envOf)
        .sort();
    expect(await envs()).toEqual(['V=1', 'V=1', 'V=1', 'V=2', 'V=2']);
    await settle(2000);
    expect(await envs()).toEqual(['V=1', 'V=1', 'V=1', 'V=2', 'V=2']);
    expect(await stateOf(sid)).toBe('paused');

    const promoted = await shoal('service', 'promote', 'canary');
    expect(promoted, promoted.stderr).toMatchObject({ code: 0, stdout: 'canary\n' });
    await expect.poll(() => stateOf(sid), { timeout: 40_000 }).toBe('completed');
    await expect.poll(envs, { timeout: 20_000 }).toEqual(['V=2', 'V=2', 'V=2', 'V=2', 'V=2']);
    // One new task per slot: no slot was replaced twice.
    const fresh = (await tasksOf(sid)).filter((t) => envOf(t) === 'V=2');
    expect(fresh.map((t) => t.Slot).sort()).toEqual([1, 2, 3, 4, 5]);

    // Nothing to promote any more: 409, said plainly, exit code 1.
    const again = await shoal('service', 'promote', 'canary');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      'service canary is not waiting for promotion in a canary step: its update is completed',
    );
    const unknown = await shoal('service', 'promote', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('service nope not found');
  }, 120_000);

  it('canary: a failing canary rolls back on its own (FailureAction continue) to rollback_completed', async () => {
    const sid = await sleepers('badcanary', 4, {
      Labels: { 'shoal.update.canary': '1' },
      UpdateConfig: { Parallelism: 1, FailureAction: 'continue', Monitor: 3 * S },
      RollbackConfig: { Parallelism: 0, Monitor: 1 * S },
    });
    await update(sid, withCommand(['sh', '-c', 'sleep 0.3; exit 3'], 'V=bad'));
    await expect.poll(() => stateOf(sid), { timeout: 40_000 }).toBe('rollback_completed');
    const svc = await service(sid);
    expect(svc.UpdateStatus?.Message).toBe('rollback completed');
    expect((svc.Spec.TaskTemplate.ContainerSpec as { Env: string[] }).Env).toEqual(['V=1']);
    await expect
      .poll(async () => running(await tasksOf(sid)).map(envOf), { timeout: 20_000 })
      .toEqual(['V=1', 'V=1', 'V=1', 'V=1']);
    // Only the canary slot ever ran the bad version.
    const bad = (await tasksOf(sid)).filter((t) => envOf(t) === 'V=bad');
    expect(bad.length).toBeGreaterThan(0);
    expect(new Set(bad.map((t) => t.Slot))).toEqual(new Set([1]));
  }, 120_000);

  it('drain: the old task is marked draining and shut down only after the delay', async () => {
    const sid = await sleepers('drains', 2, {
      Labels: { 'shoal.update.drain': '3s' },
      UpdateConfig: { Parallelism: 1, Monitor: 1 * S },
    });
    const before = running(await tasksOf(sid));
    await update(sid, withCommand(['sleep'], 'V=2'));
    let marked: TaskView | undefined;
    await expect
      .poll(
        async () => {
          marked = (await tasksOf(sid)).find((t) => t.Labels?.[DRAINING] !== undefined);
          return marked !== undefined;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBe(true);
    expect(before.map((t) => t.ID)).toContain(marked!.ID);
    const since = Date.parse(marked!.Labels![DRAINING]!);
    // Draining: still desired running, and running, until the delay has passed.
    const sampled: string[] = [];
    while (Date.now() < since + 2500) {
      const t = (await tasksOf(sid)).find((x) => x.ID === marked!.ID)!;
      sampled.push(`${t.DesiredState}/${t.Status.State}`);
      await settle(100);
    }
    expect(sampled.length).toBeGreaterThan(5);
    expect(new Set(sampled)).toEqual(new Set(['running/running']));
    await expect.poll(() => stateOf(sid), { timeout: 40_000 }).toBe('completed');
    const all = await tasksOf(sid);
    for (const old of before) {
      const t = all.find((x) => x.ID === old.ID)!;
      expect(t.DesiredState).toBe('shutdown');
      const mark = Date.parse(t.Labels![DRAINING]!);
      // Stopped (its last report) no sooner than the drain delay after its mark.
      expect(Date.parse(t.Status.Timestamp) - mark).toBeGreaterThanOrEqual(3000);
    }
    expect(running(all).map(envOf)).toEqual(['V=2', 'V=2']);
  }, 120_000);
});
