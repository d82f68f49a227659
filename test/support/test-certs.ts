import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createRootCa, issueNodeCertificate } from '@shoal/ca';

/**
 * A throwaway PKI for tests and benchmarks: one ECDSA P-256 CA and one certificate per node
 * (CN = node id, OU = role), each usable as both TLS server and client. etcd uses the same
 * files in the benchmark, so the certificates follow what Go's crypto/x509 insists on: SANs
 * rather than CN for host matching, a positive serial, key usages consistent with the
 * extended key usages, and a CA marked as one.
 */

export interface TestNodeSpec {
  id: string;
  /** Becomes the OU. Default 'manager'. */
  role?: string;
}

export interface TestNodeCert {
  id: string;
  role: string;
  certPem: string;
  /** PKCS#8, which both Node and Go read. */
  keyPem: string;
}

export interface TestPki {
  caPem: string;
  /** Kept so that issueTestCert can add members later (join tests). */
  caKeyPem: string;
  nodes: Record<string, TestNodeCert>;
}

export interface TestPkiOptions {
  /** Default 'Shoal Test CA'. Two PKIs with the same name still do not trust each other. */
  caName?: string;
  /** Default 3650: long enough that a checked-in fixture never expires mid-run. */
  validDays?: number;
}

function spec(s: string | TestNodeSpec): Required<TestNodeSpec> {
  return typeof s === 'string' ? { id: s, role: 'manager' } : { role: 'manager', ...s };
}

export async function makeTestPki(
  nodes: readonly (string | TestNodeSpec)[],
  opts: TestPkiOptions = {},
): Promise<TestPki> {
  const ca = await createRootCa({
    commonName: opts.caName ?? 'Shoal Test CA',
    validYears: (opts.validDays ?? 3650) / 365,
  });
  let pki: TestPki = { caPem: ca.certPem, caKeyPem: ca.keyPem, nodes: {} };
  for (const n of nodes) pki = await issueTestCert(pki, n, opts);
  return pki;
}

/** A copy of `pki` with one more (or a re-issued) node certificate, signed by the same CA. */
export async function issueTestCert(
  pki: TestPki,
  node: string | TestNodeSpec,
  opts: Pick<TestPkiOptions, 'validDays'> = {},
): Promise<TestPki> {
  const { id, role } = spec(node);
  const cert = await issueNodeCertificate(
    { certPem: pki.caPem, keyPem: pki.caKeyPem },
    { nodeId: id, role, validDays: opts.validDays ?? 3650 },
  );
  return {
    ...pki,
    nodes: { ...pki.nodes, [id]: { id, role, certPem: cert.certPem, keyPem: cert.keyPem } },
  };
}

export interface GrpcTestCredentials {
  /** Requires and verifies a client certificate from the same CA. */
  server: grpc.ServerCredentials;
  client: grpc.ChannelCredentials;
}

/** mTLS credentials for node `id`, as GrpcTransport takes them. */
export function grpcCredentialsFor(pki: TestPki, id: string): GrpcTestCredentials {
  const node = pki.nodes[id];
  if (!node) throw new Error(`test PKI has no certificate for ${id}`);
  const ca = Buffer.from(pki.caPem);
  const cert = Buffer.from(node.certPem);
  const key = Buffer.from(node.keyPem);
  return {
    server: grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true),
    client: grpc.credentials.createSsl(ca, key, cert),
  };
}

/**
 * Writes `ca.pem`, `<id>.pem` and `<id>-key.pem` for every node into `dir` (created if need
 * be); the layout etcd's flags and tlsCredentialsFromDir expect. Pass node ids (or specs) to
 * generate a fresh PKI, or an existing one to write it out. Returns the PKI written.
 */
export async function writeTestPki(
  dir: string,
  pkiOrNodes: TestPki | readonly (string | TestNodeSpec)[],
  opts: TestPkiOptions = {},
): Promise<TestPki> {
  const pki = isPki(pkiOrNodes) ? pkiOrNodes : await makeTestPki(pkiOrNodes, opts);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'ca.pem'), pki.caPem);
  for (const node of Object.values(pki.nodes)) {
    await writeFile(path.join(dir, `${node.id}.pem`), node.certPem);
    // Private keys readable by the owner only, as etcd and most TLS tooling expect.
    await writeFile(path.join(dir, `${node.id}-key.pem`), node.keyPem, { mode: 0o600 });
  }
  return pki;
}

function isPki(x: TestPki | readonly (string | TestNodeSpec)[]): x is TestPki {
  return !Array.isArray(x);
}
