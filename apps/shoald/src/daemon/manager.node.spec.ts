import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadManagerProto } from '@shoal/api';
import { generateDataKey, MANAGER_ROLE_OU, WORKER_ROLE_OU } from '@shoal/ca';
import { type Logger, nullLogger, objectIdGenerator, systemClock } from '@shoal/common';
import { createDaemonRegistry } from '@shoal/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePorts } from '../../../../test/support/free-port';
import { issueTestCert, type TestPki } from '../../../../test/support/test-certs';
import { ManagerNode } from './manager.node';
import { singleManagerStarter, startManagerCluster } from './testing/manager-cluster';
import { StateDir } from './state-dir';

const ids = ['m1', 'm2', 'm3'];

describe('ManagerNode: writes through any manager', () => {
  const managers: ManagerNode[] = [];
  let root = '';

  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.stop()));
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function startCluster(): Promise<{ pki: TestPki; ports: number[] }> {
    root = await mkdtemp(path.join(tmpdir(), 'shoal-managers-'));
    const started = await startManagerCluster(root, ids);
    managers.push(...started.managers);
    return { pki: started.pki, ports: started.ports };
  }

  it('forwards a follower’s write to the leader and reads it back on the follower at once', async () => {
    await startCluster();
    const follower = managers.find((m) => !m.isLeader())!;
    const result = await follower.store.update((tx) => {
      tx.create('config', {
        ID: 'cfg1',
        Version: { Index: 0 },
        CreatedAt: '',
        UpdatedAt: '',
        Spec: { Name: 'forwarded' },
      });
    });
    // Read-your-write on the manager written through, with no extra barrier.
    const mine = follower.store.view((tx) => tx.get('config', 'cfg1'));
    expect(mine?.Version.Index).toBe(result.index);
    // Every other manager applies it too (after its own barrier: linearizable reads).
    for (const m of managers) {
      await m.readBarrier();
      expect(m.store.view((tx) => tx.getByName('config', 'forwarded'))?.ID).toBe('cfg1');
    }
  });

  it('applies a forwarded write’s preconditions at the leader like any other', async () => {
    await startCluster();
    const follower = managers.find((m) => !m.isLeader())!;
    const create = () =>
      follower.store.update((tx) => {
        tx.create('secret', {
          ID: objectIdGenerator()(),
          Version: { Index: 0 },
          CreatedAt: '',
          UpdatedAt: '',
          Spec: { Name: 'same-name' },
        });
      });
    await create();
    await expect(create()).rejects.toMatchObject({ code: 'NameConflict' });
  });

  it('hands leadership over on a graceful stop, so writes go on at once', async () => {
    await startCluster();
    const leader = managers.find((m) => m.isLeader())!;
    const oldLeaderId = leader.leaderId();
    managers.splice(managers.indexOf(leader), 1);
    await leader.stop({ transferLeadership: true });
    // Transferred, not elected after a timeout: a survivor already leads when stop() returns.
    const survivors = managers;
    const newLeader = survivors.find((m) => m.isLeader());
    expect(newLeader).toBeDefined();
    expect(newLeader!.leaderId()).not.toBe(oldLeaderId);
    const follower = survivors.find((m) => !m.isLeader())!;
    await follower.store.update((tx) => {
      tx.create('config', { Spec: { Name: 'after-transfer' } });
    });
    expect(follower.store.view((tx) => tx.getByName('config', 'after-transfer'))).toBeDefined();
  });

  it('adds an admitted manager to Raft as a learner and promotes it once caught up', async () => {
    const { pki, ports } = await startCluster();
    const leader = managers.find((m) => m.isLeader())!;
    await leader.store.update((tx) => {
      for (let i = 0; i < 50; i++) tx.create('config', { Spec: { Name: `before-join-${i}` } });
    });
    const [port] = await freePorts(1);
    const address = `127.0.0.1:${port}`;
    const joined = await issueTestCert(pki, { id: 'm4', role: MANAGER_ROLE_OU });
    const stateDir = new StateDir(path.join(root, 'm4'));
    await stateDir.writeCertificates({
      'ca.crt': joined.caPem,
      'node.crt': joined.nodes['m4']!.certPem,
      'node.key': joined.nodes['m4']!.keyPem,
    });
    // Admission writes the Node; the leader's reconciler adds it to Raft as a learner.
    await leader.store.update((tx) => {
      tx.create('node', {
        ID: 'm4',
        Spec: { Role: 'manager', Availability: 'active' },
        ManagerStatus: { Addr: address },
      } as never);
    });
    const m4 = await ManagerNode.start({
      node: {
        nodeId: 'm4',
        clusterId: 'c1',
        role: 'manager',
        listenAddr: address,
        advertiseAddr: address,
      },
      stateDir,
      peers: ids.map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}` })),
      clock: systemClock,
      newId: objectIdGenerator(),
      logger: nullLogger,
      tickMs: 20,
      dataKey: generateDataKey(),
    });
    managers.push(m4);
    // Caught up: it holds what was written before it joined.
    expect(m4.store.view((tx) => tx.getByName('config', 'before-join-49'))).toBeDefined();
    await expect.poll(() => leader.members().length, { timeout: 5000 }).toBe(4);
    // And it takes writes (forwarded to the leader) like any other manager.
    await m4.store.update((tx) => {
      tx.create('config', { Spec: { Name: 'from-m4' } });
    });
    await leader.readBarrier();
    expect(leader.store.view((tx) => tx.getByName('config', 'from-m4'))).toBeDefined();
  });

  it('runs the orchestrator and scheduler on the leader only, and they move with leadership', async () => {
    await startCluster();
    const leader = managers.find((m) => m.isLeader())!;
    await leader.store.update((tx) => {
      for (const id of ids) {
        tx.create('node', {
          ID: id,
          Spec: { Role: 'manager', Availability: 'active' },
          Status: { State: 'ready', Addr: '127.0.0.1' },
        } as never);
      }
      tx.create('service', {
        Spec: {
          Name: 'web',
          TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
          Mode: { Replicated: { Replicas: 3 } },
        },
      } as never);
    });
    type T = { NodeID?: string; DesiredState: string; Status: { State: string } };
    const assigned = (m: ManagerNode) =>
      m.store.view((tx) =>
        tx.list<
          T & { ID: string; Version: { Index: number }; CreatedAt: string; UpdatedAt: string }
        >('task'),
      );
    await expect
      .poll(() => assigned(leader).filter((t) => t.Status.State === 'assigned').length, {
        timeout: 5000,
      })
      .toBe(3);
    // Spread: one per node.
    expect(new Set(assigned(leader).map((t) => t.NodeID)).size).toBe(3);

    // Hand leadership over; the new leader's orchestrator takes over without duplicating slots.
    managers.splice(managers.indexOf(leader), 1);
    await leader.stop({ transferLeadership: true });
    const next = managers.find((m) => m.isLeader())!;
    await next.store.update((tx) => {
      const svc = tx.list('service')[0]! as unknown as {
        Spec: { Mode: { Replicated: { Replicas: number } } };
      };
      const copy = structuredClone(svc);
      copy.Spec.Mode.Replicated.Replicas = 4;
      tx.update('service', copy as never);
    });
    await expect
      .poll(() => assigned(next).filter((t) => t.DesiredState === 'running').length, {
        timeout: 5000,
      })
      .toBe(4);
  });

  it('refuses forwarded writes from a certificate without the manager role', async () => {
    const { pki, ports } = await startCluster();
    const leaderIndex = managers.findIndex((m) => m.isLeader());
    const worker = (await issueTestCert(pki, { id: 'w1', role: WORKER_ROLE_OU })).nodes['w1']!;
    const Ctor = loadManagerProto().shoal.manager.v1.ManagerControl;
    const client = new Ctor(
      `127.0.0.1:${ports[leaderIndex]}`,
      grpc.credentials.createSsl(
        Buffer.from(pki.caPem),
        Buffer.from(worker.keyPem),
        Buffer.from(worker.certPem),
      ),
    );
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.Propose({ data: Buffer.from('{}') }, (e) => resolve(e)),
    );
    client.close();
    expect(err?.code).toBe(grpc.status.PERMISSION_DENIED);
  });
});

describe('ManagerNode: a start that fails to catch up', () => {
  let root = '';
  let running: ManagerNode | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await running?.stop();
    running = undefined;
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('stops what it started, so the next start leads with its leader metrics', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shoal-manager-failed-start-'));
    const registry = createDaemonRegistry({ version: 'v' });
    const warnings: string[] = [];
    const logger: Logger = { ...nullLogger, warn: (msg) => warnings.push(msg) };
    logger.child = () => logger;
    const start = await singleManagerStarter(root, { metrics: registry, logger });
    const names = async () => (await registry.getMetricsAsJSON()).map((m) => m.name);

    // The catch-up fails only once this node leads and its leader services (and their
    // metrics) run: the worst moment to give up.
    const barrier = vi
      .spyOn(ManagerNode.prototype, 'readBarrier')
      .mockImplementation(async function (this: ManagerNode) {
        await vi.waitFor(() => expect(this.dispatch()).toBeDefined(), { timeout: 5_000 });
        expect(await names()).toContain('shoal_dispatcher_sessions');
        throw new Error('catch-up failed');
      });
    await expect(start(true)).rejects.toThrow('catch-up failed');
    const left = await names();
    expect(left.filter((n) => n.startsWith('shoal_raft_') || n.startsWith('shoal_store_'))).toEqual(
      [],
    );
    expect(left).not.toContain('shoal_dispatcher_sessions');

    // Its Raft driver is stopped too: the port and the state dir are free for the next start.
    barrier.mockRestore();
    running = await start(false);
    await vi.waitFor(() => expect(running!.dispatch()).toBeDefined(), { timeout: 5_000 });
    const now = await names();
    expect(now).toContain('shoal_dispatcher_sessions');
    expect(now).toContain('shoal_raft_term');
    expect(warnings).not.toContain('leader metrics not registered');
  });
});
