import { type Node } from '@shoal/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness, filtersQuery, startApi } from './testing/api-test.harness';
import { addNode } from '../control/testing/control.fixtures';

type Msg = { message: string };

let api: ApiHarness;
afterEach(async () => {
  await api.close();
});

async function withWorker(): Promise<string> {
  api = await startApi();
  await addNode(api.runtime.manager(), {
    ID: 'wrk1aaaaaaaaaaaaaaaaaaaaa',
    Spec: { Labels: { zone: 'a' }, Role: 'worker', Availability: 'active' },
    Description: { Hostname: 'worker-1' },
    Status: { State: 'down', Addr: '10.0.0.2' },
  });
  return 'wrk1aaaaaaaaaaaaaaaaaaaaa';
}

describe('NodesController', () => {
  it('lists nodes with filters, the manager with its live ManagerStatus', async () => {
    const worker = await withWorker();
    const all = await api.request('GET', '/v1.44/nodes');
    expect(all.status).toBe(200);
    const nodes = all.body as Node[];
    expect(nodes.map((n) => n.ID).sort()).toEqual([api.runtime.nodeId(), worker].sort());
    const manager = nodes.find((n) => n.ID === api.runtime.nodeId())!;
    expect(manager).toMatchObject({
      Spec: { Role: 'manager', Availability: 'active' },
      Description: { Hostname: 'manager-1' },
      Status: { State: 'ready', Addr: '10.0.0.1' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.0.1:7377' },
    });
    const workers = await api.request('GET', `/nodes?${filtersQuery({ role: ['worker'] })}`);
    expect((workers.body as Node[]).map((n) => n.ID)).toEqual([worker]);
    const labelled = await api.request(
      'GET',
      `/nodes?${filtersQuery({ 'node.label': ['zone=a'] })}`,
    );
    expect((labelled.body as Node[]).map((n) => n.ID)).toEqual([worker]);
    const bad = await api.request('GET', `/nodes?${filtersQuery({ role: ['chief'] })}`);
    expect(bad.status).toBe(400);
    expect((bad.body as Msg).message).toContain("Invalid role filter: 'chief'");
  });

  it("inspects by ID, hostname or prefix; 404 with Docker's text", async () => {
    const worker = await withWorker();
    expect(((await api.request('GET', '/nodes/worker-1')).body as Node).ID).toBe(worker);
    expect(((await api.request('GET', '/nodes/wrk1')).body as Node).ID).toBe(worker);
    const missing = await api.request('GET', '/nodes/ghost');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'node ghost not found' });
  });

  it('updates a node with ?version; 409 when stale; 400 without a version or with a bad spec', async () => {
    const worker = await withWorker();
    const node = (await api.request('GET', `/nodes/${worker}`)).body as Node;
    const spec = { ...node.Spec, Availability: 'drain' };
    const noVersion = await api.request('POST', `/nodes/${worker}/update`, spec);
    expect(noVersion.status).toBe(400);
    const ok = await api.request(
      'POST',
      `/nodes/${worker}/update?version=${node.Version!.Index}`,
      spec,
    );
    expect([ok.status, ok.text]).toEqual([200, '']);
    const after = (await api.request('GET', `/nodes/${worker}`)).body as Node;
    expect(after.Spec?.Availability).toBe('drain');
    const stale = await api.request(
      'POST',
      `/nodes/${worker}/update?version=${node.Version!.Index}`,
      spec,
    );
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({ message: 'update out of sequence' });
    const badSpec = await api.request(
      'POST',
      `/nodes/${worker}/update?version=${after.Version!.Index}`,
      { ...spec, Availability: 'sleepy' },
    );
    expect(badSpec.status).toBe(400);
    expect((badSpec.body as Msg).message).toContain('Availability');
  });

  it('refuses demoting the last manager', async () => {
    await withWorker();
    const id = api.runtime.nodeId()!;
    const node = (await api.request('GET', `/nodes/${id}`)).body as Node;
    const res = await api.request('POST', `/nodes/${id}/update?version=${node.Version!.Index}`, {
      ...node.Spec,
      Role: 'worker',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ message: 'attempting to demote the last manager of the swarm' });
  });

  it('removes a down node; refuses a manager and, without force, a ready node', async () => {
    const worker = await withWorker();
    const id = api.runtime.nodeId()!;
    const manager = await api.request('DELETE', `/nodes/${id}?force=true`);
    expect(manager.status).toBe(400);
    expect((manager.body as Msg).message).toBe(
      `node ${id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
    );
    await addNode(api.runtime.manager(), { ID: 'up1', Description: { Hostname: 'up' } });
    const up = await api.request('DELETE', '/nodes/up1');
    expect(up.status).toBe(400);
    expect(up.body).toEqual({ message: "node up1 is not down and can't be removed" });
    expect((await api.request('DELETE', '/nodes/up1?force=1')).status).toBe(200);
    const down = await api.request('DELETE', `/nodes/worker-1`);
    expect([down.status, down.text]).toEqual([200, '']);
    expect((await api.request('GET', `/nodes/${worker}`)).status).toBe(404);
  });
});
