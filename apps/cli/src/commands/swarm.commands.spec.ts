import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import { SELF_ID } from '../../test/swarm.fixtures';

describe('shoal swarm', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  describe('init', () => {
    it('sends docker default listen address only, and prints the node ID', async () => {
      daemon.on('POST', '/swarm/init', { body: SELF_ID });
      const result = await shoal('swarm', 'init');
      expect(result).toEqual({
        code: 0,
        stdout: `Swarm initialized: current node (${SELF_ID}) is now a manager.\n`,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual(['POST /v1.44/swarm/init']);
      expect(daemon.requests[0]?.body).toEqual({ ListenAddr: '0.0.0.0:2377' });
    });

    it('maps every flag into the request', async () => {
      daemon.on('POST', '/swarm/init', { text: `${SELF_ID}\n` });
      const result = await shoal(
        'swarm',
        'init',
        '--advertise-addr',
        '10.0.0.1',
        '--listen-addr',
        '10.0.0.1:4567',
        '--force-new-cluster',
        '--task-history-limit',
        '10',
        '--cert-expiry',
        '720h',
        '--dispatcher-heartbeat',
        '10s',
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`(${SELF_ID})`);
      expect(daemon.requests[0]?.body).toEqual({
        ListenAddr: '10.0.0.1:4567',
        AdvertiseAddr: '10.0.0.1',
        ForceNewCluster: true,
        Spec: {
          Orchestration: { TaskHistoryRetentionLimit: 10 },
          CAConfig: { NodeCertExpiry: 2_592_000_000_000_000 },
          Dispatcher: { HeartbeatPeriod: 10_000_000_000 },
        },
      });
    });

    it('reports a daemon refusal on stderr and exits 1', async () => {
      daemon.on('POST', '/swarm/init', {
        status: 503,
        body: { message: 'This node is already part of a swarm.' },
      });
      expect(await shoal('swarm', 'init')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: This node is already part of a swarm.\n',
      });
    });

    it('refuses a bad duration with exit 125 before calling the daemon', async () => {
      const result = await shoal('swarm', 'init', '--cert-expiry', '90d');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain(
        "option '--cert-expiry <duration>' argument '90d' is invalid",
      );
      expect(result.stderr).toContain('unknown unit "d"');
      expect(result.stderr).toContain('units ns, us, ms, s, m, h');
      expect(result.stderr).toContain("See 'shoal swarm init --help'.");
      expect(daemon.requests).toEqual([]);
    });

    it('refuses a negative duration', async () => {
      const result = await shoal('swarm', 'init', '--dispatcher-heartbeat', '-5s');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain('must not be negative');
    });
  });

  it('leave, with and without --force', async () => {
    daemon.on('POST', '/swarm/leave', { status: 200 });
    expect(await shoal('swarm', 'leave')).toEqual({
      code: 0,
      stdout: 'Node left the swarm.\n',
      stderr: '',
    });
    expect((await shoal('swarm', 'leave', '-f')).code).toBe(0);
    expect(daemon.requestLines()).toEqual([
      'POST /v1.44/swarm/leave',
      'POST /v1.44/swarm/leave?force=true',
    ]);
  });

  it('update reads the swarm, then posts the modified spec at its version', async () => {
    daemon.on('GET', '/swarm', {
      body: {
        ID: 'cluster',
        Version: { Index: 31 },
        Spec: {
          Name: 'default',
          Orchestration: { TaskHistoryRetentionLimit: 5 },
          Raft: {
            SnapshotInterval: 10000,
            KeepOldSnapshots: 0,
            ElectionTick: 10,
            HeartbeatTick: 1,
          },
          Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
          CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
          EncryptionConfig: { AutoLockManagers: false },
        },
        JoinTokens: { Worker: 'SWMTKN-w', Manager: 'SWMTKN-m' },
      },
    });
    daemon.on('POST', '/swarm/update', { status: 200 });
    const result = await shoal(
      'swarm',
      'update',
      '--task-history-limit',
      '2',
      '--snapshot-interval',
      '500',
      '--dispatcher-heartbeat',
      '1m',
    );
    expect(result).toEqual({ code: 0, stdout: 'Swarm updated.\n', stderr: '' });
    expect(daemon.requestLines()).toEqual([
      'GET /v1.44/swarm',
      'POST /v1.44/swarm/update?version=31',
    ]);
    expect(daemon.requests[1]?.body).toEqual({
      Name: 'default',
      Orchestration: { TaskHistoryRetentionLimit: 2 },
      Raft: { SnapshotInterval: 500, KeepOldSnapshots: 0, ElectionTick: 10, HeartbeatTick: 1 },
      Dispatcher: { HeartbeatPeriod: 60_000_000_000 },
      CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
      EncryptionConfig: { AutoLockManagers: false },
    });
  });

  it('uses SHOAL_HOST when -H is not given', async () => {
    daemon.on('POST', '/swarm/leave', { status: 200 });
    const result = await runShoal(['swarm', 'leave'], {
      env: { SHOAL_HOST: `unix://${daemon.socketPath}` },
    });
    expect(result.code).toBe(0);
    expect(daemon.requests).toHaveLength(1);
  });

  it('names the socket when the daemon cannot be reached', async () => {
    const result = await runShoal(['swarm', 'leave'], { host: '/nonexistent/shoal.sock' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Cannot connect to the shoal daemon at unix:///nonexistent/shoal.sock: no such socket. ' +
        'Is shoald running there? Use -H or SHOAL_HOST to reach another daemon.\n',
    );
  });

  it('an invalid -H is a usage error', async () => {
    const result = await runShoal(['-H', 'http://x', 'swarm', 'leave']);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^invalid --host "http:\/\/x": unsupported scheme/);
  });
});
