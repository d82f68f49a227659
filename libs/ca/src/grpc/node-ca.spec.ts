import * as grpc from '@grpc/grpc-js';
import { loadCaProto } from '@shoal/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueTestCert, makeTestPki, type TestPki } from '../../../../test/support/test-certs';
import { MANAGER_ROLE_OU, WORKER_ROLE_OU, readNodeCertificate } from '../certificate-authority';
import { createCertificateRequest } from '../certificate-request';
import { verifyNodeCertificate } from '../certificate-verifier';
import { InvalidJoinTokenError, generateJoinToken } from '../join-token';
import {
  NodeCertificateSource,
  managerChannelCredentials,
  optionalClientCertificateCredentials,
  requireClientCertificate,
} from './cluster-credentials';
import {
  CaDigestMismatchError,
  NodeCaCallError,
  UntrustedManagerError,
  fetchRootCaPinned,
  renewNodeCertificate,
  requestNodeCertificate,
} from './node-ca.client';
import { NODE_CA_ANONYMOUS_METHODS, nodeCaService } from './node-ca.service';
import {
  fakeNodeCaPolicy,
  serveOnLoopback,
  type FakeNodeCaPolicy,
  type TestServer,
} from './testing';

let pki: TestPki;
let other: TestPki;
const servers: TestServer[] = [];

beforeAll(async () => {
  pki = await makeTestPki([
    { id: 'm1', role: MANAGER_ROLE_OU },
    { id: 'w1', role: WORKER_ROLE_OU },
  ]);
  other = await makeTestPki([{ id: 'm1', role: MANAGER_ROLE_OU }], { caName: 'Other CA' });
});

afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

const rootCa = (p: TestPki) => ({ certPem: p.caPem, keyPem: p.caKeyPem });
const material = (p: TestPki, id: string) => ({
  caPem: p.caPem,
  certPem: p.nodes[id]!.certPem,
  keyPem: p.nodes[id]!.keyPem,
});

/** A manager's cluster port with NodeCA on it, as shoald serves it. */
async function manager(
  p: TestPki = pki,
  id = 'm1',
): Promise<{ address: string; policy: FakeNodeCaPolicy }> {
  const policy = fakeNodeCaPolicy(rootCa(p));
  const creds = optionalClientCertificateCredentials(new NodeCertificateSource(material(p, id)), [
    requireClientCertificate(NODE_CA_ANONYMOUS_METHODS),
  ]);
  const server = await serveOnLoopback(creds, [nodeCaService(policy)]);
  servers.push(server);
  return { address: server.address, policy };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('fetchRootCaPinned', () => {
  it('returns the CA that the token pins, and the manager that presented it', async () => {
    const m = await manager();
    const pinned = await fetchRootCaPinned(m.address, m.policy.workerToken);
    expect(pinned.caPem).toBe(pki.caPem);
    expect(pinned.serverNodeId).toBe('m1');
    expect(verifyNodeCertificate(pinned.serverCertificateDer, pki.caPem, Date.now()).role).toBe(
      MANAGER_ROLE_OU,
    );
    expect(pinned.serverChainDer[0]).toEqual(pinned.serverCertificateDer);
  });

  it('refuses a server that presents a different CA (man in the middle)', async () => {
    const mitm = await manager(other);
    const token = generateJoinToken(pki.caPem);
    const err = await rejection(fetchRootCaPinned(mitm.address, token));
    expect(err).toBeInstanceOf(CaDigestMismatchError);
    expect(err.message).toContain('CA digest mismatch (possible man-in-the-middle)');
    expect(mitm.policy.admitted).toEqual([]);
  });

  it('refuses a server that relays the real CA but holds no certificate from it', async () => {
    // Serves the genuine CA certificate, but its own TLS identity comes from another CA.
    const policy = fakeNodeCaPolicy(rootCa(pki));
    const server = await serveOnLoopback(
      optionalClientCertificateCredentials(new NodeCertificateSource(material(other, 'm1'))),
      [nodeCaService(policy)],
    );
    servers.push(server);
    const err = await rejection(fetchRootCaPinned(server.address, policy.workerToken));
    expect(err).toBeInstanceOf(UntrustedManagerError);
    expect(err.message).toContain('possible man-in-the-middle');
  });

  it('refuses a root CA bundle: the digest pins one certificate', async () => {
    // The genuine CA first (so the digest matches), the intruder's appended, and the server's
    // identity from the intruder's CA.
    const policy = fakeNodeCaPolicy({
      certPem: `${pki.caPem}\n${other.caPem}\n`,
      keyPem: pki.caKeyPem,
    });
    const server = await serveOnLoopback(
      optionalClientCertificateCredentials(new NodeCertificateSource(material(other, 'm1'))),
      [nodeCaService(policy)],
    );
    servers.push(server);
    const err = await rejection(fetchRootCaPinned(server.address, generateJoinToken(pki.caPem)));
    expect(err).toBeInstanceOf(UntrustedManagerError);
    expect(err.message).toContain('exactly one certificate, not 2');
  });

  it('refuses a server whose certificate from the CA is not a manager’s', async () => {
    const policy = fakeNodeCaPolicy(rootCa(pki));
    const server = await serveOnLoopback(
      optionalClientCertificateCredentials(new NodeCertificateSource(material(pki, 'w1'))),
      [nodeCaService(policy)],
    );
    servers.push(server);
    const err = await rejection(fetchRootCaPinned(server.address, policy.workerToken));
    expect(err).toBeInstanceOf(UntrustedManagerError);
    expect(err.message).toContain('not a manager');
  });

  it('refuses a malformed token before connecting', async () => {
    const err = await rejection(fetchRootCaPinned('127.0.0.1:1', 'SWMTKN-1-nope'));
    expect(err).toBeInstanceOf(InvalidJoinTokenError);
  });
});

describe('IssueNodeCertificate', () => {
  it('issues a worker certificate for a worker token, without a client certificate', async () => {
    const m = await manager();
    const { caPem } = await fetchRootCaPinned(m.address, m.policy.workerToken);
    const csr = await createCertificateRequest();
    const issued = await requestNodeCertificate(
      m.address,
      caPem,
      m.policy.workerToken,
      csr.csrPem,
      '10.0.0.9:4242',
      { availability: 'drain' },
    );
    expect(issued).toMatchObject({
      nodeId: 'joined1',
      clusterId: 'cluster-1',
      role: WORKER_ROLE_OU,
      caPem: pki.caPem,
      managers: [{ nodeId: 'm1', addr: '10.0.0.1:4242' }],
    });
    expect(verifyNodeCertificate(issued.certPem, pki.caPem, Date.now())).toMatchObject({
      nodeId: 'joined1',
      role: WORKER_ROLE_OU,
      clusterId: 'cluster-1',
    });
    expect(m.policy.admitted).toEqual([
      {
        token: m.policy.workerToken,
        csrPem: csr.csrPem,
        advertiseAddr: '10.0.0.9:4242',
        peerAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        availability: 'drain',
        descriptionJson: '',
      },
    ]);
  });

  it('issues a manager certificate for a manager token', async () => {
    const m = await manager();
    const csr = await createCertificateRequest();
    const issued = await requestNodeCertificate(
      m.address,
      pki.caPem,
      m.policy.managerToken,
      csr.csrPem,
      '',
    );
    expect(issued.role).toBe(MANAGER_ROLE_OU);
  });

  it('refuses a wrong token with UNAUTHENTICATED', async () => {
    const m = await manager();
    const csr = await createCertificateRequest();
    const err = await rejection(
      requestNodeCertificate(m.address, pki.caPem, generateJoinToken(pki.caPem), csr.csrPem, ''),
    );
    expect(err).toBeInstanceOf(NodeCaCallError);
    expect((err as NodeCaCallError).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.message).toContain('invalid join token');
  });

  it('refuses a bad CSR with INVALID_ARGUMENT', async () => {
    const m = await manager();
    const client = new (loadCaProto().shoal.ca.v1.NodeCA)(
      m.address,
      managerChannelCredentials(pki.caPem),
    );
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.IssueNodeCertificate(
        { csrPem: 'not a csr', token: m.policy.workerToken },
        { deadline: Date.now() + 5_000 },
        (e) => resolve(e),
      ),
    );
    client.close();
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('reports an unexpected policy failure as UNAVAILABLE', async () => {
    const m = await manager();
    m.policy.failWith = new Error('store is locked');
    const csr = await createCertificateRequest();
    const err = (await rejection(
      requestNodeCertificate(m.address, pki.caPem, m.policy.workerToken, csr.csrPem, ''),
    )) as NodeCaCallError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toContain('store is locked');
  });
});

describe('RenewNodeCertificate', () => {
  it('renews for the node its client certificate names, with its current role', async () => {
    const m = await manager();
    m.policy.roles.set('w1', WORKER_ROLE_OU);
    const csr = await createCertificateRequest();
    const renewed = await renewNodeCertificate(m.address, material(pki, 'w1'), csr.csrPem);
    expect(renewed.role).toBe(WORKER_ROLE_OU);
    expect(readNodeCertificate(renewed.certPem).nodeId).toBe('w1');
    expect(m.policy.renewed.map((r) => r.nodeId)).toEqual(['w1']);
  });

  it('then works with the renewed certificate', async () => {
    const m = await manager();
    const first = await createCertificateRequest();
    const renewed = await renewNodeCertificate(m.address, material(pki, 'w1'), first.csrPem);
    const second = await createCertificateRequest();
    const again = await renewNodeCertificate(
      m.address,
      { caPem: pki.caPem, certPem: renewed.certPem, keyPem: first.keyPem },
      second.csrPem,
    );
    expect(readNodeCertificate(again.certPem).nodeId).toBe('w1');
  });

  it('refuses a caller without a certificate with UNAUTHENTICATED', async () => {
    const m = await manager();
    const csr = await createCertificateRequest();
    const err = (await rejection(
      renewNodeCertificate(m.address, managerChannelCredentials(pki.caPem), csr.csrPem),
    )) as NodeCaCallError;
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(m.policy.renewed).toEqual([]);
  });

  it('refuses a certificate from another CA', async () => {
    const m = await manager();
    const intruder = await issueTestCert(other, { id: 'w1', role: WORKER_ROLE_OU });
    const csr = await createCertificateRequest();
    const creds = managerChannelCredentials(pki.caPem, intruder.nodes.w1!);
    const err = (await rejection(
      renewNodeCertificate(m.address, creds, csr.csrPem),
    )) as NodeCaCallError;
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(m.policy.renewed).toEqual([]);
  });

  it('refuses a removed node with PERMISSION_DENIED', async () => {
    const m = await manager();
    m.policy.removed.add('w1');
    const csr = await createCertificateRequest();
    const err = (await rejection(
      renewNodeCertificate(m.address, material(pki, 'w1'), csr.csrPem),
    )) as NodeCaCallError;
    expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err.details).toContain('removed');
  });

  it('refuses an expired certificate even though the connection was accepted', async () => {
    const policy = fakeNodeCaPolicy(rootCa(pki));
    // The server's clock is a year ahead: the client certificate (valid 10 years) is fine for
    // TLS, which checks it at the handshake with the real clock, but not for the service.
    const server = await serveOnLoopback(
      optionalClientCertificateCredentials(new NodeCertificateSource(material(pki, 'm1'))),
      [nodeCaService(policy, { now: () => Date.now() + 20 * 365 * 86_400_000 })],
    );
    servers.push(server);
    const csr = await createCertificateRequest();
    const err = (await rejection(
      renewNodeCertificate(server.address, material(pki, 'w1'), csr.csrPem),
    )) as NodeCaCallError;
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err.details).toContain('expired');
  });
});
