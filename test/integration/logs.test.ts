import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogFrame, LogFrameDecoder } from '../../apps/shoald/src/api/logs/log-frame.decoder';
import { SHOAL_MAIN, ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

/**
 * Issue 5's logs end to end: GET /services/{id}/logs and /tasks/{id}/logs from the agents
 * through the leader's broker (and from a follower through the leader), read raw, with the
 * stock docker CLIs and with shoal's. Tasks are host processes (the process executor).
 */

const DOCKER_CLIS = ['/usr/local/bin/docker', '/usr/bin/docker'].filter((p) => existsSync(p));

const api = (d: ShoaldProcess, method: string, p: string, body?: unknown) =>
  unixRequest(d.socket, method, `/v1.44${p}`, body);

interface TaskView {
  ID: string;
  NodeID?: string;
  Slot?: number;
  Status: { State: string };
}

const text = (f: LogFrame) => f.payload.toString('utf8');
const streamNo = (f: LogFrame) => ({ stdout: 1, stderr: 2, systemerr: 3, stdin: 0 })[f.stream];

/** A logs response read as it arrives; `done` settles when the daemon ends it. */
interface LogStream {
  status: number;
  contentType: string;
  frames: LogFrame[];
  done: Promise<void>;
  abort(): void;
}

function openLogs(d: ShoaldProcess, p: string): Promise<LogStream> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method: 'GET', path: `/v1.44${p}` }, (res) => {
      const decoder = new LogFrameDecoder();
      const frames: LogFrame[] = [];
      let body = '';
      const done = new Promise<void>((ok, fail) => {
        res.on('data', (c: Buffer) => {
          if (res.statusCode === 200) frames.push(...decoder.push(c));
          else body += c.toString();
        });
        res.on('end', () => ok());
        res.on('error', fail);
        res.on('aborted', () => ok());
      });
      resolve({
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type']),
        frames,
        done: done.then(() => {
          if (res.statusCode !== 200) frames.push({ stream: 'stdin', payload: Buffer.from(body) });
        }),
        abort: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The whole response of a non-follow request, and how long it took. */
async function readLogs(d: ShoaldProcess, p: string) {
  const started = Date.now();
  const s = await openLogs(d, p);
  await s.done;
  return { ...s, ms: Date.now() - started };
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(bin, args, { env, timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
        stdout: String(stdout),
        stderr: String(stderr),
      }),
    );
  });
}

/** Each task prints a line to each stream, then one more line once `trigger` exists. */
const chattyCommand = (trigger: string) => [
  'sh',
  '-c',
  `echo hello-$$; echo err-$$ >&2; while [ ! -e '${trigger}' ]; do sleep 0.1; done; echo later-$$; sleep 3600`,
];

/** Polls `read` until `done` holds of its value (expect.poll is for tests, not hooks). */
async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runningTasks(d: ShoaldProcess, serviceId: string): Promise<TaskView[]> {
  const filters = encodeURIComponent(JSON.stringify({ service: [serviceId] }));
  const all = (await api(d, 'GET', `/tasks?filters=${filters}`)).json as TaskView[];
  return all.filter((t) => t.Status.State === 'running');
}

describe('service and task logs on one shoald', () => {
  let daemon: ShoaldProcess;
  let serviceId = '';
  let trigger = '';
  let tasks: TaskView[] = [];
  const logsPath = () => `/services/${serviceId}/logs`;

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoal-logs-');
    await daemon.start();
    expect((await api(daemon, 'POST', '/swarm/init', {})).status).toBe(200);
    trigger = path.join(daemon.dir!, 'trigger');
    const created = await api(daemon, 'POST', '/services/create', {
      Name: 'hello',
      TaskTemplate: { ContainerSpec: { Image: 'busybox:local', Command: chattyCommand(trigger) } },
      Mode: { Replicated: { Replicas: 2 } },
    });
    expect(created.status).toBe(201);
    serviceId = (created.json as { ID: string }).ID;
    tasks = await waitFor(
      'two running tasks',
      () => runningTasks(daemon, serviceId),
      (t) => t.length === 2,
    );
    await waitFor(
      'both lines of both tasks',
      () => readLogs(daemon, `${logsPath()}?stdout=1&stderr=1`),
      (r) => r.frames.length === 4,
    );
  }, 60_000);

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('a non-follow request ends by itself, with both tasks’ lines on streams 1 and 2 and the swarm details', async () => {
    const res = await readLogs(daemon, `${logsPath()}?stdout=1&stderr=1&details=1`);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/vnd.docker.multiplexed-stream');
    const lines = res.frames.map((f) => `${streamNo(f)} ${text(f)}`).sort();
    expect(lines).toHaveLength(4);
    for (const t of tasks) {
      const details =
        `com.docker.swarm.node.id=${t.NodeID},com.docker.swarm.service.id=${serviceId},` +
        `com.docker.swarm.task.id=${t.ID}`;
      expect(lines.filter((l) => l.startsWith(`1 ${details} hello-`))).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith(`2 ${details} err-`))).toHaveLength(1);
    }
  });

  it('tail=1 gives each task’s last line only', async () => {
    const res = await readLogs(daemon, `${logsPath()}?stdout=1&stderr=1&tail=1`);
    expect(res.frames.map((f) => `${f.stream} ${text(f).replace(/\d+/, 'N')}`)).toEqual([
      'stderr err-N\n',
      'stderr err-N\n',
    ]);
  });

  it('GET /tasks/{id}/logs gives that task’s lines alone', async () => {
    const res = await readLogs(daemon, `/tasks/${tasks[0]!.ID}/logs?stdout=1&stderr=1`);
    expect(res.status).toBe(200);
    const pid = /hello-(\d+)/.exec(res.frames.map(text).join(''))?.[1];
    expect(res.frames.map(text)).toEqual([`hello-${pid}\n`, `err-${pid}\n`]);
  });

  it('refuses timestamps with a clear 400 (the process executor keeps no line times), and 404s an unknown service', async () => {
    const ts = await api(daemon, 'GET', `${logsPath()}?stdout=1&timestamps=1`);
    expect(ts.status).toBe(400);
    expect((ts.json as { message: string }).message).toMatch(
      /^invalid query parameter timestamps: .*process executor.*cannot honour timestamps/,
    );
    const missing = await api(daemon, 'GET', '/services/nope/logs?stdout=1');
    expect([missing.status, missing.json]).toEqual([404, { message: 'service nope not found' }]);
  });

  it('the stock docker CLIs print the lines as `docker service logs` does', async () => {
    expect(DOCKER_CLIS, 'no docker CLI installed').not.toHaveLength(0);
    const config = path.join(daemon.dir!, 'docker-config');
    await mkdir(config, { recursive: true });
    const env = { PATH: process.env.PATH, HOME: daemon.dir, DOCKER_CONFIG: config };
    for (const bin of DOCKER_CLIS) {
      const r = await run(bin, ['-H', `unix://${daemon.socket}`, 'service', 'logs', 'hello'], env);
      expect(r.code, `${bin}: ${r.stderr}`).toBe(0);
      const out = r.stdout.trimEnd().split('\n').sort();
      const err = r.stderr.trimEnd().split('\n').sort();
      expect(out, bin).toHaveLength(2);
      for (const line of out)
        expect(line).toMatch(/^hello\.[12]\.[0-9a-z]{12}@\S+ {4}\| hello-\d+$/);
      for (const line of err) expect(line).toMatch(/^hello\.[12]\.[0-9a-z]{12}@\S+ {4}\| err-\d+$/);
    }
  }, 60_000);

  it('shoal service logs prints the same', async () => {
    const r = await run(
      process.execPath,
      [SHOAL_MAIN, '-H', `unix://${daemon.socket}`, 'service', 'logs', '--no-trunc', 'hello'],
      { PATH: process.env.PATH },
    );
    expect(r.code, r.stderr).toBe(0);
    const ids = tasks.map((t) => t.ID).join('|');
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(2);
    for (const line of out) {
      expect(line).toMatch(new RegExp(`^hello\\.[12]\\.(${ids})@\\S+ {4}\\| hello-\\d+$`));
    }
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(2);
  });

  it('follow: a line written later arrives; the stream lasts until the client goes away', async () => {
    const s = await openLogs(daemon, `${logsPath()}?stdout=1&follow=1`);
    expect(s.status).toBe(200);
    await expect.poll(() => s.frames.length, { timeout: 10_000 }).toBe(2);
    await writeFile(trigger, '');
    await expect
      .poll(() => s.frames.map(text).filter((t) => t.startsWith('later-')).length, {
        timeout: 10_000,
      })
      .toBe(2);
    let ended = false;
    void s.done.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(ended).toBe(false);
    s.abort();
    await s.done;
    // The daemon is none the worse for the client leaving mid-stream.
    expect((await readLogs(daemon, `${logsPath()}?stdout=1`)).frames).toHaveLength(4);
  }, 30_000);
});

describe('logs across nodes: a leader, a follower manager and a worker that dies', () => {
  let leader: ShoaldProcess;
  let follower: ShoaldProcess;
  let worker: ShoaldProcess;
  let taskId = '';
  let workerId = '';

  beforeAll(async () => {
    leader = await ShoaldProcess.inTempDir('shoal-logs-m1-');
    follower = await ShoaldProcess.inTempDir('shoal-logs-m2-');
    worker = await ShoaldProcess.inTempDir('shoal-logs-w-');
    await Promise.all([leader, follower, worker].map((d) => d.start()));
    expect((await api(leader, 'POST', '/swarm/init', {})).status).toBe(200);
    const tokens = (
      (await api(leader, 'GET', '/swarm')).json as {
        JoinTokens: { Worker: string; Manager: string };
      }
    ).JoinTokens;
    const join = (d: ShoaldProcess, token: string) =>
      api(d, 'POST', '/swarm/join', {
        ListenAddr: '0.0.0.0:2377',
        AdvertiseAddr: '',
        RemoteAddrs: [leader.o.listenAddr],
        JoinToken: token,
      });
    expect((await join(follower, tokens.Manager)).status).toBe(200);
    expect((await join(worker, tokens.Worker)).status).toBe(200);
    workerId = ((await api(worker, 'GET', '/info')).json as { Swarm: { NodeID: string } }).Swarm
      .NodeID;
    // Both managers drained, so the one task can only go to the worker.
    for (const d of [leader, follower]) {
      const id = ((await api(d, 'GET', '/info')).json as { Swarm: { NodeID: string } }).Swarm
        .NodeID;
      const node = (await api(leader, 'GET', `/nodes/${id}`)).json as {
        Version: { Index: number };
        Spec: Record<string, unknown>;
      };
      const drained = await api(
        leader,
        'POST',
        `/nodes/${id}/update?version=${node.Version.Index}`,
        {
          ...node.Spec,
          Availability: 'drain',
        },
      );
      expect(drained.status).toBe(200);
    }
    const created = await api(leader, 'POST', '/services/create', {
      Name: 'remote',
      TaskTemplate: {
        ContainerSpec: {
          Image: 'busybox:local',
          Command: ['sh', '-c', 'echo remote-$$; sleep 3600'],
        },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    expect(created.status).toBe(201);
    const serviceId = (created.json as { ID: string }).ID;
    const [task] = await waitFor(
      'the task running on the worker',
      () => runningTasks(leader, serviceId),
      (t) => t.length === 1,
    );
    expect(task!.NodeID).toBe(workerId);
    taskId = task!.ID;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([leader, follower, worker].map((d) => d?.dispose()));
  });

  it('reads a worker’s task through the leader, and through a follower manager', async () => {
    const followerId = ((await api(follower, 'GET', '/info')).json as { Swarm: { NodeID: string } })
      .Swarm.NodeID;
    const status = (await api(leader, 'GET', `/nodes/${followerId}`)).json as {
      ManagerStatus?: { Leader?: boolean };
    };
    expect(status.ManagerStatus?.Leader).toBeFalsy();
    for (const d of [leader, follower]) {
      await expect
        .poll(async () => (await readLogs(d, `/services/remote/logs?stdout=1`)).frames.map(text), {
          timeout: 10_000,
        })
        .toEqual([expect.stringMatching(/^remote-\d+\n$/)]);
    }
  }, 30_000);

  it('a follow request ends, with the reason, when the worker is killed; later requests answer at once', async () => {
    const followed = await openLogs(follower, `/tasks/${taskId}/logs?stdout=1&follow=1`);
    await expect.poll(() => followed.frames.length, { timeout: 10_000 }).toBe(1);
    const killedAt = Date.now();
    await worker.kill9();

    await followed.done;
    const endedAfterMs = Date.now() - killedAt;
    expect(endedAfterMs).toBeLessThan(10_000);
    const last = followed.frames.at(-1)!;
    expect(last.stream).toBe('systemerr');
    expect(text(last)).toMatch(
      new RegExp(
        `^Error grabbing logs: warning: incomplete log stream\\. .*node ${workerId} (disconnected|is down or not connected)`,
      ),
    );

    // Right after, and once the node is marked down, a request for its task returns promptly.
    for (const d of [leader, follower]) {
      const res = await readLogs(d, `/tasks/${taskId}/logs?stdout=1&stderr=1`);
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(5_000);
      expect(res.frames.map((f) => `${f.stream} ${text(f)}`)).toEqual([
        `systemerr Error grabbing logs: warning: incomplete log stream. some logs could not be ` +
          `retrieved for the following reasons: node ${workerId} is down or not connected: ` +
          `logs of its tasks (${taskId}) are unavailable\n`,
      ]);
    }
    console.log(JSON.stringify({ followEndedAfterMs: endedAfterMs }));
  }, 30_000);
});
