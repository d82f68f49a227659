import { TASK_STATE_ORDER, type UpdateConfig } from '@shoal/api/swarm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTerminalState } from '../restart/slot.history';
import { MS, specWith, UpdateSim } from './testing/update.sim';

/** One thing that happens in the cluster, in a random order. */
type Action =
  | { type: 'updater'; drop: boolean }
  | { type: 'orchestrator' }
  | { type: 'agent'; pick: number; fail: boolean }
  | { type: 'tick'; ms: number }
  | { type: 'failover' };

const arbAction = (failures: boolean): fc.Arbitrary<Action> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ type: fc.constant('updater' as const), drop: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.constant({ type: 'orchestrator' as const }) },
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constant('agent' as const),
        pick: fc.nat(50),
        fail: failures ? fc.boolean() : fc.constant(false),
      }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('tick' as const), ms: fc.nat(3000) }) },
    { weight: 1, arbitrary: fc.constant({ type: 'failover' as const }) },
  );

const arbConfig = (order: 'stop-first' | 'start-first'): fc.Arbitrary<UpdateConfig> =>
  fc.record({
    Parallelism: fc.integer({ min: 0, max: 4 }),
    Delay: fc.constantFrom(0, 500, 2000).map((ms) => ms * MS),
    Monitor: fc.constantFrom(0, 1000, 5000).map((ms) => ms * MS),
    FailureAction: fc.constant('continue' as const),
    Order: fc.constant(order),
  });

function converged(replicas: number, update: UpdateConfig): UpdateSim {
  const sim = new UpdateSim(specWith('app:1', replicas, update));
  sim.orchestrate();
  sim.settle();
  sim.advance(10_000);
  sim.updateSpec(specWith('app:2', replicas, update));
  return sim;
}

function apply(sim: UpdateSim, a: Action, check: (s: UpdateSim) => void): void {
  switch (a.type) {
    case 'updater': {
      const plan = sim.updater({ drop: a.drop });
      const limit = sim.service.Spec.UpdateConfig?.Parallelism || Infinity;
      // Slots refilled by the orchestrator's restarts count as in flight too, so the count
      // may pass Parallelism on its own; the updater then starts nothing.
      if (plan.create.length > 0) expect(plan.inFlight).toBeLessThanOrEqual(limit);
      break;
    }
    case 'orchestrator':
      sim.orchestrate();
      break;
    case 'agent':
      sim.step(a.pick, a.fail);
      break;
    case 'tick':
      sim.advance(a.ms);
      break;
    case 'failover':
      sim.failover();
      break;
  }
  check(sim);
}

/** Runs everything, without failures, until the update completes (or gives up). */
function finish(sim: UpdateSim, check: (s: UpdateSim) => void): void {
  for (let i = 0; i < 400 && sim.service.UpdateStatus?.State !== 'completed'; i++) {
    sim.orchestrate();
    check(sim);
    sim.updater();
    check(sim);
    sim.settle();
    check(sim);
    sim.advance(1000);
  }
}

const bySlot = (sim: UpdateSim) => {
  const slots = new Map<number, ReturnType<UpdateSim['list']>>();
  for (const t of sim.list()) {
    const list = slots.get(t.Slot!) ?? [];
    list.push(t);
    slots.set(t.Slot!, list);
  }
  return slots;
};

/** At most Parallelism slots hold a replacement not yet running (or a held one). */
function parallelismHolds(sim: UpdateSim): void {
  const limit = sim.service.Spec.UpdateConfig?.Parallelism || Infinity;
  let inFlight = 0;
  for (const tasks of bySlot(sim).values()) {
    const wanted = tasks.filter((t) => t.DesiredState === 'running');
    if (wanted.some((t) => t.Status.State === 'new') || wanted.length > 1) inFlight++;
  }
  expect(inFlight).toBeLessThanOrEqual(limit);
}

describe('rolling updater (property)', () => {
  it('stop-first: one task desired running per slot, never two placed at once, each dirty slot replaced exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        arbConfig('stop-first'),
        fc.array(arbAction(true), { maxLength: 150 }),
        (replicas, update, actions) => {
          const sim = converged(replicas, update);
          const check = (s: UpdateSim) => {
            parallelismHolds(s);
            for (const tasks of bySlot(s).values()) {
              expect(tasks.filter((t) => t.DesiredState === 'running').length).toBeLessThanOrEqual(
                1,
              );
              const placed = tasks.filter(
                (t) =>
                  !isTerminalState(t.Status.State) &&
                  TASK_STATE_ORDER[t.Status.State] >= TASK_STATE_ORDER.assigned,
              );
              expect(placed.length).toBeLessThanOrEqual(1);
            }
          };
          for (const a of actions) apply(sim, a, check);
          finish(sim, check);

          // No status at all: every slot failed and was refilled with the new spec before the
          // updater first ran, which then had nothing to do (swarmkit writes none either).
          const byUpdater = sim.list().filter((t) => t.source === 'updater');
          if (byUpdater.length > 0 || sim.service.UpdateStatus) {
            expect(sim.service.UpdateStatus?.State).toBe('completed');
          }
          const current = sim.key({ Spec: sim.service.Spec.TaskTemplate });
          for (const [slot, tasks] of bySlot(sim)) {
            const wanted = tasks.filter((t) => t.DesiredState === 'running');
            expect(wanted.map((t) => [sim.key(t) === current, t.Status.State])).toEqual([
              [true, 'running'],
            ]);
            // Every slot was replaced once by the updater, or refilled with the new spec by
            // the orchestrator (its old task failed) before the updater reached it.
            const mine = tasks.filter((t) => t.source === 'updater');
            expect(mine.length).toBeLessThanOrEqual(1);
            if (mine.length === 0) {
              const refilled = tasks.some(
                (t) => t.source === 'orchestrator' && sim.key(t) === current,
              );
              expect(refilled).toBe(true);
            }
            expect(slot).toBeLessThanOrEqual(replicas);
          }
        },
      ),
      { numRuns: Number(process.env.UPDATE_RUNS ?? 150) },
    );
  });

  it('start-first without failures: every slot keeps a running task throughout', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        arbConfig('start-first'),
        fc.array(arbAction(false), { maxLength: 150 }),
        (replicas, update, actions) => {
          const sim = converged(replicas, update);
          const check = (s: UpdateSim) => {
            parallelismHolds(s);
            for (const tasks of bySlot(s).values()) {
              expect(tasks.some((t) => t.Status.State === 'running')).toBe(true);
            }
          };
          for (const a of actions) apply(sim, a, check);
          finish(sim, check);
          expect(sim.service.UpdateStatus?.State).toBe('completed');
          for (const tasks of bySlot(sim).values()) {
            expect(tasks.filter((t) => t.source === 'updater')).toHaveLength(1);
            expect(tasks.filter((t) => t.DesiredState === 'running')).toHaveLength(1);
          }
        },
      ),
      { numRuns: Number(process.env.UPDATE_RUNS ?? 150) },
    );
  });

  it('FailureAction pause: once paused, no slot is started until the next update', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.array(arbAction(true), { maxLength: 150 }),
        (replicas, actions) => {
          const sim = converged(replicas, { Parallelism: 1, Monitor: 2000 * MS });
          let pausedWith: number | undefined;
          const check = (s: UpdateSim) => {
            parallelismHolds(s);
            const created = s.list().filter((t) => t.source === 'updater').length;
            if (s.service.UpdateStatus?.State === 'paused') {
              pausedWith ??= created;
              expect(created).toBe(pausedWith);
              expect(s.service.UpdateStatus.Message).toMatch(
                /^update paused due to failure or early termination of task t\d+$/,
              );
            }
          };
          for (const a of actions) apply(sim, a, check);
          finish(sim, check);
          const byUpdater = sim.list().filter((t) => t.source === 'updater');
          if (byUpdater.length > 0 || sim.service.UpdateStatus) {
            expect(['completed', 'paused']).toContain(sim.service.UpdateStatus?.State);
          }
        },
      ),
      { numRuns: Number(process.env.UPDATE_RUNS ?? 100) },
    );
  });
});
