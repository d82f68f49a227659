import { type ServiceSpec, type TaskState } from '@shoal/api';
import { rfc3339Nano } from '@shoal/store';
import { afterEach, describe, expect, it } from 'vitest';
import { orchestratorHarness } from '../common/testing/orchestrator.harness';
import { isTerminalState } from '../replicated/replicated.reconcile';
import { type OrchestratedService, type OrchestratedTask } from '../replicated/replicated.types';
import { JobsOrchestrator } from './jobs.orchestrator';

const running: { stop(): void }[] = [];
afterEach(() => {
  for (const o of running.splice(0)) o.stop();
});

function setup() {
  const h = orchestratorHarness((store, clock) => new JobsOrchestrator({ store, clock }));
  running.push(h.orch);
  /** Creates the job as the control API does: with JobStatus at run 0. */
  const createJob = (spec: ServiceSpec, extra: Partial<OrchestratedService> = {}) =>
    h.createService(spec, {
      JobStatus: { JobIteration: { Index: 0 }, LastExecution: rfc3339Nano(h.clock.now()) },
      ...extra,
    });
  /** An update as the control API writes it: a new spec and the next JobIteration. */
  const rerun = (change: (spec: ServiceSpec) => ServiceSpec = (s) => s) =>
    h.updateService((s) => ({
      ...s,
      Spec: change(s.Spec),
      JobStatus: {
        JobIteration: { Index: (s.JobStatus?.JobIteration?.Index ?? 0) + 1 },
        LastExecution: rfc3339Nano(h.clock.now()),
      },
    }));
  const finish = (t: OrchestratedTask, state: TaskState = 'complete', exit = 0) =>
    h.setTask(t.ID, {
      Status: {
        State: state,
        Timestamp: rfc3339Nano(h.clock.now()),
        ContainerStatus: { ExitCode: exit },
      },
    });
  const live = () => h.tasks('complete').filter((t) => !isTerminalState(t.Status?.State));
  return { ...h, createJob, rerun, finish, live };
}

function replicatedJob(maxConcurrent: number, total: number): ServiceSpec {
  return {
    Name: 'migrate',
    Mode: { ReplicatedJob: { MaxConcurrent: maxConcurrent, TotalCompletions: total } },
    TaskTemplate: {
      ContainerSpec: { Image: 'busybox', Args: ['true'] },
      RestartPolicy: { Condition: 'on-failure', Delay: 1e9 },
    },
  };
}

const globalJob: ServiceSpec = {
  Name: 'prune',
  Mode: { GlobalJob: {} },
  TaskTemplate: { ContainerSpec: { Image: 'busybox' }, RestartPolicy: { Condition: 'on-failure' } },
};

describe('JobsOrchestrator: replicated jobs', () => {
  it('runs TotalCompletions tasks, never more than MaxConcurrent at once', async () => {
    const h = setup();
    h.orch.start();
    const id = await h.createJob(replicatedJob(2, 5));
    let tasks = h.live();
    expect(tasks.map((t) => t.Slot)).toEqual([1, 2]);
    for (const t of tasks) {
      expect(t).toMatchObject({
        ServiceID: id,
        DesiredState: 'complete',
        JobIteration: { Index: 0 },
        Status: { State: 'pending' },
        ServiceAnnotations: { Name: 'migrate' },
      });
      expect(t.NodeID).toBeUndefined();
    }
    for (let round = 0; round < 10 && tasks.length > 0; round++) {
      expect(tasks.length).toBeLessThanOrEqual(2);
      await h.finish(tasks[0]!);
      tasks = h.live();
    }
    const done = h.tasks('complete');
    expect(done.map((t) => t.Slot).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(done.every((t) => t.Status?.State === 'complete')).toBe(true);
    // Done is done: nothing runs again, whatever commits.
    const writes = h.proposer.log.length;
    await h.addNode('n9');
    await h.orch.tick(h.clock.now() + 3_600_000);
    expect(h.proposer.log.length).toBe(writes + 1);
  });

  it('retries a failed task in its slot after the restart delay', async () => {
    const h = setup();
    h.orch.start();
    await h.createJob(replicatedJob(1, 2));
    const first = h.live()[0]!;
    await h.finish(first, 'failed', 1);
    expect(h.live()).toHaveLength(0);
    expect(h.orch.nextWakeAt()).toBe(h.clock.now() + 1_000);
    h.clock.advance(1_000);
    await h.orch.tick();
    const retry = h.live()[0]!;
    expect(retry.Slot).toBe(1);
    expect(retry.ID).not.toBe(first.ID);
    expect(h.store.view((tx) => tx.get<OrchestratedTask>('task', first.ID))?.DesiredState).toBe(
      'shutdown',
    );
  });

  it('starts a new run on update (a new JobIteration), shutting the old run down', async () => {
    const h = setup();
    h.orch.start();
    await h.createJob(replicatedJob(2, 2));
    const [a, b] = h.live();
    await h.finish(a!);
    await h.rerun((s) => ({
      ...s,
      TaskTemplate: { ...s.TaskTemplate, ForceUpdate: (s.TaskTemplate?.ForceUpdate ?? 0) + 1 },
    }));
    const next = h.live();
    expect(next.map((t) => [t.Slot, t.JobIteration?.Index])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(next[0]!.Spec?.ForceUpdate).toBe(1);
    const shut = h.tasks('shutdown').map((t) => t.ID);
    expect(shut.sort()).toEqual([a!.ID, b!.ID].sort());
  });
});

describe('JobsOrchestrator: global jobs', () => {
  it('runs once on each node present at the start, preassigned there', async () => {
    const h = setup();
    await h.addNode('n1');
    await h.addNode('n2');
    await h.addNode('n3', { Availability: 'drain' });
    h.orch.start();
    await h.createJob(globalJob);
    const tasks = h.live();
    expect(tasks.map((t) => t.NodeID).sort()).toEqual(['n1', 'n2']);
    for (const t of tasks) {
      expect(t).toMatchObject({
        DesiredState: 'complete',
        JobIteration: { Index: 0 },
        Status: { State: 'pending' },
      });
      expect(t.Slot).toBeUndefined();
    }
    // A node that joins later does not run a job already started.
    h.clock.advance(1);
    await h.addNode('n4');
    expect(h.live()).toHaveLength(2);
  });

  it('does not restart completed runs, retries failed ones on their node', async () => {
    const h = setup();
    await h.addNode('n1');
    await h.addNode('n2');
    h.orch.start();
    await h.createJob(globalJob);
    const [a, b] = h.live();
    await h.finish(a!);
    await h.finish(b!, 'failed', 137);
    h.clock.advance(5_000);
    await h.orch.tick();
    const retry = h.live();
    expect(retry.map((t) => t.NodeID)).toEqual([b!.NodeID]);
    await h.finish(retry[0]!);
    await h.orch.tick(h.clock.now() + 3_600_000);
    expect(h.live()).toHaveLength(0);
    expect(h.tasks('complete').filter((t) => t.Status?.State === 'complete')).toHaveLength(2);
  });

  it('runs again everywhere on ForceUpdate, including nodes that joined since', async () => {
    const h = setup();
    await h.addNode('n1');
    h.orch.start();
    await h.createJob(globalJob);
    await h.finish(h.live()[0]!);
    h.clock.advance(1_000);
    await h.addNode('n2');
    expect(h.live()).toHaveLength(0);
    h.clock.advance(1_000);
    await h.rerun((s) => ({ ...s, TaskTemplate: { ...s.TaskTemplate, ForceUpdate: 1 } }));
    expect(h.live().map((t) => [t.NodeID, t.JobIteration?.Index])).toEqual([
      ['n1', 1],
      ['n2', 1],
    ]);
  });

  it('leaves replicated and global services alone', async () => {
    const h = setup();
    await h.addNode('n1');
    h.orch.start();
    await h.createService({ Name: 'r', Mode: { Replicated: { Replicas: 2 } } });
    await h.createService({ Name: 'g', Mode: { Global: {} } });
    expect(h.store.view((tx) => tx.list('task'))).toHaveLength(0);
  });
});
