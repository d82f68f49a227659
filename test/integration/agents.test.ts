import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

interface TaskView {
  ID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Err?: string };
}

/**
 * Issue 5 end to end with the process executor: 1 manager and 2 workers, each its own shoald
 * on loopback. Tasks are real host processes, found through the pid files the executor keeps
 * in each node's state dir.
 */
describe('agents, dispatcher and the process executor: 1 manager and 2 workers', () => {
  let manager: ShoaldProcess;
  const workers: ShoaldProcess[] = [];
  let serviceId = '';
  const nodeOf = new Map<ShoaldProcess, string>();

  const api = (d: ShoaldProcess, method: string, p: string, body?: unknown) =>
    unixRequest(d.socket, method, `/v1.44${p}`, body);

  const tasks = async (): Promise<TaskView[]> =>
    (
      await api(
        manager,
        'GET',
        `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [serviceId] }))}`,
      )
    ).json as TaskView[];
  const runningTasks = async () =>
    (await tasks()).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  const perNode = (list: TaskView[]) => {
    const out: Record<string, number> = {};
    for (const t of list) out[t.NodeID!] = (out[t.NodeID!] ?? 0) + 1;
    return Object.values(out).sort();
  };

  /** The PID of a task's process on `d`, if its pid file names a live process. */
  const pidOf = async (d: ShoaldProcess, taskId: string): Promise<number | undefined> => {
    try {
      const file = path.join(d.o.stateDir, 'agent', 'tasks', taskId, 'pid');
      const { pid } = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    manager = await ShoaldProcess.inTempDir('shoal-agents-m-');
    for (let i = 0; i < 2; i++) workers.push(await ShoaldProcess.inTempDir(`shoal-agents-w${i}-`));
    await Promise.all([manager, ...workers].map((d) => d.start()));
    nodeOf.set(manager, (await api(manager, 'POST', '/swarm/init', {})).json as string);
    const { Worker } = (
      (await api(manager, 'GET', '/swarm')).json as { JoinTokens: { Worker: string } }
    ).JoinTokens;
    for (const w of workers) {
      const joined = await api(w, 'POST', '/swarm/join', {
        ListenAddr: '0.0.0.0:2377',
        AdvertiseAddr: '',
        RemoteAddrs: [manager.o.listenAddr],
        JoinToken: Worker,
      });
      expect(joined.status).toBe(200);
      const info = (await api(w, 'GET', '/info')).json as { Swarm: { NodeID: string } };
      nodeOf.set(w, info.Swarm.NodeID);
    }
    // Every node's agent holds a session: all three are ready.
    const deadline = Date.now() + 10_000;
    const states = async () =>
      ((await api(manager, 'GET', '/nodes')).json as { Status: { State: string } }[]).map(
        (n) => n.Status.State,
      );
    while ((await states()).join() !== 'ready,ready,ready' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await states()).toEqual(['ready', 'ready', 'ready']);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([manager, ...workers].map((d) => d?.dispose()));
  });

  it('runs a service of 6 replicas as processes, spread 2 per node', async () => {
    const created = await api(manager, 'POST', '/services/create', {
      Name: 'sleeper',
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox:local', Command: ['sleep'], Args: ['3600'] },
        RestartPolicy: { Condition: 'any', Delay: 0 },
      },
      Mode: { Replicated: { Replicas: 6 } },
    });
    expect(created.status).toBe(201);
    serviceId = (created.json as { ID: string }).ID;
    await expect.poll(async () => (await runningTasks()).length, { timeout: 20_000 }).toBe(6);
    expect(perNode(await runningTasks())).toEqual([2, 2, 2]);
    // Each running task is a live process on the node it was assigned to.
    for (const t of await runningTasks()) {
      const d = [...nodeOf].find(([, id]) => id === t.NodeID)![0];
      expect(await pidOf(d, t.ID)).toBeTypeOf('number');
    }
    // node inspect says which executor each node runs.
    const nodes = (await api(manager, 'GET', '/nodes')).json as {
      Description: { Engine: { Labels: Record<string, string> } };
    }[];
    expect(nodes.map((n) => n.Description.Engine.Labels['shoal.executor'])).toEqual([
      'process',
      'process',
      'process',
    ]);
  }, 40_000);

  it('an agent restarted (kill -9) re-adopts its running tasks: same PIDs, no restarts', async () => {
    const w = workers[0]!;
    const mine = (await runningTasks()).filter((t) => t.NodeID === nodeOf.get(w));
    const pids = await Promise.all(mine.map((t) => pidOf(w, t.ID)));
    expect(pids.every((p) => typeof p === 'number')).toBe(true);
    const before = (await tasks()).map((t) => t.ID).sort();

    await w.kill9();
    await w.start();
    // Reconnected and reported, and the processes never stopped.
    await expect
      .poll(async () => (await runningTasks()).filter((t) => t.NodeID === nodeOf.get(w)).length, {
        timeout: 10_000,
      })
      .toBe(2);
    expect(await Promise.all(mine.map((t) => pidOf(w, t.ID)))).toEqual(pids);
    expect((await tasks()).map((t) => t.ID).sort()).toEqual(before);
  }, 40_000);

  it('kill -9 of a worker: its node goes down and its replicas run elsewhere', async () => {
    const w = workers[1]!;
    const lost = (await runningTasks()).filter((t) => t.NodeID === nodeOf.get(w));
    expect(lost).toHaveLength(2);
    const killedAt = Date.now();
    await w.kill9();

    await expect
      .poll(
        async () =>
          (
            (await api(manager, 'GET', `/nodes/${nodeOf.get(w)}`)).json as {
              Status: { State: string };
            }
          ).Status.State,
        { timeout: 15_000, interval: 100 },
      )
      .toBe('down');
    const downAfterMs = Date.now() - killedAt;
    await expect
      .poll(async () => (await runningTasks()).filter((t) => t.NodeID !== nodeOf.get(w)).length, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(6);
    const replacedAfterMs = Date.now() - killedAt;
    // The figures for the record; the targets are checked by bench/node-loss.
    console.log(JSON.stringify({ downAfterMs, replacedAfterMs }));
    expect(perNode(await runningTasks())).toEqual([3, 3]);
  }, 40_000);

  it('the worker back: its stale tasks are shut down and nothing runs twice', async () => {
    const w = workers[1]!;
    const stale = (await tasks()).filter((t) => t.NodeID === nodeOf.get(w));
    // Its processes survived the agent's death (they are detached), as containers would.
    expect(
      (await Promise.all(stale.map((t) => pidOf(w, t.ID)))).filter((p) => p !== undefined),
    ).toHaveLength(2);
    await w.start();
    await expect
      .poll(
        async () => (await Promise.all(stale.map((t) => pidOf(w, t.ID)))).filter(Boolean).length,
        {
          timeout: 15_000,
        },
      )
      .toBe(0);
    await expect
      .poll(
        async () =>
          (await tasks())
            .filter((t) => stale.some((s) => s.ID === t.ID))
            .map((t) => t.Status.State),
        { timeout: 10_000 },
      )
      .toEqual(['shutdown', 'shutdown']);
    // Exactly 6 live processes for the service, across the three nodes.
    let live = 0;
    for (const t of await tasks()) {
      for (const d of [manager, ...workers]) if (await pidOf(d, t.ID)) live++;
    }
    expect(live).toBe(6);
  }, 40_000);

  it('removing the service stops every task process', async () => {
    const all = await tasks();
    expect((await api(manager, 'DELETE', `/services/${serviceId}`)).status).toBe(200);
    await expect
      .poll(
        async () => {
          let live = 0;
          for (const t of all)
            for (const d of [manager, ...workers]) if (await pidOf(d, t.ID)) live++;
          return live;
        },
        { timeout: 15_000 },
      )
      .toBe(0);
  }, 30_000);
});
