import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

interface TaskView {
  ID: string;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string };
}

interface ServiceView {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { TaskTemplate: Record<string, unknown> };
  UpdateStatus?: { State?: string };
}

/**
 * Issue 6, rebalancing end to end: a manager and a worker run two services of 6 replicas
 * (3 and 3), then a third node joins. The service labelled `shoal.rebalance=true` moves
 * replicas onto it by itself, never running fewer than 6; the other stays put until
 * `service update --force` redeploys it, whose replacements the scheduler spreads. Each
 * daemon is its own shoald with the process executor.
 */
describe('rebalancing onto a node that joins', () => {
  let manager: ShoaldProcess;
  let worker: ShoaldProcess;
  let late: ShoaldProcess;
  let token = '';

  const api = (method: string, p: string, body?: unknown) =>
    unixRequest(manager.socket, method, `/v1.44${p}`, body);
  const tasksOf = async (serviceId: string): Promise<TaskView[]> => {
    const filters = encodeURIComponent(JSON.stringify({ service: [serviceId] }));
    const r = await api('GET', `/tasks?filters=${filters}`);
    expect(r.status).toBe(200);
    return r.json as TaskView[];
  };
  const running = (list: TaskView[]) =>
    list.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  /** Running replicas per node, over `nodes` (nodes with none count 0). */
  const spread = async (serviceId: string, nodes: string[]) => {
    const counts = Object.fromEntries(nodes.map((n) => [n, 0]));
    for (const t of running(await tasksOf(serviceId))) counts[t.NodeID!]! += 1;
    return nodes.map((n) => counts[n]!);
  };
  const readyNodes = async () =>
    ((await api('GET', '/nodes')).json as { ID: string; Status: { State: string } }[])
      .filter((n) => n.Status.State === 'ready')
      .map((n) => n.ID);
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const join = async (d: ShoaldProcess) => {
    const r = await unixRequest(d.socket, 'POST', '/v1.44/swarm/join', {
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '',
      RemoteAddrs: [manager.o.listenAddr],
      JoinToken: token,
    });
    expect(r.status, r.text).toBe(200);
  };
  const create = async (name: string, labels: Record<string, string>) => {
    const r = await api('POST', '/services/create', {
      Name: name,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:local', Command: ['sleep'], Args: ['3600'] },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: 6 } },
    });
    expect(r.status, r.text).toBe(201);
    return (r.json as { ID: string }).ID;
  };

  beforeAll(async () => {
    manager = await ShoaldProcess.inTempDir('shoal-rebal-m-');
    worker = await ShoaldProcess.inTempDir('shoal-rebal-w-');
    late = await ShoaldProcess.inTempDir('shoal-rebal-late-');
    await Promise.all([manager.start(), worker.start(), late.start()]);
    expect((await api('POST', '/swarm/init', {})).status).toBe(200);
    token = ((await api('GET', '/swarm')).json as { JoinTokens: { Worker: string } }).JoinTokens
      .Worker;
    await join(worker);
    const deadline = Date.now() + 10_000;
    while ((await readyNodes()).length < 2 && Date.now() < deadline) await settle(100);
    expect(await readyNodes()).toHaveLength(2);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([manager, worker, late].map((d) => d?.dispose()));
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

    await join(late);
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
    const current = (await api('GET', `/services/${fixed}`)).json as ServiceView;
    const spec = structuredClone(current.Spec);
    spec.TaskTemplate.ForceUpdate = ((spec.TaskTemplate.ForceUpdate as number) ?? 0) + 1;
    const r = await api('POST', `/services/${fixed}/update?version=${current.Version.Index}`, spec);
    expect(r.status, r.text).toBe(200);
    await expect
      .poll(
        async () =>
          ((await api('GET', `/services/${fixed}`)).json as ServiceView).UpdateStatus?.State,
        { timeout: 60_000, interval: 250 },
      )
      .toBe('completed');
    const after = await spread(fixed, three);
    expect(after.reduce((a, b) => a + b, 0)).toBe(6);
    expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(1);
  }, 120_000);
});
