import { type ServiceSpec } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import { describe, expect, it } from 'vitest';
import { MS, specWith, UpdateSim } from './testing/update.sim';
import { DRAIN_LABEL, DRAINING_SINCE_LABEL, updateExtras } from './update.labels';

const DRAIN = 5000;

function drainSpec(image: string, replicas: number, update = {}, drain = '5s') {
  const spec: ServiceSpec = specWith(image, replicas, { Monitor: 1000 * MS, ...update });
  spec.Labels = { [DRAIN_LABEL]: drain };
  return spec;
}

function drained(replicas: number, update = {}) {
  const sim = new UpdateSim(drainSpec('app:1', replicas, update));
  sim.orchestrate();
  sim.settle();
  sim.advance(10_000);
  sim.updateSpec(drainSpec('app:2', replicas, update));
  return sim;
}

const inSlot = (sim: UpdateSim, slot: number) =>
  sim.list().filter((t) => t.Slot === slot && t.DesiredState === 'running');
const mark = (t: { Labels?: Record<string, string> } | undefined) =>
  t?.Labels?.[DRAINING_SINCE_LABEL];

describe('update labels', () => {
  it('reads the canary, its pause and the drain, with Go durations; bad values are ignored', () => {
    expect(updateExtras(undefined)).toEqual({ canary: 0, drainMs: 0, invalid: [] });
    expect(
      updateExtras({
        'shoal.update.canary': '2',
        'shoal.update.canary.pause': '1m30s',
        'shoal.update.drain': '500ms',
      }),
    ).toEqual({ canary: 2, canaryPauseMs: 90_000, drainMs: 500, invalid: [] });
    expect(
      updateExtras({ 'shoal.update.canary': '-1', 'shoal.update.drain': '5 seconds' }),
    ).toEqual({
      canary: 0,
      drainMs: 0,
      invalid: ['shoal.update.canary', 'shoal.update.drain'],
    });
  });
});

describe('planUpdate: drain before stop (shoal.update.drain)', () => {
  it('stop-first: marks the old task draining, stops it only after the delay, then replaces it', () => {
    const sim = drained(2);
    const [old] = inSlot(sim, 1);
    const plan = sim.updater();
    expect(plan.drain).toEqual([old!.ID]);
    expect(plan.shutdown).toEqual([]);
    expect(plan.create).toEqual([]);
    expect(plan.nextWakeAt).toBe(sim.now + DRAIN);
    expect(mark(sim.tasks.get(old!.ID))).toBe(rfc3339Nano(sim.now));
    // Slot 2 waits: the draining slot is in flight (Parallelism 1).
    sim.advance(DRAIN - 1);
    const early = sim.updater();
    expect(early).toMatchObject({ shutdown: [], create: [], drain: [], inFlight: 1 });
    expect(sim.tasks.get(old!.ID)!.DesiredState).toBe('running');
    sim.advance(1);
    const due = sim.updater();
    expect(due.shutdown).toEqual([old!.ID]);
    expect(due.create).toEqual([{ slot: 1, hold: true }]);
    // Then as without drain: promoted once stopped, and slot 2 drains next.
    sim.settle();
    expect(sim.updater().promote).toHaveLength(1);
    sim.settle();
    sim.advance(1000);
    const next = sim.updater();
    expect(next.drain).toEqual([inSlot(sim, 2).find((t) => t.source === 'orchestrator')!.ID]);
  });

  it('failover mid-drain: the new leader stops the task at mark + delay, not later', () => {
    const sim = drained(1);
    const [old] = inSlot(sim, 1);
    sim.updater();
    const markedAt = sim.now;
    sim.advance(3000);
    sim.failover();
    const plan = sim.updater();
    expect(plan).toMatchObject({ drain: [], shutdown: [] });
    expect(plan.nextWakeAt).toBe(markedAt + DRAIN);
    sim.now = markedAt + DRAIN;
    sim.failover();
    expect(sim.updater().shutdown).toEqual([old!.ID]);
  });

  it('start-first: the old task drains once the new one runs, and stops after the delay', () => {
    const sim = drained(1, { Order: 'start-first' });
    const [old] = inSlot(sim, 1);
    expect(sim.updater().create).toEqual([{ slot: 1, hold: false }]);
    const fresh = inSlot(sim, 1).find((t) => t.source === 'updater')!;
    sim.stepTask(fresh.ID);
    expect(sim.updater().drain).toEqual([]); // not running yet: no drain
    sim.stepTask(fresh.ID); // running
    const plan = sim.updater();
    expect(plan.drain).toEqual([old!.ID]);
    expect(plan.shutdown).toEqual([]);
    expect(plan.nextWakeAt).toBe(sim.now + DRAIN);
    sim.advance(DRAIN);
    expect(sim.updater().shutdown).toEqual([old!.ID]);
    sim.settle();
    sim.advance(2000);
    sim.updater();
    expect(sim.service.UpdateStatus?.State).toBe('completed');
  });

  it('a rollback mid-drain takes the mark off the task, which is current again', () => {
    const sim = drained(2);
    const [old] = inSlot(sim, 1);
    sim.updater();
    expect(mark(sim.tasks.get(old!.ID))).toBeDefined();
    // The control layer's manual rollback: app:1 again.
    sim.service = {
      ...sim.service,
      Spec: sim.service.PreviousSpec!,
      PreviousSpec: sim.service.Spec,
      UpdateStatus: { State: 'rollback_started', StartedAt: rfc3339Nano(sim.now) },
    };
    const plan = sim.updater();
    expect(plan.undrain).toEqual([old!.ID]);
    expect(plan.shutdown).toEqual([]);
    expect(mark(sim.tasks.get(old!.ID))).toBeUndefined();
    expect(sim.tasks.get(old!.ID)!.DesiredState).toBe('running');
  });

  it('every slot drains then is replaced exactly once, across failovers', () => {
    const sim = drained(4, { Parallelism: 2 });
    for (let i = 0; i < 40 && sim.service.UpdateStatus?.State !== 'completed'; i++) {
      if (i % 4 === 0) sim.failover();
      sim.updater();
      sim.orchestrate();
      sim.settle();
      sim.advance(1000);
    }
    expect(sim.service.UpdateStatus?.State).toBe('completed');
    const made = sim.list().filter((t) => t.source === 'updater');
    expect(made.map((t) => t.Slot).sort()).toEqual([1, 2, 3, 4]);
    // Each old task was marked, and stopped no sooner than the delay after its mark.
    for (const t of sim.list().filter((x) => x.source === 'orchestrator')) {
      expect(mark(t), t.ID).toBeDefined();
      expect(t.DesiredState).toBe('shutdown');
      expect(Date.parse(t.Status.Timestamp)).toBeGreaterThanOrEqual(Date.parse(mark(t)!) + DRAIN);
    }
  });
});
