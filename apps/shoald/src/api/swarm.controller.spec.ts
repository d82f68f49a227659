import { NOT_A_MANAGER_MESSAGE, ALREADY_IN_SWARM_MESSAGE, type Swarm } from '@shoal/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './testing/api-test.harness';
import { LAST_MANAGER_LEAVE_MESSAGE } from './testing/memory-runtime';

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe('SwarmController', () => {
  it('refuses swarm endpoints with 503 before init, then inits and answers the node ID as a JSON string', async () => {
    api = await startApi({ init: false });
    const before = await api.request('GET', '/swarm');
    expect(before.status).toBe(503);
    expect(before.body).toEqual({ message: NOT_A_MANAGER_MESSAGE });

    const init = await api.request('POST', '/v1.44/swarm/init', {
      ListenAddr: '0.0.0.0:7377',
      AdvertiseAddr: '10.0.0.5:7377',
      Spec: { Labels: { env: 'test' }, Raft: { ElectionTick: 0 } },
    });
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toContain('application/json');
    expect(init.text).toMatch(/^"[0-9a-z]{25}"$/);
    expect(init.body).toBe(api.runtime.nodeId());

    const swarm = await api.request('GET', '/v1.41/swarm');
    expect(swarm.status).toBe(200);
    expect(swarm.body).toMatchObject({
      Spec: { Name: 'default', Labels: { env: 'test' }, Raft: { ElectionTick: 10 } },
      JoinTokens: {
        Worker: expect.stringMatching(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/),
        Manager: expect.stringMatching(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/),
      },
      DataPathPort: 4789,
    });

    const again = await api.request('POST', '/swarm/init', {});
    expect(again.status).toBe(503);
    expect(again.body).toEqual({ message: ALREADY_IN_SWARM_MESSAGE });
  });

  it('validates the init request', async () => {
    api = await startApi({ init: false });
    const bad = await api.request('POST', '/swarm/init', { ListenAddr: 7, Spec: {} });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toContain('ListenAddr');
    const named = await api.request('POST', '/swarm/init', { Spec: { Name: 'prod' } });
    expect(named.status).toBe(400);
    expect(api.runtime.localState()).toBe('inactive');
  });

  it('updates the swarm with version checks and rotates join tokens', async () => {
    api = await startApi();
    const swarm = (await api.request('GET', '/swarm')).body as Swarm;
    const v = swarm.Version!.Index!;
    const spec = { ...swarm.Spec, Labels: { a: 'b' } };

    const ok = await api.request('POST', `/swarm/update?version=${v}`, spec);
    expect([ok.status, ok.text]).toEqual([200, '']);
    const after = (await api.request('GET', '/swarm')).body as Swarm;
    expect(after.Spec?.Labels).toEqual({ a: 'b' });

    const stale = await api.request('POST', `/swarm/update?version=${v}`, spec);
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({ message: 'update out of sequence' });

    const missing = await api.request('POST', '/swarm/update', spec);
    expect(missing.status).toBe(400);
    expect((missing.body as { message: string }).message).toContain('version');
    const junk = await api.request('POST', '/swarm/update?version=abc', spec);
    expect(junk.status).toBe(400);

    const v2 = after.Version!.Index!;
    const rotate = await api.request(
      'POST',
      `/swarm/update?version=${v2}&rotateWorkerToken=true`,
      spec,
    );
    expect(rotate.status).toBe(200);
    const rotated = (await api.request('GET', '/swarm')).body as Swarm;
    expect(rotated.JoinTokens!.Worker).not.toBe(after.JoinTokens!.Worker);
    const v3 = rotated.Version!.Index!;
    const badFlag = await api.request(
      'POST',
      `/swarm/update?version=${v3}&rotateManagerToken=maybe`,
      spec,
    );
    expect(badFlag.status).toBe(400);
    expect(((await api.request('GET', '/swarm')).body as Swarm).Version).toEqual(rotated.Version);
  });

  it('leaves only with force, as Docker requires of the last manager', async () => {
    api = await startApi();
    const refused = await api.request('POST', '/swarm/leave');
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({ message: LAST_MANAGER_LEAVE_MESSAGE });
    const left = await api.request('POST', '/swarm/leave?force=1');
    expect([left.status, left.text]).toEqual([200, '']);
    expect(api.runtime.localState()).toBe('inactive');
    expect((await api.request('GET', '/swarm')).status).toBe(503);
    const notIn = await api.request('POST', '/swarm/leave?force=true');
    expect(notIn.status).toBe(503);
  });
});
