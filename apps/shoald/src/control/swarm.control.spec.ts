import { applySwarmSpecDefaults } from '@shoal/api';
import { ManualClock } from '@shoal/common';
import { MemoryStore } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrapClusterState } from './swarm-bootstrap';
import { SwarmControl } from './swarm.control';
import { rejects, startSwarm, testRootCa } from './testing/control.fixtures';
import { type StoredCluster, type StoredNode } from './stored.types';

describe('bootstrapClusterState', () => {
  function freshStore() {
    const proposer = new DirectProposer();
    const store = new MemoryStore({ proposer, clock: new ManualClock() });
    proposer.attach(store);
    return { store, proposer };
  }

  let params: Parameters<typeof bootstrapClusterState>[1];
  beforeAll(async () => {
    params = {
      clusterId: 'cluster1',
      nodeId: 'node1',
      spec: applySwarmSpecDefaults({}),
      description: { Hostname: 'h1' },
      addr: '10.1.2.3',
      raftAddr: '10.1.2.3:7377',
      rootCa: await testRootCa(),
    };
  });

  it('writes the cluster and the first manager in one entry', async () => {
    const { store, proposer } = freshStore();
    const { index } = await bootstrapClusterState(store, params);
    expect(proposer.log).toHaveLength(1);
    const { cluster, node } = store.view((tx) => ({
      cluster: tx.get<StoredCluster>('cluster', 'cluster1')!,
      node: tx.get<StoredNode>('node', 'node1')!,
    }));
    expect(cluster.Version.Index).toBe(index);
    expect(node.Version.Index).toBe(index);
    expect(cluster).toMatchObject({
      Spec: { Name: 'default', Raft: { ElectionTick: 10 } },
      DataPathPort: 4789,
      DefaultAddrPool: ['10.0.0.0/8'],
      SubnetSize: 24,
      RootRotationInProgress: false,
      JoinTokens: {
        Worker: expect.stringMatching(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/),
        Manager: expect.stringMatching(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/),
      },
      TLSInfo: { TrustRoot: params.rootCa.certPem },
      RootCA: { CACert: params.rootCa.certPem, CAKey: params.rootCa.keyPem },
    });
    expect(cluster.JoinTokens!.Worker).not.toBe(cluster.JoinTokens!.Manager);
    expect(node).toMatchObject({
      Spec: { Role: 'manager', Availability: 'active' },
      Description: { Hostname: 'h1' },
      Status: { State: 'ready', Addr: '10.1.2.3' },
      ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.1.2.3:7377' },
    });
  });

  it('is a no-op when the log already holds a cluster', async () => {
    const { store, proposer } = freshStore();
    await bootstrapClusterState(store, params);
    await bootstrapClusterState(store, { ...params, clusterId: 'other', nodeId: 'other' });
    expect(proposer.log).toHaveLength(1);
    expect(store.view((tx) => tx.list('node').map((n) => n.ID))).toEqual(['node1']);
  });

  it('takes the network settings of swarm init when given', async () => {
    const { store } = freshStore();
    await bootstrapClusterState(store, {
      ...params,
      dataPathPort: 5789,
      defaultAddrPool: ['10.20.0.0/16'],
      subnetSize: 26,
    });
    const cluster = store.view((tx) => tx.list<StoredCluster>('cluster')[0]!);
    expect(cluster).toMatchObject({
      DataPathPort: 5789,
      DefaultAddrPool: ['10.20.0.0/16'],
      SubnetSize: 26,
    });
  });
});

describe('SwarmControl', () => {
  it('inspects the swarm after a read barrier, with join tokens and never the CA key', async () => {
    const { manager } = await startSwarm();
    const swarm = await new SwarmControl(manager).inspect();
    expect(manager.readBarriers).toBe(1);
    expect(swarm.ID).toMatch(/^[0-9a-z]{25}$/);
    expect(swarm.Spec?.Name).toBe('default');
    expect(swarm.JoinTokens).toEqual({
      Worker: expect.stringMatching(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/),
      Manager: expect.stringMatching(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/),
    });
    expect(swarm).not.toHaveProperty('RootCA');
    expect(JSON.stringify(swarm)).not.toContain('PRIVATE KEY');
    expect(swarm.CreatedAt).toBe('2026-03-01T12:00:00.250000000Z');
    // The copy is the caller's to change.
    swarm.Spec!.Labels = { x: 'y' };
    expect((await new SwarmControl(manager).inspect()).Spec?.Labels).toEqual({});
  });

  it('info() is inspect() without the join tokens', async () => {
    const { manager } = await startSwarm();
    const info = await new SwarmControl(manager).info();
    expect(info).not.toHaveProperty('JoinTokens');
    expect(info.Spec?.Name).toBe('default');
  });

  const noRotation = {
    rotateWorkerToken: false,
    rotateManagerToken: false,
    rotateManagerUnlockKey: false,
  };

  it('updates the spec, fills what the body leaves out with defaults and bumps the version', async () => {
    const { manager, clock } = await startSwarm();
    const control = new SwarmControl(manager);
    const before = await control.inspect();
    clock.advance(1000);
    await control.update(
      before.Version!.Index!,
      {
        Labels: { env: 'prod' },
        Orchestration: { TaskHistoryRetentionLimit: 2 },
        Raft: { ElectionTick: 0 },
      },
      noRotation,
    );
    const after = await control.inspect();
    expect(after.Version!.Index!).toBeGreaterThan(before.Version!.Index!);
    expect(after.UpdatedAt).not.toBe(before.UpdatedAt);
    expect(after.CreatedAt).toBe(before.CreatedAt);
    expect(after.Spec).toMatchObject({
      Name: 'default',
      Labels: { env: 'prod' },
      Orchestration: { TaskHistoryRetentionLimit: 2 },
      // 0 means "default", as for dockerd
      Raft: { ElectionTick: 10, HeartbeatTick: 1, SnapshotInterval: 10000 },
      Dispatcher: { HeartbeatPeriod: 5e9 },
    });
    expect(after.ID).toBe(before.ID);
    expect(after.JoinTokens).toEqual(before.JoinTokens);
  });

  it('refuses a stale version with 409 "update out of sequence" and changes nothing', async () => {
    const { manager } = await startSwarm();
    const control = new SwarmControl(manager);
    const before = await control.inspect();
    await control.update(before.Version!.Index!, { Labels: { a: '1' } }, noRotation);
    const current = await control.inspect();
    const err = await rejects(
      control.update(before.Version!.Index!, { Labels: { b: '2' } }, noRotation),
    );
    expect(err.status).toBe(409);
    expect(err.message).toBe('update out of sequence');
    expect(await control.inspect()).toEqual(current);
  });

  it("refuses renaming the swarm with Docker's text", async () => {
    const { manager } = await startSwarm();
    const control = new SwarmControl(manager);
    const v = (await control.inspect()).Version!.Index!;
    const err = await rejects(control.update(v, { Name: 'prod' }, noRotation));
    expect(err.status).toBe(400);
    expect(err.message).toBe('swarm spec must be named "default"');
    const lower = await rejects(control.update(v, { name: 'prod' }, noRotation));
    expect(lower.message).toBe('swarm spec must be named "default"');
    await control.update(v, { name: '' }, noRotation);
    expect((await control.inspect()).Spec?.Name).toBe('default');
  });

  it('refuses an invalid spec with 400 naming the field', async () => {
    const { manager } = await startSwarm();
    const control = new SwarmControl(manager);
    const v = (await control.inspect()).Version!.Index!;
    const err = await rejects(
      control.update(v, { Raft: { ElectionTick: 1, HeartbeatTick: 3 } }, noRotation),
    );
    expect(err.status).toBe(400);
    expect(err.message).toContain('ElectionTick');
  });

  it('refuses unlock-key rotation while autolock is off, before writing anything', async () => {
    const { manager } = await startSwarm();
    const control = new SwarmControl(manager);
    const before = await control.inspect();
    const err = await rejects(
      control.update(
        before.Version!.Index!,
        { Labels: { x: 'y' } },
        { ...noRotation, rotateManagerUnlockKey: true },
      ),
    );
    expect(err.status).toBe(400);
    expect(err.message).toBe('cannot rotate because autolock is not turned on');
    expect(await control.inspect()).toEqual(before);
  });

  it('makes an unlock key when autolock is turned on, rotates it, and drops it when off', async () => {
    const { manager } = await startSwarm();
    const control = new SwarmControl(manager);
    expect(await control.unlockKey()).toEqual({ UnlockKey: '' });
    const v = async () => (await control.inspect()).Version!.Index!;
    const on = { EncryptionConfig: { AutoLockManagers: true } };
    await control.update(await v(), on, noRotation);
    const first = (await control.unlockKey()).UnlockKey;
    expect(first).toMatch(/^SWMKEY-1-/);
    // Never in GET /swarm.
    expect(JSON.stringify(await control.inspect())).not.toContain(first);
    await control.update(await v(), on, noRotation);
    expect((await control.unlockKey()).UnlockKey).toBe(first);
    await control.update(await v(), on, { ...noRotation, rotateManagerUnlockKey: true });
    const second = (await control.unlockKey()).UnlockKey;
    expect(second).toMatch(/^SWMKEY-1-/);
    expect(second).not.toBe(first);
    await control.update(await v(), { EncryptionConfig: { AutoLockManagers: false } }, noRotation);
    expect(await control.unlockKey()).toEqual({ UnlockKey: '' });
  });

  it('rotates one join token at a time, keeping the other', async () => {
    const { manager } = await startSwarm();
    const control = new SwarmControl(manager);
    const before = await control.inspect();
    await control.update(before.Version!.Index!, before.Spec, {
      ...noRotation,
      rotateWorkerToken: true,
    });
    const after = await control.inspect();
    expect(after.JoinTokens!.Worker).not.toBe(before.JoinTokens!.Worker);
    expect(after.JoinTokens!.Worker).toMatch(/^SWMTKN-1-/);
    expect(after.JoinTokens!.Manager).toBe(before.JoinTokens!.Manager);
    // Same CA, so the digest part is the same.
    expect(after.JoinTokens!.Worker!.split('-')[2]).toBe(before.JoinTokens!.Worker!.split('-')[2]);
  });
});
