import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * X.509 plumbing shared by the root CA, CSR signing and certificate verification. Internal to
 * libs/ca: index.ts does not export this module; the public names are re-exported from
 * certificate-authority.ts.
 */

export const EC: webcrypto.EcKeyImportParams & webcrypto.EcKeyGenParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
};
export const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/** Swarm's default node certificate lifetime. */
export const DEFAULT_NODE_CERT_DAYS = 90;

// @peculiar/x509 needs a WebCrypto; Node's is complete. Setting it is idempotent.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** Certificates start this long before issuance, so clock skew between hosts cannot make one "not yet valid". */
export const CERT_BACKDATE_MS = 3_600_000;

/** Backdated (see CERT_BACKDATE_MS). */
export function validity(now: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - CERT_BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** 16 random bytes with the top bit clear: Go (1.23+) refuses negative serials. */
export function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

export function keyToPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
}

/** What the CA decides about a node certificate. Nothing here comes from the node. */
export interface NodeCertificateFields {
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

/**
 * The one builder behind issueNodeCertificate and signCertificateRequest: certifies
 * `publicKey` as the node described by `fields`, signed by `ca`. Usable as TLS server and client.
 */
export async function certifyNodeKey(
  ca: { certPem: string; keyPem: string },
  publicKey: webcrypto.CryptoKey,
  fields: NodeCertificateFields,
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    EC,
    false,
    ['sign'],
  );
  // Structured rather than a "CN=..., OU=..." string so an ID needs no DN escaping.
  const subject: x509.JsonName = [{ OU: [fields.role] }, { CN: [fields.nodeId] }];
  if (fields.clusterId) subject.unshift({ O: [fields.clusterId] });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: caCert.subject,
    ...validity(fields.now ?? Date.now(), fields.validDays ?? DEFAULT_NODE_CERT_DAYS),
    signingAlgorithm: SIGNING,
    publicKey,
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
        ...(fields.ips ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
        ...(fields.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return cert.toString('pem');
}

export interface CertificateSubject {
  nodeId: string;
  role: string;
  clusterId: string;
  notAfter: Date;
}

export function subjectOf(cert: x509.X509Certificate): CertificateSubject {
  const name = cert.subjectName;
  return {
    nodeId: name.getField('CN')[0] ?? '',
    role: name.getField('OU')[0] ?? '',
    clusterId: name.getField('O')[0] ?? '',
    notAfter: cert.notAfter,
  };
}
