import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadCaProto, loadManagerProto, loadRaftProto } from '@shoal/api';
import { MANAGER_ROLE_OU, WORKER_ROLE_OU, createCertificateRequest } from '@shoal/ca';
import {
  fetchRootCaPinned,
  managerChannelCredentials,
  nodeCaService,
  renewNodeCertificate,
  requestNodeCertificate,
} from '@shoal/ca/grpc';
import { fakeNodeCaPolicy, type FakeNodeCaPolicy } from '@shoal/ca/grpc/testing';
import { nullLogger } from '@shoal/common';
import {
  GrpcTransport,
  type RaftDriver,
  type TransportHandlers,
  core,
  messageToPb,
} from '@shoal/raft';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../../../test/support/test-certs';
import { clusterPortCredentials, managerOnlyAuthorizer } from './cluster-port';
import { managerControlService } from './leader-forwarding';

/**
 * The cluster port's security matrix: one port, one server, Raft + ManagerControl + NodeCA,
 * called by every kind of client. OK means the call went through.
 */

type Caller = 'none' | 'otherCa' | 'worker' | 'manager' | 'removed';

let pki: TestPki;
let other: TestPki;
let policy: FakeNodeCaPolicy;
let transport: GrpcTransport;
let address: string;
const received: core.Message[] = [];
const warnings: string[] = [];
const proposals: Buffer[] = [];

const handlers: TransportHandlers = {
  onMessage: (m) => received.push(m),
  onUnreachable: () => undefined,
  onSnapshotStatus: () => undefined,
};

beforeAll(async () => {
  pki = await makeTestPki([
    { id: 'm1', role: MANAGER_ROLE_OU },
    { id: 'm2', role: MANAGER_ROLE_OU },
    { id: 'm3', role: MANAGER_ROLE_OU },
    { id: 'w1', role: WORKER_ROLE_OU },
  ]);
  other = await makeTestPki([{ id: 'm2', role: MANAGER_ROLE_OU }], { caName: 'Other CA' });
  policy = fakeNodeCaPolicy({ certPem: pki.caPem, keyPem: pki.caKeyPem });
  policy.removed.add('m3');
  const isDenied = (id: string) => policy.removed.has(id);
  const authorize = managerOnlyAuthorizer(pki.caPem, isDenied);
  const driver = {
    propose: async (data: Uint8Array) => {
      proposals.push(Buffer.from(data));
      return { index: 42 };
    },
  } as unknown as RaftDriver;
  const creds = clusterPortCredentials({
    caPem: pki.caPem,
    certPem: pki.nodes.m1!.certPem,
    keyPem: pki.nodes.m1!.keyPem,
  });
  transport = new GrpcTransport({
    id: 'm1',
    listenAddress: '127.0.0.1:0',
    credentials: creds,
    authorizePeer: authorize,
    logger: { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m) },
    extraServices: [
      nodeCaService(policy),
      managerControlService(() => driver, nullLogger, authorize),
    ],
  });
  await transport.start(handlers);
  address = `127.0.0.1:${transport.boundPort}`;
});

afterAll(async () => {
  await transport?.stop();
});

function credentialsOf(caller: Caller): grpc.ChannelCredentials {
  const mine = {
    none: undefined,
    otherCa: other.nodes.m2,
    worker: pki.nodes.w1,
    manager: pki.nodes.m2,
    removed: pki.nodes.m3,
  }[caller];
  return managerChannelCredentials(pki.caPem, mine);
}

const OPTS = { 'grpc.use_local_subchannel_pool': 1 };
const deadline = () => ({ deadline: Date.now() + 5_000 });
type Outcome = 'OK' | keyof typeof grpc.status;
const outcome = (err: grpc.ServiceError | null): Outcome =>
  err ? (grpc.status[err.code] as keyof typeof grpc.status) : 'OK';

/** Opens a Raft stream, sends one heartbeat from m2 (or the caller), ends it. */
function raftStream(caller: Caller): Promise<Outcome> {
  const client = new (loadRaftProto().shoal.raft.v1.RaftTransport)(
    address,
    credentialsOf(caller),
    OPTS,
  );
  return new Promise((resolve) => {
    const call = client.Stream(deadline(), (err) => {
      client.close();
      resolve(outcome(err));
    });
    call.on('error', () => undefined);
    const from = caller === 'worker' ? 'w1' : caller === 'removed' ? 'm3' : 'm2';
    const heartbeat = { ...core.emptyMessage(core.MessageType.Heartbeat, 'm1', from), term: 1 };
    call.write({ messages: [messageToPb(heartbeat)] });
    call.end();
  });
}

function installSnapshot(caller: Caller): Promise<Outcome> {
  const client = new (loadRaftProto().shoal.raft.v1.RaftTransport)(
    address,
    credentialsOf(caller),
    OPTS,
  );
  return new Promise((resolve) => {
    const call = client.InstallSnapshot(deadline(), (err) => {
      client.close();
      resolve(outcome(err));
    });
    call.on('error', () => undefined);
    call.end();
  });
}

function propose(caller: Caller): Promise<Outcome> {
  const client = new (loadManagerProto().shoal.manager.v1.ManagerControl)(
    address,
    credentialsOf(caller),
    OPTS,
  );
  return new Promise((resolve) =>
    client.Propose({ data: Buffer.from(caller) }, deadline(), (err) => {
      client.close();
      resolve(outcome(err));
    }),
  );
}

function rootCa(caller: Caller): Promise<Outcome> {
  const client = new (loadCaProto().shoal.ca.v1.NodeCA)(address, credentialsOf(caller), OPTS);
  return new Promise((resolve) =>
    client.GetRootCACertificate({}, deadline(), (err) => {
      client.close();
      resolve(outcome(err));
    }),
  );
}

async function issue(caller: Caller): Promise<Outcome> {
  const { csrPem } = await createCertificateRequest();
  const client = new (loadCaProto().shoal.ca.v1.NodeCA)(address, credentialsOf(caller), OPTS);
  return new Promise((resolve) =>
    client.IssueNodeCertificate({ csrPem, token: policy.workerToken }, deadline(), (err) => {
      client.close();
      resolve(outcome(err));
    }),
  );
}

async function renew(caller: Caller): Promise<Outcome> {
  const { csrPem } = await createCertificateRequest();
  try {
    await renewNodeCertificate(address, credentialsOf(caller), csrPem);
    return 'OK';
  } catch (err) {
    return grpc.status[(err as { code: grpc.status }).code] as Outcome;
  }
}

describe('the cluster port', () => {
  const callers: Caller[] = ['none', 'otherCa', 'worker', 'manager', 'removed'];

  it('enforces the security matrix', async () => {
    const matrix: Record<string, Record<Caller, Outcome>> = {};
    const calls = { raftStream, installSnapshot, propose, rootCa, issue, renew };
    for (const [name, fn] of Object.entries(calls)) {
      matrix[name] = {} as Record<Caller, Outcome>;
      for (const caller of callers) matrix[name][caller] = await fn(caller);
    }
    expect(matrix).toEqual({
      // Raft and forwarding: managers of this cluster only, and not removed ones.
      raftStream: {
        none: 'UNAUTHENTICATED',
        otherCa: 'UNAUTHENTICATED',
        worker: 'PERMISSION_DENIED',
        manager: 'OK',
        removed: 'PERMISSION_DENIED',
      },
      installSnapshot: {
        none: 'UNAUTHENTICATED',
        otherCa: 'UNAUTHENTICATED',
        worker: 'PERMISSION_DENIED',
        // Through authorization; an empty snapshot is then refused for what it is.
        manager: 'DATA_LOSS',
        removed: 'PERMISSION_DENIED',
      },
      propose: {
        none: 'UNAUTHENTICATED',
        otherCa: 'UNAUTHENTICATED',
        worker: 'PERMISSION_DENIED',
        manager: 'OK',
        removed: 'PERMISSION_DENIED',
      },
      // Issuance: anyone with a token, certificate or not.
      rootCa: { none: 'OK', otherCa: 'OK', worker: 'OK', manager: 'OK', removed: 'OK' },
      issue: { none: 'OK', otherCa: 'OK', worker: 'OK', manager: 'OK', removed: 'OK' },
      // Renewal: any valid certificate of this cluster, not a removed node's.
      renew: {
        none: 'UNAUTHENTICATED',
        otherCa: 'UNAUTHENTICATED',
        worker: 'OK',
        manager: 'OK',
        removed: 'PERMISSION_DENIED',
      },
    });
    // Only the manager's heartbeat and proposal got through.
    expect(received.map((m) => m.from)).toEqual(['m2']);
    expect(proposals.map(String)).toEqual(['manager']);
    expect(warnings.some((w) => w.includes('has role swarm-worker'))).toBe(true);
    expect(warnings.some((w) => w.includes('node m3 has been removed'))).toBe(true);
  });

  it('carries Raft between two managers built the same way', async () => {
    const m2 = new GrpcTransport({
      id: 'm2',
      listenAddress: '127.0.0.1:0',
      credentials: clusterPortCredentials({
        caPem: pki.caPem,
        certPem: pki.nodes.m2!.certPem,
        keyPem: pki.nodes.m2!.keyPem,
      }),
      authorizePeer: managerOnlyAuthorizer(pki.caPem, () => false),
    });
    await m2.start(handlers);
    try {
      const before = received.length;
      m2.setPeer('m1', address);
      m2.send([{ ...core.emptyMessage(core.MessageType.App, 'm1', 'm2'), term: 1, index: 7 }]);
      const until = Date.now() + 10_000;
      while (received.length === before && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(received.slice(before).map((m) => [m.from, m.index])).toEqual([['m2', 7]]);
    } finally {
      await m2.stop();
    }
  });

  it('lets a new node join end to end: pin the CA, get a certificate, then speak mTLS', async () => {
    const pinned = await fetchRootCaPinned(address, policy.managerToken);
    expect(pinned.serverNodeId).toBe('m1');
    const csr = await createCertificateRequest();
    const issued = await requestNodeCertificate(
      address,
      pinned.caPem,
      policy.managerToken,
      csr.csrPem,
      '127.0.0.1:4243',
    );
    expect(issued.role).toBe(MANAGER_ROLE_OU);
    // Its new certificate admits it to forwarding, like any manager's.
    const client = new (loadManagerProto().shoal.manager.v1.ManagerControl)(
      address,
      managerChannelCredentials(pinned.caPem, { certPem: issued.certPem, keyPem: csr.keyPem }),
      OPTS,
    );
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.Propose({ data: Buffer.from('joined') }, deadline(), (e) => resolve(e)),
    );
    client.close();
    expect(err).toBeNull();
  });

  it('managerOnlyAuthorizer checks chain, validity, role and denylist itself', () => {
    const der = (p: TestPki, id: string) => new X509Certificate(p.nodes[id]!.certPem).raw;
    const authorize = managerOnlyAuthorizer(pki.caPem, (id) => id === 'm3');
    expect(authorize({ certificateDer: der(pki, 'm2'), cn: 'm2' })).toBeUndefined();
    expect(authorize({})).toContain('no client certificate');
    expect(authorize({ certificateDer: der(other, 'm2'), cn: 'm2' })).toContain(
      'not signed by this cluster',
    );
    expect(authorize({ certificateDer: der(pki, 'w1'), cn: 'w1' })).toContain(
      'has role swarm-worker',
    );
    expect(authorize({ certificateDer: der(pki, 'm3'), cn: 'm3' })).toContain('removed');
    const later = managerOnlyAuthorizer(
      pki.caPem,
      () => false,
      () => Date.now() + 20 * 365 * 86_400_000,
    );
    expect(later({ certificateDer: der(pki, 'm2'), cn: 'm2' })).toContain('expired');
  });
});
