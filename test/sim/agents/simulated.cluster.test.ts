import { afterEach, describe, expect, it } from 'vitest';
import {
  nodeState,
  runningElsewhere,
  runningPerNode,
  runningTasks,
  slotsOn,
  type StoredTask,
} from './cluster.views';
import { SimulatedCluster } from './simulated.cluster';

const NODES = 20;
const REPLICAS = 40;

/**
 * A quicker beat than the default (1 s period, 2.5 s grace) so the test is short, with a
 * grace wide enough that a busy CI machine does not call a live node down. No assertion here
 * is about time: the node-loss benchmark measures that, on the default policy.
 */
const QUICK_HEARTBEAT = {
  minPeriodMs: 200,
  maxBeatsPerSecond: 1_000,
  graceMultiplier: 2,
  graceSlackMs: 1_200,
};

let cluster: SimulatedCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function steadyCluster() {
  cluster = new SimulatedCluster({ heartbeat: QUICK_HEARTBEAT, restartDelayMs: 0, seed: 7 });
  const nodes = await cluster.start(NODES);
  const serviceId = await cluster.createService('web', REPLICAS);
  await cluster.waitFor(
    `${REPLICAS} replicas running`,
    (tx) => runningTasks(tx, serviceId).length === REPLICAS,
  );
  return { cluster, nodes, serviceId };
}

describe('simulated agents: 20 nodes, one service of 40 replicas', () => {
  it('spreads the replicas two per node, and each agent runs its own on its executor', async () => {
    const { cluster, nodes, serviceId } = await steadyCluster();
    const perNode = cluster.view((tx) => runningPerNode(tx, serviceId));
    expect([...perNode.keys()].sort()).toEqual([...nodes].sort());
    expect(new Set(perNode.values())).toEqual(new Set([2]));
    for (const id of nodes) {
      const onNode = cluster
        .view((tx) => runningTasks(tx, serviceId))
        .filter((t) => t.NodeID === id)
        .map((t) => t.ID)
        .sort();
      const runningHere = cluster
        .executorOf(id)
        .controllers.filter((c) => c.isRunning)
        .map((c) => c.taskId)
        .sort();
      expect(runningHere).toEqual(onNode);
    }
    expect(cluster.dispatcher.sessionCount).toBe(NODES);
  });

  it('marks a killed node down and runs its replicas on the other nodes', async () => {
    const { cluster, nodes, serviceId } = await steadyCluster();
    const victim = nodes[4]!;
    const lost = cluster.view((tx) => slotsOn(tx, victim));
    expect(lost).toHaveLength(2);

    cluster.kill(victim);
    await cluster.waitFor('victim down', (tx) => nodeState(tx, victim) === 'down');
    await cluster.waitFor('lost replicas running elsewhere', (tx) =>
      runningElsewhere(tx, lost, victim),
    );

    const tasks = cluster.view((tx) => runningTasks(tx, serviceId));
    expect(tasks).toHaveLength(REPLICAS);
    expect(tasks.filter((t) => t.NodeID === victim)).toEqual([]);
    expect(new Set(tasks.map((t) => t.Slot))).toHaveLength(REPLICAS);
    // The old tasks are not deleted: their slot's history keeps them, told to shut down.
    const old = cluster.view((tx) => tx.tasksByNode<StoredTask>(victim));
    expect(old.map((t) => t.DesiredState)).toEqual(['shutdown', 'shutdown']);
    // Nobody could tell the dead node's agent, so its workloads still "run" there.
    expect(cluster.executorOf(victim).controllers.filter((c) => c.isRunning)).toHaveLength(2);
    // Every other node kept its own replicas; two of them took one more each.
    const perNode = cluster.view((tx) => runningPerNode(tx, serviceId));
    expect([...perNode.values()].sort()).toEqual([...Array(17).fill(2), 3, 3]);
    expect(cluster.liveNodes()).not.toContain(victim);
  });

  it('after a process kill the manager sees the streams reset at once, yet waits for the grace to call the node down', async () => {
    const { cluster, nodes } = await steadyCluster();
    const victim = nodes[0]!;
    cluster.kill(victim, { reset: true });
    // The reset crosses the wire in one hop; a few turns leave room for it and nothing else.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(cluster.dispatcher.hasSession(victim)).toBe(false);
    expect(cluster.view((tx) => nodeState(tx, victim))).toBe('ready');
    await cluster.waitFor('victim down', (tx) => nodeState(tx, victim) === 'down');
  });

  it('a fresh node joins and takes the next replacements', async () => {
    const { cluster, nodes, serviceId } = await steadyCluster();
    const [fresh] = await cluster.addNodes(1);
    const victim = nodes[9]!;
    const lost = cluster.view((tx) => slotsOn(tx, victim));
    cluster.kill(victim);
    await cluster.waitFor('lost replicas running elsewhere', (tx) =>
      runningElsewhere(tx, lost, victim),
    );
    const perNode = cluster.view((tx) => runningPerNode(tx, serviceId));
    expect(perNode.get(fresh!)).toBe(2);
    expect(perNode.has(victim)).toBe(false);
  });
});
