import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';

const T = '1714564800123456789'; // 2024-05-01T12:00:00.123456789Z
const serviceCreate = `{"Type":"service","Action":"create","Actor":{"ID":"svc1","Attributes":{"name":"web"}},"scope":"swarm","time":1714564800,"timeNano":${T}}`;
const taskUpdate = `{"Type":"task","Action":"update","Actor":{"ID":"tsk1","Attributes":{"state.old":"pending","state.new":"assigned","name":"web.1.tsk1","node.id":"n1"}},"scope":"swarm","time":1714564801,"timeNano":1714564801000000001}`;

/** docker's local-time stamp: the exact nanoseconds, then the zone. */
const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(\d{9})(Z|[+-]\d{2}:\d{2}) /;

describe('shoal events', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  it('prints each event as docker does: time, type, action, ID, sorted attributes', async () => {
    daemon.on('GET', '/events', {
      contentType: 'application/json',
      text: `${serviceCreate}\n${taskUpdate}\n`,
    });
    const result = await shoal('events', '--until', '1714564900');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(STAMP);
    expect(STAMP.exec(lines[0]!)![1]).toBe('123456789');
    expect(lines[0]!.replace(STAMP, '')).toBe('service create svc1 (name=web)');
    expect(lines[1]!.replace(STAMP, '')).toBe(
      'task update tsk1 (name=web.1.tsk1, node.id=n1, state.new=assigned, state.old=pending)',
    );
    expect(STAMP.exec(lines[1]!)![1]).toBe('000000001');
    expect(lines[2]).toBe('');
  });

  it('--format json prints the daemon lines unchanged, timeNano exact', async () => {
    daemon.on('GET', '/events', { text: `${serviceCreate}\n${taskUpdate}\n` });
    for (const format of ['json', '{{json .}}']) {
      const result = await shoal('events', '--format', format);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${serviceCreate}\n${taskUpdate}\n`);
    }
  });

  it('sends filters, since and until as the Engine API query', async () => {
    daemon.on('GET', '/events', { text: '' });
    const result = await runShoal(
      [
        'events',
        '-f',
        'type=service',
        '--filter',
        'type=task',
        '--filter',
        'service=web',
        '--since',
        '10m',
        '--until',
        '2024-05-01T12:00:00Z',
      ],
      { host: daemon.socketPath, now: new Date('2024-05-01T12:00:00Z') },
    );
    expect(result.code).toBe(0);
    expect(daemon.requests).toHaveLength(1);
    expect(daemon.requests[0]!.path).toBe('/v1.44/events');
    expect(daemon.requests[0]!.query).toEqual({
      since: String(Date.parse('2024-05-01T11:50:00Z') / 1000),
      until: `${Date.parse('2024-05-01T12:00:00Z') / 1000}.000000000`,
      filters: JSON.stringify({ type: ['service', 'task'], service: ['web'] }),
    });
  });

  it('a malformed filter is a usage error (125) and nothing is sent', async () => {
    const result = await shoal('events', '--filter', 'typeservice');
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('invalid filter "typeservice": expected key=value');
    expect(daemon.requests).toHaveLength(0);
  });

  it('a filter the daemon refuses is its error, exit 1', async () => {
    daemon.on('GET', '/events', {
      status: 400,
      body: { message: "invalid filter 'colour' (accepted: config, ...)" },
    });
    const result = await shoal('events', '--filter', 'colour=red');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error response from daemon: invalid filter 'colour' (accepted: config, ...)\n",
    );
  });

  it('a bad --until or --format is a usage error', async () => {
    const until = await shoal('events', '--until', 'yesterday');
    expect(until.code).toBe(125);
    expect(until.stderr).toContain('invalid --until "yesterday"');
    const format = await shoal('events', '--format', '{{.ID}}');
    expect(format.code).toBe(125);
    expect(format.stderr).toContain("option '--format <format>' argument '{{.ID}}' is invalid");
  });

  it('Ctrl-C ends a live stream with exit 0, after printing what came', async () => {
    daemon.on('GET', '/events', { text: `${serviceCreate}\n`, keepOpen: true });
    let interrupt: (() => void) | undefined;
    const result = await runShoal(['events', '--format', 'json'], {
      host: daemon.socketPath,
      ctx: {
        onInterrupt: (handler) => {
          interrupt = handler;
          // The stream is open; give its first line a moment to arrive, then press Ctrl-C.
          setTimeout(() => interrupt?.(), 200);
          return () => (interrupt = undefined);
        },
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${serviceCreate}\n`);
    expect(result.stderr).toBe('');
    expect(interrupt).toBeUndefined(); // the handler was removed
  });

  it('a daemon that breaks off a live stream is a failure', async () => {
    daemon.on('GET', '/events', { text: `${serviceCreate}\n`, keepOpen: true });
    const run = shoal('events');
    await new Promise((r) => setTimeout(r, 200));
    await daemon.stop();
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/broke off the stream/);
    daemon = await FakeDaemon.start(); // for afterEach
  });
});
