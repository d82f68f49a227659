import { type RestartPolicy } from '@shoal/api/swarm';
import { describe, expect, it } from 'vitest';
import { historyTask, MS, T0 } from '../testing/restart.fixtures';
import { DEFAULT_RESTART_DELAY_MS, resolveRestartPolicy } from './restart.policy';
import { restartHistoryToKeep, shouldRestart } from './restart.supervisor';
import { latestTask } from './slot.history';
import { madeFromTemplate, taskTemplateKey } from './task-template.key';

const failed = (at: number, extra: Parameters<typeof historyTask>[0] = {}) =>
  historyTask({ state: 'failed', at, ...extra });

describe('resolveRestartPolicy', () => {
  it("fills in Swarm's defaults: any, 5 s, unlimited, no window", () => {
    expect(resolveRestartPolicy(undefined)).toEqual({
      condition: 'any',
      delayMs: 5_000,
      maxAttempts: 0,
      windowMs: 0,
    });
    expect(DEFAULT_RESTART_DELAY_MS).toBe(5_000);
    expect(resolveRestartPolicy({ Delay: 0 }, 1_000).delayMs).toBe(0);
    expect(resolveRestartPolicy({}, 1_000).delayMs).toBe(1_000);
  });

  it('converts nanoseconds and falls back on nonsense', () => {
    const p = resolveRestartPolicy({
      Condition: 'on-failure',
      Delay: 250 * MS,
      MaxAttempts: 3,
      Window: 60_000 * MS,
    });
    expect(p).toEqual({ condition: 'on-failure', delayMs: 250, maxAttempts: 3, windowMs: 60_000 });
    const bad = resolveRestartPolicy({
      Condition: 'sometimes' as RestartPolicy['Condition'],
      Delay: -1,
      MaxAttempts: Number.NaN,
      Window: -5,
    });
    expect(bad).toEqual({ condition: 'any', delayMs: 5_000, maxAttempts: 0, windowMs: 0 });
  });
});

describe('shouldRestart', () => {
  it('restarts by default, Delay after the task ended', () => {
    const last = failed(T0);
    expect(shouldRestart(undefined, [last], last, T0)).toEqual({
      restart: true,
      dueAt: T0 + 5_000,
      reason: 'restart',
    });
    const p: RestartPolicy = { Delay: 200 * MS };
    expect(shouldRestart(p, [last], last, T0 + 60_000).dueAt).toBe(T0 + 200);
  });

  it('is due at once when the task carries no time at all', () => {
    const last = { ID: 'x', Status: { State: 'failed' as const } };
    expect(shouldRestart(undefined, [last], last, T0).dueAt).toBe(T0);
  });

  it('Condition none never restarts; on-failure spares clean exits only', () => {
    const none: RestartPolicy = { Condition: 'none' };
    const onFailure: RestartPolicy = { Condition: 'on-failure' };
    const clean = historyTask({ state: 'complete', exit: 0 });
    const nonZero = historyTask({ state: 'complete', exit: 2 });
    const rejected = historyTask({ state: 'rejected' });
    const stopped = historyTask({ state: 'shutdown' });
    expect(shouldRestart(none, [clean], failed(T0), T0)).toMatchObject({
      restart: false,
      reason: 'condition-none',
    });
    expect(shouldRestart(onFailure, [clean], clean, T0)).toEqual({
      restart: false,
      reason: 'clean-exit',
    });
    for (const t of [nonZero, rejected, stopped, failed(T0)]) {
      expect(shouldRestart(onFailure, [t], t, T0).restart).toBe(true);
    }
    expect(shouldRestart({ Condition: 'any' }, [clean], clean, T0).restart).toBe(true);
  });

  it('MaxAttempts counts the earlier tasks that ended on their own', () => {
    const p: RestartPolicy = { MaxAttempts: 2, Delay: 0 };
    const a = failed(T0);
    const b = failed(T0 + 1_000);
    const c = failed(T0 + 2_000);
    expect(shouldRestart(p, [a], a, T0)).toMatchObject({ restart: true, attempts: 0 });
    expect(shouldRestart(p, [a, b], b, T0)).toMatchObject({ restart: true, attempts: 1 });
    expect(shouldRestart(p, [a, b, c], c, T0)).toEqual({
      restart: false,
      reason: 'max-attempts',
      attempts: 2,
    });
    // Stopped on request, or lost with a node: not attempts.
    const scaledDown = historyTask({ state: 'shutdown', at: T0 + 500 });
    const lost = historyTask({ state: 'running', at: T0 + 600 });
    expect(shouldRestart(p, [a, scaledDown, lost, c], c, T0).restart).toBe(true);
  });

  it('on-failure does not count clean exits as attempts', () => {
    const p: RestartPolicy = { Condition: 'on-failure', MaxAttempts: 1 };
    const clean = historyTask({ state: 'complete', exit: 0, at: T0 });
    const last = failed(T0 + 1_000);
    expect(shouldRestart(p, [clean, last], last, T0).restart).toBe(true);
    expect(shouldRestart({ MaxAttempts: 1 }, [clean, last], last, T0).restart).toBe(false);
  });

  it('with a Window, counts only the attempts that ended within it before the last one', () => {
    const p: RestartPolicy = { MaxAttempts: 2, Window: 10_000 * MS, Delay: 0 };
    const old = failed(T0);
    const recent = failed(T0 + 8_000);
    const last = failed(T0 + 10_000);
    // `old` ended exactly Window before `last`: out.
    expect(shouldRestart(p, [old, recent, last], last, T0 + 10_000)).toMatchObject({
      restart: true,
      attempts: 1,
    });
    const last2 = failed(T0 + 9_999);
    expect(shouldRestart(p, [old, recent, last2], last2, T0 + 9_999).restart).toBe(false);
    // Decided at the last task's end: waiting does not turn a refusal into a restart.
    expect(shouldRestart(p, [old, recent, last2], last2, T0 + 3_600_000).restart).toBe(false);
  });

  it('counts only the tasks the caller says belong to the current template', () => {
    const v1 = { ContainerSpec: { Image: 'app:1' } };
    const v2 = { ContainerSpec: { Image: 'app:2' } };
    const p: RestartPolicy = { MaxAttempts: 1 };
    const a = failed(T0, { spec: v1 });
    const b = failed(T0 + 1_000, { spec: v1 });
    expect(shouldRestart(p, [a, b], b, T0).restart).toBe(false);
    // After an update to v2, the v1 failures are history of another template.
    const counts = madeFromTemplate(v2);
    expect(shouldRestart(p, [a, b], b, T0, { counts }).restart).toBe(true);
    const c = failed(T0 + 2_000, { spec: v2 });
    expect(shouldRestart(p, [a, b, c], c, T0, { counts })).toMatchObject({ attempts: 0 });
    const d = failed(T0 + 3_000, { spec: v2 });
    expect(shouldRestart(p, [a, b, c, d], d, T0, { counts }).restart).toBe(false);
  });

  it('replaces a lost task after Delay, obeying Condition none but not MaxAttempts', () => {
    const exhausted: RestartPolicy = { MaxAttempts: 1, Delay: 1_000 * MS };
    const a = failed(T0);
    const lost = historyTask({ state: 'running', desired: 'running', at: T0 + 500 });
    expect(shouldRestart(exhausted, [a, lost], lost, T0 + 10_000, { cause: 'node-down' })).toEqual({
      restart: true,
      dueAt: T0 + 1_500,
      reason: 'node-down',
    });
    expect(
      shouldRestart({ Condition: 'none' }, [lost], lost, T0, { cause: 'node-down' }).restart,
    ).toBe(false);
    expect(
      shouldRestart({ Condition: 'on-failure' }, [lost], lost, T0, { cause: 'node-down' }).restart,
    ).toBe(true);
  });

  it('moves a drained task at once, whatever the policy', () => {
    const t = historyTask({ state: 'running', desired: 'running', at: T0 });
    for (const p of [{ Condition: 'none' as const }, { MaxAttempts: 1 }, undefined]) {
      expect(shouldRestart(p, [failed(T0 - 1), t], t, T0 + 7, { cause: 'drain' })).toEqual({
        restart: true,
        dueAt: T0 + 7,
        reason: 'drain',
      });
    }
  });
});

describe('restartHistoryToKeep', () => {
  it('keeps nothing when MaxAttempts is unlimited or restarts never happen', () => {
    const tasks = [failed(T0), failed(T0 + 1)];
    expect(restartHistoryToKeep(undefined, tasks, T0).size).toBe(0);
    expect(restartHistoryToKeep({ Condition: 'none', MaxAttempts: 3 }, tasks, T0).size).toBe(0);
  });

  it('keeps the MaxAttempts most recent attempts, not the current task', () => {
    const tasks = [0, 1, 2, 3].map((i) => failed(T0 + i * 1_000));
    const current = historyTask({ state: 'running', desired: 'running', at: T0 + 5_000 });
    const keep = restartHistoryToKeep({ MaxAttempts: 2 }, [...tasks, current], T0 + 6_000);
    expect([...keep].sort()).toEqual([tasks[2]!.ID, tasks[3]!.ID].sort());
  });

  it('lets attempts go once they are out of the Window', () => {
    const p: RestartPolicy = { MaxAttempts: 5, Window: 10_000 * MS };
    const old = failed(T0);
    const recent = failed(T0 + 5_000);
    const current = historyTask({ state: 'running', desired: 'running', at: T0 + 6_000 });
    const tasks = [old, recent, current];
    expect(restartHistoryToKeep(p, tasks, T0 + 9_000).size).toBe(2);
    expect([...restartHistoryToKeep(p, tasks, T0 + 12_000)]).toEqual([recent.ID]);
    // A slot whose last task ended (and awaits or was refused its restart) is judged from
    // that end, however late it is now.
    const ended = failed(T0 + 6_000, { desired: 'running' });
    expect(restartHistoryToKeep(p, [old, recent, ended], T0 + 600_000).size).toBe(2);
  });
});

describe('latestTask', () => {
  it('prefers the task still wanted running, then the youngest', () => {
    const old = failed(T0, { created: T0 });
    const replacement = historyTask({ state: 'pending', desired: 'running', created: T0 });
    expect(latestTask([replacement, old])).toBe(replacement);
    expect(latestTask([old, replacement])).toBe(replacement);
    const younger = failed(T0 + 1, { created: T0 + 1 });
    expect(latestTask([younger, old])).toBe(younger);
    expect(latestTask([])).toBeUndefined();
  });
});

describe('taskTemplateKey', () => {
  it('ignores key order and registry credentials, not content', () => {
    const a = { ContainerSpec: { Image: 'x', Args: ['1'] }, ForceUpdate: 0 };
    const b = { ForceUpdate: 0, ContainerSpec: { Args: ['1'], Image: 'x' } };
    expect(taskTemplateKey(a)).toBe(taskTemplateKey(b));
    const withAuth = { ...a, ContainerSpec: { ...a.ContainerSpec, PullOptions: { R: 'x' } } };
    expect(taskTemplateKey(withAuth)).toBe(taskTemplateKey(a));
    expect(taskTemplateKey({ ...a, ForceUpdate: 1 })).not.toBe(taskTemplateKey(a));
    expect(taskTemplateKey(undefined)).toBe(taskTemplateKey({}));
  });
});
