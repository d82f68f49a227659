import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import {
  SELF_ID,
  UNLOCK_KEY,
  WORKER_TOKEN,
  info,
  lockedSwarmObject,
  swarmObject,
} from '../../test/swarm.fixtures';

/** What `swarm init` prints after a success, as docker does (with shoal's commands). */
const INIT_OUTPUT =
  `Swarm initialized: current node (${SELF_ID}) is now a manager.\n` +
  '\n' +
  'To add a worker to this swarm, run the following command:\n' +
  '\n' +
  `    shoal swarm join --token ${WORKER_TOKEN} 10.0.0.1:2377\n` +
  '\n' +
  "To add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions.\n" +
  '\n';

const UNLOCK_OUTPUT =
  'To unlock a swarm manager after it restarts, run the `shoal swarm unlock`\n' +
  'command and provide the following key:\n' +
  '\n' +
  `    ${UNLOCK_KEY}\n` +
  '\n' +
  'Remember to store this key in a password manager, since without it you\n' +
  'will not be able to restart the manager.\n';

describe('shoal swarm', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  describe('init', () => {
    beforeEach(() => {
      daemon.on('GET', '/swarm', { body: lockedSwarmObject });
      daemon.on('GET', '/info', { body: info });
    });

    it('sends docker default listen address only, and prints what to do next', async () => {
      daemon.on('POST', '/swarm/init', { body: SELF_ID });
      const result = await shoal('swarm', 'init');
      expect(result).toEqual({ code: 0, stdout: INIT_OUTPUT, stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'POST /v1.44/swarm/init',
        'GET /v1.44/swarm',
        'GET /v1.44/info',
      ]);
      expect(daemon.requests[0]?.body).toEqual({ ListenAddr: '0.0.0.0:2377' });
    });

    it('--autolock is sent in the spec and on its own, and the new key is printed', async () => {
      daemon.on('POST', '/swarm/init', { body: SELF_ID });
      daemon.on('GET', '/swarm/unlockkey', { body: { UnlockKey: UNLOCK_KEY } });
      const result = await shoal('swarm', 'init', '--autolock');
      expect(result).toEqual({ code: 0, stdout: INIT_OUTPUT + UNLOCK_OUTPUT, stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'POST /v1.44/swarm/init',
        'GET /v1.44/swarm',
        'GET /v1.44/info',
        'GET /v1.44/swarm/unlockkey',
      ]);
      expect(daemon.requests[0]?.body).toEqual({
        ListenAddr: '0.0.0.0:2377',
        Spec: { EncryptionConfig: { AutoLockManagers: true } },
        AutoLockManagers: true,
      });
    });

    it('--autolock=false is sent as given, and no key is fetched', async () => {
      daemon.on('POST', '/swarm/init', { body: SELF_ID });
      const result = await shoal('swarm', 'init', '--autolock=false');
      expect(result).toEqual({ code: 0, stdout: INIT_OUTPUT, stderr: '' });
      expect(daemon.requests[0]?.body).toEqual({
        ListenAddr: '0.0.0.0:2377',
        Spec: { EncryptionConfig: { AutoLockManagers: false } },
        AutoLockManagers: false,
      });
      expect(daemon.requestLines()).not.toContain('GET /v1.44/swarm/unlockkey');
    });

    it('a daemon without unlock keys fails the run after the init is reported', async () => {
      daemon.on('POST', '/swarm/init', { body: SELF_ID });
      daemon.on('GET', '/swarm/unlockkey', {
        status: 501,
        body: { message: 'autolock is not implemented' },
      });
      expect(await shoal('swarm', 'init', '--autolock=true')).toEqual({
        code: 1,
        stdout: INIT_OUTPUT,
        stderr:
          'could not fetch unlock key: Error response from daemon: autolock is not implemented\n',
      });
    });

    it('refuses an --autolock value that is not a boolean with exit 125', async () => {
      const result = await shoal('swarm', 'init', '--autolock=maybe');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain("option '--autolock [bool]' argument 'maybe' is invalid");
      expect(result.stderr).toContain('"maybe" is not a boolean (true or false)');
      expect(daemon.requests).toEqual([]);
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
      expect(result).toEqual({ code: 0, stdout: INIT_OUTPUT, stderr: '' });
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
      expect(daemon.requestLines()).toEqual(['POST /v1.44/swarm/init']);
    });

    it('reports a failure to read the tokens after the swarm was made', async () => {
      daemon.on('POST', '/swarm/init', { body: SELF_ID });
      daemon.on('GET', '/swarm', { status: 500, body: { message: 'raft: not leader' } });
      expect(await shoal('swarm', 'init')).toEqual({
        code: 1,
        stdout: `Swarm initialized: current node (${SELF_ID}) is now a manager.\n\n`,
        stderr: 'Error response from daemon: raft: not leader\n',
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

  describe('update --autolock', () => {
    beforeEach(() => {
      daemon.on('POST', '/swarm/update', { status: 200 });
      daemon.on('GET', '/swarm/unlockkey', { body: { UnlockKey: UNLOCK_KEY } });
    });

    it('turning it on sets the spec, then prints the new key', async () => {
      daemon.on('GET', '/swarm', { body: swarmObject });
      const result = await shoal('swarm', 'update', '--autolock=true');
      expect(result).toEqual({ code: 0, stdout: `Swarm updated.\n${UNLOCK_OUTPUT}`, stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/swarm',
        'POST /v1.44/swarm/update?version=31',
        'GET /v1.44/swarm/unlockkey',
      ]);
      expect(daemon.requests[1]?.body).toEqual({
        ...swarmObject.Spec,
        EncryptionConfig: { AutoLockManagers: true },
      });
    });

    it('when it was already on, no key is printed', async () => {
      daemon.on('GET', '/swarm', { body: lockedSwarmObject });
      const result = await shoal('swarm', 'update', '--autolock');
      expect(result).toEqual({ code: 0, stdout: 'Swarm updated.\n', stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/swarm',
        'POST /v1.44/swarm/update?version=31',
      ]);
    });

    it('--autolock=false turns it off', async () => {
      daemon.on('GET', '/swarm', { body: lockedSwarmObject });
      const result = await shoal('swarm', 'update', '--autolock=false');
      expect(result).toEqual({ code: 0, stdout: 'Swarm updated.\n', stderr: '' });
      expect(daemon.requests[1]?.body).toEqual(swarmObject.Spec);
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
