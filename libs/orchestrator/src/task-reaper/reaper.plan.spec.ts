import { type RestartPolicy, type ServiceSpec, type TaskState } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { MS, T0 } from '../testing/restart.fixtures';
import { retentionLimitOf, type ReapTask, tasksToReap } from './reaper.plan';

const TEMPLATE = { ContainerSpec: { Image: 'app:1' } };

function spec(extra: Partial<ServiceSpec> = {}, restart?: RestartPolicy): ServiceSpec {
  return {
    Name: 'web',
    Mode: { Replicated: { Replicas: 1 } },
    TaskTemplate: { ...TEMPLATE, RestartPolicy: restart },
    ...extra,
  };
}

let seq = 0;
function task(
  slot: number,
  state: TaskState,
  desired: TaskState,
  opts: { at?: number; node?: string | null; restart?: RestartPolicy } = {},
): ReapTask {
  seq++;
  const at = opts.at ?? T0 + seq;
  return {
    ID: `t${String(seq).padStart(5, '0')}`,
    Slot: slot,
    NodeID: opts.node === null ? undefined : (opts.node ?? 'n1'),
    DesiredState: desired,
    Status: { State: state, Timestamp: rfc3339Nano(at) },
    Spec: { ...TEMPLATE, RestartPolicy: opts.restart },
    CreatedAt: rfc3339Nano(at),
    UpdatedAt: rfc3339Nano(at),
  };
}

/** A slot's history: `old` stopped tasks, oldest first, then a running one. */
function slot(n: number, old: number, state: TaskState = 'failed', restart?: RestartPolicy) {
  const past = Array.from({ length: old }, (_, i) =>
    task(n, state, 'shutdown', { at: T0 + i * 1_000, restart }),
  );
  return [...past, task(n, 'running', 'running', { at: T0 + old * 1_000, restart })];
}

const all = () => true;
const reap = (
  tasks: ReapTask[],
  opts: { spec?: ServiceSpec | null; limit?: number; nodeExists?: (id: string) => boolean } = {},
) =>
  tasksToReap({
    service: opts.spec === null ? undefined : { Spec: opts.spec ?? spec() },
    tasks,
    nodeExists: opts.nodeExists ?? all,
    retentionLimit: opts.limit ?? 5,
    now: T0 + 3_600_000,
  });

describe('retentionLimitOf', () => {
  it("reads the cluster's limit, 5 by default", () => {
    expect(retentionLimitOf(undefined)).toBe(5);
    expect(retentionLimitOf({ Spec: {} })).toBe(5);
    expect(retentionLimitOf({ Spec: { Orchestration: { TaskHistoryRetentionLimit: 0 } } })).toBe(0);
    expect(retentionLimitOf({ Spec: { Orchestration: { TaskHistoryRetentionLimit: 12 } } })).toBe(
      12,
    );
    expect(retentionLimitOf({ Spec: { Orchestration: { TaskHistoryRetentionLimit: -1 } } })).toBe(
      -1,
    );
  });
});

describe('tasksToReap', () => {
  it('keeps the limit per slot, counting the running task, and deletes the oldest', () => {
    const s1 = slot(1, 7);
    const s2 = slot(2, 3);
    expect(reap([...s1, ...s2])).toEqual(s1.slice(0, 3).map((t) => t.ID));
    expect(reap([...s1, ...s2], { limit: 2 })).toEqual([
      ...s1.slice(0, 6).map((t) => t.ID),
      ...s2.slice(0, 2).map((t) => t.ID),
    ]);
  });

  it('0 keeps only the current task; a negative limit keeps everything', () => {
    const s1 = slot(1, 3);
    expect(reap(s1, { limit: 0 })).toEqual(s1.slice(0, 3).map((t) => t.ID));
    expect(reap(s1, { limit: -1 })).toEqual([]);
  });

  it("never deletes a slot's latest task, even a stopped one", () => {
    // Scaled down: every task of the slot is stopped.
    const tasks = [task(3, 'failed', 'shutdown'), task(3, 'shutdown', 'shutdown')];
    expect(reap(tasks, { limit: 0 })).toEqual([tasks[0]!.ID]);
  });

  it('keeps tasks that may still run or report, and counts them', () => {
    const onDownNode = task(1, 'running', 'shutdown', { at: T0 });
    const old = task(1, 'failed', 'shutdown', { at: T0 + 1 });
    const current = task(1, 'running', 'running', { at: T0 + 2 });
    expect(reap([onDownNode, old, current], { limit: 1 })).toEqual([old.ID]);
    // Its node removed, the lost task is over.
    const gone = (id: string) => id !== 'n1';
    const moved = { ...current, NodeID: 'n2' };
    expect(reap([onDownNode, old, moved], { limit: 1, nodeExists: gone })).toEqual([
      onDownNode.ID,
      old.ID,
    ]);
    // Never placed, then shut down: over.
    const unplaced = task(1, 'pending', 'shutdown', { at: T0 - 1, node: null });
    expect(reap([unplaced, current], { limit: 1 })).toEqual([unplaced.ID]);
  });

  it('keeps the attempts MaxAttempts still counts, beyond the limit', () => {
    const policy: RestartPolicy = { MaxAttempts: 4 };
    const s = slot(1, 6, 'failed', policy);
    const withPolicy = spec({}, policy);
    // Limit 2 would leave one attempt; four are needed.
    expect(reap(s, { spec: withPolicy, limit: 2 })).toEqual(s.slice(0, 2).map((t) => t.ID));
    // Stopped tasks are not attempts: they go.
    const stopped = slot(2, 6, 'shutdown', policy);
    expect(reap(stopped, { spec: withPolicy, limit: 2 })).toHaveLength(5);
    // Attempts out of the Window go too.
    const windowed = spec({}, { MaxAttempts: 4, Window: 60_000 * MS });
    expect(reap(s, { spec: windowed, limit: 2 })).toHaveLength(5);
  });

  it("removes a removed service's tasks once they are over, and only then", () => {
    const stopped = task(1, 'shutdown', 'remove');
    const failed = task(2, 'failed', 'remove');
    const stopping = task(3, 'running', 'remove');
    const unplaced = task(4, 'pending', 'remove', { node: null });
    const tasks = [stopped, failed, stopping, unplaced];
    expect(reap(tasks, { spec: null })).toEqual([stopped.ID, failed.ID, unplaced.ID]);
    expect(reap(tasks, { spec: null, nodeExists: () => false })).toHaveLength(4);
    // Marked for removal while its service still exists (swarmkit's scale-down does this).
    expect(reap(tasks)).toEqual([stopped.ID, failed.ID, unplaced.ID]);
  });

  it('keeps the history of global services per node, and all of a job', () => {
    const global = spec({ Mode: { Global: {} } });
    const onN1 = [0, 1, 2].map((i) => ({
      ...task(0, 'failed', 'shutdown'),
      NodeID: 'n1',
      Slot: i,
    }));
    const onN2 = [task(0, 'failed', 'shutdown', { node: 'n2' })];
    expect(reap([...onN1, ...onN2], { spec: global, limit: 1 })).toEqual(
      onN1.slice(0, 2).map((t) => t.ID),
    );
    const job = spec({ Mode: { ReplicatedJob: { MaxConcurrent: 1 } } });
    expect(reap(slot(1, 8, 'complete'), { spec: job, limit: 1 })).toEqual([]);
  });
});
