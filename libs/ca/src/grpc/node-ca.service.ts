import * as grpc from '@grpc/grpc-js';
import {
  loadCaProto,
  type PbIssueRequestOut,
  type PbIssueResponse,
  type PbNodeCaHandlers,
  type PbRenewRequestOut,
  type PbRenewResponse,
} from '@shoal/api';
import { CertificateRequestError } from '../certificate-request';
import { InvalidJoinTokenError } from '../join-token';
import {
  type HasAuthContext,
  peerCertificateOf,
  verifyPeerCertificate,
} from './peer-authorization';

/**
 * The NodeCA service, served on the cluster port: the transport-level checks (who may call
 * what, and how) live here, and what to issue lives in an injected NodeCaPolicy (the store,
 * tokens, the CA key).
 *
 * - GetRootCACertificate and IssueNodeCertificate need no client certificate: a joining node
 *   has none. Issuance is authenticated by the join token alone (the policy checks it).
 * - RenewNodeCertificate needs a client certificate from the cluster CA, valid now, of any
 *   role; it renews the certificate of the node that certificate names and no other.
 */

/** What a joining node asks for. */
export interface NodeAdmissionRequest {
  token: string;
  csrPem: string;
  /** host:port as the node gave it; empty when it left the choice to the manager. */
  advertiseAddr: string;
  /**
   * Where the call came from, as the server saw it: "ip:port", an IPv6 address in brackets,
   * an IPv4-mapped IPv6 address as plain IPv4.
   */
  peerAddress: string;
  /** "active", "pause" or "drain"; empty means the default. */
  availability: string;
  /** The node's NodeDescription as JSON, as it sent it (untrusted; may be empty). */
  descriptionJson: string;
}

export interface AdmittedNode {
  nodeId: string;
  clusterId: string;
  /** swarm-manager or swarm-worker. */
  role: string;
  certPem: string;
  /** The managers the new node may talk to (for a manager: its Raft peers). */
  managers: { nodeId: string; addr: string }[];
}

export interface RenewalRequest {
  /** From the CN of the caller's verified client certificate, never from the request. */
  nodeId: string;
  csrPem: string;
}

export interface NodeCaPolicy {
  rootCaPem(): string;
  /**
   * Checks the token and admits the node. Throws InvalidJoinTokenError for a bad, rotated or
   * wrong-role token, CertificateRequestError for a bad CSR.
   */
  admit(req: NodeAdmissionRequest): Promise<AdmittedNode>;
  /**
   * A new certificate with the node's current role. Throws NodeRemovedError for a node no
   * longer in the cluster, CertificateRequestError for a bad CSR.
   */
  renew(req: RenewalRequest): Promise<{ certPem: string; role: string }>;
  /**
   * The node's current role and the managers. Throws NodeRemovedError for a node no longer
   * in the cluster.
   */
  nodeRole(req: {
    nodeId: string;
    advertiseAddr: string;
  }): Promise<{ role: string; managers: { nodeId: string; addr: string }[] }>;
}

/** The node is on the removed-nodes denylist (or unknown to the store). */
export class NodeRemovedError extends Error {
  override readonly name = 'NodeRemovedError';
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} has been removed from the cluster; it must join again with a token`);
  }
}

export interface NodeCaServiceLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface NodeCaServiceOptions {
  logger?: NodeCaServiceLogger;
  /** Milliseconds since the epoch, for checking client certificates. Default Date.now. */
  now?: () => number;
  /** Refusals of one kind are logged at most this often. Default 10 s. */
  refusalLogIntervalMs?: number;
}

const AVAILABILITIES = new Set(['', 'active', 'pause', 'drain']);
/** A CSR is a few hundred bytes; anything much larger is not one. */
const MAX_CSR_CHARS = 16 * 1024;

/** Full method paths that need no client certificate, for requireClientCertificate(). */
export const NODE_CA_ANONYMOUS_METHODS: ReadonlySet<string> = new Set([
  '/shoal.ca.v1.NodeCA/GetRootCACertificate',
  '/shoal.ca.v1.NodeCA/IssueNodeCertificate',
]);

class Refused extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

/** Maps what the policy threw to a status the joining or renewing node can act on. */
function statusOf(err: unknown, what: string): { code: grpc.status; details: string } {
  if (err instanceof Refused) return { code: err.code, details: err.details };
  if (err instanceof InvalidJoinTokenError) {
    return { code: grpc.status.UNAUTHENTICATED, details: err.message };
  }
  if (err instanceof NodeRemovedError) {
    return { code: grpc.status.PERMISSION_DENIED, details: err.message };
  }
  if (err instanceof CertificateRequestError) {
    return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: grpc.status.UNAVAILABLE,
    details: `${what} failed on this manager: ${message}; try again, or another manager`,
  };
}

function checkCsr(csrPem: string): void {
  if (!csrPem) throw new Refused(grpc.status.INVALID_ARGUMENT, 'csr_pem is empty');
  if (csrPem.length > MAX_CSR_CHARS) {
    throw new Refused(grpc.status.INVALID_ARGUMENT, `csr_pem is over ${MAX_CSR_CHARS} characters`);
  }
}

export function nodeCaService(
  policy: NodeCaPolicy,
  opts: NodeCaServiceOptions = {},
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const now = opts.now ?? Date.now;
  const logRefusal = rateLimitedWarn(opts.logger, opts.refusalLogIntervalMs ?? 10_000);

  /** The node ID of the caller's verified client certificate; refuses the call without one. */
  const callerNodeId = (call: HasAuthContext, what: string): string => {
    const verdict = verifyPeerCertificate(peerCertificateOf(call), {
      caPem: () => policy.rootCaPem(),
      now,
    });
    if (!verdict.ok) {
      throw new Refused(verdict.code, `${what} needs a valid node certificate: ${verdict.reason}`);
    }
    return verdict.node.nodeId;
  };

  const reply = <T>(
    call: grpc.ServerUnaryCall<unknown, T>,
    callback: grpc.sendUnaryData<T>,
    what: string,
    work: () => Promise<T>,
  ): void => {
    Promise.resolve()
      .then(work)
      .then(
        (res) => callback(null, res),
        (err: unknown) => {
          const status = statusOf(err, what);
          if (status.code === grpc.status.UNAVAILABLE) {
            opts.logger?.warn(`node CA: ${what} failed`, {
              peer: call.getPeer(),
              err: String(err),
            });
          } else {
            logRefusal(`node CA: refused ${what}: ${status.details}`, { peer: call.getPeer() });
          }
          callback(status);
        },
      );
  };

  const implementation: PbNodeCaHandlers = {
    GetRootCACertificate: (call, callback) =>
      reply(call, callback, 'root CA request', async () => ({ caPem: policy.rootCaPem() })),

    IssueNodeCertificate: (call, callback) =>
      reply(call, callback, 'certificate issuance', async (): Promise<PbIssueResponse> => {
        const req: PbIssueRequestOut = call.request;
        if (!req.token) {
          throw new Refused(grpc.status.UNAUTHENTICATED, 'a join token is required');
        }
        checkCsr(req.csrPem);
        if (!AVAILABILITIES.has(req.availability)) {
          throw new Refused(
            grpc.status.INVALID_ARGUMENT,
            `availability must be active, pause or drain, not ${JSON.stringify(req.availability.slice(0, 32))}`,
          );
        }
        const admitted = await policy.admit({
          token: req.token,
          csrPem: req.csrPem,
          advertiseAddr: req.advertiseAddr,
          peerAddress: peerHostPort(call.getPeer()),
          availability: req.availability,
          descriptionJson: req.descriptionJson,
        });
        opts.logger?.info('node CA: admitted a node', {
          nodeId: admitted.nodeId,
          role: admitted.role,
          peer: call.getPeer(),
        });
        return {
          nodeId: admitted.nodeId,
          clusterId: admitted.clusterId,
          role: admitted.role,
          certPem: admitted.certPem,
          caPem: policy.rootCaPem(),
          managers: admitted.managers.map((m) => ({ nodeId: m.nodeId, addr: m.addr })),
        };
      }),

    RenewNodeCertificate: (call, callback) =>
      reply(call, callback, 'certificate renewal', async (): Promise<PbRenewResponse> => {
        const nodeId = callerNodeId(call, 'renewal');
        const req: PbRenewRequestOut = call.request;
        checkCsr(req.csrPem);
        const renewed = await policy.renew({ nodeId, csrPem: req.csrPem });
        opts.logger?.info('node CA: renewed a certificate', {
          nodeId,
          role: renewed.role,
        });
        return { certPem: renewed.certPem, role: renewed.role };
      }),

    NodeRole: (call, callback) =>
      reply(call, callback, 'role check', async () => {
        const nodeId = callerNodeId(call, 'a role check');
        const req = call.request as { advertiseAddr: string };
        return policy.nodeRole({ nodeId, advertiseAddr: req.advertiseAddr });
      }),
  };

  return { definition: loadCaProto().shoal.ca.v1.NodeCA.service, implementation };
}

/** grpc-js gives "addr:port" with IPv6 unbracketed ("::1:5000"); make it a usable host:port. */
export function peerHostPort(peer: string): string {
  const colon = peer.lastIndexOf(':');
  if (colon < 0 || !/^\d+$/.test(peer.slice(colon + 1))) return peer;
  let host = peer.slice(0, colon);
  const port = peer.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) host = mapped[1]!;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A warn that says the same thing at most once per interval (with how many it left out), so
 * a node retrying a bad token in a loop cannot flood the log.
 */
function rateLimitedWarn(
  logger: NodeCaServiceLogger | undefined,
  intervalMs: number,
): (msg: string, fields: Record<string, unknown>) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (msg, fields) => {
    if (!logger) return;
    const t = performance.now();
    const entry = last.get(msg);
    if (entry && t - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    if (last.size >= 256) last.clear();
    last.set(msg, { at: t, suppressed: 0 });
    logger.warn(msg, { ...fields, ...(entry?.suppressed ? { suppressed: entry.suppressed } : {}) });
  };
}
