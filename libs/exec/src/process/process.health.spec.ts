import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ContainerSpec, type Task } from '@shoal/api';
import { systemClock } from '@shoal/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskController, type TaskStatusReport } from '../controller/task.controller';
import { TaskExitError, UNHEALTHY_REASON } from '../executor.port';
import { type ProcessController } from './process.controller';
import { ProcessExecutor } from './process.executor';

/**
 * Issue 7, "Task health", for the process executor: a task with a healthcheck counts as
 * running only from its first passing check, and one found unhealthy fails with swarmkit's
 * Err. Real processes and real checks, with short intervals.
 */

const MS = 1_000_000; // nanoseconds
const UNHEALTHY_ERR = `task: non-zero exit (137): ${UNHEALTHY_REASON}`;

let stateDir: string;
let executor: ProcessExecutor;
let seq = 0;
const pgids = new Set<number>();

function task(spec: ContainerSpec): Task {
  seq += 1;
  return { ID: `health${seq}`, Spec: { ContainerSpec: { Image: 'busybox', ...spec } } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TaskController over the process executor, recording each report with its real time. */
function drive(t: Task) {
  const reports: Array<TaskStatusReport & { at: number }> = [];
  const tc = new TaskController({
    executor,
    clock: systemClock,
    report: (r) => reports.push({ ...r, at: Date.now() }),
  });
  const done = tc.run(t);
  const states = () => reports.map((r) => r.state);
  return { tc, done, reports, states };
}

/** The task's process group leader, read from its pid file once it has one. */
async function pidOf(t: Task): Promise<number> {
  for (let i = 0; i < 200; i++) {
    try {
      const { pid } = JSON.parse(
        await readFile(path.join(stateDir, 'tasks', t.ID!, 'pid'), 'utf8'),
      ) as { pid: number };
      pgids.add(pid);
      return pid;
    } catch {
      await sleep(10);
    }
  }
  throw new Error(`no pid file for ${t.ID}`);
}

/** Pids in process group `pgid` that are not zombies. */
async function liveMembersOfGroup(pgid: number): Promise<number[]> {
  const live: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') live.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return live;
}

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'shoal-process-health-'));
  executor = new ProcessExecutor({ stateDir });
});

afterEach(async () => {
  for (const pid of pgids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pgids.clear();
  await rm(stateDir, { recursive: true, force: true });
});

describe('process executor: healthchecks decide when a task is running', () => {
  it('stays starting until the first passing check (failures in the start period do not count)', async () => {
    const mark = path.join(stateDir, 'ready');
    const t = task({
      Command: ['sleep', '30'],
      // Retries 1: outside the start period the first failure would make it unhealthy.
      HealthCheck: {
        Test: ['CMD', 'test', '-f', mark],
        Interval: 50 * MS,
        StartInterval: 50 * MS,
        StartPeriod: 10_000 * MS,
        Retries: 1,
      },
    });
    const { tc, done, reports, states } = drive(t);
    await pidOf(t);
    await sleep(400); // several failing checks, all inside the start period
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting']);
    const markedAt = Date.now();
    await writeFile(mark, '');
    await expect.poll(() => tc.currentState, { timeout: 3000 }).toBe('running');
    const running = reports.find((r) => r.state === 'running')!;
    expect(running.message).toBe('started');
    expect(running.at).toBeGreaterThanOrEqual(markedAt);
    const starting = reports.find((r) => r.state === 'starting')!;
    expect(Date.parse(running.timestamp) - Date.parse(starting.timestamp)).toBeGreaterThanOrEqual(
      390,
    );

    expect(await tc.stop(2000)).toMatchObject({ state: 'shutdown' });
    expect(await done).toMatchObject({ state: 'shutdown' });
  });

  it('fails the start of a task unhealthy before it was ever healthy, and kills it', async () => {
    const t = task({
      Command: ['sh', '-c', 'sleep 30 & wait'],
      HealthCheck: {
        Test: ['CMD-SHELL', 'test -f /nonexistent'],
        Interval: 50 * MS,
        Retries: 2,
      },
    });
    const { done, states } = drive(t);
    const pid = await pidOf(t);
    const final = await done;
    expect(final).toMatchObject({ state: 'failed', err: UNHEALTHY_ERR, exitCode: 137 });
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'failed']);
    await sleep(50);
    expect(await liveMembersOfGroup(pid)).toEqual([]);
  });

  it('start() rejects with a TaskExitError: the unhealthy exit, or the exit that came first', async () => {
    const sick = executor.controller(
      task({
        Command: ['sleep', '30'],
        HealthCheck: { Test: ['CMD', 'false'], Interval: 50 * MS, Retries: 1 },
      }),
    ) as ProcessController;
    await sick.prepare();
    const rejected = await sick.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejected).toBeInstanceOf(TaskExitError);
    expect((rejected as TaskExitError).message).toBe(UNHEALTHY_ERR);
    expect((rejected as TaskExitError).status).toEqual({
      exitCode: 137,
      reason: UNHEALTHY_REASON,
      unhealthy: true,
    });
    expect(await sick.wait()).toMatchObject({ exitCode: 137, unhealthy: true });

    // Exits 3 while its checks still fail inside the start period: the start fails with it.
    const crash = task({
      Command: ['sh', '-c', 'sleep 0.2; exit 3'],
      HealthCheck: { Test: ['CMD', 'false'], Interval: 50 * MS, StartPeriod: 60_000 * MS },
    });
    const { done, states } = drive(crash);
    expect(await done).toMatchObject({
      state: 'failed',
      err: 'task: non-zero exit (3)',
      exitCode: 3,
    });
    expect(states()).not.toContain('running');

    // Exits 0 before any check ran: not a failure; it runs and completes, as under swarmkit.
    const quick = drive(
      task({
        Command: ['true'],
        HealthCheck: { Test: ['CMD', 'true'], Interval: 5_000 * MS },
      }),
    );
    expect(await quick.done).toMatchObject({ state: 'complete', exitCode: 0 });
  });

  it('stop() while it waits for its first healthy check shuts it down at once', async () => {
    const t = task({
      Command: ['sleep', '30'],
      HealthCheck: {
        Test: ['CMD', 'false'],
        Interval: 50 * MS,
        StartInterval: 50 * MS,
        StartPeriod: 60_000 * MS,
      },
    });
    const { tc, done, states } = drive(t);
    const pid = await pidOf(t);
    await sleep(200);
    expect(tc.currentState).toBe('starting');
    const t0 = Date.now();
    const stopped = await tc.stop(5000);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(stopped).toMatchObject({ state: 'shutdown', exitCode: 143 });
    expect(await done).toBe(stopped);
    expect(states()).toEqual(['accepted', 'preparing', 'ready', 'starting', 'shutdown']);
    await sleep(50);
    expect(await liveMembersOfGroup(pid)).toEqual([]);
  });

  it("a running task found unhealthy fails with the exit code and swarmkit's Err", async () => {
    const mark = path.join(stateDir, 'ok');
    await writeFile(mark, '');
    const t = task({
      Command: ['sleep', '30'],
      HealthCheck: { Test: ['CMD', 'test', '-f', mark], Interval: 50 * MS, Retries: 2 },
    });
    const { tc, done, states } = drive(t);
    await expect.poll(() => tc.currentState, { timeout: 3000 }).toBe('running');
    await sleep(200);
    expect(tc.currentState).toBe('running');
    await unlink(mark);
    expect(await done).toMatchObject({ state: 'failed', err: UNHEALTHY_ERR, exitCode: 137 });
    expect(states().slice(-2)).toEqual(['running', 'failed']);
  });

  it('a task without a healthcheck (or with NONE) is running as soon as it started', async () => {
    for (const HealthCheck of [undefined, { Test: ['NONE'], Interval: 60_000 * MS }]) {
      const t = task({ Command: ['sleep', '30'], ...(HealthCheck ? { HealthCheck } : {}) });
      const { tc, done } = drive(t);
      await pidOf(t);
      await expect.poll(() => tc.currentState, { timeout: 1000, interval: 10 }).toBe('running');
      await tc.stop(1000);
      await done;
    }
  });
});
