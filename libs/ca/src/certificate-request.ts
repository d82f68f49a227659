import { createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { type RootCa } from './certificate-authority';
import { EC, SIGNING, certifyNodeKey, generateKeys, keyToPem } from './x509-common';

/**
 * Certificate signing requests: a joining or renewing node makes a key pair and a PKCS#10 CSR,
 * and sends only the CSR; its private key never leaves the node. The CA takes nothing from the
 * CSR but the public key (once the CSR proves possession of the matching private key). Who the
 * node is (CN, OU, O), its SANs and its lifetime are decided by the CA side, from the token
 * and the store, never from what the CSR claims.
 */

export interface CertificateRequest {
  csrPem: string;
  /** PKCS#8. Stays on the node. */
  keyPem: string;
}

/** What the CA decides for the certificate it signs. */
export interface SignCertificateRequestOptions {
  /** Becomes the CN. */
  nodeId: string;
  /** Becomes the OU: swarm-manager or swarm-worker. */
  role: string;
  /** Becomes the O. */
  clusterId: string;
  /** Default 90 days. */
  validDays?: number;
  /** Subject alternative names; default 127.0.0.1 and localhost. */
  ips?: string[];
  dnsNames?: string[];
  /** Milliseconds since the epoch; injected for tests. */
  now?: number;
}

/** A CSR was refused: unparseable, not self-signed by its key, or not an EC P-256 key. */
export class CertificateRequestError extends Error {
  override readonly name = 'CertificateRequestError';
}

/** A fresh ECDSA P-256 key pair and a CSR for it, with an empty subject (the CA names nodes). */
export async function createCertificateRequest(): Promise<CertificateRequest> {
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: SIGNING,
  });
  return { csrPem: csr.toString('pem'), keyPem: keyToPem(keys.privateKey) };
}

function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new CertificateRequestError(
      'certificate request refused: it is not a PEM-encoded PKCS#10 certificate request',
    );
  }
}

/** The CSR's public key, if it is EC on P-256, as a WebCrypto key for the builder. */
async function p256PublicKey(csr: x509.Pkcs10CertificateRequest): Promise<webcrypto.CryptoKey> {
  const spki = Buffer.from(csr.publicKey.rawData);
  let curve: string | undefined;
  let type: string | undefined;
  try {
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    type = key.asymmetricKeyType;
    curve = key.asymmetricKeyDetails?.namedCurve;
  } catch {
    // Left undefined: reported below as an unsupported key.
  }
  if (type !== 'ec' || curve !== 'prime256v1') {
    const found = type === 'ec' ? `EC on ${curve ?? 'an unknown curve'}` : (type ?? 'unknown');
    throw new CertificateRequestError(
      `certificate request refused: its key must be ECDSA P-256, found ${found}`,
    );
  }
  return webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']);
}

/**
 * Signs a node certificate for the key in `csrPem`. The CSR must be validly self-signed and
 * carry an EC P-256 key; otherwise CertificateRequestError. Its subject, extensions and
 * attributes are ignored.
 */
export async function signCertificateRequest(
  ca: RootCa,
  csrPem: string,
  req: SignCertificateRequestOptions,
): Promise<string> {
  const csr = parseCsr(csrPem);
  let selfSigned = false;
  try {
    selfSigned = await csr.verify();
  } catch {
    // An unsupported or malformed signature counts as a bad one.
  }
  if (!selfSigned) {
    throw new CertificateRequestError(
      'certificate request refused: its signature does not verify with its own public key',
    );
  }
  const publicKey = await p256PublicKey(csr);
  return certifyNodeKey(ca, publicKey, {
    nodeId: req.nodeId,
    role: req.role,
    clusterId: req.clusterId,
    validDays: req.validDays,
    ips: req.ips,
    dnsNames: req.dnsNames,
    now: req.now,
  });
}
