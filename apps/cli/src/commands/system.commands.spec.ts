import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon, runShoal } from '../../test/fake-daemon';
import { SELF_ID, info } from '../../test/swarm.fixtures';

describe('shoal info and version', () => {
  let daemon: FakeDaemon;
  beforeEach(async () => {
    daemon = await FakeDaemon.start();
  });
  afterEach(() => daemon.stop());
  const shoal = (...args: string[]) => runShoal(args, { host: daemon.socketPath });

  it('info prints the swarm section of a manager', async () => {
    daemon.on('GET', '/info', { body: info });
    const result = await shoal('info');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'Server:',
        ' Name: node1',
        ' Server Version: 0.1.0',
        ' Swarm: active',
        `  NodeID: ${SELF_ID}`,
        '  Is Manager: true',
        '  ClusterID: q3ryjlqa5ocbwbuy5c1x9cw4c',
        '  Managers: 2',
        '  Nodes: 3',
        '  Data Path Port: 4789',
        '  Orchestration:',
        '   Task History Retention Limit: 5',
        '  Raft:',
        '   Snapshot Interval: 10000',
        '  Dispatcher:',
        '   Heartbeat Period: 5s',
        '  CA Configuration:',
        '   Expiry Duration: 2160h0m0s',
        '  Node Address: 10.0.0.1',
        '  Manager Addresses:',
        '   10.0.0.1:2377',
        '   10.0.0.2:2377',
        '',
      ].join('\n'),
    );
    expect(daemon.requestLines()).toEqual(['GET /v1.44/info']);
  });

  it('info on a node outside any swarm says inactive', async () => {
    daemon.on('GET', '/info', { body: { Name: 'lonely', Swarm: { LocalNodeState: 'inactive' } } });
    const result = await shoal('info');
    expect(result.stdout).toBe('Server:\n Name: lonely\n Swarm: inactive\n');
  });

  it('info on a worker skips the cluster details', async () => {
    daemon.on('GET', '/info', {
      body: {
        Swarm: {
          LocalNodeState: 'active',
          NodeID: 'w1',
          NodeAddr: '10.0.0.9',
          ControlAvailable: false,
        },
      },
    });
    const result = await shoal('info');
    expect(result.stdout).toContain('  Is Manager: false\n');
    expect(result.stdout).not.toContain('ClusterID');
    expect(result.stdout).toContain('  Node Address: 10.0.0.9\n');
  });

  it('info --format json prints the raw response', async () => {
    daemon.on('GET', '/info', { body: info });
    const result = await shoal('info', '--format', 'json');
    expect(JSON.parse(result.stdout)).toEqual(info);
  });

  it('version prints client and server', async () => {
    daemon.on('GET', '/version', {
      body: {
        Platform: { Name: 'shoald' },
        Version: '0.1.0',
        ApiVersion: '1.44',
        MinAPIVersion: '1.24',
        GitCommit: 'd79ec9e',
        Os: 'linux',
        Arch: 'amd64',
      },
    });
    const result = await shoal('version');
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Client:',
        ' Version:         0.1.0',
        ' API version:     1.44',
        ' Node.js version: v20.0.0',
        ' OS/Arch:         linux/amd64',
        ` Host:            unix://${daemon.socketPath}`,
        '',
        'Server: shoald',
        ' Engine:',
        '  Version:     0.1.0',
        '  API version: 1.44 (minimum version 1.24)',
        '  Git commit:  d79ec9e',
        '  OS/Arch:     linux/amd64',
        '',
      ].join('\n'),
    });
  });

  it('version still prints the client when the daemon is down, then fails', async () => {
    const result = await runShoal(['version'], { host: '/nonexistent/shoal.sock' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(' Version:         0.1.0\n');
    expect(result.stderr).toContain(
      'Cannot connect to the shoal daemon at unix:///nonexistent/shoal.sock',
    );
  });
});
