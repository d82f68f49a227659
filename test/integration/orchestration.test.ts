import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShoaldProcess } from '../support/shoald/shoald-process';
import { unixRequest } from '../support/shoald/unix-http';

interface TaskView {
  ID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

interface NodeView {
  ID: string;
  Version: { Index: number };
  Spec: { Role: string; Availability: string; Labels?: Record<string, string>; Name?: string };
  Status: { State: string };
}

const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);
const MS = 1e6;

/**
 * Issue 6 end to end: the global and job orchestrators, the restart supervisor, the
 * constraint enforcer and the scheduler's explanations, on 1 manager and 2 workers (and a
 * fourth daemon that joins part way), each its own shoald with the process executor.
 * Tasks are host processes; the Image is recorded and never pulled.
 */
describe('orchestration: global services, jobs, restart policy, constraints, pending tasks', () => {
  let manager: ShoaldProcess;
  const workers: ShoaldProcess[] = [];
  let late: ShoaldProcess;
  const nodeOf = new Map<ShoaldProcess, string>();
  let workerToken = '';

  const api = (method: string, p: string, body?: unknown, d: ShoaldProcess = manager) =>
    unixRequest(d.socket, method, `/v1.44${p}`, body);

  const tasksOf = async (serviceId: string): Promise<TaskView[]> => {
    const r = await api(
      'GET',
      `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [serviceId] }))}`,
    );
    expect(r.status).toBe(200);
    return r.json as TaskView[];
  };
  const running = (list: TaskView[]) =>
    list.filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  const byNode = (list: TaskView[]) => {
    const out: Record<string, number> = {};
    for (const t of list) out[t.NodeID!] = (out[t.NodeID!] ?? 0) + 1;
    return out;
  };

  const createService = async (spec: Record<string, unknown>): Promise<string> => {
    const r = await api('POST', '/services/create', spec);
    expect(r.status, r.text).toBe(201);
    return (r.json as { ID: string }).ID;
  };
  const removeService = async (id: string) =>
    expect((await api('DELETE', `/services/${id}`)).status).toBe(200);

  /** A short-lived host process: Image is only recorded by the process executor. */
  const shell = (script: string) => ({
    Image: 'busybox:local',
    Command: ['sh', '-c', script],
  });
  const SLEEPER = { Image: 'busybox:local', Command: ['sleep'], Args: ['3600'] };

  const node = async (id: string): Promise<NodeView> =>
    (await api('GET', `/nodes/${id}`)).json as NodeView;
  /** node update, read-modify-write at the version read, as `docker node update` does. */
  const updateNode = async (id: string, change: (spec: NodeView['Spec']) => NodeView['Spec']) => {
    const current = await node(id);
    const r = await api(
      'POST',
      `/nodes/${id}/update?version=${current.Version.Index}`,
      change(structuredClone(current.Spec)),
    );
    expect(r.status, r.text).toBe(200);
  };
  const setLabels = (id: string, labels: Record<string, string>) =>
    updateNode(id, (s) => ({ ...s, Labels: labels }));

  const join = async (d: ShoaldProcess) => {
    const joined = await api(
      'POST',
      '/swarm/join',
      {
        ListenAddr: '0.0.0.0:2377',
        AdvertiseAddr: '',
        RemoteAddrs: [manager.o.listenAddr],
        JoinToken: workerToken,
      },
      d,
    );
    expect(joined.status, joined.text).toBe(200);
    const info = (await api('GET', '/info', undefined, d)).json as { Swarm: { NodeID: string } };
    nodeOf.set(d, info.Swarm.NodeID);
  };
  const readyNodes = async () =>
    ((await api('GET', '/nodes')).json as NodeView[]).filter((n) => n.Status.State === 'ready')
      .length;

  /** Whether the task's process (per its pid file on `d`) is alive. */
  const alive = async (d: ShoaldProcess, taskId: string): Promise<boolean> => {
    try {
      const file = path.join(d.o.stateDir, 'agent', 'tasks', taskId, 'pid');
      const { pid } = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const daemonOf = (nodeId: string | undefined) => [...nodeOf].find(([, id]) => id === nodeId)?.[0];
  const idOf = (d: ShoaldProcess) => nodeOf.get(d)!;

  /** Nothing more happens for `ms`: used only to show that something does not occur. */
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    manager = await ShoaldProcess.inTempDir('shoal-orch-m-');
    for (let i = 0; i < 2; i++) workers.push(await ShoaldProcess.inTempDir(`shoal-orch-w${i}-`));
    late = await ShoaldProcess.inTempDir('shoal-orch-late-');
    await Promise.all([manager, ...workers].map((d) => d.start()));
    nodeOf.set(manager, (await api('POST', '/swarm/init', {})).json as string);
    workerToken = ((await api('GET', '/swarm')).json as { JoinTokens: { Worker: string } })
      .JoinTokens.Worker;
    for (const w of workers) await join(w);
    // expect.poll is for tests only; hooks wait by hand.
    const deadline = Date.now() + 10_000;
    while ((await readyNodes()) < 3 && Date.now() < deadline) await settle(100);
    expect(await readyNodes()).toBe(3);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([manager, ...workers, late].map((d) => d?.dispose()));
  });

  let globalId = '';
  /** Services whose tasks are all done and must stay so; checked again after a new leader. */
  const settled = new Map<string, string>();

  it('a global service runs one task per node; a drained node loses it, an active one gets it back', async () => {
    globalId = await createService({
      Name: 'everywhere',
      TaskTemplate: { ContainerSpec: SLEEPER, RestartPolicy: { Condition: 'any', Delay: 0 } },
      Mode: { Global: {} },
    });
    await expect
      .poll(async () => running(await tasksOf(globalId)).length, { timeout: 20_000 })
      .toBe(3);
    const first = running(await tasksOf(globalId));
    expect(Object.values(byNode(first))).toEqual([1, 1, 1]);
    for (const t of first) expect(await alive(daemonOf(t.NodeID)!, t.ID)).toBe(true);

    const w = workers[0]!;
    const onW = first.find((t) => t.NodeID === idOf(w))!;
    await updateNode(idOf(w), (s) => ({ ...s, Availability: 'drain' }));
    await expect
      .poll(async () => (await tasksOf(globalId)).find((t) => t.ID === onW.ID)?.Status.State, {
        timeout: 20_000,
      })
      .toBe('shutdown');
    expect(await alive(w, onW.ID)).toBe(false);
    // Nothing replaces it: a global task belongs to its node, and the others have theirs.
    const drained = await tasksOf(globalId);
    expect(
      running(drained)
        .map((t) => t.NodeID)
        .sort(),
    ).toEqual([idOf(manager), idOf(workers[1]!)].sort());
    expect(drained.filter((t) => !TERMINAL.has(t.Status.State))).toHaveLength(2);

    await updateNode(idOf(w), (s) => ({ ...s, Availability: 'active' }));
    await expect
      .poll(async () => running(await tasksOf(globalId)).filter((t) => t.NodeID === idOf(w)), {
        timeout: 20_000,
      })
      .toHaveLength(1);
    const back = running(await tasksOf(globalId));
    expect(Object.values(byNode(back))).toEqual([1, 1, 1]);
    // The tasks that never stopped are the same ones.
    expect(
      back
        .filter((t) => t.NodeID !== idOf(w))
        .map((t) => t.ID)
        .sort(),
    ).toEqual(
      first
        .filter((t) => t.NodeID !== idOf(w))
        .map((t) => t.ID)
        .sort(),
    );
  }, 45_000);

  it('reservations no node can meet leave the task pending with the explanation; placed tasks hold theirs', async () => {
    const id = await createService({
      Name: 'too-big',
      TaskTemplate: {
        ContainerSpec: SLEEPER,
        // Every node here reports the host's memory; a petabyte fits none of them.
        Resources: { Reservations: { MemoryBytes: 2 ** 50 } },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    await expect
      .poll(async () => (await tasksOf(id)).map((t) => [t.Status.State, t.Status.Err]), {
        timeout: 20_000,
      })
      .toEqual([['pending', 'no suitable node (insufficient resources on 3 nodes)']]);
    expect((await tasksOf(id))[0]!.NodeID).toBeUndefined();
    await removeService(id);

    // Reservations are held by the tasks placed: two of 40% fit a node, the third does not.
    const share = await createService({
      Name: 'two-per-node',
      TaskTemplate: {
        ContainerSpec: SLEEPER,
        Resources: { Reservations: { MemoryBytes: Math.floor(totalmem() * 0.4) } },
      },
      Mode: { Replicated: { Replicas: 7 } },
    });
    await expect
      .poll(async () => running(await tasksOf(share)).length, { timeout: 20_000 })
      .toBe(6);
    expect(Object.values(byNode(running(await tasksOf(share))))).toEqual([2, 2, 2]);
    await expect
      .poll(
        async () =>
          (await tasksOf(share))
            .filter((t) => t.Status.State === 'pending')
            .map((t) => t.Status.Err),
        { timeout: 20_000 },
      )
      .toEqual(['no suitable node (insufficient resources on 3 nodes)']);
    await removeService(share);
  }, 30_000);

  it('a node that joins gets the global task; a task no node fits stays pending, explained, until a node fits', async () => {
    const id = await createService({
      Name: 'big-pool',
      TaskTemplate: {
        ContainerSpec: SLEEPER,
        Placement: { Constraints: ['node.labels.pool==big'] },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    await expect
      .poll(async () => (await tasksOf(id)).map((t) => [t.Status.State, t.Status.Err]), {
        timeout: 20_000,
      })
      .toEqual([['pending', 'no suitable node (scheduling constraints not satisfied on 3 nodes)']]);

    // A fourth node joins: the global service follows it at once; the pending task is
    // re-explained over four nodes, since the newcomer has no label yet.
    await late.start();
    await join(late);
    await expect.poll(readyNodes, { timeout: 10_000 }).toBe(4);
    await expect
      .poll(async () => running(await tasksOf(globalId)).length, { timeout: 20_000 })
      .toBe(4);
    expect(Object.values(byNode(running(await tasksOf(globalId))))).toEqual([1, 1, 1, 1]);
    await expect
      .poll(async () => (await tasksOf(id)).map((t) => t.Status.Err), { timeout: 20_000 })
      .toEqual(['no suitable node (scheduling constraints not satisfied on 4 nodes)']);

    await setLabels(idOf(late), { pool: 'big' });
    await expect
      .poll(async () => running(await tasksOf(id)).map((t) => t.NodeID), { timeout: 20_000 })
      .toEqual([idOf(late)]);
    // The same task, placed: pending tasks are not replaced, only scheduled.
    expect(await tasksOf(id)).toHaveLength(1);
    await removeService(id);
    await removeService(globalId);
  }, 60_000);

  it('a constraint change moves the tasks to the node that now matches', async () => {
    const [a, b] = workers as [ShoaldProcess, ShoaldProcess];
    await setLabels(idOf(a), { zone: 'a' });
    const id = await createService({
      Name: 'zoned',
      TaskTemplate: {
        ContainerSpec: SLEEPER,
        RestartPolicy: { Condition: 'any', Delay: 0 },
        Placement: { Constraints: ['node.labels.zone==a'] },
      },
      Mode: { Replicated: { Replicas: 2 } },
    });
    const zonedGlobal = await createService({
      Name: 'zoned-global',
      TaskTemplate: {
        ContainerSpec: SLEEPER,
        Placement: { Constraints: ['node.labels.zone==a'] },
      },
      Mode: { Global: {} },
    });
    await expect
      .poll(async () => running(await tasksOf(id)).map((t) => t.NodeID), { timeout: 20_000 })
      .toEqual([idOf(a), idOf(a)]);
    await expect
      .poll(async () => running(await tasksOf(zonedGlobal)).map((t) => t.NodeID), {
        timeout: 20_000,
      })
      .toEqual([idOf(a)]);
    const before = running(await tasksOf(id));
    const globalBefore = running(await tasksOf(zonedGlobal))[0]!;

    await setLabels(idOf(a), { zone: 'b' });
    await setLabels(idOf(b), { zone: 'a' });
    await expect
      .poll(async () => running(await tasksOf(id)).map((t) => t.NodeID), { timeout: 20_000 })
      .toEqual([idOf(b), idOf(b)]);
    // The old tasks were stopped, not left running beside their replacements.
    await expect
      .poll(
        async () =>
          (await tasksOf(id))
            .filter((t) => before.some((o) => o.ID === t.ID))
            .map((t) => [t.DesiredState, t.Status.State]),
        { timeout: 20_000 },
      )
      .toEqual([
        ['shutdown', 'shutdown'],
        ['shutdown', 'shutdown'],
      ]);
    for (const t of before) expect(await alive(a, t.ID)).toBe(false);
    // Same slots, refilled.
    expect(
      running(await tasksOf(id))
        .map((t) => t.Slot)
        .sort(),
    ).toEqual(before.map((t) => t.Slot).sort());
    // The global service follows the label: it leaves a and comes to b.
    await expect
      .poll(async () => running(await tasksOf(zonedGlobal)).map((t) => t.NodeID), {
        timeout: 20_000,
      })
      .toEqual([idOf(b)]);
    await expect
      .poll(
        async () =>
          (await tasksOf(zonedGlobal)).find((t) => t.ID === globalBefore.ID)?.Status.State,
        { timeout: 20_000 },
      )
      .toBe('shutdown');
    expect(await alive(a, globalBefore.ID)).toBe(false);
    await removeService(id);
    await removeService(zonedGlobal);
  }, 45_000);

  it('a replicated job runs TotalCompletions tasks to completion, at most MaxConcurrent at a time', async () => {
    const id = await createService({
      Name: 'batch',
      TaskTemplate: { ContainerSpec: shell('sleep 0.2') },
      Mode: { ReplicatedJob: { MaxConcurrent: 2, TotalCompletions: 4 } },
    });
    let maxRunning = 0;
    let maxLive = 0;
    let samples = 0;
    const deadline = Date.now() + 20_000;
    let list = await tasksOf(id);
    while (list.filter((t) => t.Status.State === 'complete').length < 4 && Date.now() < deadline) {
      maxRunning = Math.max(maxRunning, list.filter((t) => t.Status.State === 'running').length);
      maxLive = Math.max(maxLive, list.filter((t) => !TERMINAL.has(t.Status.State)).length);
      samples++;
      await settle(10);
      list = await tasksOf(id);
    }
    expect(list.filter((t) => t.Status.State === 'complete')).toHaveLength(4);
    // The sampler saw the run, not only its end.
    expect(samples).toBeGreaterThan(0);
    expect(maxLive).toBeGreaterThanOrEqual(1);
    expect(maxRunning).toBeLessThanOrEqual(2);
    // Not only running: the orchestrator never has more than 2 unfinished tasks out.
    expect(maxLive).toBeLessThanOrEqual(2);

    // Done is done: no fifth task, each slot completed once, exit code 0.
    await settle(1_000);
    const after = await tasksOf(id);
    expect(after).toHaveLength(4);
    expect(after.map((t) => t.Slot).sort()).toEqual([1, 2, 3, 4]);
    expect(after.every((t) => t.Status.State === 'complete')).toBe(true);
    expect(after.map((t) => t.Status.ContainerStatus?.ExitCode ?? 0)).toEqual([0, 0, 0, 0]);
    settled.set('batch', id);
  }, 40_000);

  it('a global job runs once on every node and is not restarted', async () => {
    const id = await createService({
      Name: 'once-everywhere',
      TaskTemplate: { ContainerSpec: shell('exit 0') },
      Mode: { GlobalJob: {} },
    });
    await expect
      .poll(async () => (await tasksOf(id)).filter((t) => t.Status.State === 'complete').length, {
        timeout: 20_000,
      })
      .toBe(4);
    await settle(1_000);
    const after = await tasksOf(id);
    expect(after).toHaveLength(4);
    expect(after.every((t) => t.Status.State === 'complete')).toBe(true);
    expect(Object.keys(byNode(after)).sort()).toEqual([...nodeOf.values()].sort());
    settled.set('once-everywhere', id);
  }, 30_000);

  it('on-failure with MaxAttempts: a slot (or a global node) gets 1 + MaxAttempts tasks, then none', async () => {
    const id = await createService({
      Name: 'crasher',
      TaskTemplate: {
        ContainerSpec: shell('exit 3'),
        RestartPolicy: { Condition: 'on-failure', Delay: 100 * MS, MaxAttempts: 2 },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    // The same supervisor for a global service (per node) and a job (per slot).
    const perNode = await createService({
      Name: 'crasher-everywhere',
      TaskTemplate: {
        ContainerSpec: shell('exit 3'),
        RestartPolicy: { Condition: 'on-failure', Delay: 100 * MS, MaxAttempts: 1 },
      },
      Mode: { Global: {} },
    });
    const job = await createService({
      Name: 'crasher-job',
      TaskTemplate: {
        ContainerSpec: shell('exit 3'),
        RestartPolicy: { Condition: 'on-failure', Delay: 100 * MS, MaxAttempts: 1 },
      },
      Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 2 } },
    });
    const failed = async (svc: string) =>
      (await tasksOf(svc)).filter((t) => t.Status.State === 'failed').length;
    await expect.poll(() => failed(id), { timeout: 20_000 }).toBe(3);
    await expect.poll(() => failed(perNode), { timeout: 20_000 }).toBe(8);
    // A given-up slot does not hold its place in MaxConcurrent: slot 2 gets its two tries.
    await expect.poll(() => failed(job), { timeout: 20_000 }).toBe(4);
    // Ten times the delay with nothing new: the slots and nodes were given up.
    await settle(1_000);
    expect(
      (await tasksOf(id)).map((t) => [t.Slot, t.Status.State, t.Status.ContainerStatus?.ExitCode]),
    ).toEqual([
      [1, 'failed', 3],
      [1, 'failed', 3],
      [1, 'failed', 3],
    ]);
    expect(Object.values(byNode(await tasksOf(perNode)))).toEqual([2, 2, 2, 2]);
    expect((await tasksOf(perNode)).every((t) => t.Status.State === 'failed')).toBe(true);
    expect((await tasksOf(job)).map((t) => [t.Slot, t.Status.State]).sort()).toEqual([
      [1, 'failed'],
      [1, 'failed'],
      [2, 'failed'],
      [2, 'failed'],
    ]);
    settled.set('crasher', id);
    settled.set('crasher-everywhere', perNode);
    settled.set('crasher-job', job);
  }, 30_000);

  it('with a Window, only the attempts that ended within it count', async () => {
    // Both fail the same way. The attempts end about 0.5 s apart (Delay), so a 0.25 s Window
    // never holds an earlier one: the slot keeps being retried past MaxAttempts 1. A 60 s
    // Window holds them all: one restart, then none.
    const policy = { Condition: 'on-failure', Delay: 500 * MS, MaxAttempts: 1 };
    const short = await createService({
      Name: 'short-window',
      TaskTemplate: {
        ContainerSpec: shell('exit 3'),
        RestartPolicy: { ...policy, Window: 250 * MS },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const long = await createService({
      Name: 'long-window',
      TaskTemplate: {
        ContainerSpec: shell('exit 3'),
        RestartPolicy: { ...policy, Window: 60_000 * MS },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const failed = async (id: string) =>
      (await tasksOf(id)).filter((t) => t.Status.State === 'failed').length;
    await expect.poll(() => failed(short), { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    expect(await failed(long)).toBe(2);
    expect(await tasksOf(long)).toHaveLength(2);
    await removeService(short);
    settled.set('long-window', long);
  }, 30_000);

  it('a new leader decides as the old one did: nothing done or given up runs again', async () => {
    const before = new Map<string, string[]>();
    for (const [name, id] of settled) {
      before.set(name, (await tasksOf(id)).map((t) => `${t.ID} ${t.Status.State}`).sort());
    }
    // The only manager restarts: its orchestrators start afresh from the store alone.
    await manager.stop();
    await manager.start();
    // Its leader services run again once a new service gets its task running.
    const probe = await createService({
      Name: 'probe',
      TaskTemplate: { ContainerSpec: SLEEPER },
      Mode: { Replicated: { Replicas: 1 } },
    });
    await expect
      .poll(async () => running(await tasksOf(probe)).length, { timeout: 20_000 })
      .toBe(1);
    await settle(1_000);
    for (const [name, id] of settled) {
      expect((await tasksOf(id)).map((t) => `${t.ID} ${t.Status.State}`).sort(), name).toEqual(
        before.get(name),
      );
    }
    await removeService(probe);
  }, 45_000);
});
