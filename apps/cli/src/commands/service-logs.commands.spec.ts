import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RAW_STREAM_TYPE,
  encodeFrame,
  encodeLogEntry,
  encodeLogError,
} from '../../../shoald/src/api/logs/log-frame.encoder';
import { swarmLogDetails } from '../../../shoald/src/api/logs/log-line.formatter';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import { SELF_ID, WEB_ID, WORKER_ID, nodes, tasks, webService } from '../../test/swarm.fixtures';

const T1 = 't1aaaaaaaaaaaaaaaaaaaaaaa';
const T2 = 't2aaaaaaaaaaaaaaaaaaaaaaa';
const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

/** A frame as shoald sends it to a client that asked for details. */
const entry = (
  taskId: string,
  nodeId: string,
  stream: 'stdout' | 'stderr',
  data: string,
  format = { timestamps: false, details: true },
  timestamp?: string,
) =>
  encodeLogEntry(
    {
      stream,
      data,
      ...(timestamp ? { timestamp } : {}),
      details: swarmLogDetails({ nodeId, serviceId: WEB_ID, taskId }),
    },
    format,
  );

describe('shoal service logs', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
    daemon.on('GET', '/services/web', { body: webService });
    daemon.on('GET', `/services/${WEB_ID}`, { body: webService });
    for (const n of nodes) daemon.on('GET', `/nodes/${n.ID}`, { body: n });
    for (const t of tasks) daemon.on('GET', `/tasks/${t.ID}`, { body: t });
    daemon.on('GET', '/services/nope', {
      status: 404,
      body: { message: 'service nope not found' },
    });
    daemon.on('GET', '/tasks/nope', { status: 404, body: { message: 'task nope not found' } });
    daemon.on('GET', `/services/${WEB_ID}/logs`, {
      contentType: MULTIPLEXED,
      raw: Buffer.concat([
        entry(T1, SELF_ID, 'stdout', 'hello from one\n'),
        entry(T2, WORKER_ID, 'stderr', 'oops from two\n'),
        entry(T1, SELF_ID, 'stdout', 'bye\n'),
      ]),
    });
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  it('prints each line with its task and node, stdout and stderr apart, as docker does', async () => {
    const result = await shoal('service', 'logs', 'web');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'web.1.t1aaaaaaaaaa@node1    | hello from one\nweb.1.t1aaaaaaaaaa@node1    | bye\n',
    );
    expect(result.stderr).toBe('web.2.t2aaaaaaaaaa@node10    | oops from two\n');
    // Docker's query: both streams, and the details the labels need.
    expect(daemon.requestLines()).toContain(
      `GET /v1.44/services/${WEB_ID}/logs?stdout=1&stderr=1&tail=all&details=1`,
    );
  });

  it('passes the flags on and honours --no-task-ids, --no-resolve and --no-trunc', async () => {
    const result = await shoal(
      'service',
      'logs',
      '-f',
      '-n',
      '5',
      '--since',
      '1714557600',
      '--no-task-ids',
      '--no-resolve',
      'web',
    );
    expect(result.stdout).toContain(`${WEB_ID}.1@${SELF_ID}    | hello from one\n`);
    expect(daemon.requestLines()).toContain(
      `GET /v1.44/services/${WEB_ID}/logs?stdout=1&stderr=1&follow=1&tail=5&since=1714557600&details=1`,
    );
    const full = await shoal('service', 'logs', '--no-trunc', 'web');
    expect(full.stdout).toContain(`web.1.${T1}@node1    | bye\n`);
  });

  it('--raw prints the lines as sent, without asking for details', async () => {
    daemon.on('GET', `/services/${WEB_ID}/logs`, {
      contentType: MULTIPLEXED,
      raw: Buffer.concat([encodeFrame('stdout', 'plain\n'), encodeFrame('stderr', 'err\n')]),
    });
    const result = await shoal('service', 'logs', '--raw', 'web');
    expect([result.code, result.stdout, result.stderr]).toEqual([0, 'plain\n', 'err\n']);
    expect(daemon.requestLines()).toContain(
      `GET /v1.44/services/${WEB_ID}/logs?stdout=1&stderr=1&tail=all`,
    );
  });

  it('-t puts the timestamp first', async () => {
    const format = { timestamps: true, details: true };
    daemon.on('GET', `/services/${WEB_ID}/logs`, {
      contentType: MULTIPLEXED,
      raw: entry(T1, SELF_ID, 'stdout', 'hi\n', format, '2024-05-01T10:00:00Z'),
    });
    const result = await shoal('service', 'logs', '-t', 'web');
    expect(result.stdout).toBe('2024-05-01T10:00:00.000000000Z web.1.t1aaaaaaaaaa@node1    | hi\n');
  });

  it('falls back to a task, and says when there is neither', async () => {
    daemon.on('GET', `/tasks/${T2}/logs`, {
      contentType: MULTIPLEXED,
      raw: entry(T2, WORKER_ID, 'stdout', 'task line\n'),
    });
    const task = await shoal('service', 'logs', T2);
    expect(task.stdout).toBe('web.2.t2aaaaaaaaaa@node10    | task line\n');
    const none = await shoal('service', 'logs', 'nope');
    expect([none.code, none.stderr]).toEqual([1, 'no such task or service: nope\n']);
  });

  it('prints the lines, then fails with the error the daemon ended the stream with', async () => {
    daemon.on('GET', `/services/${WEB_ID}/logs`, {
      contentType: MULTIPLEXED,
      raw: Buffer.concat([
        entry(T1, SELF_ID, 'stdout', 'still here\n'),
        encodeLogError(
          'warning: incomplete log stream. some logs could not be retrieved for the following reasons: node x is down',
        ),
      ]),
    });
    const result = await shoal('service', 'logs', 'web');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('web.1.t1aaaaaaaaaa@node1    | still here\n');
    expect(result.stderr).toBe(
      'error from daemon in stream: Error grabbing logs: warning: incomplete log stream. ' +
        'some logs could not be retrieved for the following reasons: node x is down\n',
    );
  });

  it('shows the daemon’s refusal and copies a TTY’s raw stream as is', async () => {
    daemon.on('GET', `/services/${WEB_ID}/logs`, {
      status: 400,
      body: { message: 'invalid query parameter timestamps: no' },
    });
    const refused = await shoal('service', 'logs', '-t', 'web');
    expect([refused.code, refused.stderr]).toEqual([
      1,
      'Error response from daemon: invalid query parameter timestamps: no\n',
    ]);
    daemon.on('GET', `/services/${WEB_ID}/logs`, { contentType: RAW_STREAM_TYPE, text: 'tty\r\n' });
    expect((await shoal('service', 'logs', 'web')).stdout).toBe('tty\r\n');
  });

  it('refuses a bad --tail or --since before asking the daemon', async () => {
    const tail = await shoal('service', 'logs', '--tail', 'lots', 'web');
    expect(tail.code).toBe(125);
    expect(tail.stderr).toContain('invalid --tail "lots"');
    const since = await shoal('service', 'logs', '--since', 'tomorrow', 'web');
    expect(since.code).toBe(125);
    expect(since.stderr).toContain('invalid --since "tomorrow"');
    expect(daemon.requests).toEqual([]);
  });
});
