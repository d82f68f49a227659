import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Docker's TLSInfo: what nodes trust, as `docker info` and `GET /swarm` show it. */
export interface TlsInfo {
  TrustRoot: string;
  /** The issuer's subject, DER, base64. */
  CertIssuerSubject: string;
  /** The issuer's public key (SubjectPublicKeyInfo), DER, base64. */
  CertIssuerPublicKey: string;
}

export function tlsInfoOf(caPem: string): TlsInfo {
  const cert = new x509.X509Certificate(caPem);
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return {
    TrustRoot: caPem,
    CertIssuerSubject: Buffer.from(cert.subjectName.toArrayBuffer()).toString('base64'),
    CertIssuerPublicKey: spki.toString('base64'),
  };
}
