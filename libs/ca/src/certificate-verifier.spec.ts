import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MANAGER_ROLE_OU,
  createRootCa,
  issueNodeCertificate,
  type RootCa,
} from './certificate-authority';
import { CertificateRejectedError, verifyNodeCertificate } from './certificate-verifier';

const NOW = Date.UTC(2026, 10, 22);
const DAY = 86_400_000;

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CertificateRejectedError);
    return (e as Error).message;
  }
  throw new Error('expected the certificate to be rejected');
}

describe('verifyNodeCertificate', () => {
  let ca: RootCa;
  let otherCa: RootCa;
  let certPem: string;
  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createRootCa({ now: NOW }), createRootCa({ now: NOW })]);
    ({ certPem } = await issueNodeCertificate(ca, {
      nodeId: 'n1',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
      validDays: 10,
      now: NOW,
    }));
  });

  it('accepts a node certificate of this CA, in PEM or DER, and names the node', () => {
    const expected = {
      nodeId: 'n1',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
      notAfter: new Date(NOW + 10 * DAY),
    };
    expect(verifyNodeCertificate(certPem, ca.certPem, NOW)).toEqual(expected);
    const der = new Uint8Array(x509.PemConverter.decodeFirst(certPem));
    expect(verifyNodeCertificate(der, ca.certPem, NOW + 5 * DAY)).toEqual(expected);
  });

  it('accepts both ends of the validity window and nothing outside it', () => {
    const notBefore = NOW - 3_600_000; // issued backdated an hour
    const notAfter = NOW + 10 * DAY;
    expect(verifyNodeCertificate(certPem, ca.certPem, notBefore).nodeId).toBe('n1');
    expect(verifyNodeCertificate(certPem, ca.certPem, notAfter).nodeId).toBe('n1');
    expect(rejection(() => verifyNodeCertificate(certPem, ca.certPem, notBefore - 1))).toBe(
      'certificate rejected: it is not valid until 2026-11-21T23:00:00.000Z (check the clocks)',
    );
    expect(rejection(() => verifyNodeCertificate(certPem, ca.certPem, notAfter + 1))).toBe(
      'certificate rejected: it expired at 2026-12-02T00:00:00.000Z',
    );
  });

  it('rejects a certificate from another CA, even one with the same name', async () => {
    const foreign = await issueNodeCertificate(otherCa, {
      nodeId: 'n1',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
      now: NOW,
    });
    expect(rejection(() => verifyNodeCertificate(foreign.certPem, ca.certPem, NOW))).toBe(
      'certificate rejected: it is not signed by this cluster’s CA',
    );
  });

  it('rejects a certificate whose signed content was altered', () => {
    const der = new Uint8Array(x509.PemConverter.decodeFirst(certPem));
    // Change the CN's last character: "n1" becomes "n2". Offsets found, not hard-coded.
    const at = Buffer.from(der).lastIndexOf(Buffer.from('n1'));
    expect(at).toBeGreaterThan(0);
    der[at + 1] = '2'.charCodeAt(0);
    expect(rejection(() => verifyNodeCertificate(der, ca.certPem, NOW))).toBe(
      'certificate rejected: it is not signed by this cluster’s CA',
    );
  });

  it('rejects the CA certificate itself', () => {
    expect(rejection(() => verifyNodeCertificate(ca.certPem, ca.certPem, NOW))).toBe(
      'certificate rejected: it is a CA certificate, not a node certificate',
    );
  });

  it('rejects a certificate without a node ID', async () => {
    const anonymous = await issueNodeCertificate(ca, {
      nodeId: '',
      role: MANAGER_ROLE_OU,
      now: NOW,
    });
    expect(rejection(() => verifyNodeCertificate(anonymous.certPem, ca.certPem, NOW))).toBe(
      'certificate rejected: its subject has no node ID (CN)',
    );
  });

  it('rejects input that is not a certificate', () => {
    expect(rejection(() => verifyNodeCertificate('hello', ca.certPem, NOW))).toBe(
      'certificate rejected: it is not a PEM-encoded certificate',
    );
    expect(rejection(() => verifyNodeCertificate(new Uint8Array(8), ca.certPem, NOW))).toBe(
      'certificate rejected: it is not a well-formed X.509 certificate',
    );
  });
});
