import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOAL_INFO_WARNING } from './system-info.builder';
import {
  type ApiHarness,
  INIT_BODY,
  TEST_HOST,
  startApiHarness,
} from '../testing/api-test.harness';
import { request, requestJson } from '../testing/http.client';

describe('system endpoints', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness({
      version: '0.1.0',
      gitCommit: 'abc1234',
      engineId: 'engine-1',
      rootDir: '/var/lib/shoal',
    });
  });
  afterAll(() => h.close());

  describe('/_ping', () => {
    it("answers GET with OK and Docker's ping headers", async () => {
      const res = await request(h.target, 'GET', '/_ping');
      expect(res.status).toBe(200);
      expect(res.body).toBe('OK');
      expect(res.headers).toMatchObject({
        'api-version': '1.44',
        'docker-experimental': 'false',
        ostype: 'linux',
        swarm: 'inactive',
        'cache-control': 'no-cache, no-store, must-revalidate',
        pragma: 'no-cache',
        'content-type': 'text/plain; charset=utf-8',
      });
      expect(res.headers['builder-version']).toBeUndefined();
    });

    it('answers HEAD with the same headers and no body', async () => {
      const res = await request(h.target, 'HEAD', '/v1.41/_ping');
      expect(res.status).toBe(200);
      expect(res.body).toBe('');
      expect(res.headers).toMatchObject({
        swarm: 'inactive',
        'content-length': '0',
        pragma: 'no-cache',
      });
    });
  });

  it('/version has the SystemVersion shape', async () => {
    const { status, body } = await requestJson<Record<string, unknown>>(
      h.target,
      'GET',
      '/version',
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      Platform: { Name: 'Shoal' },
      Components: [{ Name: 'Engine', Version: '0.1.0' }],
      Version: '0.1.0',
      ApiVersion: '1.44',
      MinAPIVersion: '1.24',
      GitCommit: 'abc1234',
      GoVersion: `n/a (node ${TEST_HOST.nodeVersion})`,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: TEST_HOST.kernelVersion,
    });
  });

  it('/info reports the host and an inactive swarm', async () => {
    const { status, body } = await requestJson<Record<string, unknown>>(h.target, 'GET', '/info');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ID: 'engine-1',
      Name: TEST_HOST.hostname,
      NCPU: TEST_HOST.ncpu,
      MemTotal: TEST_HOST.memTotal,
      OSType: 'linux',
      Architecture: 'x86_64',
      ServerVersion: '0.1.0',
      DockerRootDir: '/var/lib/shoal',
      Containers: 0,
      Warnings: [SHOAL_INFO_WARNING],
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
    });
    expect(Number.isNaN(Date.parse(body['SystemTime'] as string))).toBe(false);
  });

  describe('once the node is a manager', () => {
    beforeAll(async () => {
      const res = await request(h.target, 'POST', '/swarm/init', {
        body: JSON.stringify(INIT_BODY),
      });
      expect(res.status).toBe(200);
    });

    it('pings as active/manager', async () => {
      expect((await request(h.target, 'HEAD', '/_ping')).headers['swarm']).toBe('active/manager');
      expect((await request(h.target, 'GET', '/_ping')).headers['swarm']).toBe('active/manager');
    });

    it('/info carries the swarm section from the store, without join tokens', async () => {
      const res = await request(h.target, 'GET', '/info');
      const swarm = (JSON.parse(res.body) as { Swarm: Record<string, unknown> }).Swarm;
      const nodeId = h.runtime.nodeId();
      const cluster = h.runtime.manager().store.view((tx) => tx.list('cluster')[0])!;
      expect(swarm).toMatchObject({
        NodeID: nodeId,
        NodeAddr: '127.0.0.1',
        LocalNodeState: 'active',
        ControlAvailable: true,
        Error: '',
        RemoteManagers: [{ NodeID: nodeId, Addr: '127.0.0.1:7377' }],
        Nodes: 1,
        Managers: 1,
        Cluster: {
          ID: cluster.ID,
          Version: cluster.Version,
          CreatedAt: cluster.CreatedAt,
          RootRotationInProgress: false,
          DataPathPort: 4789,
          SubnetSize: 24,
        },
      });
      expect(swarm['Cluster']).toHaveProperty('Spec.Raft');
      expect(res.body).not.toContain('SWMTKN');
      expect(res.body).not.toContain('JoinTokens');
    });
  });

  it('logged no internal errors', () => {
    expect(h.errors).toEqual([]);
  });
});
