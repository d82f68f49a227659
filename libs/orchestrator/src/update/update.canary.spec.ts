import { type ServiceSpec } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { MS, specWith, UpdateSim } from './testing/update.sim';
import { CANARY_LABEL, CANARY_PAUSE_LABEL } from './update.labels';
import {
  canaryPausedMessage,
  canaryRolledBackMessage,
  isCanaryPause,
  promotedStatus,
  ROLLBACK_COMPLETED,
  UPDATE_COMPLETED,
  UPDATE_IN_PROGRESS,
} from './update.status';

const MONITOR = 2000;

function canarySpec(image: string, replicas: number, labels: Record<string, string>, update = {}) {
  const spec: ServiceSpec = specWith(image, replicas, {
    Parallelism: 1,
    Monitor: MONITOR * MS,
    ...update,
  });
  spec.Labels = labels;
  return spec;
}

/** A converged service on app:1, updated to app:2 with the canary labels. */
function canary(replicas: number, labels: Record<string, string>, update = {}) {
  const sim = new UpdateSim(canarySpec('app:1', replicas, labels, update));
  sim.orchestrate();
  sim.settle();
  sim.advance(10_000);
  sim.updateSpec(canarySpec('app:2', replicas, labels, update));
  return sim;
}

/** Planner passes, with the orchestrator and agents in between, `ms` apart. */
function run(sim: UpdateSim, passes: number, ms = 500, opts: { failover?: boolean } = {}) {
  for (let i = 0; i < passes; i++) {
    if (opts.failover && i % 3 === 0) sim.failover();
    sim.updater();
    sim.orchestrate();
    sim.settle();
    sim.advance(ms);
  }
}

const live = (sim: UpdateSim) =>
  sim
    .list()
    .filter((t) => t.DesiredState === 'running')
    .sort((a, b) => a.Slot! - b.Slot!)
    .map((t) => t.Spec?.ContainerSpec?.Image);

/** What `shoal service promote` writes (ServiceControl.promote). */
function promote(sim: UpdateSim) {
  sim.service = {
    ...sim.service,
    UpdateStatus: promotedStatus(sim.service.UpdateStatus!, rfc3339Nano(sim.now)),
  };
}

describe('planUpdate: canary (shoal.update.canary)', () => {
  it('updates N slots, waits for Monitor, then pauses with a marker in the store', () => {
    const sim = canary(6, { [CANARY_LABEL]: '2' }, { Parallelism: 0 });
    // Parallelism 0 (all at once) is capped at the canary's 2.
    const first = sim.updater();
    expect(first.create).toEqual([
      { slot: 1, hold: true },
      { slot: 2, hold: true },
    ]);
    expect(first.status?.State).toBe('updating');
    sim.settle();
    sim.updater(); // promote the held tasks
    sim.settle(); // running
    const runningAt = sim.now;
    let plan = sim.updater();
    expect(plan.create).toEqual([]);
    expect(plan.status).toBeUndefined();
    expect(plan.nextWakeAt).toBe(runningAt + MONITOR);
    sim.advance(MONITOR);
    plan = sim.updater();
    expect(plan.status).toMatchObject({
      State: 'paused',
      Message: canaryPausedMessage(2, 6),
      ShoalCanary: { PausedAt: rfc3339Nano(sim.now) },
    });
    expect(plan.status?.Message).toBe('canary: 2 of 6 tasks updated; waiting for promotion');
    expect(isCanaryPause(sim.service.UpdateStatus)).toBe(true);
    // Without a pause duration it waits for promotion, however long.
    run(sim, 10, 60_000);
    expect(live(sim)).toEqual(['app:2', 'app:2', 'app:1', 'app:1', 'app:1', 'app:1']);
    expect(sim.service.UpdateStatus?.State).toBe('paused');
  });

  it('respects Parallelism and Delay within the canary', () => {
    const sim = canary(6, { [CANARY_LABEL]: '2' }, { Parallelism: 1 });
    expect(sim.updater().create).toEqual([{ slot: 1, hold: true }]);
    run(sim, 3);
    expect(live(sim).filter((i) => i === 'app:2')).toHaveLength(2);
    run(sim, 10);
    expect(sim.service.UpdateStatus?.State).toBe('paused');
    expect(live(sim).filter((i) => i === 'app:2')).toHaveLength(2);
  });

  it('promotion continues with the normal Parallelism to completed, StartedAt kept', () => {
    const sim = canary(5, { [CANARY_LABEL]: '1' }, { Parallelism: 2 });
    run(sim, 10);
    const paused = sim.service.UpdateStatus!;
    expect(paused.Message).toBe(canaryPausedMessage(1, 5));
    promote(sim);
    const plan = sim.updater();
    expect(plan.create).toEqual([
      { slot: 2, hold: true },
      { slot: 3, hold: true },
    ]);
    run(sim, 20);
    expect(sim.service.UpdateStatus).toMatchObject({
      State: 'completed',
      Message: UPDATE_COMPLETED,
      StartedAt: paused.StartedAt,
    });
    expect(live(sim)).toEqual(['app:2', 'app:2', 'app:2', 'app:2', 'app:2']);
  });

  it('goes on by itself after shoal.update.canary.pause, timed from the store across a failover', () => {
    const sim = canary(3, { [CANARY_LABEL]: '1', [CANARY_PAUSE_LABEL]: '10s' });
    run(sim, 8);
    const status = sim.service.UpdateStatus!;
    expect(status.State).toBe('paused');
    const pausedAt = Date.parse(status.ShoalCanary!.PausedAt!);
    expect(status.Message).toBe(canaryPausedMessage(1, 3, rfc3339Nano(pausedAt + 10_000)));
    sim.advance(4000);
    sim.failover(); // a new leader plans from the store alone
    const plan = sim.updater();
    expect(plan.nextWakeAt).toBe(pausedAt + 10_000);
    expect(plan.create).toEqual([]);
    sim.now = pausedAt + 10_000;
    expect(sim.updater().status).toMatchObject({
      State: 'updating',
      Message: UPDATE_IN_PROGRESS,
      ShoalCanary: { PausedAt: status.ShoalCanary!.PausedAt, PromotedAt: rfc3339Nano(sim.now) },
    });
    run(sim, 20);
    expect(sim.service.UpdateStatus?.State).toBe('completed');
    expect(live(sim)).toEqual(['app:2', 'app:2', 'app:2']);
  });

  it('never pauses twice: a FailureAction pause after promotion is not a canary pause', () => {
    const sim = canary(3, { [CANARY_LABEL]: '1' });
    run(sim, 8);
    promote(sim);
    const held = sim.updater().create;
    expect(held).toEqual([{ slot: 2, hold: true }]);
    run(sim, 20);
    expect(sim.service.UpdateStatus?.State).toBe('completed');
    expect(isCanaryPause(sim.service.UpdateStatus)).toBe(false);
  });

  it('a canary failure within Monitor rolls back whatever FailureAction says', () => {
    const sim = canary(4, { [CANARY_LABEL]: '2' }, { FailureAction: 'continue', Parallelism: 2 });
    sim.updater();
    sim.settle();
    sim.updater(); // promote
    const held = sim.list().filter((t) => t.source === 'updater' && t.Status.State === 'pending');
    sim.stepTask(held[0]!.ID); // assigned
    sim.stepTask(held[0]!.ID); // running
    sim.advance(500);
    sim.stepTask(held[0]!.ID, true); // fails within Monitor
    const plan = sim.updater();
    expect(plan.rollback).toBe(true);
    expect(plan.status).toMatchObject({
      State: 'rollback_started',
      Message: canaryRolledBackMessage(held[0]!.ID),
    });
    expect(plan.status?.ShoalCanary).toBeUndefined();
    run(sim, 20, 3000);
    expect(sim.service.UpdateStatus).toMatchObject({
      State: 'rollback_completed',
      Message: ROLLBACK_COMPLETED,
    });
    expect(live(sim)).toEqual(['app:1', 'app:1', 'app:1', 'app:1']);
  });

  it('a canary task that fails during the pause rolls back, even after a failover', () => {
    const sim = canary(3, { [CANARY_LABEL]: '1' });
    run(sim, 8);
    expect(isCanaryPause(sim.service.UpdateStatus)).toBe(true);
    const canaryTask = sim
      .list()
      .find((t) => t.DesiredState === 'running' && t.source === 'updater')!;
    sim.advance(30_000);
    sim.stepTask(canaryTask.ID, true); // exits long after Monitor, while paused
    sim.failover();
    const plan = sim.updater();
    expect(plan.status).toMatchObject({
      State: 'rollback_started',
      Message: canaryRolledBackMessage(canaryTask.ID),
    });
    run(sim, 20, 3000);
    expect(sim.service.UpdateStatus?.State).toBe('rollback_completed');
    expect(live(sim)).toEqual(['app:1', 'app:1', 'app:1']);
  });

  it('failover mid-canary: no slot is started twice and the canary stays N', () => {
    const sim = canary(6, { [CANARY_LABEL]: '3' }, { Parallelism: 2 });
    run(sim, 30, 700, { failover: true });
    expect(sim.service.UpdateStatus?.State).toBe('paused');
    expect(live(sim)).toEqual(['app:2', 'app:2', 'app:2', 'app:1', 'app:1', 'app:1']);
    // One updater task per canary slot: none replaced twice.
    const made = sim.list().filter((t) => t.source === 'updater');
    expect(made.map((t) => t.Slot).sort()).toEqual([1, 2, 3]);
    // A dropped write (the leader died before commit) changes nothing either.
    sim.updater({ drop: true });
    sim.failover();
    expect(sim.updater().create).toEqual([]);
  });

  it('a new update restarts the canary; the canary never applies to a rollback', () => {
    const sim = canary(4, { [CANARY_LABEL]: '1' });
    run(sim, 8);
    expect(sim.service.UpdateStatus?.State).toBe('paused');
    // A new spec: the update starts again, the canary first (slot 1 gets app:3).
    sim.updateSpec(canarySpec('app:3', 4, { [CANARY_LABEL]: '1' }));
    run(sim, 8);
    expect(sim.service.UpdateStatus?.Message).toBe(canaryPausedMessage(1, 4));
    expect(live(sim)).toEqual(['app:3', 'app:1', 'app:1', 'app:1']);
    // A manual rollback (as the control layer writes it) rolls every slot, no pause.
    sim.service = {
      ...sim.service,
      Spec: sim.service.PreviousSpec!,
      PreviousSpec: sim.service.Spec,
      UpdateStatus: { State: 'rollback_started', StartedAt: rfc3339Nano(sim.now) },
    };
    run(sim, 20, 3000);
    expect(sim.service.UpdateStatus?.State).toBe('rollback_completed');
    expect(live(sim)).toEqual(['app:2', 'app:2', 'app:2', 'app:2']);
  });

  it('removing the canary label while paused lets the update go on', () => {
    const sim = canary(3, { [CANARY_LABEL]: '1' });
    run(sim, 8);
    sim.service = { ...sim.service, Spec: { ...sim.service.Spec, Labels: {} } };
    expect(sim.updater().status?.State).toBe('updating');
    run(sim, 20);
    expect(sim.service.UpdateStatus?.State).toBe('completed');
  });

  it('a canary as large as the service is the whole update: it completes without a pause', () => {
    const sim = canary(2, { [CANARY_LABEL]: '5' }, { Parallelism: 0 });
    run(sim, 12);
    expect(sim.service.UpdateStatus?.State).toBe('completed');
  });
});
