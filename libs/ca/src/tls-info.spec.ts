import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRootCa } from './certificate-authority';
import { tlsInfoOf } from './tls-info';

describe('tlsInfoOf', () => {
  it('shows the trust root and the issuer subject and key in DER base64', async () => {
    const ca = await createRootCa({ commonName: 'swarm-ca' });
    const info = tlsInfoOf(ca.certPem);
    expect(info.TrustRoot).toBe(ca.certPem);
    // DER of "CN=swarm-ca" carries the name in clear.
    expect(Buffer.from(info.CertIssuerSubject, 'base64').toString('latin1')).toContain('swarm-ca');
    const key = new X509Certificate(ca.certPem).publicKey.export({ type: 'spki', format: 'der' });
    expect(info.CertIssuerPublicKey).toBe(key.toString('base64'));
  });
});
