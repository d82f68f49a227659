import { UnavailableError } from '@shoal/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type StoredNode } from '../../control/stored.types';
import { addNode, addTask, serviceBody } from '../../control/testing/control.fixtures';
import { type ApiHarness, startApi } from '../testing/api-test.harness';
import { type MemoryLogSubscription } from '../testing/memory-runtime';
import { type LogFrame, LogFrameDecoder } from './log-frame.decoder';
import { MULTIPLEXED_STREAM_TYPE, RAW_STREAM_TYPE } from './log-frame.encoder';

let api: ApiHarness;
afterEach(async () => {
  const errors = api.errors;
  await api.close();
  expect(errors, 'internal errors logged').toEqual([]);
});

const text = (f: LogFrame) => `${f.stream}:${f.payload.toString('utf8')}`;

/** A service `web` with a running task on this node, an old one on w2, and a pending one. */
async function withService(extra: Parameters<typeof serviceBody>[1] = {}): Promise<{
  serviceId: string;
  nodeId: string;
}> {
  api = await startApi();
  const created = await api.request('POST', '/services/create', serviceBody('web', extra));
  const serviceId = (created.body as { ID: string }).ID;
  const manager = api.runtime.manager();
  const nodeId = api.runtime.nodeId()!;
  await addNode(manager, { ID: 'w2' });
  await addTask(manager, { ID: 'task1', ServiceID: serviceId, NodeID: nodeId, Slot: 1 });
  await addTask(manager, { ID: 'task0', ServiceID: serviceId, NodeID: 'w2', Slot: 1 }, 'failed');
  await addTask(manager, { ID: 'task2', ServiceID: serviceId, Slot: 2 }, 'pending');
  return { serviceId, nodeId };
}

/** Plays the broker: each subscription gets `play` as soon as it opens. */
function broker(play: (sub: MemoryLogSubscription) => void): MemoryLogSubscription[] {
  const manager = api.runtime.manager();
  manager.onLogSubscription = play;
  return manager.logSubscriptions;
}

async function frames(res: Response): Promise<LogFrame[]> {
  const decoder = new LogFrameDecoder();
  const out = decoder.push(new Uint8Array(await res.arrayBuffer()));
  decoder.end();
  return out;
}

describe('GET /services/{id}/logs and /tasks/{id}/logs: refusals before the stream', () => {
  it('404s for an unknown service or task, as Docker words it', async () => {
    await withService();
    const service = await api.request('GET', '/v1.44/services/nope/logs?stdout=1');
    expect([service.status, service.body]).toEqual([404, { message: 'service nope not found' }]);
    const task = await api.request('GET', '/v1.44/tasks/nope/logs?stdout=1');
    expect([task.status, task.body]).toEqual([404, { message: 'task nope not found' }]);
    expect(api.runtime.manager().logSubscriptions).toEqual([]);
  });

  it.each([
    ['stdout=1&tail=ten', /tail: expected "all" or a non-negative integer.*"ten"/],
    ['stdout=1&follow=maybe', /invalid query parameter follow: expected a boolean/],
    ['stdout=1&since=yesterday', /since/],
    ['', /you must choose at least one stream/],
  ])('400s for a bad query (%s), naming the parameter', async (query, message) => {
    await withService();
    const res = await api.request('GET', `/v1.44/services/web/logs?${query}`);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(message);
  });

  it('400s for timestamps or since when every node of the tasks runs the process executor', async () => {
    await withService();
    const manager = api.runtime.manager();
    await manager.store.update((tx) => {
      for (const node of tx.list<StoredNode>('node')) {
        tx.update<StoredNode>('node', {
          ...node,
          Description: {
            ...node.Description,
            Engine: { Labels: { 'shoal.executor': 'process' } },
          },
        });
      }
    });
    const res = await api.request('GET', '/v1.44/services/web/logs?stdout=1&timestamps=1&since=5');
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toMatch(
      /^invalid query parameter timestamps and since: .*process executor.*accepts follow, tail, stdout, stderr and details$/,
    );
    // Without them the same tasks stream.
    broker((sub) => sub.sink.end());
    expect((await api.request('GET', '/v1.44/services/web/logs?stdout=1&tail=1')).status).toBe(200);
  });

  it('503s, with nothing streamed, when no leader takes the subscription', async () => {
    await withService();
    api.runtime.manager().logsRefusal = new UnavailableError('no leader is elected at the moment');
    const res = await api.request('GET', '/v1.44/services/web/logs?stdout=1');
    expect([res.status, res.body]).toEqual([
      503,
      { message: 'no leader is elected at the moment' },
    ]);
  });
});

describe('GET /services/{id}/logs and /tasks/{id}/logs: the stream', () => {
  it('streams the lines of every started task with a node, with the swarm details, then why some are missing', async () => {
    const { serviceId, nodeId } = await withService();
    const subs = broker(({ req, sink }) => {
      for (const t of req.tasks) {
        sink.line({
          taskId: t.taskId,
          nodeId: t.nodeId,
          stream: 'stdout',
          data: Buffer.from(`out ${t.taskId}\n`),
        });
        sink.line({
          taskId: t.taskId,
          nodeId: t.nodeId,
          stream: 'stderr',
          data: Buffer.from(`err ${t.taskId}\n`),
        });
      }
      sink.warning('node w2: task task0: it is gone');
      sink.end();
    });
    const res = await fetch(
      `${api.url}/v1.44/services/web/logs?stdout=1&stderr=1&details=1&tail=5`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(MULTIPLEXED_STREAM_TYPE);
    const details = (task: string, node: string) =>
      `com.docker.swarm.node.id=${node},com.docker.swarm.service.id=${serviceId},com.docker.swarm.task.id=${task}`;
    expect((await frames(res)).map(text)).toEqual([
      `stdout:${details('task0', 'w2')} out task0\n`,
      `stderr:${details('task0', 'w2')} err task0\n`,
      `stdout:${details('task1', nodeId)} out task1\n`,
      `stderr:${details('task1', nodeId)} err task1\n`,
      'systemerr:Error grabbing logs: warning: incomplete log stream. some logs could not be ' +
        'retrieved for the following reasons: node w2: task task0: it is gone\n',
    ]);
    // The pending task is left out: it never ran, so it has no output.
    expect(subs.map((s) => s.req)).toEqual([
      {
        tasks: [
          { taskId: 'task0', nodeId: 'w2' },
          { taskId: 'task1', nodeId },
        ],
        follow: false,
        tail: 5,
        timestamps: false,
      },
    ]);
  });

  it('leaves out the stream not asked for, and prefixes nothing without details', async () => {
    await withService();
    broker(({ req, sink }) => {
      const t = req.tasks[0]!;
      sink.line({ taskId: t.taskId, nodeId: t.nodeId, stream: 'stdout', data: Buffer.from('o\n') });
      sink.line({ taskId: t.taskId, nodeId: t.nodeId, stream: 'stderr', data: Buffer.from('e\n') });
      sink.end();
    });
    const res = await fetch(`${api.url}/v1.44/tasks/task1/logs?stderr=1`);
    expect((await frames(res)).map(text)).toEqual(['stderr:e\n']);
  });

  it('names a raw stream for clients before API 1.42, and for a TTY sends no frame headers', async () => {
    await withService();
    broker(({ req, sink }) => {
      const t = req.tasks[0]!;
      sink.line({ taskId: t.taskId, nodeId: t.nodeId, stream: 'stdout', data: Buffer.from('o\n') });
      sink.end();
    });
    const old = await fetch(`${api.url}/v1.41/tasks/task1/logs?stdout=1`);
    expect(old.headers.get('content-type')).toBe(RAW_STREAM_TYPE);
    expect((await frames(old)).map(text)).toEqual(['stdout:o\n']);

    await api.request('POST', '/services/create', {
      Name: 'console',
      TaskTemplate: { ContainerSpec: { Image: 'alpine', TTY: true } },
    });
    const consoleId = ((await api.request('GET', '/services/console')).body as { ID: string }).ID;
    await addTask(api.runtime.manager(), {
      ID: 'tty1',
      ServiceID: consoleId,
      NodeID: api.runtime.nodeId()!,
    });
    const tty = await fetch(`${api.url}/v1.44/services/console/logs?stdout=1`);
    expect(tty.headers.get('content-type')).toBe(RAW_STREAM_TYPE);
    expect(await tty.text()).toBe('o\n');
  });

  it('ends at once, empty, when no task has any output to give', async () => {
    api = await startApi();
    await api.request('POST', '/services/create', serviceBody('idle'));
    const res = await fetch(`${api.url}/v1.44/services/idle/logs?stdout=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(api.runtime.manager().logSubscriptions).toEqual([]);
  });

  it('follows until the client goes away, which cancels the subscription', async () => {
    await withService();
    const subs = broker(() => undefined);
    const abort = new AbortController();
    const res = await fetch(`${api.url}/v1.44/services/web/logs?stdout=1&follow=1`, {
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(subs).toHaveLength(1);
    const sub = subs[0]!;
    // Following, the pending task is asked for too and reported as not scheduled.
    expect(sub.req.follow).toBe(true);
    const reader = res.body!.getReader();
    const decoder = new LogFrameDecoder();
    sub.sink.line({
      taskId: 'task1',
      nodeId: api.runtime.nodeId()!,
      stream: 'stdout',
      data: Buffer.from('later\n'),
    });
    const got: LogFrame[] = [];
    while (got.length === 0) got.push(...decoder.push((await reader.read()).value!));
    expect(got.map(text)).toEqual(['stdout:later\n']);
    expect(sub.cancelled).toBe(false);
    abort.abort();
    await expect.poll(() => sub.cancelled).toBe(true);
  });

  it('reports a task that has no node yet when following, once the stream ends', async () => {
    await withService();
    broker(({ sink }) => sink.end());
    const res = await fetch(`${api.url}/v1.44/tasks/task2/logs?stdout=1&follow=1`);
    expect((await frames(res)).map(text)).toEqual([
      'systemerr:Error grabbing logs: warning: incomplete log stream. some logs could not be ' +
        'retrieved for the following reasons: task task2 has not been scheduled\n',
    ]);
  });
});
