import path from 'node:path';
import { generateDataKey, MANAGER_ROLE_OU } from '@shoal/ca';
import { type Logger, nullLogger, objectIdGenerator, systemClock } from '@shoal/common';
import { type Registry } from '@shoal/metrics';
import { freePorts } from '../../../../../test/support/free-port';
import { makeTestPki, type TestPki } from '../../../../../test/support/test-certs';
import { ManagerNode } from '../manager.node';
import { StateDir } from '../state-dir';

/**
 * Founding managers `ids`, each a ManagerNode in this process with its own state dir under
 * `root`, certificates from one test PKI and a free loopback port, bootstrapped together.
 * A fast Raft tick (20 ms) keeps elections short. The caller stops them.
 */
export async function startManagerCluster(
  root: string,
  ids: readonly string[],
): Promise<{ managers: ManagerNode[]; pki: TestPki; ports: number[] }> {
  const pki = await makeTestPki(ids.map((id) => ({ id, role: MANAGER_ROLE_OU })));
  const ports = await freePorts(ids.length);
  const members = ids.map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}` }));
  const managers = await Promise.all(
    ids.map(async (id, i) => {
      const stateDir = new StateDir(path.join(root, id));
      await stateDir.writeCertificates({
        'ca.crt': pki.caPem,
        'node.crt': pki.nodes[id]!.certPem,
        'node.key': pki.nodes[id]!.keyPem,
      });
      return ManagerNode.start({
        node: {
          nodeId: id,
          clusterId: 'c1',
          role: 'manager',
          listenAddr: members[i]!.address,
          advertiseAddr: members[i]!.address,
        },
        stateDir,
        bootstrap: members,
        clock: systemClock,
        newId: objectIdGenerator(),
        logger: nullLogger,
        tickMs: 20,
        dataKey: generateDataKey(),
      });
    }),
  );
  return { managers, pki, ports };
}

/**
 * One manager, `m1`, that can be started, stopped and started again on the same state dir,
 * port and data key (a restart): `start(true)` bootstraps it, `start(false)` resumes.
 */
export async function singleManagerStarter(
  root: string,
  opts: { metrics?: Registry; logger?: Logger } = {},
): Promise<(bootstrap: boolean) => Promise<ManagerNode>> {
  const pki = await makeTestPki([{ id: 'm1', role: MANAGER_ROLE_OU }]);
  const [port] = await freePorts(1);
  const address = `127.0.0.1:${port}`;
  const stateDir = new StateDir(path.join(root, 'm1'));
  await stateDir.writeCertificates({
    'ca.crt': pki.caPem,
    'node.crt': pki.nodes['m1']!.certPem,
    'node.key': pki.nodes['m1']!.keyPem,
  });
  const dataKey = generateDataKey();
  return (bootstrap) =>
    ManagerNode.start({
      node: {
        nodeId: 'm1',
        clusterId: 'c1',
        role: 'manager',
        listenAddr: address,
        advertiseAddr: address,
      },
      stateDir,
      bootstrap: bootstrap ? [{ id: 'm1', address }] : undefined,
      clock: systemClock,
      newId: objectIdGenerator(),
      logger: opts.logger ?? nullLogger,
      tickMs: 20,
      dataKey,
      metrics: opts.metrics,
    });
}
