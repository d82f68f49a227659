import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

/**
 * The daemon as a process: init a swarm, declare services, kill -9, restart, and find every
 * object again with the same IDs and versions (rebuilt from the snapshot and the WAL).
 */
describe('shoald survives kill -9 with its state intact', () => {
  let daemon: ShoaldProcess;
  const api = (method: string, p: string, body?: unknown) =>
    unixRequest(daemon.socket, method, `/v1.44${p}`, body);

  beforeAll(async () => {
    daemon = await ShoaldProcess.inTempDir('shoald-it-');
    await daemon.start();
  });

  afterAll(async () => {
    await daemon?.dispose();
  });

  it('serves the socket with mode 0660 and answers as an inactive node before init', async () => {
    expect((await stat(daemon.socket)).mode & 0o777).toBe(0o660);
    const info = await api('GET', '/info');
    expect(info.status).toBe(200);
    expect((info.json as { Swarm: { LocalNodeState: string } }).Swarm.LocalNodeState).toBe(
      'inactive',
    );
    expect((await api('GET', '/services')).status).toBe(503);
  });

  it('keeps services, nodes and the swarm across kill -9', async () => {
    const init = await api('POST', '/swarm/init', { ListenAddr: '', AdvertiseAddr: '' });
    expect(init.status).toBe(200);
    const nodeId = init.json as string;
    expect(nodeId).toMatch(/^[0-9a-z]{25}$/);

    const spec = (name: string, replicas: number) => ({
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: 'busybox:local', Args: ['sleep', '1d'] } },
      Mode: { Replicated: { Replicas: replicas } },
    });
    const web = await api('POST', '/services/create', spec('web', 3));
    expect(web.status).toBe(201);
    const webId = (web.json as { ID: string }).ID;
    const db = await api('POST', '/services/create', spec('db', 1));
    const dbId = (db.json as { ID: string }).ID;
    const gone = await api('POST', '/services/create', spec('gone', 1));
    const goneId = (gone.json as { ID: string }).ID;

    // Update (scale) web twice, each against the version it read.
    for (const replicas of [5, 7]) {
      const current = (await api('GET', `/services/${webId}`)).json as {
        Version: { Index: number };
        Spec: Record<string, unknown>;
      };
      const res = await api(
        'POST',
        `/services/${webId}/update?version=${current.Version.Index}`,
        spec('web', replicas),
      );
      expect(res.status).toBe(200);
    }
    expect((await api('DELETE', `/services/${goneId}`)).status).toBe(200);

    const before = await snapshot();
    expect(before.services.map((s) => s.ID).sort()).toEqual([webId, dbId].sort());

    await daemon.kill9();
    await daemon.start();

    const after = await snapshot();
    expect(after).toEqual(before);
    const info = (await api('GET', '/info')).json as { Swarm: { NodeID: string } };
    expect(info.Swarm.NodeID).toBe(nodeId);
    const webAfter = after.services.find((s) => s.ID === webId) as unknown as {
      Spec: { Mode: { Replicated: { Replicas: number } } };
    };
    expect(webAfter.Spec.Mode.Replicated.Replicas).toBe(7);

    // And it still takes writes after the restart.
    const more = await api('POST', '/services/create', spec('after-restart', 1));
    expect(more.status).toBe(201);
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await daemon.stop()).toBe(0);
  });

  async function snapshot() {
    const [services, nodes, swarm] = await Promise.all([
      api('GET', '/services'),
      api('GET', '/nodes'),
      api('GET', '/swarm'),
    ]);
    return {
      services: services.json as { ID: string; Version: { Index: number } }[],
      // The node's agent rewrites its status and description when it reconnects.
      nodes: (nodes.json as Record<string, unknown>[]).map((n) => ({
        ...n,
        Status: undefined,
        Description: undefined,
        Version: undefined,
        UpdatedAt: undefined,
      })),
      swarm: swarm.json,
    };
  }
});
