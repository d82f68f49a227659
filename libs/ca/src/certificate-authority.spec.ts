import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MANAGER_ROLE_OU,
  caDigest,
  createRootCa,
  issueNodeCertificate,
  readNodeCertificate,
} from './certificate-authority';

describe('certificate authority', () => {
  it('issues node certificates that chain to the root and name the node, role and cluster', async () => {
    const now = Date.UTC(2026, 10, 22);
    const ca = await createRootCa({ now });
    const node = await issueNodeCertificate(ca, {
      nodeId: 'n1',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
      now,
    });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(node.certPem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.ca).toBe(true);
    // Root: 20 years; node: Swarm's 90 days.
    expect(Date.parse(caCert.validTo) - now).toBeGreaterThan(19.9 * 365 * 86_400_000);
    expect(Math.round((Date.parse(cert.validTo) - now) / 86_400_000)).toBe(90);
    expect(readNodeCertificate(node.certPem)).toMatchObject({
      nodeId: 'n1',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
    });
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('digests the CA certificate as hex SHA-256 of its DER', async () => {
    const ca = await createRootCa();
    const digest = caDigest(ca.certPem);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).toBe(
      new X509Certificate(ca.certPem).fingerprint256.replace(/:/g, '').toLowerCase(),
    );
  });
});
