import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalSwarm, running, settle } from '../support/shoald/local-swarm';

/**
 * Issue 6, rebalancing end to end: a manager and a worker run two services of 6 replicas
 * (3 and 3), then a third node joins. The service labelled `shoal.rebalance=true` moves
 * replicas onto it by itself, never running fewer than 6; the other stays put until
 * `service update --force` redeploys it, whose replacements the scheduler spreads. Each
 * daemon is its own shoald with the process executor.
 */
describe('rebalancing onto a node that joins', () => {
  let swarm: LocalSwarm;
  const tasksOf = (serviceId: string) => swarm.tasksOf(serviceId);
  const readyNodes = () => swarm.readyNodes();
  /** Running replicas per node, over `nodes` (nodes with none count 0). */
  const spread = async (serviceId: string, nodes: string[]) => {
    const counts = Object.fromEntries(nodes.map((n) => [n, 0]));
    for (const t of running(await tasksOf(serviceId))) counts[t.NodeID!]! += 1;
    return nodes.map((n) => counts[n]!);
  };
  const create = (name: string, labels: Record<string, string>) =>
    swarm.createService({
      Name: name,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:local', Command: ['sleep'], Args: ['3600'] },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: 6 } },
    });

  beforeAll(async () => {
    swarm = await LocalSwarm.start('shoal-rebal', { workers: 1, spare: 1 });
  }, 60_000);

  afterAll(async () => {
    await swarm?.dispose();
  });

  it('the labelled service spreads onto the new node by itself, never below its replicas; --force spreads the other', async () => {
    const two = await readyNodes();
    const opted = await create('opted-in', {
      'shoal.rebalance': 'true',
      'shoal.rebalance.delay': '200ms',
    });
    const fixed = await create('fixed', {});
    await expect.poll(() => spread(opted, two), { timeout: 15_000 }).toEqual([3, 3]);
    await expect.poll(() => spread(fixed, two), { timeout: 15_000 }).toEqual([3, 3]);

    await swarm.join(swarm.spare[0]!);
    await expect.poll(async () => (await readyNodes()).length, { timeout: 10_000 }).toBe(3);
    const three = await readyNodes();

    // Watch the opted-in service while it moves: never fewer than 6 running.
    let fewest = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        fewest = Math.min(fewest, running(await tasksOf(opted)).length);
        await settle(50);
      }
    })();
    await expect
      .poll(() => spread(opted, three), { timeout: 30_000, interval: 200 })
      .toEqual([2, 2, 2]);
    watching = false;
    await watcher;
    expect(fewest).toBeGreaterThanOrEqual(6);

    // The other service did not move on its own...
    expect((await spread(fixed, three)).sort()).toEqual([0, 3, 3]);
    // ...until it is redeployed.
    await swarm.updateService(fixed, (spec) => {
      spec.TaskTemplate.ForceUpdate = ((spec.TaskTemplate.ForceUpdate as number) ?? 0) + 1;
    });
    await expect
      .poll(async () => (await swarm.service(fixed)).UpdateStatus?.State, {
        timeout: 60_000,
        interval: 250,
      })
      .toBe('completed');
    const after = await spread(fixed, three);
    expect(after.reduce((a, b) => a + b, 0)).toBe(6);
    expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(1);
  }, 120_000);
});
