import * as grpc from '@grpc/grpc-js';
import { type PeerCertificate } from 'node:tls';
import { MANAGER_ROLE_OU } from '../certificate-authority';

/**
 * TLS credentials for the cluster port, which serves three kinds of caller on one port (as
 * Swarm's 2377 does with Go's tls.VerifyClientCertIfGiven):
 *
 * - managers speaking Raft and forwarding writes: mTLS, manager certificates only;
 * - any node renewing its certificate (later: agents talking to the dispatcher): mTLS;
 * - a joining node, which has no certificate yet: server-verified TLS, and a join token.
 *
 * grpc-js 1.14 has no "verify if given" mode on `ServerCredentials.createSsl`: its
 * `checkClientCertificate` flag sets Node's `requestCert` and leaves `rejectUnauthorized` at
 * its default (true), so a client without a certificate fails the handshake. Its experimental
 * certificate-provider credentials, though, take the two apart: `requestCert: true,
 * rejectUnauthorized: requireClientCertificate`. With `requireClientCertificate = false` Node
 * still verifies any certificate the client presents against the CA, and records the outcome
 * in `socket.authorized`; the handshake goes on either way. grpc-js then reports a peer
 * certificate to handlers (`call.getAuthContext().sslPeerCertificate`) only when the socket is
 * authorized. So a handler sees either a certificate whose chain the CA vouched for, or
 * nothing: a certificate from another CA looks exactly like no certificate. Each service then
 * decides per call what it needs (see peer-authorization.ts and requireClientCertificate()).
 */

/** The PEM material of one node: the cluster's root CA, its certificate and its key. */
export interface NodeTlsMaterial {
  caPem: string;
  certPem: string;
  /** PKCS#8. */
  keyPem: string;
}

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/**
 * A node's TLS material as a grpc-js certificate provider, serving both the CA and the
 * identity certificate. Server and client credentials built on one source follow its
 * update(): a renewed certificate (or a rotated CA) reaches a running server and new outbound
 * connections without a restart.
 */
export class NodeCertificateSource implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private material: NodeTlsMaterial) {}

  get current(): NodeTlsMaterial {
    return this.material;
  }

  // The server credentials register their own watcher only after adding these listeners, so
  // the first update must come later or it reaches nobody (and the server drops every
  // connection for want of credentials): deliver it on the next microtask.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener(this.caUpdate());
    });
  }
  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener(this.identityUpdate());
    });
  }
  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  /** New connections use `material` from now on; established ones keep what they had. */
  update(material: NodeTlsMaterial): void {
    this.material = material;
    for (const l of [...this.caListeners]) l(this.caUpdate());
    for (const l of [...this.identityListeners]) l(this.identityUpdate());
  }

  private caUpdate(): grpc.experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.material.caPem) };
  }
  private identityUpdate(): grpc.experimental.IdentityCertificateUpdate {
    return {
      certificate: Buffer.from(this.material.certPem),
      privateKey: Buffer.from(this.material.keyPem),
    };
  }
}

/**
 * Server credentials that request a client certificate, verify it against the source's CA
 * when one is presented, and accept the connection when none is. Handlers must check
 * `getAuthContext().sslPeerCertificate` themselves; `interceptors` (for example
 * requireClientCertificate()) run before every handler on ports bound with these.
 */
export function optionalClientCertificateCredentials(
  source: NodeCertificateSource,
  interceptors: grpc.ServerInterceptor[] = [],
): grpc.ServerCredentials {
  // The same provider serves both roles. That also sidesteps a quirk of grpc-js 1.14:
  // createCertificateProviderServerCredentials names its first parameter the CA provider but
  // hands it to the constructor as the identity provider.
  const base = grpc.experimental.createCertificateProviderServerCredentials(source, source, false);
  return interceptors.length > 0
    ? grpc.experimental.createServerCredentialsWithInterceptors(base, interceptors)
    : base;
}

/**
 * A server interceptor that refuses, with UNAUTHENTICATED, every call whose connection has no
 * client certificate verified by the port's CA, except calls to `anonymousMethods` (full
 * paths, "/package.Service/Method"). Role and denylist checks stay with each service; this is
 * the default-deny floor under all of them, so a service added to the port later cannot be
 * reached anonymously by accident.
 */
export function requireClientCertificate(
  anonymousMethods: ReadonlySet<string>,
): grpc.ServerInterceptor {
  return (method, call) => {
    if (anonymousMethods.has(method.path) || call.getAuthContext().sslPeerCertificate) {
      return new grpc.ServerInterceptingCall(call);
    }
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: () => {
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details:
                `${method.path} needs a client certificate issued by this cluster's CA; ` +
                'none was presented, or it was not issued by this CA',
              metadata: new grpc.Metadata(),
            });
          },
        });
      },
    });
  };
}

/**
 * Checks the server's certificate by role rather than by host name, as Swarm does (its clients
 * verify the name "swarm-manager", which its CA writes into every manager certificate): the
 * chain has already been verified against the cluster CA, and any manager of the cluster may
 * answer on any address it is reached at.
 */
export function checkManagerServerIdentity(
  _host: string,
  cert: PeerCertificate,
): Error | undefined {
  const ou: unknown = cert.subject?.OU;
  const roles = Array.isArray(ou) ? ou : [ou];
  if (roles.includes(MANAGER_ROLE_OU)) return undefined;
  return new Error(
    `the server's certificate is not a manager's (OU=${String(ou)}, expected ${MANAGER_ROLE_OU})`,
  );
}

/**
 * Client credentials for calling a manager on the cluster port: the server must present a
 * manager certificate from `caPem`. With `client`, the node's own certificate (mTLS);
 * without, server-verified TLS only (a joining node).
 */
export function managerChannelCredentials(
  caPem: string,
  client?: Pick<NodeTlsMaterial, 'certPem' | 'keyPem'>,
): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(caPem),
    client ? Buffer.from(client.keyPem) : null,
    client ? Buffer.from(client.certPem) : null,
    { checkServerIdentity: checkManagerServerIdentity },
  );
}

/**
 * mTLS client credentials that follow `source`: the node's current certificate, and a server
 * that must present a manager certificate from its current CA.
 */
export function managerMtlsChannelCredentials(
  source: NodeCertificateSource,
): grpc.ChannelCredentials {
  return grpc.experimental.createCertificateProviderChannelCredentials(source, source, {
    checkServerIdentity: checkManagerServerIdentity,
  });
}
