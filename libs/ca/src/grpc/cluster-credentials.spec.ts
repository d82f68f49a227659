import * as grpc from '@grpc/grpc-js';
import { loadCaProto, type PbNodeCaHandlers } from '@shoal/api';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestPki } from '../../../../test/support/test-certs';
import { MANAGER_ROLE_OU, WORKER_ROLE_OU } from '../certificate-authority';
import {
  NodeCertificateSource,
  managerChannelCredentials,
  managerMtlsChannelCredentials,
  optionalClientCertificateCredentials,
  requireClientCertificate,
} from './cluster-credentials';
import { NODE_CA_ANONYMOUS_METHODS } from './node-ca.service';
import { peerCertificateOf } from './peer-authorization';
import { serveOnLoopback, type TestServer } from './testing';

/**
 * The spike behind the cluster port: grpc-js server credentials that request a client
 * certificate without requiring one, and what a handler then sees for each kind of caller.
 */

let pki: TestPki;
let other: TestPki;
const servers: TestServer[] = [];

beforeAll(async () => {
  pki = await makeTestPki([
    { id: 'm1', role: MANAGER_ROLE_OU },
    { id: 'm2', role: MANAGER_ROLE_OU },
    { id: 'w1', role: WORKER_ROLE_OU },
  ]);
  other = await makeTestPki([{ id: 'm2', role: MANAGER_ROLE_OU }], { caName: 'Other CA' });
});

afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

const material = (p: TestPki, id: string) => ({
  caPem: p.caPem,
  certPem: p.nodes[id]!.certPem,
  keyPem: p.nodes[id]!.keyPem,
});

/** A NodeCA whose calls answer with the CN of the verified client certificate, or "-". */
function whoAmI(): { definition: grpc.ServiceDefinition; implementation: PbNodeCaHandlers } {
  const answer = (call: {
    getAuthContext: grpc.ServerUnaryCall<unknown, unknown>['getAuthContext'];
  }) => peerCertificateOf(call).cn ?? '-';
  return {
    definition: loadCaProto().shoal.ca.v1.NodeCA.service,
    implementation: {
      GetRootCACertificate: (call, cb) => cb(null, { caPem: answer(call) }),
      IssueNodeCertificate: (call, cb) => cb(null, { nodeId: answer(call) }),
      RenewNodeCertificate: (call, cb) => cb(null, { role: answer(call) }),
      NodeRole: (call, cb) => cb(null, { role: answer(call) }),
    },
  };
}

async function serve(
  source: NodeCertificateSource,
  interceptors: grpc.ServerInterceptor[] = [],
): Promise<string> {
  const server = await serveOnLoopback(optionalClientCertificateCredentials(source, interceptors), [
    whoAmI(),
  ]);
  servers.push(server);
  return server.address;
}

type Outcome = string | { code: grpc.status };

function call(
  address: string,
  creds: grpc.ChannelCredentials,
  method: 'GetRootCACertificate' | 'RenewNodeCertificate' = 'GetRootCACertificate',
): Promise<Outcome> {
  const client = new (loadCaProto().shoal.ca.v1.NodeCA)(address, creds, {
    'grpc.use_local_subchannel_pool': 1,
  });
  const opts = { deadline: Date.now() + 5_000 };
  return new Promise<Outcome>((resolve) => {
    const done = (err: grpc.ServiceError | null, value: string | undefined) => {
      client.close();
      resolve(err ? { code: err.code } : (value ?? ''));
    };
    if (method === 'GetRootCACertificate') {
      client.GetRootCACertificate({}, opts, (err, res) => done(err, res?.caPem));
    } else {
      client.RenewNodeCertificate({}, opts, (err, res) => done(err, res?.role));
    }
  });
}

const mtls = (p: TestPki, id: string, trust = pki.caPem) =>
  managerChannelCredentials(trust, p.nodes[id]!);

describe('optionalClientCertificateCredentials (request, do not require)', () => {
  it('accepts every caller; a handler sees only certificates its CA verified', async () => {
    const address = await serve(new NodeCertificateSource(material(pki, 'm1')));
    expect(await call(address, managerChannelCredentials(pki.caPem))).toBe('-');
    expect(await call(address, mtls(pki, 'm2'))).toBe('m2');
    expect(await call(address, mtls(pki, 'w1'))).toBe('w1');
    // Another CA's certificate is not refused by TLS, but is invisible: it looks like none.
    expect(await call(address, mtls(other, 'm2'))).toBe('-');
  });

  it('requireClientCertificate refuses anonymous callers except on the named methods', async () => {
    const address = await serve(new NodeCertificateSource(material(pki, 'm1')), [
      requireClientCertificate(NODE_CA_ANONYMOUS_METHODS),
    ]);
    const anonymous = managerChannelCredentials(pki.caPem);
    expect(await call(address, anonymous)).toBe('-');
    expect(await call(address, anonymous, 'RenewNodeCertificate')).toEqual({
      code: grpc.status.UNAUTHENTICATED,
    });
    expect(await call(address, mtls(other, 'm2'), 'RenewNodeCertificate')).toEqual({
      code: grpc.status.UNAUTHENTICATED,
    });
    expect(await call(address, mtls(pki, 'w1'), 'RenewNodeCertificate')).toBe('w1');
  });

  it('clients refuse a server that is not a manager of their CA', async () => {
    const worker = await serve(new NodeCertificateSource(material(pki, 'w1')));
    expect(await call(worker, mtls(pki, 'm2'))).toEqual({ code: grpc.status.UNAVAILABLE });
    const foreign = await serve(new NodeCertificateSource(material(other, 'm2')));
    expect(await call(foreign, mtls(pki, 'm2'))).toEqual({ code: grpc.status.UNAVAILABLE });
  });

  it('update() swaps the server certificate and CA for new connections', async () => {
    const source = new NodeCertificateSource(material(pki, 'm1'));
    const address = await serve(source);
    expect(await call(address, mtls(pki, 'm2'))).toBe('m2');
    source.update(material(other, 'm2'));
    // The server now presents other's certificate and trusts other's CA.
    expect(await call(address, mtls(pki, 'm2'))).toEqual({ code: grpc.status.UNAVAILABLE });
    expect(await call(address, mtls(other, 'm2', other.caPem))).toBe('m2');
  });

  it('mTLS client credentials on a source follow its updates', async () => {
    const address = await serve(new NodeCertificateSource(material(pki, 'm1')));
    const mine = new NodeCertificateSource(material(other, 'm2'));
    const creds = managerMtlsChannelCredentials(mine);
    expect(await call(address, creds)).toEqual({ code: grpc.status.UNAVAILABLE });
    mine.update(material(pki, 'm2'));
    expect(await call(address, creds)).toBe('m2');
  });
});
