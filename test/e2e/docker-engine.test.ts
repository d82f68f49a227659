import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, ensureBusyboxImage, ensureDockerd } from '../support/dockerd';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

/**
 * Shoal with the docker executor on the real Docker Engine of this machine: a one-node
 * swarm runs `busybox httpd` as containers, and what `docker ps` shows is checked against
 * what Swarm itself would have made (names, labels), through a kill and a service removal.
 *
 * Stops are made fast with `Init: true` (docker-init as PID 1 passes SIGTERM on to httpd,
 * which as PID 1 itself would ignore it and wait out the 10 s grace period), not with a
 * shorter StopGracePeriod.
 */

const SERVICE = 'e2e-httpd';
const CLI = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p));
const LABEL = {
  serviceId: 'com.docker.swarm.service.id',
  serviceName: 'com.docker.swarm.service.name',
  taskId: 'com.docker.swarm.task.id',
  nodeId: 'com.docker.swarm.node.id',
} as const;

interface TaskView {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

interface PsRow {
  id: string;
  name: string;
  state: string;
  serviceName: string;
  serviceId: string;
  taskId: string;
  nodeId: string;
}

/** `docker <args>` against the engine's default socket; rejects with its stderr on failure. */
function docker(...args: string[]): Promise<string> {
  const env = { ...process.env };
  // The engine itself, never a shoald some other setting points at.
  for (const name of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_API_VERSION']) delete env[name];
  return new Promise((resolve, reject) => {
    execFile(CLI!, args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`docker ${args.join(' ')}: ${String(stderr) || error.message}`));
      else resolve(String(stdout));
    });
  });
}

/** `docker ps -a` of the containers one node made, with the Swarm labels as columns. */
async function ps(nodeId: string): Promise<PsRow[]> {
  const label = (k: string) => `{{.Label "${k}"}}`;
  const format = [
    '{{.ID}}',
    '{{.Names}}',
    '{{.State}}',
    label(LABEL.serviceName),
    label(LABEL.serviceId),
    label(LABEL.taskId),
    label(LABEL.nodeId),
  ].join('\t');
  const out = await docker(
    'ps',
    '-a',
    '--no-trunc',
    '--filter',
    `label=${LABEL.nodeId}=${nodeId}`,
    '--format',
    format,
  );
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, name, state, serviceName, serviceId, taskId, node] = line.split('\t');
      return { id, name, state, serviceName, serviceId, taskId, nodeId: node } as PsRow;
    });
}

describe('the docker executor on a real Docker Engine', () => {
  let daemon: ShoaldProcess | undefined;
  let nodeId = '';
  let serviceId = '';

  const api = (method: string, path: string, body?: unknown) =>
    unixRequest(daemon!.socket, method, `/v1.44${path}`, body);
  const tasks = async (): Promise<TaskView[]> =>
    (
      await api(
        'GET',
        `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [SERVICE] }))}`,
      )
    ).json as TaskView[];
  const running = async () =>
    (await tasks()).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

  beforeAll(async () => {
    expect(CLI, 'no docker CLI: apt-get install -y docker.io').toBeDefined();
    await ensureDockerd();
    await ensureBusyboxImage();
    daemon = await ShoaldProcess.inTempDir('shoal-e2e-engine-');
    daemon.o.extraArgs = ['--executor', 'docker'];
    await daemon.start();
    const init = await api('POST', '/swarm/init', {});
    expect(init.status, init.text).toBe(200);
    nodeId = init.json as string;
  }, 45_000);

  afterAll(async () => {
    try {
      if (daemon && serviceId) await api('DELETE', `/services/${serviceId}`).catch(() => undefined);
      await daemon?.dispose();
    } finally {
      // Whatever a failure left behind: every container this node made.
      if (nodeId) {
        const left = await ps(nodeId).catch(() => []);
        if (left.length > 0) await docker('rm', '-f', ...left.map((c) => c.id)).catch(() => '');
      }
    }
  }, 30_000);

  it('the node is ready and runs the docker executor', async () => {
    await expect
      .poll(
        async () => {
          const node = (await api('GET', `/nodes/${nodeId}`)).json as {
            Status?: { State?: string };
            Description?: { Engine?: { Labels?: Record<string, string> } };
          };
          return [node.Status?.State, node.Description?.Engine?.Labels?.['shoal.executor']];
        },
        { timeout: 10_000 },
      )
      .toEqual(['ready', 'docker']);
  });

  it('runs busybox httpd with 3 replicas as 3 containers named and labelled as Swarm does', async () => {
    const created = await api('POST', '/services/create', {
      Name: SERVICE,
      TaskTemplate: {
        ContainerSpec: {
          Image: BUSYBOX_IMAGE,
          Command: ['httpd'],
          Args: ['-f', '-p', '8080'],
          Init: true,
        },
        // No wait before a replacement: the kill below need not sit out Swarm's 5 s default.
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: 3 } },
    });
    expect(created.status, created.text).toBe(201);
    serviceId = (created.json as { ID: string }).ID;

    await expect.poll(async () => (await running()).length, { timeout: 20_000 }).toBe(3);
    const live = await running();
    const containers = (await ps(nodeId)).filter((c) => c.state === 'running');
    expect(containers).toHaveLength(3);
    expect(containers.map((c) => c.taskId).sort()).toEqual(live.map((t) => t.ID).sort());
    for (const c of containers) {
      const task = live.find((t) => t.ID === c.taskId)!;
      expect(c).toMatchObject({ serviceName: SERVICE, serviceId, nodeId });
      // Swarm's name: <service>.<slot>.<task ID>.
      expect(c.name).toBe(`${SERVICE}.${task.Slot}.${task.ID}`);
    }
    expect(live.map((t) => t.Slot).sort()).toEqual([1, 2, 3]);
  });

  it('replaces a killed container: its task fails and a new container runs in its slot', async () => {
    const [victim] = (await ps(nodeId)).filter((c) => c.state === 'running');
    const before = (await running()).find((t) => t.ID === victim!.taskId)!;
    await docker('kill', victim!.id);

    await expect
      .poll(async () => (await tasks()).find((t) => t.ID === before.ID)?.Status.State, {
        timeout: 10_000,
      })
      .toBe('failed');
    await expect
      .poll(
        async () => {
          const now = await running();
          return now.length === 3 && !now.some((t) => t.ID === before.ID);
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    const replacement = (await running()).find((t) => t.Slot === before.Slot)!;
    expect(replacement.ID).not.toBe(before.ID);

    const containers = await ps(nodeId);
    const runningNow = containers.filter((c) => c.state === 'running');
    expect(runningNow).toHaveLength(3);
    expect(runningNow.map((c) => c.taskId)).toContain(replacement.ID);
    expect(runningNow.find((c) => c.taskId === replacement.ID)!.name).toBe(
      `${SERVICE}.${before.Slot}.${replacement.ID}`,
    );
    // The killed one stays, exited, as Swarm keeps a failed task's container for inspection.
    expect(containers.find((c) => c.id === victim!.id)?.state).toBe('exited');
  });

  it('removing the service removes all its containers, the killed one too', async () => {
    const removed = await api('DELETE', `/services/${serviceId}`);
    expect(removed.status, removed.text).toBe(200);
    await expect.poll(async () => (await ps(nodeId)).length, { timeout: 20_000 }).toBe(0);
    serviceId = '';
  });
});
