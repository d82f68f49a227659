import { X509Certificate } from 'node:crypto';
import { type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { loadCaProto, type PbNodeCaClient } from '@shoal/api';
import { MANAGER_ROLE_OU, readNodeCertificate } from '../certificate-authority';
import { verifyNodeCertificate } from '../certificate-verifier';
import { parseJoinToken, tokenCaDigest, tokenMatchesCa } from '../join-token';
import {
  checkManagerServerIdentity,
  managerChannelCredentials,
  type NodeTlsMaterial,
} from './cluster-credentials';

/**
 * The joining (and renewing) node's side of NodeCA. A joining node trusts nothing yet, so it
 * learns the CA in three steps, as Swarm's GetRemoteCA does, plus a check of the server:
 *
 * 1. fetch the root CA over TLS that verifies nothing (there is nothing to verify against);
 * 2. refuse it unless its digest is the one in the join token, which came out of band;
 * 3. call again over TLS that verifies the server against that CA, and only then send the
 *    token and the CSR (requestNodeCertificate), always to servers verified that way.
 *
 * A man in the middle either shows its own CA (step 2 fails: digest mismatch) or relays the
 * real CA while presenting its own certificate (step 3 fails). The token never crosses an
 * unverified connection.
 */

/** Every call here has a deadline; this is the default. */
export const DEFAULT_NODE_CA_TIMEOUT_MS = 10_000;

export interface NodeCaCallOptions {
  timeoutMs?: number;
}

/** The CA a manager presented is not the one the join token pins. */
export class CaDigestMismatchError extends Error {
  override readonly name = 'CaDigestMismatchError';
  constructor(
    readonly address: string,
    readonly expectedDigest: string,
    readonly presentedDigest: string,
  ) {
    super(
      `CA digest mismatch (possible man-in-the-middle): the join token pins the CA with digest ` +
        `${expectedDigest}, but the manager at ${address} presented one with digest ` +
        `${presentedDigest}; check the address and the token, and do not join`,
    );
  }
}

/** The server at the address does not hold a manager certificate from the pinned CA. */
export class UntrustedManagerError extends Error {
  override readonly name = 'UntrustedManagerError';
  constructor(
    readonly address: string,
    detail: string,
  ) {
    super(
      `the server at ${address} does not present a manager certificate issued by the cluster ` +
        `CA that the join token pins (possible man-in-the-middle): ${detail}`,
    );
  }
}

/** A NodeCA call failed; `code` is the gRPC status (UNAUTHENTICATED: token or certificate). */
export class NodeCaCallError extends Error {
  override readonly name = 'NodeCaCallError';
  constructor(
    readonly address: string,
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`${method} at ${address} failed (${grpc.status[code] ?? code}): ${details}`);
  }
}

export interface PinnedRootCa {
  caPem: string;
  /** The certificate the manager presented on the verified connection, DER. */
  serverCertificateDer: Uint8Array;
  /** Its issuer chain as presented, leaf first, DER each. */
  serverChainDer: Uint8Array[];
  /** The manager's node ID (its certificate's CN). */
  serverNodeId: string;
}

export interface IssuedNodeCertificate {
  nodeId: string;
  clusterId: string;
  role: string;
  certPem: string;
  caPem: string;
  managers: { nodeId: string; addr: string }[];
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // Never share a connection (or its credentials) with another client in the process: the
  // unverified and the verified channel to one address must be two connections.
  'grpc.use_local_subchannel_pool': 1,
  'grpc.enable_retries': 0,
};

/**
 * With credentials built here, which check the server by role and not by name: present the
 * role as the TLS server name, as Swarm does, rather than the address (Node warns when the
 * server name is an IP address, which the name check would otherwise need).
 */
const ROLE_AS_SERVER_NAME: grpc.ChannelOptions = {
  'grpc.ssl_target_name_override': MANAGER_ROLE_OU,
};

function nodeCaClient(
  address: string,
  credentials: grpc.ChannelCredentials,
  checksRole: boolean,
): PbNodeCaClient {
  const Ctor = loadCaProto().shoal.ca.v1.NodeCA;
  return new Ctor(address, credentials, {
    ...CHANNEL_OPTIONS,
    ...(checksRole ? ROLE_AS_SERVER_NAME : {}),
  });
}

/** One unary call on a fresh channel, closed afterwards, with a deadline. */
async function unary<T>(
  address: string,
  credentials: grpc.ChannelCredentials,
  checksRole: boolean,
  method: string,
  timeoutMs: number | undefined,
  invoke: (
    client: PbNodeCaClient,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, res?: T) => void,
  ) => void,
): Promise<T> {
  const client = nodeCaClient(address, credentials, checksRole);
  try {
    return await new Promise<T>((resolve, reject) => {
      invoke(
        client,
        { deadline: Date.now() + (timeoutMs ?? DEFAULT_NODE_CA_TIMEOUT_MS) },
        (err, res) => {
          if (err) reject(new NodeCaCallError(address, method, err.code, err.details));
          else if (!res)
            reject(new NodeCaCallError(address, method, grpc.status.UNKNOWN, 'no answer'));
          else resolve(res);
        },
      );
    });
  } finally {
    client.close();
  }
}

function parseCertificatePem(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${what} is not a PEM-encoded certificate`);
  }
}

/**
 * The one CA certificate in `pem`, re-encoded. The token's digest covers one certificate, so a
 * bundle must be refused: trusting "the pinned CA plus whatever came with it" would let a man
 * in the middle append his own CA and then pass the verified step with a certificate from it.
 */
function singleCaCertificate(pem: string, address: string): string {
  let ders: ArrayBuffer[];
  try {
    ders = x509.PemConverter.decode(pem);
  } catch {
    ders = [];
  }
  if (ders.length !== 1) {
    throw new UntrustedManagerError(
      address,
      `its root CA answer must hold exactly one certificate, not ${ders.length}`,
    );
  }
  const cert = parseCertificatePem(pem, `the root CA from ${address}`);
  if (!cert.ca) throw new UntrustedManagerError(address, 'its root CA is not a CA certificate');
  return x509.PemConverter.encode(ders[0]!, 'CERTIFICATE');
}

/** The presented chain, leaf first; Node links a detailed peer certificate to its issuers. */
function chainOf(cert: PeerCertificate): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let c: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = cert;
  while (c?.raw && chain.length < 10) {
    chain.push(c.raw);
    const next: PeerCertificate | undefined = c.issuerCertificate;
    if (!next || next === c || next.raw?.equals(c.raw)) break;
    c = next;
  }
  return chain;
}

/**
 * The cluster's root CA from the manager at `address`, pinned by the CA digest in `token`.
 * Throws InvalidJoinTokenError (malformed token, before any network), CaDigestMismatchError,
 * UntrustedManagerError or NodeCaCallError.
 */
export async function fetchRootCaPinned(
  address: string,
  token: string,
  opts: NodeCaCallOptions = {},
): Promise<PinnedRootCa> {
  const { caDigest: expected } = parseJoinToken(token);

  // 1. Nothing to verify against yet: accept any server certificate, trust nothing it says
  //    until the digest check.
  const unverified = grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false });
  const first = await unary<{ caPem: string }>(
    address,
    unverified,
    true,
    'GetRootCACertificate',
    opts.timeoutMs,
    (c, o, cb) => c.GetRootCACertificate({}, o, cb),
  );
  const caPem = singleCaCertificate(first.caPem, address);

  // 2. The pin.
  if (!tokenMatchesCa(token, caPem)) {
    throw new CaDigestMismatchError(address, expected, tokenCaDigest(caPem));
  }

  // 3. The same server, verified against the pinned CA: it must hold a manager certificate.
  let presented: PeerCertificate | undefined;
  const pinned = grpc.credentials.createSsl(Buffer.from(caPem), null, null, {
    checkServerIdentity: (host, cert) => {
      presented = cert;
      return checkManagerServerIdentity(host, cert);
    },
  });
  let second: { caPem: string };
  try {
    second = await unary<{ caPem: string }>(
      address,
      pinned,
      true,
      'GetRootCACertificate',
      opts.timeoutMs,
      (c, o, cb) => c.GetRootCACertificate({}, o, cb),
    );
  } catch (err) {
    if (err instanceof NodeCaCallError && err.code === grpc.status.UNAVAILABLE) {
      throw new UntrustedManagerError(address, err.details);
    }
    throw err;
  }
  if (!presented?.raw) throw new UntrustedManagerError(address, 'no certificate was presented');
  if (second.caPem !== caPem) {
    throw new UntrustedManagerError(
      address,
      'it answered with a different root CA the second time',
    );
  }
  const cn: unknown = presented.subject?.CN;
  return {
    caPem,
    serverCertificateDer: presented.raw,
    serverChainDer: chainOf(presented),
    serverNodeId: typeof cn === 'string' ? cn : '',
  };
}

/** The SubjectPublicKeyInfo in a CSR, DER. */
function csrPublicKey(csrPem: string): Buffer {
  try {
    return Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
  } catch {
    throw new Error('the certificate request is not a PEM-encoded PKCS#10 request');
  }
}

/** Refuses an answer that is not a node certificate of `caPem` for the key in `csrPem`. */
function checkIssued(
  certPem: string,
  caPem: string,
  csrPem: string,
  address: string,
): { nodeId: string; role: string } {
  const subject = verifyNodeCertificate(certPem, caPem, Date.now());
  const certKey = parseCertificatePem(certPem, 'the issued certificate').publicKey.export({
    type: 'spki',
    format: 'der',
  });
  if (!certKey.equals(csrPublicKey(csrPem))) {
    throw new Error(`the manager at ${address} issued a certificate for a key other than ours`);
  }
  return subject;
}

/**
 * Asks the manager at `address`, verified against the pinned `caPem`, to admit this node.
 * Sends the token and the CSR (never the key). Throws NodeCaCallError: UNAUTHENTICATED for a
 * wrong or rotated token, PERMISSION_DENIED, INVALID_ARGUMENT for a bad CSR, UNAVAILABLE.
 */
export async function requestNodeCertificate(
  address: string,
  caPem: string,
  token: string,
  csrPem: string,
  advertiseAddr: string,
  opts: NodeCaCallOptions & {
    availability?: 'active' | 'pause' | 'drain';
    /** This node's NodeDescription, so `node ls` can show its hostname and engine. */
    description?: Record<string, unknown>;
  } = {},
): Promise<IssuedNodeCertificate> {
  const res = await unary<IssuedNodeCertificate>(
    address,
    managerChannelCredentials(caPem),
    true,
    'IssueNodeCertificate',
    opts.timeoutMs,
    (c, o, cb) =>
      c.IssueNodeCertificate(
        {
          csrPem,
          token,
          advertiseAddr,
          availability: opts.availability ?? '',
          descriptionJson: opts.description ? JSON.stringify(opts.description) : '',
        },
        o,
        cb,
      ),
  );
  const subject = checkIssued(res.certPem, caPem, csrPem, address);
  if (subject.nodeId !== res.nodeId || subject.role !== res.role) {
    throw new Error(
      `the manager at ${address} answered node ${res.nodeId} (${res.role}) with a certificate ` +
        `for ${subject.nodeId} (${subject.role})`,
    );
  }
  return {
    nodeId: res.nodeId,
    clusterId: res.clusterId,
    role: res.role,
    certPem: res.certPem,
    caPem: res.caPem || caPem,
    managers: res.managers.map((m) => ({ nodeId: m.nodeId, addr: m.addr })),
  };
}

/**
 * A new certificate for this node, over mTLS with its current one, from the manager at
 * `address`. `credentials`: the node's PEM material (the server must then hold a manager
 * certificate from its CA), or ready-made mTLS channel credentials.
 */
export async function renewNodeCertificate(
  address: string,
  credentials: NodeTlsMaterial | grpc.ChannelCredentials,
  csrPem: string,
  opts: NodeCaCallOptions = {},
): Promise<{ certPem: string; role: string }> {
  const ready = credentials instanceof grpc.ChannelCredentials;
  const channel = ready ? credentials : managerChannelCredentials(credentials.caPem, credentials);
  const res = await unary<{ certPem: string; role: string }>(
    address,
    channel,
    // Ready-made credentials may check the server's name: leave it the address.
    !ready,
    'RenewNodeCertificate',
    opts.timeoutMs,
    (c, o, cb) => c.RenewNodeCertificate({ csrPem }, o, cb),
  );
  if (!(credentials instanceof grpc.ChannelCredentials)) {
    const ours = readNodeCertificate(credentials.certPem);
    const issued = checkIssued(res.certPem, credentials.caPem, csrPem, address);
    if (issued.nodeId !== ours.nodeId) {
      throw new Error(
        `the manager at ${address} renewed our certificate for another node (${issued.nodeId})`,
      );
    }
  }
  return { certPem: res.certPem, role: res.role };
}

/** This node's current role and the managers, asked over mTLS of the manager at `address`. */
export async function fetchNodeRole(
  address: string,
  material: NodeTlsMaterial,
  advertiseAddr: string,
  opts: NodeCaCallOptions = {},
): Promise<{ role: string; managers: { nodeId: string; addr: string }[] }> {
  const res = await unary<{ role: string; managers: { nodeId: string; addr: string }[] }>(
    address,
    managerChannelCredentials(material.caPem, material),
    true,
    'NodeRole',
    opts.timeoutMs,
    (c, o, cb) => c.NodeRole({ advertiseAddr }, o, cb),
  );
  return {
    role: res.role,
    managers: res.managers.map((m) => ({ nodeId: m.nodeId, addr: m.addr })),
  };
}
