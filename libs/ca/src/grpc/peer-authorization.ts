import * as grpc from '@grpc/grpc-js';
import { type PeerCertificate } from 'node:tls';
import { CertificateRejectedError, verifyNodeCertificate } from '../certificate-verifier';
import { type CertificateSubject } from '../x509-common';

/**
 * Per-call authorization on the cluster port, which accepts connections without a client
 * certificate (see cluster-credentials.ts): every service that needs one checks it here.
 */

/** The client certificate of a call's connection, as grpc-js reports it. */
export interface PeerCertificateInfo {
  /** DER. Present only when TLS verified the chain against the port's CA at the handshake. */
  certificateDer?: Uint8Array;
  /** Its CN (the node ID). */
  cn?: string;
}

/** Anything with a gRPC auth context: server calls of every kind, server interceptors. */
export interface HasAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

export function peerCertificateOf(call: HasAuthContext): PeerCertificateInfo {
  const cert = call.getAuthContext().sslPeerCertificate;
  const cn: unknown = cert?.subject?.CN;
  return {
    ...(cert?.raw ? { certificateDer: cert.raw } : {}),
    ...(typeof cn === 'string' ? { cn } : {}),
  };
}

export interface PeerCertificatePolicy {
  /** The cluster's root CA, read per call so that a rotated CA takes effect at once. */
  caPem: string | (() => string);
  /** Roles (OU) admitted; every role when absent. */
  roles?: readonly string[];
  /** Whether a node ID is on the removed-nodes denylist. */
  isDenied?: (nodeId: string) => boolean;
  /** Milliseconds since the epoch; Date.now by default. */
  now?: () => number;
}

export type PeerVerdict =
  { ok: true; node: CertificateSubject } | { ok: false; code: grpc.status; reason: string };

/**
 * Whether the caller's certificate is a node certificate of this cluster, valid now, of an
 * admitted role and not denied. TLS has verified the chain once, at the handshake; this checks
 * it again at the time of the call (a connection outlives a certificate's expiry, and the CA
 * may have rotated), then role and denylist. UNAUTHENTICATED for a missing or invalid
 * certificate, PERMISSION_DENIED for a valid one that may not do this.
 */
export function verifyPeerCertificate(
  peer: PeerCertificateInfo,
  policy: PeerCertificatePolicy,
): PeerVerdict {
  if (!peer.certificateDer) {
    return {
      ok: false,
      code: grpc.status.UNAUTHENTICATED,
      reason:
        'no client certificate issued by this cluster’s CA (none was presented, or it was ' +
        'not issued by this CA)',
    };
  }
  let node: CertificateSubject;
  try {
    const caPem = typeof policy.caPem === 'function' ? policy.caPem() : policy.caPem;
    node = verifyNodeCertificate(peer.certificateDer, caPem, (policy.now ?? Date.now)());
  } catch (err) {
    const reason =
      err instanceof CertificateRejectedError
        ? err.message
        : `certificate check failed: ${String(err)}`;
    return { ok: false, code: grpc.status.UNAUTHENTICATED, reason };
  }
  return checkRoleAndDenylist(node, policy);
}

function checkRoleAndDenylist(
  node: CertificateSubject,
  policy: PeerCertificatePolicy,
): PeerVerdict {
  if (policy.roles && !policy.roles.includes(node.role)) {
    return {
      ok: false,
      code: grpc.status.PERMISSION_DENIED,
      reason: `node ${node.nodeId} has role ${node.role || '(none)'}; this needs ${policy.roles.join(' or ')}`,
    };
  }
  if (policy.isDenied?.(node.nodeId)) {
    return {
      ok: false,
      code: grpc.status.PERMISSION_DENIED,
      reason: `node ${node.nodeId} has been removed from the cluster`,
    };
  }
  return { ok: true, node };
}

/** How many verified certificates a PeerCertificateVerifier remembers. */
const VERIFIED_CACHE_SIZE = 512;

/**
 * verifyPeerCertificate with memory: the signature check (most of the ~0.7 ms a check costs)
 * runs once per certificate and CA, not once per call. Validity, role and denylist are still
 * checked on every call. A certificate verified at time t is valid at any later time up to its
 * notAfter; if the clock goes back before t, it is verified afresh.
 */
export class PeerCertificateVerifier {
  private readonly verified = new Map<
    string,
    { caPem: string; node: CertificateSubject; at: number }
  >();

  constructor(private readonly policy: PeerCertificatePolicy) {}

  verify(peer: PeerCertificateInfo): PeerVerdict {
    if (!peer.certificateDer) return verifyPeerCertificate(peer, this.policy);
    const caPem = typeof this.policy.caPem === 'function' ? this.policy.caPem() : this.policy.caPem;
    const now = (this.policy.now ?? Date.now)();
    const key = Buffer.from(peer.certificateDer).toString('base64');
    const hit = this.verified.get(key);
    if (hit && hit.caPem === caPem && hit.at <= now && now <= hit.node.notAfter.getTime()) {
      return this.admit(hit.node);
    }
    const verdict = verifyPeerCertificate(peer, { caPem, now: () => now });
    if (!verdict.ok) return verdict;
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
    this.verified.set(key, { caPem, node: verdict.node, at: now });
    return this.admit(verdict.node);
  }

  /** The refusal-reason shape GrpcTransport's `authorizePeer` takes. */
  readonly authorize = (peer: PeerCertificateInfo): string | undefined => {
    const verdict = this.verify(peer);
    return verdict.ok ? undefined : verdict.reason;
  };

  private admit(node: CertificateSubject): PeerVerdict {
    return checkRoleAndDenylist(node, this.policy);
  }
}

/**
 * The same check as a refusal-reason function, the shape GrpcTransport's `authorizePeer`
 * takes: the reason the peer is refused, or undefined. Remembers verified certificates.
 */
export function peerCertificateAuthorizer(
  policy: PeerCertificatePolicy,
): (peer: PeerCertificateInfo) => string | undefined {
  return new PeerCertificateVerifier(policy).authorize;
}
