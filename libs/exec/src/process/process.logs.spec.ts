import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ContainerSpec, type Task } from '@shoal/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogEntry, type LogOptions, LogOptionUnsupportedError } from '../executor.port';
import { type ProcessController } from './process.controller';
import { ProcessExecutor } from './process.executor';

let stateDir: string;
let executor: ProcessExecutor;
const started = new Set<number>();

function task(spec: ContainerSpec, id = 'task1'): Task {
  return { ID: id, Spec: { ContainerSpec: { Image: 'busybox', ...spec } } };
}

function controller(spec: ContainerSpec): ProcessController {
  return executor.controller(task(spec)) as ProcessController;
}

async function run(ctl: ProcessController): Promise<void> {
  await ctl.prepare();
  await ctl.start();
  started.add(ctl.pid!);
}

function opts(over: Partial<LogOptions> = {}): LogOptions {
  return { follow: false, timestamps: false, signal: new AbortController().signal, ...over };
}

const show = (e: LogEntry) => `${e.stream}:${e.data.toString('utf8')}`;

async function collect(logs: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of logs) out.push(show(e));
  return out;
}

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'shoal-process-logs-'));
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

const SCRIPT = "printf 'o1\\no2\\no3\\npartial'; printf 'e1\\ne2\\n' >&2";

describe('ProcessController.logs()', () => {
  it('gives stdout lines then stderr lines, the last one without its missing newline', async () => {
    const ctl = controller({ Command: ['sh', '-c', SCRIPT] });
    await run(ctl);
    await ctl.wait();
    expect(await collect(ctl.logs(opts()))).toEqual([
      'stdout:o1\n',
      'stdout:o2\n',
      'stdout:o3\n',
      'stdout:partial',
      'stderr:e1\n',
      'stderr:e2\n',
    ]);
  });

  it('tail takes the last N lines of that sequence', async () => {
    const ctl = controller({ Command: ['sh', '-c', SCRIPT] });
    await run(ctl);
    await ctl.wait();
    expect(await collect(ctl.logs(opts({ tail: 0 })))).toEqual([]);
    expect(await collect(ctl.logs(opts({ tail: 1 })))).toEqual(['stderr:e2\n']);
    expect(await collect(ctl.logs(opts({ tail: 3 })))).toEqual([
      'stdout:partial',
      'stderr:e1\n',
      'stderr:e2\n',
    ]);
    expect(await collect(ctl.logs(opts({ tail: 100 })))).toHaveLength(6);
  });

  it('refuses timestamps and since at call time, saying what it accepts', () => {
    const ctl = controller({ Command: ['true'] });
    for (const bad of [{ timestamps: true }, { sinceMs: 1 }, { tail: -1 }, { tail: 1.5 }]) {
      expect(() => ctl.logs(opts(bad))).toThrow(LogOptionUnsupportedError);
    }
    expect(() => ctl.logs(opts({ timestamps: true, sinceMs: 0 }))).toThrow(
      /keeps no per-line timestamps .* cannot honour timestamps or since; it accepts follow, tail/,
    );
  });

  it('follow streams appended lines and ends once the process has exited', async () => {
    const dir = await mkdtemp(path.join(stateDir, 'work-'));
    const ctl = controller({
      Command: [
        'sh',
        '-c',
        'echo first; while [ ! -f go ]; do sleep 0.02; done; echo second; printf last',
      ],
      Dir: dir,
    });
    await run(ctl);
    const it = ctl.logs(opts({ follow: true }))[Symbol.asyncIterator]();
    expect(show((await it.next()).value as LogEntry)).toBe('stdout:first\n');
    await writeFile(path.join(dir, 'go'), '');
    expect(show((await it.next()).value as LogEntry)).toBe('stdout:second\n');
    expect(show((await it.next()).value as LogEntry)).toBe('stdout:last');
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(await ctl.wait()).toEqual({ exitCode: 0 });
  });

  it('follow ends when the signal aborts, while the task still runs', async () => {
    const ctl = controller({ Command: ['sh', '-c', 'echo hi; sleep 30'] });
    await run(ctl);
    const abort = new AbortController();
    const it = ctl.logs(opts({ follow: true, signal: abort.signal }))[Symbol.asyncIterator]();
    expect(show((await it.next()).value as LogEntry)).toBe('stdout:hi\n');
    const t0 = Date.now();
    const next = it.next();
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(Date.now() - t0).toBeLessThan(1000);
    await ctl.terminate();
  });

  it('a fresh controller (after an agent restart) reads and follows the same task', async () => {
    const dir = await mkdtemp(path.join(stateDir, 'work-'));
    const spec: ContainerSpec = {
      Command: ['sh', '-c', 'echo one; echo two >&2; while [ ! -f stop ]; do sleep 0.02; done'],
      Dir: dir,
    };
    const first = controller(spec);
    await run(first);
    const fresh = new ProcessExecutor({ stateDir }).controller(task(spec)) as ProcessController;
    const it = fresh.logs(opts({ follow: true }))[Symbol.asyncIterator]();
    const got = [
      show((await it.next()).value as LogEntry),
      show((await it.next()).value as LogEntry),
    ];
    expect(got.sort()).toEqual(['stderr:two\n', 'stdout:one\n']);
    await writeFile(path.join(dir, 'stop'), '');
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(await first.wait()).toEqual({ exitCode: 0 });
    expect(await collect(fresh.logs(opts({ tail: 1 })))).toEqual(['stderr:two\n']);
  });

  it('is empty after remove(), and for a task that never started', async () => {
    const ctl = controller({ Command: ['sh', '-c', 'echo x'] });
    expect(await collect(ctl.logs(opts({ follow: true })))).toEqual([]);
    await run(ctl);
    await ctl.wait();
    await ctl.remove();
    expect(await collect(ctl.logs(opts()))).toEqual([]);
  });

  it('cuts a line longer than 64 KiB into several entries', async () => {
    const ctl = controller({
      Command: ['sh', '-c', 'head -c 150000 /dev/zero | tr "\\0" a; echo'],
    });
    await run(ctl);
    await ctl.wait();
    const sizes: number[] = [];
    for await (const e of ctl.logs(opts())) sizes.push(e.data.length);
    expect(sizes).toEqual([65536, 65536, 150000 - 2 * 65536 + 1]);
  });
});
