import { type ServiceSpec, type TaskSpec } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { MS, simNode, specWith, T0, UpdateSim } from './testing/update.sim';
import { dirtyCheck } from './task.dirty';
import { resolveUpdateConfig } from './update.config';
import { planUpdate } from './update.plan';
import {
  NO_PREVIOUS_SPEC,
  ROLLBACK_COMPLETED,
  rollbackPausedMessage,
  rolledBackMessage,
  UPDATE_COMPLETED,
  UPDATE_IN_PROGRESS,
  updatePausedMessage,
} from './update.status';

/** A converged service of `replicas` on image v1, then updated to v2 with `update`. */
function updated(replicas: number, update = {}, rollback = {}, v2 = 'app:2') {
  const sim = new UpdateSim(specWith('app:1', replicas, update, rollback));
  sim.orchestrate();
  sim.settle();
  sim.advance(10_000);
  sim.updateSpec(specWith(v2, replicas, update, rollback));
  return sim;
}

const wanted = (sim: UpdateSim, slot: number) =>
  sim.list().filter((t) => t.Slot === slot && t.DesiredState === 'running');

describe('resolveUpdateConfig', () => {
  it("applies Swarm's defaults, in ms, and 0 parallelism as all at once", () => {
    expect(resolveUpdateConfig({}, false)).toEqual({
      parallelism: 1,
      delayMs: 0,
      failureAction: 'pause',
      monitorMs: 5000,
      maxFailureRatio: 0,
      order: 'stop-first',
    });
    const c = resolveUpdateConfig(
      {
        UpdateConfig: { Parallelism: 0, Delay: 1e9, Order: 'start-first' },
        RollbackConfig: { Parallelism: 3, Monitor: 2e9 },
      },
      false,
    );
    expect(c.parallelism).toBe(Infinity);
    expect(c.delayMs).toBe(1000);
    expect(c.order).toBe('start-first');
    const r = resolveUpdateConfig({ RollbackConfig: { Parallelism: 3, Monitor: 2e9 } }, true);
    expect(r).toMatchObject({ parallelism: 3, monitorMs: 2000, failureAction: 'pause' });
  });
});

describe('dirtyCheck', () => {
  const tpl: TaskSpec = { ContainerSpec: { Image: 'a', Env: ['X=1'] }, ForceUpdate: 1 };
  const dirty = dirtyCheck(tpl);
  const n1 = simNode('n1');
  it('ignores key order and PullOptions, but not ForceUpdate', () => {
    const same = { ForceUpdate: 1, ContainerSpec: { Env: ['X=1'], Image: 'a' } };
    expect(dirty({ Spec: same }, n1)).toBe(false);
    const pull = { ...same, ContainerSpec: { ...same.ContainerSpec, PullOptions: { R: 'x' } } };
    expect(dirty({ Spec: pull as TaskSpec }, n1)).toBe(false);
    expect(dirty({ Spec: { ...same, ForceUpdate: 0 } }, n1)).toBe(true);
    expect(dirty({ Spec: { ...same, ContainerSpec: { Image: 'b' } } }, n1)).toBe(true);
  });
  it('keeps a task whose only difference is a placement its node still fits', () => {
    const placed = dirtyCheck({ ...tpl, Placement: { Constraints: ['node.hostname==host-n1'] } });
    expect(placed({ Spec: tpl, NodeID: 'n1' }, n1)).toBe(false);
    expect(placed({ Spec: tpl, NodeID: 'n2' }, simNode('n2'))).toBe(true);
    expect(placed({ Spec: tpl }, undefined)).toBe(true);
  });
});

describe('planUpdate: stop-first', () => {
  it('does nothing, and writes no status, for a service whose tasks are all current', () => {
    const sim = new UpdateSim(specWith('app:1', 3));
    sim.orchestrate();
    sim.settle();
    const plan = sim.updater();
    expect(plan).toMatchObject({ shutdown: [], create: [], promote: [], rollback: false });
    expect(plan.status).toBeUndefined();
    expect(sim.service.UpdateStatus).toBeUndefined();
  });

  it('starts the update: status updating, and Parallelism slots replaced, held', () => {
    const sim = updated(6, { Parallelism: 2 });
    const plan = sim.updater();
    expect(plan.status).toEqual({
      State: 'updating',
      Message: UPDATE_IN_PROGRESS,
      StartedAt: rfc3339Nano(sim.now),
    });
    expect(plan.create).toEqual([
      { slot: 1, hold: true },
      { slot: 2, hold: true },
    ]);
    expect(plan.shutdown).toHaveLength(2);
    expect(plan.inFlight).toBe(2);
    // One task desired running per slot: the held one, not yet the scheduler's.
    for (const slot of [1, 2]) {
      expect(wanted(sim, slot).map((t) => t.Status.State)).toEqual(['new']);
    }
    // The replicated orchestrator sees every slot filled.
    const before = sim.tasks.size;
    sim.orchestrate();
    expect(sim.tasks.size).toBe(before);
  });

  it('promotes a held task only once the task it replaces has stopped', () => {
    const sim = updated(1);
    sim.updater();
    const [held] = wanted(sim, 1);
    expect(sim.updater().promote).toEqual([]);
    sim.settle(); // the agent stops the old task
    expect(sim.updater().promote).toEqual([held!.ID]);
    expect(sim.tasks.get(held!.ID)!.Status.State).toBe('pending');
  });

  it('does not wait for a task on a down node, nor for one never assigned', () => {
    const sim = updated(2, { Parallelism: 2 });
    const old = wanted(sim, 1)[0]!;
    sim.nodes = sim.nodes.map((n) => (n.ID === old.NodeID ? simNode(n.ID, 'down') : n));
    const plan = sim.updater();
    // Slot 1's task is on a down node: the replicated orchestrator replaces it, not us.
    expect(plan.create.map((c) => c.slot)).not.toContain(1);
    sim.orchestrate();
    const fresh = wanted(sim, 1)[0]!;
    expect(fresh.Status.State).toBe('pending');
    expect(sim.key(fresh)).toBe(sim.key({ Spec: sim.service.Spec.TaskTemplate }));
  });

  it('waits Delay after each new task runs before the next slot, and wakes for it', () => {
    const sim = updated(3, { Parallelism: 1, Delay: 1000 * MS });
    sim.updater();
    sim.settle();
    sim.updater(); // promote
    sim.settle(); // running
    const runningAt = sim.now;
    let plan = sim.updater();
    expect(plan.create).toEqual([]);
    expect(plan.nextWakeAt).toBe(runningAt + 1000);
    sim.advance(1000);
    plan = sim.updater();
    expect(plan.create).toEqual([{ slot: 2, hold: true }]);
  });

  it('replaces every slot at once with Parallelism 0', () => {
    const sim = updated(5, { Parallelism: 0 });
    expect(sim.updater().create).toHaveLength(5);
  });

  it('completes after the last new task has run for Monitor, keeping StartedAt', () => {
    const sim = updated(2, { Parallelism: 2, Monitor: 3000 * MS });
    const start = sim.updater().status!.StartedAt;
    sim.settle();
    sim.updater();
    sim.settle();
    let plan = sim.updater();
    expect(plan.status).toBeUndefined();
    expect(plan.nextWakeAt).toBe(sim.now + 3000);
    sim.advance(3000);
    plan = sim.updater();
    expect(plan.status).toEqual({
      State: 'completed',
      Message: UPDATE_COMPLETED,
      StartedAt: start,
      CompletedAt: rfc3339Nano(sim.now),
    });
    // Completed is final: nothing more is written.
    expect(sim.updater().status).toBeUndefined();
  });

  it('uses Delay + 1 s as the final window when Delay >= Monitor, as swarmkit', () => {
    const sim = updated(1, { Delay: 5000 * MS, Monitor: 2000 * MS });
    sim.updater();
    sim.settle();
    sim.updater();
    sim.settle();
    expect(sim.updater().nextWakeAt).toBe(sim.now + 5000);
    sim.advance(5000);
    expect(sim.updater().nextWakeAt).toBe(sim.now + 1000);
  });

  it('replaces every task when only ForceUpdate changed', () => {
    const sim = new UpdateSim(specWith('app:1', 3, { Parallelism: 0 }));
    sim.orchestrate();
    sim.settle();
    const forced: ServiceSpec = structuredClone(sim.service.Spec);
    forced.TaskTemplate = { ...forced.TaskTemplate, ForceUpdate: 1 };
    sim.updateSpec(forced);
    expect(sim.updater().create).toHaveLength(3);
  });

  it('bounds the task writes of one plan and says there is more', () => {
    const sim = updated(400, { Parallelism: 0 });
    const plan = sim.updater({ maxTaskWrites: 500 });
    expect(plan.create.length + plan.shutdown.length).toBeLessThanOrEqual(500);
    expect(plan.create).toHaveLength(250);
    expect(plan.more).toBe(true);
    const next = sim.updater({ maxTaskWrites: 500 });
    expect(next.create).toHaveLength(150);
    expect(next.more).toBe(false);
  });
});

describe('planUpdate: start-first', () => {
  it('starts the new task next to the old one and stops the old once it runs', () => {
    const sim = updated(2, { Parallelism: 1, Order: 'start-first' });
    const plan = sim.updater();
    expect(plan.create).toEqual([{ slot: 1, hold: false }]);
    expect(plan.shutdown).toEqual([]);
    expect(wanted(sim, 1)).toHaveLength(2);
    const [newer] = wanted(sim, 1).filter((t) => t.source === 'updater');
    sim.stepTask(newer!.ID); // pending → assigned
    sim.stepTask(newer!.ID); // assigned → running
    expect(sim.tasks.get(newer!.ID)!.Status.State).toBe('running');
    const next = sim.updater();
    expect(next.shutdown).toHaveLength(1);
    expect(wanted(sim, 1).map((t) => t.ID)).toEqual([newer!.ID]);
  });

  it('drops a replacement that failed before running and tries the slot again after Delay', () => {
    const sim = updated(1, { Order: 'start-first', FailureAction: 'continue', Delay: 2_000 * MS });
    sim.updater();
    const newer = wanted(sim, 1).find((t) => t.source === 'updater')!;
    sim.stepTask(newer.ID);
    sim.stepTask(newer.ID, true); // fails
    expect(sim.tasks.get(newer.ID)!.Status.State).toBe('failed');
    let plan = sim.updater();
    expect(plan.shutdown).toEqual([newer.ID]);
    expect(wanted(sim, 1)).toHaveLength(1);
    plan = sim.updater();
    expect(plan.create).toEqual([]);
    expect(plan.nextWakeAt).toBe(sim.now + 2_000);
    sim.now += 2_000;
    plan = sim.updater();
    expect(plan.create).toEqual([{ slot: 1, hold: false }]);
  });
});

describe('planUpdate: failures', () => {
  /** Updates one slot of `replicas` and fails its new task. */
  function failFirst(replicas: number, update: object, rollback: object = {}) {
    const sim = updated(replicas, update, rollback);
    sim.updater();
    sim.settle();
    sim.updater();
    const held = wanted(sim, 1)[0]!;
    sim.stepTask(held.ID); // assigned
    sim.stepTask(held.ID, true); // failed
    return { sim, failed: held.ID };
  }

  it("pauses with swarmkit's message (FailureAction pause, the default)", () => {
    const { sim, failed } = failFirst(3, {});
    const plan = sim.updater();
    expect(plan.status).toMatchObject({ State: 'paused', Message: updatePausedMessage(failed) });
    expect(plan.create).toEqual([]);
    // Paused: nothing new, even later.
    sim.orchestrate();
    sim.settle();
    sim.advance(60_000);
    expect(sim.updater().create).toEqual([]);
  });

  it('resumes a paused update when the service is updated again', () => {
    const { sim } = failFirst(3, {});
    sim.updater();
    sim.updateSpec(specWith('app:3', 3));
    const plan = sim.updater();
    expect(plan.status?.State).toBe('updating');
    expect(plan.create).toHaveLength(1);
  });

  it('continues while failures stay within MaxFailureRatio', () => {
    const { sim } = failFirst(3, { MaxFailureRatio: 0.5 });
    const plan = sim.updater();
    expect(plan.status).toBeUndefined();
    expect(plan.create).toEqual([{ slot: 2, hold: true }]);
  });

  it('ignores a failure after the task ran for longer than Monitor', () => {
    const sim = updated(2, { Monitor: 1000 * MS });
    sim.updater();
    sim.settle();
    sim.updater();
    sim.settle();
    const t = wanted(sim, 1)[0]!;
    sim.advance(2000);
    sim.stepTask(t.ID, true);
    expect(sim.tasks.get(t.ID)!.Status.State).toBe('failed');
    expect(sim.updater().status?.State).toBeUndefined();
  });

  it('rolls back to PreviousSpec with FailureAction rollback, writing only the service', () => {
    const { sim, failed } = failFirst(3, { FailureAction: 'rollback' });
    const start = sim.service.UpdateStatus!.StartedAt;
    const plan = sim.updater();
    expect(plan.rollback).toBe(true);
    expect(plan.status).toEqual({
      State: 'rollback_started',
      Message: rolledBackMessage(failed),
      StartedAt: start,
    });
    expect(plan.create).toEqual([]);
    expect(sim.service.Spec.TaskTemplate?.ContainerSpec?.Image).toBe('app:1');
    // The rollback replaces the slot that was updated, with RollbackConfig.
    sim.orchestrate();
    sim.settle();
    for (let i = 0; i < 10; i++) {
      sim.updater();
      sim.orchestrate();
      sim.settle();
      sim.advance(6000);
    }
    expect(sim.service.UpdateStatus).toMatchObject({
      State: 'rollback_completed',
      Message: ROLLBACK_COMPLETED,
    });
    const images = sim
      .list()
      .filter((t) => t.DesiredState === 'running')
      .map((t) => t.Spec?.ContainerSpec?.Image);
    expect(images).toEqual(['app:1', 'app:1', 'app:1']);
  });

  it('pauses instead when there is no previous spec to roll back to', () => {
    const { sim } = failFirst(2, { FailureAction: 'rollback' });
    sim.service = { ...sim.service, PreviousSpec: undefined };
    expect(sim.updater().status).toMatchObject({ State: 'paused', Message: NO_PREVIOUS_SPEC });
  });

  it('never rolls back a rollback: it pauses it', () => {
    const sim = updated(2, {}, { FailureAction: 'pause' }, 'app:1');
    // As the control layer writes a manual rollback.
    sim.service = {
      ...sim.service,
      UpdateStatus: { State: 'rollback_started', StartedAt: rfc3339Nano(sim.now) },
    };
    sim.service.Spec = specWith('app:0', 2);
    sim.updater();
    sim.settle();
    sim.updater();
    const held = wanted(sim, 1)[0]!;
    sim.stepTask(held.ID);
    sim.stepTask(held.ID, true);
    expect(sim.updater().status).toMatchObject({
      State: 'rollback_paused',
      Message: updatePausedMessage(held.ID),
    });
    expect(rollbackPausedMessage('x')).toBe(
      'rollback paused due to failure or early termination of task x',
    );
  });
});

describe('planUpdate: global services and jobs', () => {
  const global = (image: string): ServiceSpec => ({
    Name: 'agent',
    Mode: { Global: {} },
    TaskTemplate: { ContainerSpec: { Image: image } },
    UpdateConfig: { Parallelism: 1, Order: 'start-first' },
  });
  const task = (id: string, nodeId: string, image: string) => ({
    ID: id,
    NodeID: nodeId,
    DesiredState: 'running' as const,
    Status: { State: 'running' as const, Timestamp: rfc3339Nano(T0) },
    Spec: { ContainerSpec: { Image: image } },
    CreatedAt: rfc3339Nano(T0),
    UpdatedAt: rfc3339Nano(T0),
  });

  it('treats each node as a slot, always stop-first, on nodes that take new tasks', () => {
    const plan = planUpdate({
      service: { ID: 's', Spec: global('b'), PreviousSpec: global('a') },
      tasks: [task('t1', 'n1', 'a'), task('t2', 'n2', 'a')],
      nodes: [simNode('n1', 'down'), simNode('n2')],
      now: T0 + 1000,
    });
    expect(plan.create).toEqual([{ nodeId: 'n2', hold: true }]);
    expect(plan.shutdown).toEqual(['t2']);
  });

  it('leaves jobs alone', () => {
    const plan = planUpdate({
      service: { ID: 's', Spec: { ...global('b'), Mode: { ReplicatedJob: {} } } },
      tasks: [{ ...task('t1', 'n1', 'a'), Slot: 1 }],
      nodes: [simNode('n1')],
      now: T0,
    });
    expect(plan).toMatchObject({ create: [], shutdown: [] });
    expect(plan.status).toBeUndefined();
  });
});
