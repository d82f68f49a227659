import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  generateDataKey,
  MANAGER_ROLE_OU,
  createRootCa,
  issueNodeCertificate,
  type RootCa,
} from '@shoal/ca';
import { NodeCaCallError, fetchNodeRole } from '@shoal/ca/grpc';
import { nullLogger, objectIdGenerator, systemClock } from '@shoal/common';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../../../test/support/free-port';
import { CertificateRenewer } from './certificate-renewer';
import { ManagerNode } from './manager.node';
import { StateDir } from './state-dir';

/**
 * A manager whose certificate lives 4 s renews it in time, through the cluster port, and keeps
 * serving mTLS after the old certificate has expired.
 */
describe('CertificateRenewer', () => {
  let root = '';
  let manager: ManagerNode | undefined;
  let renewer: CertificateRenewer | undefined;

  afterEach(async () => {
    renewer?.stop();
    await manager?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('renews a short-lived certificate before it expires, with no interruption', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shoal-renew-'));
    const ca: RootCa = await createRootCa();
    const lifetimeMs = 4_000;
    const first = await issueNodeCertificate(ca, {
      nodeId: 'm1',
      role: MANAGER_ROLE_OU,
      clusterId: 'c1',
      validDays: lifetimeMs / 86_400_000,
    });
    const stateDir = new StateDir(path.join(root, 'm1'));
    await stateDir.writeCertificates({
      'ca.crt': ca.certPem,
      'node.crt': first.certPem,
      'node.key': first.keyPem,
    });
    const [port] = await freePorts(1);
    const addr = `127.0.0.1:${port}`;
    manager = await ManagerNode.start({
      node: {
        nodeId: 'm1',
        clusterId: 'c1',
        role: 'manager',
        listenAddr: addr,
        advertiseAddr: addr,
      },
      stateDir,
      bootstrap: [{ id: 'm1', address: addr }],
      clock: systemClock,
      newId: objectIdGenerator(),
      logger: nullLogger,
      tickMs: 20,
      dataKey: generateDataKey(),
    });
    // What admission would have written: the cluster (with its CA and --cert-expiry 1h) and
    // this manager's Node.
    await manager.store.update((tx) => {
      tx.create('cluster', {
        ID: 'c1',
        Spec: { Name: 'default', CAConfig: { NodeCertExpiry: 3600e9 } },
        RootCA: { CACert: ca.certPem, CAKey: ca.keyPem },
      } as never);
      tx.create('node', {
        ID: 'm1',
        Spec: { Role: 'manager', Availability: 'active' },
        Status: { State: 'ready', Addr: '127.0.0.1' },
      } as never);
    });

    const m = manager;
    renewer = new CertificateRenewer({
      stateDir,
      managers: () => [addr],
      onRenewed: (material) => m.updateTlsMaterial(material),
      logger: nullLogger,
      random: () => 0.5,
    });
    await renewer.start();
    await expect
      .poll(async () => (await stateDir.readCertificate('node.crt')) !== first.certPem, {
        timeout: lifetimeMs,
        interval: 100,
      })
      .toBe(true);

    const renewed = new X509Certificate(await stateDir.readCertificate('node.crt'));
    expect(renewed.subject).toContain('CN=m1');
    // --cert-expiry applies: an hour, not the 4 s of the first certificate.
    expect(Date.parse(renewed.validTo) - Date.now()).toBeGreaterThan(3_500_000);

    // After the first certificate has expired, the renewed one still opens connections...
    await new Promise((r) =>
      setTimeout(
        r,
        Math.max(0, Date.parse(new X509Certificate(first.certPem).validTo) + 1_000 - Date.now()),
      ),
    );
    const current = {
      caPem: ca.certPem,
      certPem: await stateDir.readCertificate('node.crt'),
      keyPem: await stateDir.readCertificate('node.key'),
    };
    await expect(fetchNodeRole(addr, current, '')).resolves.toMatchObject({
      role: MANAGER_ROLE_OU,
    });
    // ...and the expired one no longer does.
    await expect(
      fetchNodeRole(addr, { caPem: ca.certPem, certPem: first.certPem, keyPem: first.keyPem }, ''),
    ).rejects.toBeInstanceOf(NodeCaCallError);
  });

  it("waits out a renewal weeks away (beyond one timer's reach) instead of renewing at once", async () => {
    root = await mkdtemp(path.join(tmpdir(), 'shoal-renew-'));
    const ca = await createRootCa();
    const cert = await issueNodeCertificate(ca, { nodeId: 'n1', role: MANAGER_ROLE_OU }); // 90 days
    const stateDir = new StateDir(path.join(root, 'n1'));
    await stateDir.writeCertificates({
      'ca.crt': ca.certPem,
      'node.crt': cert.certPem,
      'node.key': cert.keyPem,
    });
    let attempts = 0;
    renewer = new CertificateRenewer({
      stateDir,
      managers: () => {
        attempts++;
        return [];
      },
      onRenewed: () => undefined,
      logger: nullLogger,
      random: () => 0.5,
    });
    await renewer.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toBe(0);
  });
});
