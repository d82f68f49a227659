import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Swarm, SystemInfo } from '../api/swarm.types';
import type { CliInput } from '../cli.context';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import {
  MANAGER_TOKEN,
  UNLOCK_KEY,
  WORKER_TOKEN,
  info,
  lockedSwarmObject,
  swarmObject,
} from '../../test/swarm.fixtures';

const workerInfo: SystemInfo = {
  ...info,
  Swarm: { ...info.Swarm, ControlAvailable: false, RemoteManagers: null },
};
const infoInState = (LocalNodeState: NonNullable<SystemInfo['Swarm']>['LocalNodeState']) => ({
  ...info,
  Swarm: { ...info.Swarm, LocalNodeState },
});

const joinText = (role: string, token: string) =>
  `To add a ${role} to this swarm, run the following command:\n\n` +
  `    shoal swarm join --token ${token} 10.0.0.1:2377\n\n`;

const UNLOCK_TEXT =
  'To unlock a swarm manager after it restarts, run the `shoal swarm unlock`\n' +
  'command and provide the following key:\n\n' +
  `    ${UNLOCK_KEY}\n\n` +
  'Remember to store this key in a password manager, since without it you\n' +
  'will not be able to restart the manager.\n';

describe('shoal swarm join, join-token, unlock, unlock-key', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  describe('join', () => {
    beforeEach(() => {
      daemon.on('POST', '/swarm/join', { status: 200 });
    });

    it('sends the token and manager with docker default listen address, as a worker', async () => {
      daemon.on('GET', '/info', { body: workerInfo });
      const result = await shoal('swarm', 'join', '--token', WORKER_TOKEN, '10.0.0.1:2377');
      expect(result).toEqual({
        code: 0,
        stdout: 'This node joined a swarm as a worker.\n',
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual(['POST /v1.44/swarm/join', 'GET /v1.44/info']);
      expect(daemon.requests[0]?.body).toEqual({
        ListenAddr: '0.0.0.0:2377',
        RemoteAddrs: ['10.0.0.1:2377'],
        JoinToken: WORKER_TOKEN,
      });
    });

    it('maps every flag, and says manager when the daemon has control', async () => {
      daemon.on('GET', '/info', { body: info });
      const result = await shoal(
        'swarm',
        'join',
        '--advertise-addr',
        '10.0.0.3',
        '--listen-addr',
        '10.0.0.3:4567',
        '--availability',
        'drain',
        '--token',
        MANAGER_TOKEN,
        'node1.example:2377',
      );
      expect(result).toEqual({
        code: 0,
        stdout: 'This node joined a swarm as a manager.\n',
        stderr: '',
      });
      expect(daemon.requests[0]?.body).toEqual({
        ListenAddr: '10.0.0.3:4567',
        AdvertiseAddr: '10.0.0.3',
        RemoteAddrs: ['node1.example:2377'],
        JoinToken: MANAGER_TOKEN,
        Availability: 'drain',
      });
    });

    it('reports a refused token and does not ask for the role', async () => {
      daemon.on('POST', '/swarm/join', {
        status: 400,
        body: { message: 'invalid join token' },
      });
      expect(await shoal('swarm', 'join', '--token', 'SWMTKN-1-x-y', '10.0.0.1:2377')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: invalid join token\n',
      });
      expect(daemon.requestLines()).toEqual(['POST /v1.44/swarm/join']);
    });

    it.each([
      [['10.0.0.1:2377'], "error: required option '--token <token>' not specified"],
      [['--token', 'T'], "error: missing required argument 'host:port'"],
      [['--token', 'T', 'a:1', 'b:2'], 'error: too many arguments'],
      [
        ['--token', 'T', '--availability', 'off', 'a:1'],
        "option '--availability <availability>' argument 'off' is invalid",
      ],
    ])('%j is a usage error: exit 125, nothing sent', async (args, message) => {
      const result = await shoal('swarm', 'join', ...args);
      expect(result.code).toBe(125);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("See 'shoal swarm join --help'.");
      expect(daemon.requests).toEqual([]);
    });
  });

  describe('join-token', () => {
    beforeEach(() => {
      daemon.on('GET', '/info', { body: info });
      daemon.on('GET', '/swarm', { body: swarmObject });
      daemon.on('POST', '/swarm/update', { status: 200 });
    });

    it.each([
      ['worker', WORKER_TOKEN],
      ['manager', MANAGER_TOKEN],
    ])('%s prints the join command, addressed to this manager', async (role, token) => {
      expect(await shoal('swarm', 'join-token', role)).toEqual({
        code: 0,
        stdout: joinText(role, token),
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual(['GET /v1.44/swarm', 'GET /v1.44/info']);
    });

    it('-q prints the token only', async () => {
      expect(await shoal('swarm', 'join-token', '-q', 'manager')).toEqual({
        code: 0,
        stdout: `${MANAGER_TOKEN}\n`,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual(['GET /v1.44/swarm']);
    });

    it('--rotate sends the spec back with the rotation flag, then reads the new token', async () => {
      let reads = 0;
      daemon.on('GET', '/swarm', () => {
        reads++;
        const rotated: Swarm = {
          ...swarmObject,
          Version: { Index: 32 },
          JoinTokens: { ...swarmObject.JoinTokens, Worker: 'SWMTKN-1-new' },
        };
        return { body: reads === 1 ? swarmObject : rotated };
      });
      const result = await shoal('swarm', 'join-token', '--rotate', 'worker');
      expect(result).toEqual({
        code: 0,
        stdout: `Successfully rotated worker join token.\n\n${joinText('worker', 'SWMTKN-1-new')}`,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/swarm',
        'POST /v1.44/swarm/update?version=31&rotateWorkerToken=true',
        'GET /v1.44/swarm',
        'GET /v1.44/info',
      ]);
      expect(daemon.requests[1]?.body).toEqual(swarmObject.Spec);
    });

    it('--rotate -q rotates the manager token quietly', async () => {
      const result = await shoal('swarm', 'join-token', '--rotate', '-q', 'manager');
      expect(result).toEqual({ code: 0, stdout: `${MANAGER_TOKEN}\n`, stderr: '' });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/swarm',
        'POST /v1.44/swarm/update?version=31&rotateManagerToken=true',
        'GET /v1.44/swarm',
      ]);
    });

    it('a refused rotation stops before anything is printed', async () => {
      daemon.on('POST', '/swarm/update', {
        status: 409,
        body: { message: 'update out of sequence' },
      });
      expect(await shoal('swarm', 'join-token', '--rotate', 'worker')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: update out of sequence\n',
      });
    });

    it('a worker node cannot show tokens: the daemon says why', async () => {
      daemon.on('GET', '/swarm', {
        status: 503,
        body: { message: 'This node is not a swarm manager.' },
      });
      expect(await shoal('swarm', 'join-token', 'worker')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: This node is not a swarm manager.\n',
      });
    });

    it('an unknown role is a usage error, with docker words', async () => {
      const result = await shoal('swarm', 'join-token', 'boss');
      expect(result.code).toBe(125);
      expect(result.stderr).toContain('unknown role boss');
      expect(result.stderr).toContain("See 'shoal swarm join-token --help'.");
      expect(daemon.requests).toEqual([]);
    });
  });

  describe('unlock', () => {
    const unlock = (stdin: string | CliInput) =>
      runShoal(['swarm', 'unlock'], { host: daemon.socketPath, stdin });

    beforeEach(() => {
      daemon.on('GET', '/info', { body: infoInState('locked') });
      daemon.on('POST', '/swarm/unlock', { status: 200 });
    });

    it('sends the first piped line, trimmed, and prints nothing', async () => {
      expect(await unlock(`  ${UNLOCK_KEY}  \nnot this\n`)).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual(['GET /v1.44/info', 'POST /v1.44/swarm/unlock']);
      expect(daemon.requests[1]?.body).toEqual({ UnlockKey: UNLOCK_KEY });
    });

    it('takes a key piped without a newline', async () => {
      expect((await unlock(UNLOCK_KEY)).code).toBe(0);
      expect(daemon.requests[1]?.body).toEqual({ UnlockKey: UNLOCK_KEY });
    });

    it('prompts on a terminal and reads the key without echo', async () => {
      const terminal = Object.assign(new PassThrough(), {
        isTTY: true,
        setRawMode: vi.fn(),
      });
      terminal.write(`${UNLOCK_KEY}x\u007f\r`);
      expect(await unlock(terminal)).toEqual({
        code: 0,
        stdout: 'Please enter unlock key: \n',
        stderr: '',
      });
      expect(terminal.setRawMode.mock.calls).toEqual([[true], [false]]);
      expect(daemon.requests[1]?.body).toEqual({ UnlockKey: UNLOCK_KEY });
    });

    it('reports the daemon refusal (a wrong key, or 501 until autolock lands)', async () => {
      daemon.on('POST', '/swarm/unlock', {
        status: 501,
        body: { message: 'swarm unlock is not implemented' },
      });
      expect(await unlock(`${UNLOCK_KEY}\n`)).toEqual({
        code: 1,
        stdout: '',
        stderr: 'Error response from daemon: swarm unlock is not implemented\n',
      });
      expect(daemon.requests[1]?.body).toEqual({ UnlockKey: UNLOCK_KEY });
    });

    it.each([
      ['active', 'Error: swarm is not locked'],
      ['pending', 'Error: swarm is not locked'],
      ['inactive', 'Error: This node is not part of a swarm'],
    ] as const)('a node that is %s is refused before the key is read', async (state, message) => {
      daemon.on('GET', '/info', { body: infoInState(state) });
      expect(await unlock(`${UNLOCK_KEY}\n`)).toEqual({
        code: 1,
        stdout: '',
        stderr: `${message}\n`,
      });
      expect(daemon.requestLines()).toEqual(['GET /v1.44/info']);
    });

    it('takes no arguments', async () => {
      const result = await shoal('swarm', 'unlock', UNLOCK_KEY);
      expect(result.code).toBe(125);
      expect(result.stderr).toContain('too many arguments');
      expect(daemon.requests).toEqual([]);
    });
  });

  describe('unlock-key', () => {
    beforeEach(() => {
      daemon.on('GET', '/swarm', { body: lockedSwarmObject });
      daemon.on('GET', '/swarm/unlockkey', { body: { UnlockKey: UNLOCK_KEY } });
      daemon.on('POST', '/swarm/update', { status: 200 });
    });

    it('prints the key with docker instructions', async () => {
      expect(await shoal('swarm', 'unlock-key')).toEqual({
        code: 0,
        stdout: UNLOCK_TEXT,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual(['GET /v1.44/swarm/unlockkey']);
    });

    it('-q prints the key only', async () => {
      expect((await shoal('swarm', 'unlock-key', '-q')).stdout).toBe(`${UNLOCK_KEY}\n`);
    });

    it('--rotate sends the spec back with rotateManagerUnlockKey, then reads the key', async () => {
      expect(await shoal('swarm', 'unlock-key', '--rotate')).toEqual({
        code: 0,
        stdout: `Successfully rotated manager unlock key.\n\n${UNLOCK_TEXT}`,
        stderr: '',
      });
      expect(daemon.requestLines()).toEqual([
        'GET /v1.44/swarm',
        'POST /v1.44/swarm/update?version=31&rotateManagerUnlockKey=true',
        'GET /v1.44/swarm/unlockkey',
      ]);
      expect(daemon.requests[1]?.body).toEqual(lockedSwarmObject.Spec);
    });

    it('--rotate -q prints only the new key', async () => {
      expect((await shoal('swarm', 'unlock-key', '--rotate', '-q')).stdout).toBe(`${UNLOCK_KEY}\n`);
    });

    it('--rotate without autolock is refused before any update', async () => {
      daemon.on('GET', '/swarm', { body: swarmObject });
      expect(await shoal('swarm', 'unlock-key', '--rotate')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'cannot rotate because autolock is not turned on\n',
      });
      expect(daemon.requestLines()).toEqual(['GET /v1.44/swarm']);
    });

    it('an empty key means autolock is off', async () => {
      daemon.on('GET', '/swarm/unlockkey', { body: { UnlockKey: '' } });
      expect(await shoal('swarm', 'unlock-key')).toEqual({
        code: 1,
        stdout: '',
        stderr: 'no unlock key is set\n',
      });
    });

    it('wraps a daemon refusal the way docker does', async () => {
      daemon.on('GET', '/swarm/unlockkey', {
        status: 501,
        body: { message: 'autolock is not implemented' },
      });
      expect(await shoal('swarm', 'unlock-key')).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'could not fetch unlock key: Error response from daemon: autolock is not implemented\n',
      });
    });
  });
});
