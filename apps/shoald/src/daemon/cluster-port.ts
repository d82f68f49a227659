import type * as grpc from '@grpc/grpc-js';
import { MANAGER_ROLE_OU } from '@shoal/ca';
import {
  NODE_CA_ANONYMOUS_METHODS,
  NodeCertificateSource,
  managerMtlsChannelCredentials,
  optionalClientCertificateCredentials,
  peerCertificateAuthorizer,
  requireClientCertificate,
  type NodeTlsMaterial,
  type PeerCertificateInfo,
} from '@shoal/ca/grpc';

/**
 * The cluster port (Swarm's 2377): one gRPC server carrying Raft, ManagerControl and NodeCA.
 *
 * | caller                     | TLS                          | checked per call            |
 * | -------------------------- | ---------------------------- | --------------------------- |
 * | joining node (no cert)     | server-verified only         | join token (NodeCA policy)  |
 * | any node renewing          | mTLS, cluster CA             | certificate valid now       |
 * | manager: Raft, forwarding  | mTLS, cluster CA             | valid now, manager, not removed |
 *
 * The server requests a client certificate and verifies any it is given, but does not require
 * one (see @shoal/ca/grpc cluster-credentials.ts for how grpc-js is made to do that). Under
 * every service, an interceptor refuses any call without a verified certificate except the two
 * NodeCA methods a joining node needs; each service then checks what it needs on top.
 */

export interface ClusterPortCredentials {
  /** Request-but-not-require client certificates; pass as GrpcTransport's `credentials.server`. */
  server: grpc.ServerCredentials;
  /** mTLS to other managers: this node's certificate, and the server must be a manager. */
  client: grpc.ChannelCredentials;
  /** After a renewal (or CA rotation): new connections, both ways, use `material`. */
  update(material: NodeTlsMaterial): void;
}

export function clusterPortCredentials(material: NodeTlsMaterial): ClusterPortCredentials {
  const source = new NodeCertificateSource(material);
  return {
    server: optionalClientCertificateCredentials(source, [
      requireClientCertificate(NODE_CA_ANONYMOUS_METHODS),
    ]),
    client: managerMtlsChannelCredentials(source),
    update: (m) => source.update(m),
  };
}

/** Why a caller may not do this, or undefined; GrpcTransport's `authorizePeer` shape. */
export type ClusterPeerAuthorizer = (peer: PeerCertificateInfo) => string | undefined;

/**
 * For Raft and ManagerControl: the caller's certificate must chain to the cluster CA, be valid
 * now, carry OU=swarm-manager, and name a node that has not been removed.
 */
export function managerOnlyAuthorizer(
  caPem: string | (() => string),
  isDenied: (nodeId: string) => boolean,
  now: () => number = Date.now,
): ClusterPeerAuthorizer {
  return peerCertificateAuthorizer({ caPem, roles: [MANAGER_ROLE_OU], isDenied, now });
}
