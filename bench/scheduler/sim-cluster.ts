import path from 'node:path';
import { MANAGER_ROLE_OU } from '@shoal/ca';
import { nullLogger } from '@shoal/common';
import { type Agent } from '../../apps/shoald/src/agent/agent';
import { StateDir } from '../../apps/shoald/src/daemon/state-dir';
import { freePorts } from '../../test/support/free-port';
import { makeTestPki } from '../../test/support/test-certs';
import { DispatcherBridgeClient } from '../../test/sim/agents/dispatcher.bridge';
import {
  LatestAgentState,
  seededRandom,
  simulatedAgent,
} from '../../test/sim/agents/simulated.agent';
import { now, sleep, step } from '../timing';
import { ManagerProcess } from './manager.process';
import { type JoinResult, type ManagerEvent, type StatusResult } from './protocol';

const MANAGER_IDS = ['m1', 'm2', 'm3'];
const STARTUP_TIMEOUT_MS = 60_000;

export interface SimClusterOptions {
  /** Holds every manager's state dir, socket and log. */
  root: string;
  nodes: number;
  seed: number;
  /** Milliseconds left before the run's deadline. */
  left: () => number;
  /** Cleanups are pushed here as things start; the caller runs them in reverse. */
  cleanups: (() => Promise<void> | void)[];
  onEvent: (e: ManagerEvent) => void;
  /** Managers keep a metrics registry, as shoald with --metrics-addr. */
  metrics?: boolean;
}

export interface SimCluster {
  managers: ManagerProcess[];
  leader: ManagerProcess;
  followers: ManagerProcess[];
  agents: Agent[];
  joined: JoinResult;
  /** From the first agent session until every node was ready. */
  sessionsMs: number;
}

/**
 * The benchmarks' cluster: three manager processes running shoald's ManagerNode (Raft with
 * fsync, mTLS), `nodes` worker Node objects written by the leader as admission does, and one
 * simulated Agent per node in this process, all sessions open and every node ready. Agents
 * reach the managers' dispatchers over one Unix socket per manager
 * (test/sim/agents/dispatcher.bridge.ts), so the leader's process holds only the leader.
 */
export async function startSimCluster(o: SimClusterOptions): Promise<SimCluster> {
  const pki = await makeTestPki(MANAGER_IDS.map((id) => ({ id, role: MANAGER_ROLE_OU })));
  const ports = await freePorts(MANAGER_IDS.length);
  const members = MANAGER_IDS.map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}` }));
  for (const id of MANAGER_IDS) {
    await new StateDir(path.join(o.root, id)).writeCertificates({
      'ca.crt': pki.caPem,
      'node.crt': pki.nodes[id]!.certPem,
      'node.key': pki.nodes[id]!.keyPem,
    });
  }
  const managers = MANAGER_IDS.map(
    (id) =>
      new ManagerProcess({
        id,
        root: o.root,
        members,
        logFile: path.join(o.root, `${id}.log`),
        onEvent: o.onEvent,
        metrics: o.metrics,
      }),
  );
  o.cleanups.push(async () => {
    await Promise.all(managers.map((m) => m.stop()));
  });
  await step('managers started', STARTUP_TIMEOUT_MS, () =>
    Promise.all(managers.map((m) => m.ready)),
  );
  const leader = await step('leader services up', STARTUP_TIMEOUT_MS, async () => {
    for (;;) {
      for (const m of managers) {
        const s = await m.call<StatusResult>({ cmd: 'status' });
        if (s.leader && s.dispatching) return m;
      }
      await sleep(100);
    }
  });
  const followers = managers.filter((m) => m !== leader);
  console.log(
    `leader: ${leader.id} (pid ${leader.pid}); followers: ${followers.map((f) => `${f.id} (pid ${f.pid})`).join(', ')}`,
  );
  // Every manager serves the agents, as every manager serves the Dispatcher gRPC service:
  // one that does not lead sends them to the one that does.
  const sockets = new Map(managers.map((m) => [m.id, path.join(o.root, `${m.id}.sock`)]));
  await Promise.all(managers.map((m) => m.call({ cmd: 'bridge', path: sockets.get(m.id)! })));

  const joined = await step('nodes written', o.left(), () =>
    leader.call<JoinResult>({ cmd: 'join', count: o.nodes }),
  );
  const bridges = new Map<string, DispatcherBridgeClient>();
  o.cleanups.push(() => bridges.forEach((b) => b.close()));
  for (const m of members) {
    bridges.set(m.address, await DispatcherBridgeClient.connect(sockets.get(m.id)!));
  }
  const leaderAddress = members.find((m) => m.id === leader.id)!.address;
  const managerAddresses = [
    leaderAddress,
    ...members.map((m) => m.address).filter((a) => a !== leaderAddress),
  ];
  const agents: Agent[] = [];
  o.cleanups.push(async () => {
    await Promise.all(agents.map((a) => a.stop()));
  });
  const sessionsFrom = now();
  joined.nodeIds.forEach((id, i) => {
    const peerAddr = `10.0.${(i + 1) >> 8}.${(i + 1) & 255}`;
    agents.push(
      simulatedAgent({
        id,
        connect: (addr) => (bridges.get(addr) ?? bridges.get(leaderAddress)!).api(id, peerAddr),
        managers: managerAddresses,
        random: seededRandom(o.seed * 100_003 + i),
        logger: nullLogger,
        state: new LatestAgentState(),
      }).agent,
    );
  });
  await Promise.all(agents.map((a) => a.start()));
  await step('nodes ready', o.left(), () =>
    leader.call({ cmd: 'wait-ready', count: o.nodes, timeoutMs: o.left() }),
  );
  return { managers, leader, followers, agents, joined, sessionsMs: now() - sessionsFrom };
}
