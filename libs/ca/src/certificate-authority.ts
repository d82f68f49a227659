import { KeyObject, createHash, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * The cluster's root CA and the node certificates it signs. ECDSA P-256 throughout, as Swarm
 * uses. Certificates follow what Go's crypto/x509 insists on too (positive serials, SANs for
 * host matching, key usages consistent with extended key usages), so Go tooling such as etcd
 * accepts the same files.
 *
 * Issue #3 needs only the root CA and the first manager's certificate (the cluster port is
 * mTLS from the start); join tokens, CSR issuance and renewal come with issue #4.
 */

export const MANAGER_ROLE_OU = 'swarm-manager';
export const WORKER_ROLE_OU = 'swarm-worker';

export interface RootCa {
  certPem: string;
  /** PKCS#8. Only managers hold it. */
  keyPem: string;
}

export interface NodeCertificate {
  certPem: string;
  /** PKCS#8. */
  keyPem: string;
}

export interface NodeCertificateRequest {
  /** Becomes the CN. */
  nodeId: string;
  /** Becomes the OU: swarm-manager or swarm-worker in production; tests may use others. */
  role: string;
  /** Becomes the O. */
  clusterId?: string;
  validDays?: number;
  /** Subject alternative names; default 127.0.0.1 and localhost. */
  ips?: string[];
  dnsNames?: string[];
  /** Milliseconds since the epoch; injected for tests. */
  now?: number;
}

const EC: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/** Swarm's default node certificate lifetime. */
export const DEFAULT_NODE_CERT_DAYS = 90;
export const DEFAULT_ROOT_CA_YEARS = 20;

// @peculiar/x509 needs a WebCrypto; Node's is complete. Setting it is idempotent.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Backdated an hour so a little clock skew between hosts cannot make a cert "not yet valid". */
function validity(now: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + days * DAY_MS) };
}

/** 16 random bytes with the top bit clear: Go (1.23+) refuses negative serials. */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function keyToPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
}

export async function createRootCa(
  opts: { commonName?: string; validYears?: number; now?: number } = {},
): Promise<RootCa> {
  const keys = await generateKeys();
  const years = opts.validYears ?? DEFAULT_ROOT_CA_YEARS;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [opts.commonName ?? 'swarm-ca'] }],
    ...validity(opts.now ?? Date.now(), years * 365),
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
  return { certPem: ca.toString('pem'), keyPem: keyToPem(keys.privateKey) };
}

/** A key pair and a certificate for one node, signed by `ca`, usable as TLS server and client. */
export async function issueNodeCertificate(
  ca: RootCa,
  req: NodeCertificateRequest,
): Promise<NodeCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    EC,
    false,
    ['sign'],
  );
  const keys = await generateKeys();
  // Structured rather than a "CN=..., OU=..." string so an ID needs no DN escaping.
  const subject: x509.JsonName = [{ OU: [req.role] }, { CN: [req.nodeId] }];
  if (req.clusterId) subject.unshift({ O: [req.clusterId] });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: caCert.subject,
    ...validity(req.now ?? Date.now(), req.validDays ?? DEFAULT_NODE_CERT_DAYS),
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
        ...(req.ips ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
        ...(req.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keyToPem(keys.privateKey) };
}

/** SHA-256 of the CA certificate's DER: what join tokens pin (issue #4), and what Swarm shows. */
export function caDigest(caPem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(caPem));
  return createHash('sha256').update(der).digest('hex');
}

export interface CertificateSubject {
  nodeId: string;
  role: string;
  clusterId: string;
  notAfter: Date;
}

export function readNodeCertificate(certPem: string): CertificateSubject {
  const cert = new x509.X509Certificate(certPem);
  const name = cert.subjectName;
  return {
    nodeId: name.getField('CN')[0] ?? '',
    role: name.getField('OU')[0] ?? '',
    clusterId: name.getField('O')[0] ?? '',
    notAfter: cert.notAfter,
  };
}
