import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { issueTestCert, makeTestPki, type TestPki } from '../../../../test/support/test-certs';
import { MANAGER_ROLE_OU, WORKER_ROLE_OU } from '../certificate-authority';
import { PeerCertificateVerifier, verifyPeerCertificate } from './peer-authorization';

let pki: TestPki;
let other: TestPki;
const DAY = 86_400_000;

beforeAll(async () => {
  pki = await makeTestPki([
    { id: 'm1', role: MANAGER_ROLE_OU },
    { id: 'w1', role: WORKER_ROLE_OU },
  ]);
  pki = await issueTestCert(pki, { id: 'short', role: MANAGER_ROLE_OU }, { validDays: 1 });
  other = await makeTestPki([{ id: 'm1', role: MANAGER_ROLE_OU }]);
});

const peer = (p: TestPki, id: string) => ({
  certificateDer: new X509Certificate(p.nodes[id]!.certPem).raw,
  cn: id,
});

describe('verifyPeerCertificate', () => {
  it('gives UNAUTHENTICATED for no or a bad certificate, PERMISSION_DENIED for role or denylist', () => {
    const policy = {
      caPem: pki.caPem,
      roles: [MANAGER_ROLE_OU],
      isDenied: (id: string) => id === 'short',
    };
    const code = (v: ReturnType<typeof verifyPeerCertificate>) =>
      v.ok ? 'OK' : grpc.status[v.code];
    expect(code(verifyPeerCertificate({}, policy))).toBe('UNAUTHENTICATED');
    expect(code(verifyPeerCertificate(peer(other, 'm1'), policy))).toBe('UNAUTHENTICATED');
    expect(code(verifyPeerCertificate(peer(pki, 'w1'), policy))).toBe('PERMISSION_DENIED');
    expect(code(verifyPeerCertificate(peer(pki, 'short'), policy))).toBe('PERMISSION_DENIED');
    expect(verifyPeerCertificate(peer(pki, 'm1'), policy)).toMatchObject({
      ok: true,
      node: { nodeId: 'm1', role: MANAGER_ROLE_OU },
    });
  });
});

describe('PeerCertificateVerifier', () => {
  it('remembers a verified certificate but still checks expiry, CA, role and denylist per call', () => {
    let now = Date.now();
    let caPem = pki.caPem;
    const denied = new Set<string>();
    const v = new PeerCertificateVerifier({
      caPem: () => caPem,
      roles: [MANAGER_ROLE_OU],
      isDenied: (id) => denied.has(id),
      now: () => now,
    });
    expect(v.authorize(peer(pki, 'short'))).toBeUndefined();
    expect(v.authorize(peer(pki, 'w1'))).toContain('has role swarm-worker');
    denied.add('short');
    expect(v.authorize(peer(pki, 'short'))).toContain('removed');
    denied.clear();
    now += 2 * DAY;
    expect(v.authorize(peer(pki, 'short'))).toContain('expired');
    expect(v.authorize(peer(pki, 'm1'))).toBeUndefined();
    // A rotated CA: what was verified against the old one is verified again.
    caPem = other.caPem;
    expect(v.authorize(peer(pki, 'm1'))).toContain('not signed by this cluster');
    // A clock that goes back before the verification verifies afresh.
    caPem = pki.caPem;
    expect(v.authorize(peer(pki, 'm1'))).toBeUndefined();
    now -= 100 * 365 * DAY;
    expect(v.authorize(peer(pki, 'm1'))).toContain('not valid until');
  });
});
