import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  SIGNING,
  certifyNodeKey,
  generateKeys,
  keyToPem,
  serialNumber,
  subjectOf,
  validity,
  type CertificateSubject,
  type NodeCertificateFields,
} from './x509-common';

/**
 * The cluster's root CA and the node certificates it signs. ECDSA P-256 throughout, as Swarm
 * uses. Certificates follow what Go's crypto/x509 insists on too (positive serials, SANs for
 * host matching, key usages consistent with extended key usages), so Go tooling such as etcd
 * accepts the same files.
 *
 * Issue #4 adds, each in its own module: join tokens (join-token.ts), CSR issuance
 * (certificate-request.ts; it and issueNodeCertificate share one builder, x509-common.ts), verification of presented
 * certificates (certificate-verifier.ts), renewal timing (renewal.ts) and autolock keys
 * (unlock-key.ts).
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

/** What issueNodeCertificate is asked for: the same fields the CA decides for a CSR. */
export type NodeCertificateRequest = NodeCertificateFields;

export { DEFAULT_NODE_CERT_DAYS, type CertificateSubject } from './x509-common';
export const DEFAULT_ROOT_CA_YEARS = 20;

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
  const keys = await generateKeys();
  const certPem = await certifyNodeKey(ca, keys.publicKey, req);
  return { certPem, keyPem: keyToPem(keys.privateKey) };
}

/** SHA-256 of the CA certificate's DER: what join tokens pin (issue #4), and what Swarm shows. */
export function caDigest(caPem: string): string {
  const der = Buffer.from(x509.PemConverter.decodeFirst(caPem));
  return createHash('sha256').update(der).digest('hex');
}

export function readNodeCertificate(certPem: string): CertificateSubject {
  return subjectOf(new x509.X509Certificate(certPem));
}
