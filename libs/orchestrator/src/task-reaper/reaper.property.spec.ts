import { type RestartPolicy, type TaskState } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MS, T0 } from '../testing/restart.fixtures';
import { restartHistoryToKeep, shouldRestart } from '../restart/restart.supervisor';
import { compareByAge, latestTask } from '../restart/slot.history';
import { madeFromTemplate } from '../restart/task-template.key';
import { isTaskOver, type ReapTask, tasksToReap } from './reaper.plan';

const TEMPLATE = { ContainerSpec: { Image: 'app:1' } };
const OTHER = { ContainerSpec: { Image: 'app:0' } };
const NOW = T0 + 100_000;

const arbTask = fc.record({
  slot: fc.integer({ min: 1, max: 4 }),
  state: fc.constantFrom<TaskState>('pending', 'running', 'complete', 'failed', 'shutdown'),
  desired: fc.constantFrom<TaskState>('running', 'shutdown', 'shutdown', 'shutdown', 'remove'),
  node: fc.constantFrom('n1', 'n2', 'gone', undefined),
  at: fc.integer({ min: 0, max: 90_000 }),
  current: fc.boolean(),
});

const arbPolicy: fc.Arbitrary<RestartPolicy | undefined> = fc.option(
  fc.record({
    Condition: fc.constantFrom('any' as const, 'on-failure' as const),
    MaxAttempts: fc.integer({ min: 0, max: 4 }),
    Window: fc.constantFrom(0, 10_000, 60_000).map((ms) => ms * MS),
  }),
  { nil: undefined },
);

type TaskShape = typeof arbTask extends fc.Arbitrary<infer T> ? T : never;

function build(specs: TaskShape[]): ReapTask[] {
  return specs.map((s, i) => ({
    ID: `t${String(i).padStart(3, '0')}`,
    Slot: s.slot,
    NodeID: s.node,
    DesiredState: s.desired,
    Status: { State: s.state, Timestamp: rfc3339Nano(T0 + s.at) },
    Spec: s.current ? TEMPLATE : OTHER,
    CreatedAt: rfc3339Nano(T0 + s.at),
    UpdatedAt: rfc3339Nano(T0 + s.at),
  }));
}

const nodeExists = (id: string) => id !== 'gone';

describe('task reaper (property)', () => {
  it('deletes only tasks that are over, never the latest, and keeps exactly the limit', () => {
    fc.assert(
      fc.property(
        fc.array(arbTask, { maxLength: 30 }),
        fc.integer({ min: -1, max: 6 }),
        arbPolicy,
        (specs, limit, policy) => {
          const tasks = build(specs);
          const spec = { Name: 'web', TaskTemplate: { ...TEMPLATE, RestartPolicy: policy } };
          const doomed = tasksToReap({
            service: { Spec: spec },
            tasks,
            nodeExists,
            retentionLimit: limit,
            now: NOW,
          });
          expect(new Set(doomed).size).toBe(doomed.length);
          const gone = new Set(doomed);
          for (const t of tasks.filter((x) => gone.has(x.ID))) {
            expect(isTaskOver(t, nodeExists)).toBe(true);
            // Over: not wanted, and terminal, unplaced or on a removed node.
            expect(['running', 'pending'].includes(t.DesiredState!)).toBe(false);
          }
          const counts = madeFromTemplate(spec.TaskTemplate);
          const removals = tasks.filter((t) => t.DesiredState === 'remove');
          for (const slot of [1, 2, 3, 4]) {
            const group = tasks.filter((t) => t.Slot === slot && t.DesiredState !== 'remove');
            if (group.length === 0) continue;
            const latest = latestTask(group)!;
            expect(gone.has(latest.ID)).toBe(false);
            const needed = restartHistoryToKeep(policy, group, NOW, counts);
            const eligible = group.filter(
              (t) => t !== latest && !needed.has(t.ID) && isTaskOver(t, nodeExists),
            );
            const kept = group.filter((t) => !gone.has(t.ID));
            if (limit < 0) {
              expect(kept).toHaveLength(group.length);
              continue;
            }
            // Exactly the limit, unless what must stay is more.
            expect(kept.length).toBe(
              Math.min(group.length, Math.max(limit, group.length - eligible.length)),
            );
            // The oldest go first.
            const deleted = group.filter((t) => gone.has(t.ID));
            for (const d of deleted) {
              for (const k of eligible.filter((t) => !gone.has(t.ID))) {
                expect(compareByAge(d, k)).toBeLessThan(0);
              }
            }
          }
          for (const t of removals) expect(gone.has(t.ID)).toBe(isTaskOver(t, nodeExists));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("never changes the restart supervisor's next decision for a slot", () => {
    fc.assert(
      fc.property(
        fc.array(arbTask, { maxLength: 20 }),
        fc.integer({ min: 0, max: 3 }),
        arbPolicy,
        fc.integer({ min: 0, max: 120_000 }),
        (specs, limit, policy, later) => {
          const past = build(specs.map((s) => ({ ...s, slot: 1, desired: 'shutdown' })));
          const current: ReapTask = {
            ID: 'current',
            Slot: 1,
            NodeID: 'n1',
            DesiredState: 'running',
            Status: { State: 'running', Timestamp: rfc3339Nano(NOW) },
            Spec: TEMPLATE,
            CreatedAt: rfc3339Nano(NOW),
          };
          const spec = { Name: 'web', TaskTemplate: { ...TEMPLATE, RestartPolicy: policy } };
          const doomed = new Set(
            tasksToReap({
              service: { Spec: spec },
              tasks: [...past, current],
              nodeExists,
              retentionLimit: limit,
              now: NOW,
            }),
          );
          const failed: ReapTask = {
            ...current,
            Status: { State: 'failed', Timestamp: rfc3339Nano(NOW + later) },
          };
          const counts = madeFromTemplate(spec.TaskTemplate);
          const decide = (history: ReapTask[]) =>
            shouldRestart(policy, [...history, failed], failed, NOW + later, { counts }).restart;
          expect(decide(past.filter((t) => !doomed.has(t.ID)))).toBe(decide(past));
        },
      ),
      { numRuns: 400 },
    );
  });
});
