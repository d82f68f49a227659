import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventActor, type EventMessage } from '@shoal/api';
import {
  CLIS,
  type CliResult,
  dockerEnvFor,
  NO_CLI_MESSAGE,
  runCommand,
} from '../support/docker-cli';
import { WebSocket } from 'ws';
import { SHOAL_MAIN, ShoaldProcess } from '../support/shoald/shoald-process';

/**
 * `docker events --filter scope=swarm`, the stock docker CLI against shoald: every docker
 * binary found (Debian's docker.io 20.10, API 1.41; a current 28.x) receives service create
 * and update events, and Shoal's task events, which the CLI passes through as they come.
 */
const COMMAND_TIMEOUT_MS = 20_000;

/** An event line as received: Docker's message, every field present. */
type CliEvent = Required<EventMessage> & { Actor: Required<EventActor> };

it('finds a docker CLI to test with', () => {
  expect(CLIS, NO_CLI_MESSAGE).not.toHaveLength(0);
});

describe.each(CLIS)('docker events from the CLI at %s', (bin) => {
  let daemon: ShoaldProcess | undefined;
  let env: NodeJS.ProcessEnv = {};
  let watcher: ChildProcess | undefined;
  let stdout = '';
  let stderr = '';
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  let serviceId = '';

  const docker = (...args: string[]): Promise<CliResult> =>
    runCommand(bin, args, env, COMMAND_TIMEOUT_MS);
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    expect(r.code, `docker ${args.join(' ')}:\n${r.stderr}${r.stdout}`).toBe(0);
    return r;
  };
  const events = (): CliEvent[] =>
    stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as CliEvent);
  const waitForEvent = async (pred: (e: CliEvent) => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const found = events().find(pred);
      if (found) return found;
      if (watcher?.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no ${what} event; docker events printed:\n${stdout}\nstderr:\n${stderr}`);
  };

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-e2e-events-');
    env = await dockerEnvFor(daemon);
    await daemon.start();
    await ok('swarm', 'init');
  });

  afterAll(async () => {
    if (watcher && watcher.exitCode === null) watcher.kill('SIGKILL');
    await daemon?.dispose();
  });

  it('docker events --filter scope=swarm starts and waits', async () => {
    // --since a little in the past: the history covers anything written between the CLI's
    // start and its subscription, so the test does not race the CLI's connection.
    const since = String(Math.floor(Date.now() / 1000) - 1);
    watcher = spawn(
      bin,
      ['events', '--filter', 'scope=swarm', '--since', since, '--format', '{{json .}}'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    watcher.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    watcher.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    exit = new Promise((resolve) =>
      watcher!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(watcher.exitCode, stderr).toBeNull();
  });

  it('receives the service create', async () => {
    serviceId = (
      await ok(
        'service',
        'create',
        '--detach',
        '--name',
        'ev',
        '--replicas',
        '1',
        'busybox',
        'sleep',
        '1d',
      )
    ).stdout.trim();
    const e = await waitForEvent(
      (x) => x.Type === 'service' && x.Action === 'create',
      'service create',
    );
    expect(e).toMatchObject({
      scope: 'swarm',
      Actor: { ID: serviceId, Attributes: { name: 'ev' } },
    });
    expect(e.time).toBe(Math.floor(e.timeNano / 1e9));
  });

  it('receives the service update with what changed', async () => {
    await ok('service', 'update', '--detach', '--replicas', '2', 'ev');
    const e = await waitForEvent(
      (x) => x.Type === 'service' && x.Action === 'update' && 'replicas.new' in x.Actor.Attributes,
      'service update',
    );
    expect(e.Actor).toMatchObject({
      ID: serviceId,
      Attributes: { name: 'ev', 'replicas.old': '1', 'replicas.new': '2' },
    });
  });

  it("passes Shoal's task events through unchanged", async () => {
    const e = await waitForEvent((x) => x.Type === 'task' && x.Action === 'create', 'task create');
    expect(e.scope).toBe('swarm');
    expect(e.Actor.Attributes).toMatchObject({ 'service.id': serviceId, 'service.name': 'ev' });
    expect(e.Actor.Attributes['name']).toMatch(new RegExp(`^ev\\.\\d+\\.${e.Actor.ID}$`));
  });

  it('docker events --filter type=task shows only task events', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 60);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    await new Promise((r) => setTimeout(r, 1100)); // until is now in the past
    const r = await ok(
      'events',
      '--filter',
      'type=task',
      '--since',
      since,
      '--until',
      until,
      '--format',
      '{{json .}}',
    );
    const got = r.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as CliEvent);
    expect(got.length).toBeGreaterThan(0);
    expect(new Set(got.map((x) => x.Type))).toEqual(new Set(['task']));
  });

  it('the default format prints task events like the others', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 60);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await ok(
      'events',
      '--filter',
      'type=task',
      '--filter',
      'event=create',
      '--since',
      since,
      '--until',
      until,
    );
    const first = r.stdout.split('\n')[0]!;
    expect(first).toMatch(
      new RegExp(
        `^\\d{4}-\\d{2}-\\d{2}T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}) task create \\S+ \\(.*name=ev\\.\\d+\\.\\S+.*service\\.id=${serviceId}.*\\)$`,
      ),
    );
  });

  it('Ctrl-C ends docker events', async () => {
    watcher!.kill('SIGINT');
    const { code, signal } = await exit!;
    // The docker CLI exits 130 on Ctrl-C (128 + SIGINT), the stream being its only work.
    expect(code === 130 || signal === 'SIGINT', `exit ${code}, signal ${signal}`).toBe(true);
  });
});

describe('shoal events and /events/ws against the built shoald', () => {
  let daemon: ShoaldProcess | undefined;
  const shoal = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [SHOAL_MAIN, '-H', `unix://${daemon!.socket}`, ...args],
        { timeout: COMMAND_TIMEOUT_MS },
        (error, out, err) =>
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
            stdout: String(out),
            stderr: String(err),
          }),
      );
    });

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-e2e-events-cli-');
    await daemon.start();
  });
  afterAll(async () => {
    await daemon?.dispose();
  });

  it('a WebSocket client on the socket and `shoal events` both see a service create', async () => {
    expect((await shoal('swarm', 'init')).code).toBe(0);
    const ws = new WebSocket(
      `ws+unix://${daemon!.socket}:/v1.44/events/ws?filters=${encodeURIComponent('{"type":["service"]}')}`,
    );
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(String(m)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const created = await shoal(
      'service',
      'create',
      '--detach',
      '--name',
      'cli-ev',
      'busybox',
      'sleep',
      '1d',
    );
    expect(created.code, created.stderr).toBe(0);
    const deadline = Date.now() + 10_000;
    while (messages.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    ws.close();
    expect(JSON.parse(messages[0]!)).toMatchObject({
      Type: 'service',
      Action: 'create',
      Actor: { Attributes: { name: 'cli-ev' } },
    });

    const until = String(Math.floor(Date.now() / 1000) + 1);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await shoal('events', '--since', since, '--until', until, '--filter', 'type=service');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\S+ service create [0-9a-z]{25} \(name=cli-ev\)$/m);
    const tasks = await shoal(
      'events',
      '--since',
      since,
      '--until',
      until,
      '-f',
      'service=cli-ev',
      '-f',
      'type=task',
      '--format',
      'json',
    );
    expect(tasks.code, tasks.stderr).toBe(0);
    const lines = tasks.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CliEvent);
    expect(lines.length).toBeGreaterThan(0);
    expect(
      lines.every((l) => l.Type === 'task' && l.Actor.Attributes['service.name'] === 'cli-ev'),
    ).toBe(true);
  });
});
