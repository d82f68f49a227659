import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, ensureBusyboxImage, ensureDockerd } from '../support/dockerd';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

/**
 * Issue 7, "Task health", with the docker executor on the real Docker Engine: the engine runs
 * the healthcheck, and a task counts as running only once the engine reports its container
 * healthy; one the engine finds unhealthy is stopped and fails with Swarm's Err.
 *
 * busybox:local has no /tmp and few applets on PATH; its sh runs `test` as a builtin and the
 * others through `busybox`. Stops are fast with `Init: true` (see docker-engine.test.ts).
 */

const CLI = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p));
const NODE_LABEL = 'com.docker.swarm.node.id';
const TASK_LABEL = 'com.docker.swarm.task.id';
const MS = 1e6;
const UNHEALTHY_ERR = 'task: non-zero exit (143): dockerexec: unhealthy container';

interface TaskStatusView {
  State: string;
  Timestamp: string;
  Message?: string;
  Err?: string;
  ContainerStatus?: { ExitCode?: number };
}

interface TaskView {
  ID: string;
  DesiredState: string;
  Status: TaskStatusView;
}

interface ContainerState {
  Status: string;
  Running: boolean;
  StartedAt: string;
  Health?: { Status: string; Log?: Array<{ Start: string; End: string; ExitCode: number }> };
}

/** `docker <args>` against the engine's default socket; rejects with its stderr on failure. */
function docker(...args: string[]): Promise<string> {
  const env = { ...process.env };
  for (const name of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_API_VERSION']) delete env[name];
  return new Promise((resolve, reject) => {
    execFile(CLI!, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`docker ${args.join(' ')}: ${String(stderr) || error.message}`));
      else resolve(String(stdout));
    });
  });
}

/** The engine's State of the container of task `taskId` on node `nodeId`, if there is one. */
async function containerState(nodeId: string, taskId: string): Promise<ContainerState | undefined> {
  const ids = (
    await docker(
      'ps',
      '-aq',
      '--no-trunc',
      '--filter',
      `label=${NODE_LABEL}=${nodeId}`,
      '--filter',
      `label=${TASK_LABEL}=${taskId}`,
    )
  )
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (ids.length === 0) return undefined;
  return JSON.parse(
    await docker('inspect', '--format', '{{json .State}}', ids[0]!),
  ) as ContainerState;
}

describe('healthchecks with the docker executor on a real Docker Engine', () => {
  let daemon: ShoaldProcess | undefined;
  let nodeId = '';
  const services: string[] = [];

  const api = (method: string, path: string, body?: unknown) =>
    unixRequest(daemon!.socket, method, `/v1.44${path}`, body);
  const tasksOf = async (serviceId: string): Promise<TaskView[]> =>
    (
      await api(
        'GET',
        `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [serviceId] }))}`,
      )
    ).json as TaskView[];
  const create = async (name: string, spec: object): Promise<string> => {
    const r = await api('POST', '/services/create', {
      Name: name,
      TaskTemplate: {
        ContainerSpec: { Image: BUSYBOX_IMAGE, Init: true, ...spec },
        // One task per service: a failed one is not replaced, so the test sees it as it ended.
        RestartPolicy: { Condition: 'none' },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    expect(r.status, r.text).toBe(201);
    const id = (r.json as { ID: string }).ID;
    services.push(id);
    return id;
  };
  /** Samples the service's task and its container until `done` says so or time runs out. */
  const follow = async (
    serviceId: string,
    done: (t: TaskView) => boolean,
    timeoutMs = 30_000,
  ): Promise<{ task: TaskView; samples: Array<[string, string | undefined]> }> => {
    const samples: Array<[string, string | undefined]> = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [task] = await tasksOf(serviceId);
      if (task) {
        const state = await containerState(nodeId, task.ID);
        // The task's state with the engine's health status, sampled after the task's.
        samples.push([task.Status.State, state?.Health?.Status]);
        if (done(task)) return { task, samples };
      }
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(samples.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    expect(CLI, 'no docker CLI: apt-get install -y docker.io').toBeDefined();
    await ensureDockerd();
    await ensureBusyboxImage();
    daemon = await ShoaldProcess.inTempDir('shoal-e2e-health-');
    daemon.o.extraArgs = ['--executor', 'docker'];
    await daemon.start();
    const init = await api('POST', '/swarm/init', {});
    expect(init.status, init.text).toBe(200);
    nodeId = init.json as string;
  }, 45_000);

  afterAll(async () => {
    try {
      if (daemon) {
        for (const id of services) await api('DELETE', `/services/${id}`).catch(() => undefined);
      }
      await daemon?.dispose();
    } finally {
      if (nodeId) {
        const left = (await docker('ps', '-aq', '--filter', `label=${NODE_LABEL}=${nodeId}`))
          .split('\n')
          .filter((l) => l.trim() !== '');
        if (left.length > 0) await docker('rm', '-f', ...left).catch(() => '');
      }
    }
  }, 30_000);

  it('a task is running only once the engine reports its container healthy', async () => {
    // Ready after 1.5 s; Retries 10 at 300 ms lets the checks before that fail.
    const sid = await create('e2e-health-ok', {
      Command: ['sh', '-c', 'sleep 1.5; echo > /ready; exec sleep 3600'],
      HealthCheck: { Test: ['CMD-SHELL', 'test -f /ready'], Interval: 300 * MS, Retries: 10 },
    });
    const { task, samples } = await follow(sid, (t) => t.Status.State === 'running');
    expect(task.Status.Message).toBe('started');
    // While the task was starting the engine had it starting; never running before healthy.
    expect(samples.some(([s, h]) => s === 'starting' && h === 'starting')).toBe(true);
    for (const [state, health] of samples) {
      if (state === 'running') expect(health).toBe('healthy');
    }
    const engine = (await containerState(nodeId, task.ID))!;
    expect(engine.Health?.Status).toBe('healthy');
    const runningAt = Date.parse(task.Status.Timestamp);
    expect(runningAt - Date.parse(engine.StartedAt)).toBeGreaterThanOrEqual(1400);
    // The engine keeps the last 5 checks; when a failed one precedes the first pass in them,
    // that pass is the container's first, and the task went running only after it.
    const log = engine.Health?.Log ?? [];
    const firstPass = log.findIndex((l) => l.ExitCode === 0);
    expect(firstPass).toBeGreaterThanOrEqual(0);
    if (firstPass > 0) {
      expect(runningAt).toBeGreaterThanOrEqual(Date.parse(log[firstPass]!.End) - 5);
    }
  }, 60_000);

  it('a task whose container turns unhealthy before it was healthy fails, never running', async () => {
    const sid = await create('e2e-health-never', {
      Command: ['sleep', '3600'],
      HealthCheck: { Test: ['CMD-SHELL', 'exit 1'], Interval: 300 * MS, Retries: 2 },
    });
    const { task, samples } = await follow(sid, (t) => t.Status.State === 'failed');
    expect(samples.map(([s]) => s)).not.toContain('running');
    expect(task.Status.Err).toBe(UNHEALTHY_ERR);
    expect(task.Status.ContainerStatus?.ExitCode).toBe(143);
    const engine = (await containerState(nodeId, task.ID))!;
    expect(engine.Running).toBe(false);
    expect(engine.Health?.Status).toBe('unhealthy');
  }, 60_000);

  it('a running task whose container turns unhealthy fails and its container is stopped', async () => {
    // Healthy while /ok exists; it goes after 2 s.
    const sid = await create('e2e-health-sickens', {
      Command: ['sh', '-c', 'echo > /ok; sleep 2; busybox rm /ok; exec sleep 3600'],
      HealthCheck: { Test: ['CMD-SHELL', 'test -f /ok'], Interval: 300 * MS, Retries: 2 },
    });
    const { samples, task } = await follow(sid, (t) => t.Status.State === 'failed');
    expect(samples.map(([s]) => s)).toContain('running');
    expect(task.Status.Err).toBe(UNHEALTHY_ERR);
    expect(task.Status.ContainerStatus?.ExitCode).toBe(143);
    const engine = (await containerState(nodeId, task.ID))!;
    expect(engine.Running).toBe(false);
    expect(engine.Health?.Status).toBe('unhealthy');
  }, 60_000);
});
