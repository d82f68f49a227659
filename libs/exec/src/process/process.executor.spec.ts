import {
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ContainerSpec, type Task } from '@shoal/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Controller, UNHEALTHY_REASON } from '../executor.port';
import { ADOPTED_EXIT_REASON, type ProcessController } from './process.controller';
import { ProcessExecutor } from './process.executor';

let stateDir: string;
let executor: ProcessExecutor;
const started = new Set<number>();

function task(spec: ContainerSpec, id = 'task1'): Task {
  return { ID: id, Spec: { ContainerSpec: { Image: 'busybox', ...spec } } };
}

async function run(ctl: Controller): Promise<number> {
  await ctl.prepare();
  await ctl.start();
  const pid = (ctl as ProcessController).pid!;
  started.add(pid);
  return pid;
}

/** Pids in process group `pgid` that are not zombies (this sandbox's pid 1 may not reap). */
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

const logOf = (name: string, id = 'task1') =>
  readFile(path.join(stateDir, 'tasks', id, name), 'utf8');

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'shoal-process-'));
  executor = new ProcessExecutor({ stateDir });
});

afterEach(async () => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
  await rm(stateDir, { recursive: true, force: true });
});

describe('ProcessExecutor', () => {
  it('describes the node', async () => {
    const d = await executor.describe();
    expect(d).toMatchObject({ executor: 'process', engineVersion: `node ${process.version}` });
    expect(d.nanoCpus).toBeGreaterThanOrEqual(1e9);
    expect(d.memoryBytes).toBeGreaterThan(0);
  });

  it('runs Command + Args, reports the exit code and appends stdout to stdout.log', async () => {
    const ctl = executor.controller(task({ Command: ['sh', '-c'], Args: ['echo hi; exit 3'] }));
    await run(ctl);
    expect(await ctl.wait()).toEqual({ exitCode: 3 });
    expect(await logOf('stdout.log')).toBe('hi\n');
  });

  it('takes the program from Args when Command is empty, and writes stderr.log', async () => {
    const ctl = executor.controller(task({ Args: ['sh', '-c', 'echo oops >&2'] }));
    await run(ctl);
    expect(await ctl.wait()).toEqual({ exitCode: 0 });
    expect(await logOf('stderr.log')).toBe('oops\n');
  });

  it('applies Env on top of a minimal PATH, and Dir', async () => {
    const dir = await realpath(os.tmpdir());
    const ctl = executor.controller(
      task({
        Command: ['sh', '-c', 'echo "$GREETING|$EMPTY|$PATH|$(pwd)"'],
        Env: ['GREETING=hello=world', 'EMPTY='],
        Dir: dir,
      }),
    );
    await run(ctl);
    expect(await ctl.wait()).toEqual({ exitCode: 0 });
    expect(await logOf('stdout.log')).toBe(
      `hello=world||/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|${dir}\n`,
    );
  });

  it('prepare() throws naming a program that does not exist', async () => {
    const ctl = executor.controller(task({ Command: ['no-such-program-xyz'] }));
    await expect(ctl.prepare()).rejects.toThrow(/"no-such-program-xyz" not found on PATH/);
    const abs = executor.controller(task({ Command: ['/nonexistent/bin/tool'] }));
    await expect(abs.prepare()).rejects.toThrow(/"\/nonexistent\/bin\/tool" not found/);
  });

  it('shutdown() sends the StopSignal and returns once the process exits', async () => {
    const ctl = executor.controller(
      task({
        Command: ['sh', '-c', 'trap "echo got-usr1; exit 0" USR1; while :; do sleep 0.05; done'],
        StopSignal: 'USR1',
      }),
    );
    await run(ctl);
    await new Promise((r) => setTimeout(r, 200)); // let sh install its trap
    const t0 = Date.now();
    await ctl.shutdown(4000);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await ctl.wait()).toEqual({ exitCode: 0 });
    expect(await logOf('stdout.log')).toBe('got-usr1\n');
  });

  it('shutdown() kills a process that ignores TERM after the grace period', async () => {
    const ctl = executor.controller(task({ Command: ['sh', '-c', 'trap "" TERM; sleep 30'] }));
    await run(ctl);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await ctl.shutdown(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await ctl.wait()).toEqual({ exitCode: 137, reason: 'killed by SIGKILL' });
  });

  it('terminate() kills the whole process group at once', async () => {
    const ctl = executor.controller(task({ Command: ['sh', '-c', 'sleep 30 & sleep 30; wait'] }));
    const pid = await run(ctl);
    await ctl.terminate();
    expect(await ctl.wait()).toEqual({ exitCode: 137, reason: 'killed by SIGKILL' });
    await new Promise((r) => setTimeout(r, 50));
    expect(await liveMembersOfGroup(pid)).toEqual([]);
  });

  it('a new controller adopts the running process and follows it until it dies', async () => {
    const first = executor.controller(task({ Command: ['sleep', '30'] }));
    const pid = await run(first);
    void first.wait();
    const pidFile = JSON.parse(await logOf('pid')) as { pid: number; startTime: string };
    expect(pidFile.pid).toBe(pid);
    expect(pidFile.startTime).toMatch(/^\d+$/);

    const second = new ProcessExecutor({ stateDir }).controller(
      task({ Command: ['sleep', '30'] }),
    ) as ProcessController;
    expect(await second.adopt()).toBe(true);
    expect(second.pid).toBe(pid);

    let done = false;
    const waited = second.wait().then((s) => {
      done = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    process.kill(pid, 'SIGKILL');
    expect(await waited).toEqual({ exitCode: -1, reason: ADOPTED_EXIT_REASON });
  });

  it('adopt() refuses a dead process or a pid file whose start time does not match', async () => {
    const ctl = executor.controller(task({ Command: ['sleep', '30'] }));
    expect(await ctl.adopt!()).toBe(false); // no pid file
    await run(ctl);
    const pidPath = path.join(stateDir, 'tasks', 'task1', 'pid');
    await writeFile(pidPath, JSON.stringify({ pid: process.pid, startTime: '1' }));
    const other = executor.controller(task({ Command: ['sleep', '30'] }));
    expect(await other.adopt!()).toBe(false); // pid alive, but a different process
    await ctl.terminate();
  });

  it('remove() on a fresh controller (after an agent restart) still kills the task', async () => {
    const first = executor.controller(task({ Command: ['sleep', '30'] }));
    const pid = await run(first);
    void first.wait();
    const fresh = new ProcessExecutor({ stateDir }).controller(task({ Command: ['sleep', '30'] }));
    await fresh.remove();
    await new Promise((r) => setTimeout(r, 50));
    expect(await liveMembersOfGroup(pid)).toEqual([]);
  });

  it('remove() kills what still runs and deletes the task directory, idempotently', async () => {
    const ctl = executor.controller(task({ Command: ['sleep', '30'] }));
    await run(ctl);
    await ctl.remove();
    expect(await ctl.wait()).toMatchObject({ exitCode: 137 });
    await expect(stat(path.join(stateDir, 'tasks', 'task1'))).rejects.toThrow(/ENOENT/);
    await ctl.remove();
  });

  it('rejects a task ID that would escape the state directory', () => {
    expect(() => executor.controller(task({ Command: ['sh'] }, '../x'))).toThrow(/invalid task ID/);
  });

  it.skipIf(!existsSync('/proc/self/stat'))(
    'stats() measures running tasks by their pid file, adopted ones included, and nothing else',
    async () => {
      const busy = task({ Command: ['sh', '-c', 'while :; do :; done'] }, 'busy');
      const idle = task({ Command: ['sleep', '30'] }, 'idle');
      const ctl = executor.controller(busy);
      await run(ctl);
      await run(executor.controller(idle));
      await new Promise((r) => setTimeout(r, 500));
      // A fresh executor, as after an agent restart: only the files tell it what runs.
      const fresh = new ProcessExecutor({ stateDir });
      const never = task({ Command: ['true'] }, 'never-started');
      const bad = task({ Command: ['true'] }, '../escape');
      const { stats, errors } = await fresh.stats([busy, idle, never, bad]);
      expect([...stats.keys()].sort()).toEqual(['busy', 'idle']);
      expect(stats.get('busy')!.cpuSeconds).toBeGreaterThan(0.1);
      expect(stats.get('idle')!.memoryBytes).toBeGreaterThan(0);
      expect(errors.map((e) => [e.taskId, e.error.message])).toEqual([
        ['../escape', expect.stringMatching(/invalid task ID/)],
      ]);
      await ctl.terminate();
      expect([...(await fresh.stats([busy, idle])).stats.keys()]).toEqual(['idle']);
    },
  );

  describe('healthcheck', () => {
    const MS = 1_000_000; // nanoseconds
    const fast = { Interval: 50 * MS, Timeout: 2000 * MS, Retries: 2 };

    /** Settles to the outcome of wait() without throwing, so a test can inspect it. */
    const outcome = (ctl: Controller) =>
      ctl.wait().then(
        (status) => ({ status }),
        (e: unknown) => ({ error: (e as Error).message }),
      );

    it('kills the task and wait() reports it unhealthy once the check keeps failing', async () => {
      const dir = await mkdtemp(path.join(stateDir, 'work-'));
      await writeFile(path.join(dir, 'healthy'), '');
      const ctl = executor.controller(
        task({
          Command: ['sh', '-c', 'sleep 30 & wait'],
          Env: ['MARK=healthy'],
          Dir: dir,
          // Relative path and $MARK: the check runs in the task's Dir and Env.
          HealthCheck: { Test: ['CMD-SHELL', 'test -f "$MARK"'], ...fast },
        }),
      );
      const pid = await run(ctl);
      let settled = false;
      const result = outcome(ctl).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 400)); // several passing checks
      expect(settled).toBe(false);
      await unlink(path.join(dir, 'healthy'));
      const t0 = Date.now();
      expect(await result).toEqual({
        status: { exitCode: 137, reason: UNHEALTHY_REASON, unhealthy: true },
      });
      expect(Date.now() - t0).toBeLessThan(3000);
      await new Promise((r) => setTimeout(r, 50));
      expect(await liveMembersOfGroup(pid)).toEqual([]);
    });

    it('shutdown() of a healthy task is a shutdown, not ill health; CMD form works', async () => {
      const dir = await mkdtemp(path.join(stateDir, 'work-'));
      const mark = path.join(dir, 'healthy');
      await writeFile(mark, '');
      const ctl = executor.controller(
        task({
          Command: ['sleep', '30'],
          HealthCheck: { Test: ['CMD', 'test', '-f', mark], ...fast },
        }),
      );
      await run(ctl);
      const result = outcome(ctl);
      await new Promise((r) => setTimeout(r, 300));
      await ctl.shutdown(1000);
      await unlink(mark); // would fail every check, were any still running
      await new Promise((r) => setTimeout(r, 300));
      expect(await result).toEqual({
        status: { exitCode: 143, reason: 'killed by SIGTERM' },
      });
    });

    it('NONE disables it; an invalid Test fails prepare() naming the accepted forms', async () => {
      const none = executor.controller(
        task({ Command: ['sh', '-c', 'exit 0'], HealthCheck: { Test: ['NONE'], ...fast } }),
      );
      await run(none);
      expect(await none.wait()).toEqual({ exitCode: 0 });
      const bad = executor.controller(
        task({ Command: ['true'], HealthCheck: { Test: ['SHELL', 'x'] } }),
      );
      await expect(bad.prepare()).rejects.toThrow(/expected \["NONE"\], \["CMD", program/);
    });
  });
});
