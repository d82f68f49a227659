import { randomBytes } from 'node:crypto';
import { type ContainerSpec, type Task, type TaskSpec } from '@shoal/api';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX_IMAGE,
  DOCKER_SOCKET,
  dockerdInstalled,
  ensureBusyboxImage,
  ensureDockerd,
} from '../../../../test/support/dockerd';
import { systemClock } from '@shoal/common';
import { TaskController, type TaskStatusReport } from '../controller/task.controller';
import { type LogEntry, type LogOptions, TaskExitError, UNHEALTHY_REASON } from '../executor.port';
import { SWARM_LABEL } from './container-config';
import { type DockerController } from './docker.controller';
import { DockerExecutor } from './docker.executor';

/**
 * Against the real engine (Debian's docker.io, started here when it is not running) and the
 * busybox:local image built from busybox-static; no mocks. Every container carries this run's
 * node ID, so afterAll removes exactly what the run made.
 */
const RUN = randomBytes(4).toString('hex');
const NODE_ID = `shoaltest${RUN}`;
let seq = 0;

let executor: DockerExecutor;
let docker: Docker;

function task(spec: ContainerSpec, taskSpec: TaskSpec = {}): Task {
  seq += 1;
  return {
    ID: `t${RUN}${seq}`,
    ServiceID: `svc${RUN}`,
    Slot: seq,
    ServiceAnnotations: { Name: 'shoalspec' },
    Spec: { ...taskSpec, ContainerSpec: { Image: BUSYBOX_IMAGE, ...spec } },
  } as Task;
}

const controllerFor = (t: Task) => executor.controller(t) as DockerController;

async function run(t: Task): Promise<DockerController> {
  const c = controllerFor(t);
  await c.prepare();
  await c.start();
  return c;
}

async function collect(c: DockerController, opts: Partial<LogOptions>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  const all: LogOptions = {
    follow: false,
    timestamps: false,
    signal: new AbortController().signal,
    ...opts,
  };
  for await (const e of c.logs(all)) out.push(e);
  return out;
}

const lines = (entries: LogEntry[]) => entries.map((e) => `${e.stream}:${e.data.toString()}`);

const SLEEP = { Command: ['sleep', '300'] };

describe.skipIf(!dockerdInstalled())('DockerExecutor (real engine)', () => {
  beforeAll(async () => {
    await ensureDockerd();
    await ensureBusyboxImage();
    executor = new DockerExecutor({ nodeId: NODE_ID });
    docker = new Docker({ socketPath: DOCKER_SOCKET });
  }, 60_000);

  afterAll(async () => {
    if (!docker) return;
    const mine = await docker.listContainers({
      all: true,
      filters: { label: [`${SWARM_LABEL.nodeId}=${NODE_ID}`] },
    });
    await Promise.all(mine.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  }, 30_000);

  it('describes the engine, and tells whether one answers on a socket', async () => {
    const d = await executor.describe();
    const version = await docker.version();
    expect(d).toMatchObject({ executor: 'docker', engineVersion: version.Version });
    expect(d.nanoCpus).toBeGreaterThanOrEqual(1e9);
    expect(d.memoryBytes).toBeGreaterThan(0);
    expect(typeof d.labels).toBe('object');
    expect(await DockerExecutor.available(DOCKER_SOCKET)).toBe(true);
    expect(await DockerExecutor.available('/nonexistent/docker.sock')).toBe(false);
  });

  it('runs a task to its exit code, named and labelled as Swarm does; remove is idempotent', async () => {
    const t = task({ Command: ['sh', '-c'], Args: ['echo hi; exit 3'], Labels: { app: 'x' } });
    const c = await run(t);
    expect(await c.wait()).toEqual({ exitCode: 3 });

    const info = await docker.getContainer(c.containerId!).inspect();
    expect(info.Name).toBe(`/shoalspec.${t.Slot}.${t.ID}`);
    expect(info.Config.Labels).toMatchObject({
      app: 'x',
      [SWARM_LABEL.task]: '',
      [SWARM_LABEL.taskId]: t.ID,
      [SWARM_LABEL.taskName]: `shoalspec.${t.Slot}.${t.ID}`,
      [SWARM_LABEL.serviceId]: t.ServiceID,
      [SWARM_LABEL.serviceName]: 'shoalspec',
      [SWARM_LABEL.nodeId]: NODE_ID,
    });
    expect(info.HostConfig.RestartPolicy?.Name).toBe('no');
    expect(info.Config.Entrypoint).toEqual(['sh', '-c']);
    expect(info.Config.Cmd).toEqual(['echo hi; exit 3']);

    // prepare() again finds the same container instead of making a second one.
    await c.prepare();
    expect(c.containerId).toBe(info.Id);

    await c.remove();
    await expect(docker.getContainer(info.Id).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    await c.remove();
  }, 15_000);

  it('stats() samples running containers at once: CPU accrues, memory is what they hold', async () => {
    const busy = task({ Command: ['sh', '-c', 'while :; do :; done'] });
    // A shell variable of 30 MB: anonymous memory the cgroup must count. The echo after the
    // sleep keeps busybox's sh from exec'ing sleep, which would drop the variable.
    const holder = task({
      Command: ['sh', '-c', 'x=$(head -c 30000000 /dev/zero | tr "\\0" a); sleep 300; echo ${#x}'],
    });
    const ended = task({ Command: ['sh', '-c', 'exit 0'] });
    const never = task(SLEEP);
    await run(busy);
    await run(holder);
    await (await run(ended)).wait();
    const first = await executor.stats([busy, holder, ended, never]);
    expect(first.errors).toEqual([]);
    expect([...first.stats.keys()].sort()).toEqual([busy.ID, holder.ID].sort());
    // The variable is built just after the start: give it a moment.
    let held = first.stats.get(holder.ID!)!.memoryBytes;
    for (let deadline = Date.now() + 10_000; held < 30e6 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 200));
      held = (await executor.stats([holder])).stats.get(holder.ID!)!.memoryBytes;
    }
    expect(held).toBeGreaterThanOrEqual(30e6);
    expect(held).toBeLessThan(200e6);

    await new Promise((r) => setTimeout(r, 1_000));
    const later = await executor.stats([busy, holder]);
    const accrued = later.stats.get(busy.ID!)!.cpuSeconds - first.stats.get(busy.ID!)!.cpuSeconds;
    expect(accrued).toBeGreaterThan(0.2);
  }, 30_000);

  it('does not adopt a stopped container, and does not run it again either', async () => {
    const t = task({ Command: ['sh', '-c', 'exit 3'] });
    const first = await run(t);
    await first.wait();
    const startedAt = (await docker.getContainer(first.containerId!).inspect()).State.StartedAt;

    const again = controllerFor(t);
    expect(await again.adopt()).toBe(false);
    await again.prepare();
    await again.start();
    expect(await again.wait()).toEqual({ exitCode: 3 });
    expect(again.containerId).toBe(first.containerId);
    const info = await docker.getContainer(first.containerId!).inspect();
    expect(info.State.StartedAt).toBe(startedAt);
    await again.remove();
  }, 15_000);

  it('shutdown sends the stop signal, then kills once the grace period is over', async () => {
    // sleep as PID 1 ignores SIGTERM: only the kill after the grace period ends it.
    const stubborn = await run(task(SLEEP));
    const exited = stubborn.wait();
    let t0 = Date.now();
    await stubborn.shutdown(1_000);
    const stubbornMs = Date.now() - t0;
    expect(await exited).toEqual({ exitCode: 137 });
    expect(stubbornMs).toBeGreaterThanOrEqual(900);
    expect(stubbornMs).toBeLessThan(6_000);

    // With an init as PID 1, SIGTERM reaches sleep, which ends at once.
    const polite = await run(task({ ...SLEEP, Init: true }));
    t0 = Date.now();
    await polite.shutdown(10_000);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await polite.wait()).toEqual({ exitCode: 143 });

    await polite.shutdown(1_000); // already stopped: nothing to do
    await Promise.all([stubborn.remove(), polite.remove()]);
  }, 20_000);

  it('terminate kills at once', async () => {
    const c = await run(task(SLEEP));
    const t0 = Date.now();
    await c.terminate();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await c.wait()).toEqual({ exitCode: 137 });
    await c.terminate(); // not running any more: fine
    await c.remove();
  }, 15_000);

  it('a second controller for the same task adopts the running container', async () => {
    const t = task({ ...SLEEP, Init: true });
    const original = await run(t);

    const restarted = new DockerExecutor({ nodeId: NODE_ID }).controller(t) as DockerController;
    expect(await restarted.adopt()).toBe(true);
    expect(restarted.containerId).toBe(original.containerId);
    const exited = restarted.wait();
    await restarted.shutdown(5_000);
    expect(await exited).toEqual({ exitCode: 143 });

    expect(await controllerFor(task(SLEEP)).adopt()).toBe(false); // no container at all
    await restarted.remove();
  }, 15_000);

  it('reads the logs: both streams, tail and timestamps, and follows until aborted', async () => {
    // The engine copies stdout and stderr separately, so their order in the log is not the
    // order they were written in; the pause keeps err1 well ahead of the stdout lines.
    const script = 'echo err1 >&2; sleep 0.3; for i in 1 2 3 4 5; do echo out$i; done';
    const c = await run(task({ Command: ['sh', '-c', script] }));
    await c.wait();

    const all = await collect(c, {});
    expect(lines(all)).toEqual([
      'stderr:err1\n',
      ...['out1', 'out2', 'out3', 'out4', 'out5'].map((l) => `stdout:${l}\n`),
    ]);
    expect(all.every((e) => e.timestamp === undefined)).toBe(true);

    const tail = await collect(c, { tail: 2, timestamps: true });
    expect(lines(tail)).toEqual(['stdout:out4\n', 'stdout:out5\n']);
    for (const e of tail) {
      expect(e.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z$/);
    }
    const firstOut = Date.parse(tail[0]!.timestamp!);
    expect(lines(await collect(c, { sinceMs: firstOut - 150 }))).toEqual([
      'stdout:out1\n',
      'stdout:out2\n',
      'stdout:out3\n',
      'stdout:out4\n',
      'stdout:out5\n',
    ]);
    const since = Date.parse(tail[0]!.timestamp!) + 60_000;
    expect(await collect(c, { sinceMs: since })).toEqual([]);

    const ticking = await run(
      task({ Command: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'] }),
    );
    const abort = new AbortController();
    const followed: LogEntry[] = [];
    for await (const e of ticking.logs({ follow: true, timestamps: false, signal: abort.signal })) {
      followed.push(e);
      if (followed.length === 3) abort.abort();
    }
    expect(lines(followed)).toEqual(['stdout:tick\n', 'stdout:tick\n', 'stdout:tick\n']);
    await Promise.all([ticking.remove(), c.remove()]);
  }, 15_000);

  it('start() waits for the engine to say healthy; unhealthy first fails it and stops the container', async () => {
    // Healthy from the second check on (a file the first check creates; the image has no /tmp).
    const ok = controllerFor(
      task({
        ...SLEEP,
        Init: true,
        HealthCheck: {
          Test: ['CMD-SHELL', 'test -f /seen || { echo > /seen; exit 1; }'],
          Interval: 200e6,
          Retries: 3,
        },
      }),
    );
    await ok.prepare();
    await ok.start();
    const healthy = await docker.getContainer(ok.containerId!).inspect();
    expect(healthy.State.Health?.Status).toBe('healthy');
    expect(healthy.State.Health?.Log?.length).toBeGreaterThanOrEqual(2);
    await ok.remove();

    const sick = controllerFor(
      task({
        ...SLEEP,
        Init: true,
        HealthCheck: { Test: ['CMD-SHELL', 'exit 1'], Interval: 200e6, Retries: 1 },
      }),
    );
    await sick.prepare();
    const err = await sick.start().then(
      () => undefined,
      (e: unknown) => e as TaskExitError,
    );
    expect(err).toBeInstanceOf(TaskExitError);
    expect(err!.message).toBe(`task: non-zero exit (143): ${UNHEALTHY_REASON}`);
    expect(err!.status).toMatchObject({ exitCode: 143, unhealthy: true });
    const info = await docker.getContainer(sick.containerId!).inspect();
    expect(info.State.Running).toBe(false);
    expect(info.State.Health?.Status).toBe('unhealthy');
    await sick.remove();
  }, 20_000);

  it('a running container that turns unhealthy is stopped, and wait() says so', async () => {
    // Healthy while /ok exists; the task removes it after a while.
    const c = await run(
      task({
        Command: ['sh', '-c', 'echo > /ok; sleep 1; busybox rm /ok; exec sleep 300'],
        Init: true,
        HealthCheck: { Test: ['CMD-SHELL', 'test -f /ok'], Interval: 200e6, Retries: 1 },
      }),
    );
    expect((await docker.getContainer(c.containerId!).inspect()).State.Health?.Status).toBe(
      'healthy',
    );
    expect(await c.wait()).toEqual({ exitCode: 143, reason: UNHEALTHY_REASON, unhealthy: true });
    expect((await docker.getContainer(c.containerId!).inspect()).State.Running).toBe(false);
    await c.remove();
  }, 20_000);

  it('drives TaskController: an exited container left behind is reported with its own exit', async () => {
    const t = task({ Command: ['sh', '-c', 'exit 3'] });
    const first = await run(t);
    await first.wait();

    // The agent restarted after the task ended but before it reported the end.
    const reports: TaskStatusReport[] = [];
    const tc = new TaskController({ executor, clock: systemClock, report: (r) => reports.push(r) });
    const final = await tc.run(t);
    expect(reports.map((r) => r.state)).toEqual([
      'accepted',
      'preparing',
      'ready',
      'starting',
      'running',
      'failed',
    ]);
    expect(final).toMatchObject({ state: 'failed', exitCode: 3 });
    await first.remove();

    const sick = task({
      ...SLEEP,
      Init: true,
      HealthCheck: { Test: ['CMD-SHELL', 'exit 1'], Interval: 200e6, Retries: 1 },
    });
    const tc2 = new TaskController({ executor, clock: systemClock, report: () => undefined });
    expect(await tc2.run(sick)).toMatchObject({
      state: 'failed',
      err: `task: non-zero exit (143): ${UNHEALTHY_REASON}`,
      exitCode: 143,
    });
    await controllerFor(sick).remove();
  }, 15_000);

  it("reports engine errors with what failed, in the engine's words", async () => {
    const missing = controllerFor(task({ Image: `shoal-missing-${RUN}:nope` }));
    await expect(missing.prepare()).rejects.toThrow(
      new RegExp(`^docker: pull shoal-missing-${RUN}:nope: .+`),
    );

    const bad = controllerFor(task({ Command: ['/no/such/program'] }));
    await bad.prepare();
    await expect(bad.start()).rejects.toThrow(
      /^docker: start shoalspec\.\d+\.t\w+: .*no such file/i,
    );
    await bad.remove();
  }, 15_000);
});
