import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MANAGER_ROLE_OU,
  WORKER_ROLE_OU,
  createRootCa,
  readNodeCertificate,
  type RootCa,
} from './certificate-authority';
import {
  CertificateRequestError,
  createCertificateRequest,
  signCertificateRequest,
} from './certificate-request';

const SIGNING = { name: 'ECDSA', hash: 'SHA-256' };

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CertificateRequestError);
  return (err as Error).message;
}

describe('certificate requests', () => {
  let ca: RootCa;
  let otherCa: RootCa;
  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createRootCa(), createRootCa()]);
  });

  it('are ECDSA P-256 PKCS#10 requests with a PKCS#8 key and an empty subject', async () => {
    const { csrPem, keyPem } = await createCertificateRequest();
    expect(csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('');
    expect(createPrivateKey(keyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('are signed into a node certificate for the CSR key, named by the CA side', async () => {
    const now = Date.UTC(2026, 10, 22);
    const { csrPem, keyPem } = await createCertificateRequest();
    const certPem = await signCertificateRequest(ca, csrPem, {
      nodeId: 'n1',
      role: WORKER_ROLE_OU,
      clusterId: 'c1',
      validDays: 7,
      ips: ['10.0.0.5'],
      dnsNames: ['node-1'],
      now,
    });
    const cert = new X509Certificate(certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.verify(new X509Certificate(otherCa.certPem).publicKey)).toBe(false);
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(readNodeCertificate(certPem)).toEqual({
      nodeId: 'n1',
      role: WORKER_ROLE_OU,
      clusterId: 'c1',
      notAfter: new Date(now + 7 * 86_400_000),
    });
    expect(cert.subjectAltName).toBe('IP Address:10.0.0.5, DNS:node-1');
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('defaults like issueNodeCertificate: 90 days, 127.0.0.1 and localhost', async () => {
    const now = Date.UTC(2026, 0, 1);
    const { csrPem } = await createCertificateRequest();
    const certPem = await signCertificateRequest(ca, csrPem, {
      nodeId: 'n2',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
      now,
    });
    const cert = new X509Certificate(certPem);
    expect(Date.parse(cert.validTo) - now).toBe(90 * 86_400_000);
    expect(cert.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
  });

  it('take nothing but the public key from the CSR', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const greedy = await x509.Pkcs10CertificateRequestGenerator.create({
      name: [{ O: ['other-cluster'] }, { OU: [MANAGER_ROLE_OU] }, { CN: ['root'] }],
      keys,
      signingAlgorithm: SIGNING,
      extensions: [
        new x509.BasicConstraintsExtension(true, 3, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }]),
      ],
    });
    const certPem = await signCertificateRequest(ca, greedy.toString('pem'), {
      nodeId: 'n3',
      role: WORKER_ROLE_OU,
      clusterId: 'c1',
    });
    const cert = new X509Certificate(certPem);
    expect(readNodeCertificate(certPem)).toMatchObject({
      nodeId: 'n3',
      role: WORKER_ROLE_OU,
      clusterId: 'c1',
    });
    expect(cert.ca).toBe(false);
    expect(cert.subjectAltName).not.toContain('evil.example');
    const spki = (pem: string) => new x509.X509Certificate(pem).publicKey.rawData;
    expect(Buffer.from(spki(certPem))).toEqual(Buffer.from(greedy.publicKey.rawData));
  });

  it('are refused when the CSR is not signed by its own key', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
          'sign',
          'verify',
        ]),
      ),
    );
    const forged = await x509.Pkcs10CertificateRequestGenerator.create({
      keys: { publicKey: a!.publicKey, privateKey: b!.privateKey },
      signingAlgorithm: SIGNING,
    });
    expect(
      await refusal(
        signCertificateRequest(ca, forged.toString('pem'), {
          nodeId: 'n',
          role: WORKER_ROLE_OU,
          clusterId: 'c',
        }),
      ),
    ).toBe('certificate request refused: its signature does not verify with its own public key');
  });

  it.each([
    ['EC on secp384r1', { name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
    [
      'rsa',
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      { name: 'RSASSA-PKCS1-v1_5' },
    ],
  ])('are refused when the key is %s, not P-256', async (found, keyAlg, signAlg) => {
    const keys = (await webcrypto.subtle.generateKey(keyAlg, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      keys,
      signingAlgorithm: signAlg,
    });
    expect(await csr.verify()).toBe(true);
    expect(
      await refusal(
        signCertificateRequest(ca, csr.toString('pem'), {
          nodeId: 'n',
          role: WORKER_ROLE_OU,
          clusterId: 'c',
        }),
      ),
    ).toBe(`certificate request refused: its key must be ECDSA P-256, found ${found}`);
  });

  it('are refused when the CSR is not a CSR', async () => {
    const req = { nodeId: 'n', role: WORKER_ROLE_OU, clusterId: 'c' };
    const message =
      'certificate request refused: it is not a PEM-encoded PKCS#10 certificate request';
    expect(await refusal(signCertificateRequest(ca, 'hello', req))).toBe(message);
    expect(await refusal(signCertificateRequest(ca, ca.certPem, req))).toBe(message);
  });

  it('are refused when the CSR was tampered with', async () => {
    const { csrPem } = await createCertificateRequest();
    const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
    // Flip a bit inside the public key's point (the SPKI sits early in the request).
    der[40]! ^= 0x01;
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    const err = await signCertificateRequest(ca, tampered, {
      nodeId: 'n',
      role: WORKER_ROLE_OU,
      clusterId: 'c',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CertificateRequestError);
    expect((err as Error).message).toBe(
      'certificate request refused: its signature does not verify with its own public key',
    );
  });
});
