import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { NodeCaCallError, fetchNodeRole } from '@shoal/ca/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest, type UnixResponse } from '../support/shoald/unix-http';

/**
 * A real cluster on loopback: 3 managers and 2 workers, each its own shoald process with its
 * own state dir, socket and cluster port. Joins go through the cluster port's NodeCA (CA
 * pinned by the token's digest, certificate for a CSR); managers enter Raft as learners and
 * are promoted once caught up.
 */
describe('a swarm of 3 managers and 2 workers', () => {
  const managers: ShoaldProcess[] = [];
  const workers: ShoaldProcess[] = [];
  let tokens: { Worker: string; Manager: string };

  const api = (d: ShoaldProcess, method: string, path: string, body?: unknown) =>
    unixRequest(d.socket, method, `/v1.44${path}`, body);
  const join = (d: ShoaldProcess, token: string, via: ShoaldProcess): Promise<UnixResponse> =>
    api(d, 'POST', '/swarm/join', {
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '',
      RemoteAddrs: [via.o.listenAddr],
      JoinToken: token,
    });
  const serviceSpec = (name: string) => ({
    Name: name,
    TaskTemplate: { ContainerSpec: { Image: 'busybox:local' } },
    Mode: { Replicated: { Replicas: 2 } },
  });

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) managers.push(await ShoaldProcess.inTempDir(`shoal-m${i}-`));
    for (let i = 0; i < 2; i++) workers.push(await ShoaldProcess.inTempDir(`shoal-w${i}-`));
    await Promise.all([...managers, ...workers].map((d) => d.start()));
    expect((await api(managers[0]!, 'POST', '/swarm/init', {})).status).toBe(200);
    tokens = ((await api(managers[0]!, 'GET', '/swarm')).json as { JoinTokens: typeof tokens })
      .JoinTokens;
  });

  afterAll(async () => {
    await Promise.all([...managers, ...workers].map((d) => d.dispose()));
  });

  it('refuses a wrong token, and a token pinning another CA, before anything is written', async () => {
    const [prefix, version, digest] = tokens.Worker.split('-');
    const wrongSecret = `${prefix}-${version}-${digest}-${'0'.repeat(25)}`;
    const refused = await join(workers[0]!, wrongSecret, managers[0]!);
    expect(refused.status).toBe(400);
    expect((refused.json as { message: string }).message).toMatch(/refused the join token/);

    const otherCa = `${prefix}-${version}-${'1'.repeat(50)}-${tokens.Worker.split('-')[4]}`;
    const mitm = await join(workers[0]!, otherCa, managers[0]!);
    expect(mitm.status).toBe(400);
    expect((mitm.json as { message: string }).message).toMatch(/digest/i);
    // The refused node is still outside any swarm.
    const info = (await api(workers[0]!, 'GET', '/info')).json as {
      Swarm: { LocalNodeState: string };
    };
    expect(info.Swarm.LocalNodeState).toBe('inactive');
  });

  it('forms: managers join as managers, workers as workers; node ls shows them all', async () => {
    for (const m of managers.slice(1))
      expect((await join(m, tokens.Manager, managers[0]!)).status).toBe(200);
    for (const w of workers) expect((await join(w, tokens.Worker, managers[1]!)).status).toBe(200);

    // Every manager becomes a voter (learners are promoted once caught up).
    await expect
      .poll(async () => managerStatuses(await api(managers[0]!, 'GET', '/nodes')), {
        timeout: 10_000,
      })
      .toEqual(['leader', 'reachable', 'reachable']);
    const nodes = (await api(managers[2]!, 'GET', '/nodes')).json as {
      Spec: { Role: string };
      Description: { Hostname: string };
    }[];
    expect(nodes.map((n) => n.Spec.Role).sort()).toEqual([
      'manager',
      'manager',
      'manager',
      'worker',
      'worker',
    ]);
    expect(nodes.every((n) => n.Description.Hostname !== '')).toBe(true);

    // A worker is in the swarm but serves no control API, as in Docker.
    const workerInfo = (await api(workers[0]!, 'GET', '/info')).json as {
      Swarm: { LocalNodeState: string; ControlAvailable: boolean };
    };
    expect(workerInfo.Swarm).toMatchObject({ LocalNodeState: 'active', ControlAvailable: false });
    expect((await api(workers[0]!, 'GET', '/services')).status).toBe(503);
  });

  it('takes writes through any manager and serves them from every other', async () => {
    const created = await api(managers[2]!, 'POST', '/services/create', serviceSpec('web'));
    expect(created.status).toBe(201);
    const id = (created.json as { ID: string }).ID;
    for (const m of managers) {
      expect((await api(m, 'GET', `/services/${id}`)).status).toBe(200);
    }
  });

  it('rotating the worker token refuses the old one for new joins', async () => {
    const swarm = (await api(managers[1]!, 'GET', '/swarm')).json as {
      Version: { Index: number };
      Spec: unknown;
    };
    const rotated = await api(
      managers[1]!,
      'POST',
      `/swarm/update?version=${swarm.Version.Index}&rotateWorkerToken=true`,
      swarm.Spec,
    );
    expect(rotated.status).toBe(200);
    const extra = await ShoaldProcess.inTempDir('shoal-w-extra-');
    try {
      await extra.start();
      expect((await join(extra, tokens.Worker, managers[0]!)).status).toBe(400);
    } finally {
      await extra.dispose();
    }
  });

  it('survives kill -9 of the leader: a new leader takes writes, the old one rejoins', async () => {
    const leaderIndex = await leaderOf();
    const leader = managers[leaderIndex]!;
    const survivor = managers[(leaderIndex + 1) % 3]!;
    await leader.kill9();
    const killedAt = Date.now();
    let created: UnixResponse | undefined;
    while (Date.now() - killedAt < 15_000) {
      created = await api(survivor, 'POST', '/services/create', serviceSpec('after-failover'));
      if (created.status === 201) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(created?.status).toBe(201);
    await leader.start();
    await expect
      .poll(async () => (await api(leader, 'GET', '/services/after-failover')).status, {
        timeout: 10_000,
      })
      .toBe(200);
    // Every agent moved to the new leader's dispatcher (the restarted one's too): all ready.
    await expect
      .poll(
        async () =>
          ((await api(survivor, 'GET', '/nodes')).json as { Status: { State: string } }[]).map(
            (n) => n.Status.State,
          ),
        { timeout: 15_000 },
      )
      .toEqual(['ready', 'ready', 'ready', 'ready', 'ready']);
  });

  it('resumes with all its state after every node is killed at once', async () => {
    const before = (await api(managers[0]!, 'GET', '/services')).json as { ID: string }[];
    const all = [...managers, ...workers];
    await Promise.all(all.map((d) => d.kill9()));
    await Promise.all(all.map((d) => d.start()));
    for (const m of managers) {
      const after = (await api(m, 'GET', '/services')).json as { ID: string }[];
      expect(after.map((x) => x.ID).sort()).toEqual(before.map((x) => x.ID).sort());
    }
    for (const w of workers) {
      const info = (await api(w, 'GET', '/info')).json as { Swarm: { LocalNodeState: string } };
      expect(info.Swarm.LocalNodeState).toBe('active');
    }
    await expect
      .poll(async () => managerStatuses(await api(managers[0]!, 'GET', '/nodes')), {
        timeout: 10_000,
      })
      .toEqual(['leader', 'reachable', 'reachable']);
  });

  it('promotes a worker to manager and demotes it again; refuses a demotion that loses quorum', async () => {
    const w = workers[0]!;
    const wId = ((await api(w, 'GET', '/info')).json as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const leader = managers[await leaderOf()]!;
    const setRole = async (d: ShoaldProcess, id: string, role: string) => {
      const node = (await api(d, 'GET', `/nodes/${id}`)).json as {
        Version: { Index: number };
        Spec: Record<string, unknown>;
      };
      return api(d, 'POST', `/nodes/${id}/update?version=${node.Version.Index}`, {
        ...node.Spec,
        Role: role,
      });
    };
    const controlAvailable = async (d: ShoaldProcess) =>
      ((await api(d, 'GET', '/info')).json as { Swarm: { ControlAvailable: boolean } }).Swarm
        .ControlAvailable;

    expect((await setRole(leader, wId, 'manager')).status).toBe(200);
    await expect.poll(() => controlAvailable(w), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(async () => managerStatuses(await api(leader, 'GET', '/nodes')), { timeout: 15_000 })
      .toEqual(['leader', 'reachable', 'reachable', 'reachable']);

    expect((await setRole(leader, wId, 'worker')).status).toBe(200);
    await expect.poll(() => controlAvailable(w), { timeout: 15_000 }).toBe(false);
    await expect
      .poll(async () => managerStatuses(await api(leader, 'GET', '/nodes')), { timeout: 15_000 })
      .toEqual(['leader', 'reachable', 'reachable']);

    // With one of three managers down, demoting another would leave no quorum.
    const li = await leaderOf();
    const down = managers[(li + 1) % 3]!;
    const other = managers[(li + 2) % 3]!;
    const otherId = ((await api(other, 'GET', '/info')).json as { Swarm: { NodeID: string } }).Swarm
      .NodeID;
    await down.kill9();
    try {
      await expect
        .poll(async () => managerStatuses(await api(managers[li]!, 'GET', '/nodes')), {
          timeout: 10_000,
        })
        .toContain('unreachable');
      const refused = await setRole(managers[li]!, otherId, 'worker');
      expect(refused.status).toBe(400);
      expect((refused.json as { message: string }).message).toMatch(/loss of quorum/);
    } finally {
      await down.start();
    }
  });

  it('refuses a removed node on the cluster port from then on', async () => {
    const w = workers[1]!;
    const id = ((await api(w, 'GET', '/info')).json as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const leader = managers[await leaderOf()]!;
    const certs = path.join(w.o.stateDir, 'swarm/certificates');
    const material = {
      caPem: await readFile(path.join(certs, 'ca.crt'), 'utf8'),
      certPem: await readFile(path.join(certs, 'node.crt'), 'utf8'),
      keyPem: await readFile(path.join(certs, 'node.key'), 'utf8'),
    };
    // Its certificate works while it is a member...
    await expect(fetchNodeRole(leader.o.listenAddr, material, '')).resolves.toBeDefined();
    expect((await api(leader, 'DELETE', `/nodes/${id}?force=true`)).status).toBe(200);
    // ...and is refused once it is removed, though it has not expired.
    const err = await fetchNodeRole(leader.o.listenAddr, material, '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeCaCallError);
    expect((err as NodeCaCallError).code).toBe(grpcStatus.PERMISSION_DENIED);
  });

  it('recovers from losing 2 of 3 managers for good with --force-new-cluster', async () => {
    const survivor = managers[await leaderOf()]!;
    const before = ((await api(survivor, 'GET', '/services')).json as { ID: string }[])
      .map((x) => x.ID)
      .sort();
    await Promise.all(managers.filter((m) => m !== survivor).map((m) => m.kill9()));

    const forced = await api(survivor, 'POST', '/swarm/init', { ForceNewCluster: true });
    expect(forced.status).toBe(200);
    const after = ((await api(survivor, 'GET', '/services')).json as { ID: string }[])
      .map((x) => x.ID)
      .sort();
    expect(after).toEqual(before);
    expect(managerStatuses(await api(survivor, 'GET', '/nodes'))).toEqual(['leader']);
    expect(
      (await api(survivor, 'POST', '/services/create', serviceSpec('after-recovery'))).status,
    ).toBe(201);

    // New managers can join the recovered cluster.
    const fresh = await ShoaldProcess.inTempDir('shoal-m-new-');
    workers.push(fresh); // disposed with the others
    await fresh.start();
    const manager = ((await api(survivor, 'GET', '/swarm')).json as { JoinTokens: typeof tokens })
      .JoinTokens.Manager;
    expect((await join(fresh, manager, survivor)).status).toBe(200);
    await expect
      .poll(async () => managerStatuses(await api(survivor, 'GET', '/nodes')), { timeout: 10_000 })
      .toEqual(['leader', 'reachable']);
  });

  async function leaderOf(): Promise<number> {
    const nodes = (await api(managers[0]!, 'GET', '/nodes')).json as {
      ID: string;
      ManagerStatus?: { Leader?: boolean };
    }[];
    const leaderId = nodes.find((n) => n.ManagerStatus?.Leader)!.ID;
    for (let i = 0; i < managers.length; i++) {
      const info = (await api(managers[i]!, 'GET', '/info')).json as { Swarm: { NodeID: string } };
      if (info.Swarm.NodeID === leaderId) return i;
    }
    throw new Error('no manager is the leader');
  }
});

function managerStatuses(res: UnixResponse): string[] {
  return (res.json as { ManagerStatus?: { Leader?: boolean; Reachability?: string } }[])
    .filter((n) => n.ManagerStatus)
    .map((n) => (n.ManagerStatus!.Leader ? 'leader' : (n.ManagerStatus!.Reachability ?? '')))
    .sort();
}
