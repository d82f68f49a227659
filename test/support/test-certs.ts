import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';

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

const EC: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

// @peculiar/x509 needs a WebCrypto; Node's is complete. Setting it is idempotent.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // Backdated so that a little clock skew between processes cannot make a cert "not yet valid".
  const now = Date.now();
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + days * DAY_MS) };
}

/** 16 random bytes with the top bit clear: Go (1.23+) refuses negative serials. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}

function keyToPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
}

function spec(s: string | TestNodeSpec): Required<TestNodeSpec> {
  return typeof s === 'string' ? { id: s, role: 'manager' } : { role: 'manager', ...s };
}

export async function makeTestPki(
  nodes: readonly (string | TestNodeSpec)[],
  opts: TestPkiOptions = {},
): Promise<TestPki> {
  const days = opts.validDays ?? 3650;
  const keys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [opts.caName ?? 'Shoal Test CA'] }],
    ...validity(days),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  let pki: TestPki = { caPem: ca.toString('pem'), caKeyPem: keyToPem(keys.privateKey), nodes: {} };
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
  const ca = new x509.X509Certificate(pki.caPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(pki.caKeyPem),
    EC,
    false,
    ['sign'],
  );
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    // Structured rather than a "CN=..., OU=..." string so an id needs no DN escaping.
    subject: [{ OU: [role] }, { CN: [id] }],
    issuer: ca.subject,
    ...validity(opts.validDays ?? 3650),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // ECDSA keys only sign in TLS; keyEncipherment would be meaningless (and Go ignores it).
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
    ],
  });
  return {
    ...pki,
    nodes: {
      ...pki.nodes,
      [id]: { id, role, certPem: cert.toString('pem'), keyPem: keyToPem(keys.privateKey) },
    },
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
