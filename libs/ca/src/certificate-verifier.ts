import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { subjectOf, type CertificateSubject } from './x509-common';

/**
 * Checks a node certificate against the cluster CA without a TLS stack: for a port that admits
 * callers without a certificate (certificate issuance) and so cannot have TLS reject the others.
 * The certificate must be presented in the TLS handshake for possession of its key to be
 * proven; this checks only the certificate itself.
 *
 * Synchronous on purpose (Node's X509Certificate verifies without WebCrypto's promises), so a
 * TLS or gRPC hook can call it inline.
 */

export class CertificateRejectedError extends Error {
  override readonly name = 'CertificateRejectedError';
  constructor(reason: string) {
    super(`certificate rejected: ${reason}`);
  }
}

function toDer(cert: string | Uint8Array): Buffer {
  if (typeof cert !== 'string') return Buffer.from(cert);
  try {
    return Buffer.from(x509.PemConverter.decodeFirst(cert));
  } catch {
    throw new CertificateRejectedError('it is not a PEM-encoded certificate');
  }
}

/**
 * The node named by `cert`, if `cert` is a node (not CA) certificate signed by `caPem` and valid
 * at `now` (milliseconds since the epoch; both bounds inclusive, as X.509 defines them).
 * Throws CertificateRejectedError saying why not.
 */
export function verifyNodeCertificate(
  cert: string | Uint8Array,
  caPem: string,
  now: number,
): CertificateSubject {
  const ca = new NodeX509Certificate(caPem);
  const der = toDer(cert);
  let node: NodeX509Certificate;
  let parsed: x509.X509Certificate;
  try {
    node = new NodeX509Certificate(der);
    parsed = new x509.X509Certificate(der);
  } catch {
    throw new CertificateRejectedError('it is not a well-formed X.509 certificate');
  }
  if (!node.checkIssued(ca) || !node.verify(ca.publicKey)) {
    throw new CertificateRejectedError('it is not signed by this cluster’s CA');
  }
  if (node.ca) {
    throw new CertificateRejectedError('it is a CA certificate, not a node certificate');
  }
  if (now < parsed.notBefore.getTime()) {
    throw new CertificateRejectedError(
      `it is not valid until ${parsed.notBefore.toISOString()} (check the clocks)`,
    );
  }
  if (now > parsed.notAfter.getTime()) {
    throw new CertificateRejectedError(`it expired at ${parsed.notAfter.toISOString()}`);
  }
  const subject = subjectOf(parsed);
  if (!subject.nodeId) {
    throw new CertificateRejectedError('its subject has no node ID (CN)');
  }
  return subject;
}
