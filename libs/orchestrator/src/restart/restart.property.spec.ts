import { type RestartPolicy } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historyTask, MS, T0 } from '../testing/restart.fixtures';
import { resolveRestartPolicy } from './restart.policy';
import { restartHistoryToKeep, shouldRestart } from './restart.supervisor';
import { type HistoryTask } from './slot.history';
import { madeFromTemplate } from './task-template.key';

const CURRENT = { ContainerSpec: { Image: 'app:2' } };
const OLDER = { ContainerSpec: { Image: 'app:1' } };

const arbPolicy: fc.Arbitrary<RestartPolicy> = fc.record(
  {
    Condition: fc.constantFrom('any' as const, 'on-failure' as const),
    Delay: fc.integer({ min: 0, max: 3_000 }).map((ms) => ms * MS),
    MaxAttempts: fc.integer({ min: 0, max: 4 }),
    Window: fc.constantFrom(0, 1_000, 5_000, 20_000).map((ms) => ms * MS),
  },
  { requiredKeys: [] },
);

/** How one task of the slot ends, how long it ran, and how late the orchestrator looks. */
const arbRun = fc.record({
  ranMs: fc.integer({ min: 0, max: 8_000 }),
  end: fc.constantFrom('failed', 'rejected', 'complete0', 'complete1', 'lost', 'stopped'),
  lagMs: fc.integer({ min: 0, max: 4_000 }),
});

describe('restart supervisor (property)', () => {
  it('never restarts more than MaxAttempts times within Window, nor before Delay', () => {
    fc.assert(
      fc.property(
        arbPolicy,
        fc.array(arbRun, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 3 }),
        (policy, runs, olderFailures) => {
          const p = resolveRestartPolicy(policy);
          const counts = madeFromTemplate(CURRENT);
          // Failures under an older template, before this run: never counted.
          const history: HistoryTask[] = Array.from({ length: olderFailures }, (_, i) =>
            historyTask({ state: 'failed', at: T0 - 1_000 + i, spec: OLDER }),
          );
          /** End times of the tasks that were restarted because they ended on their own. */
          const restarts: number[] = [];
          let start = T0;
          for (const run of runs) {
            const end = start + run.ranMs;
            const state =
              run.end === 'lost'
                ? 'running'
                : run.end === 'stopped'
                  ? 'shutdown'
                  : run.end.startsWith('complete')
                    ? 'complete'
                    : run.end;
            const last = historyTask({
              state: state as 'failed',
              desired: 'running',
              at: end,
              created: start,
              exit: run.end === 'complete1' ? 1 : run.end === 'complete0' ? 0 : undefined,
              spec: CURRENT,
            });
            history.push(last);
            const cause = run.end === 'lost' ? ('node-down' as const) : ('exited' as const);
            const now = end + run.lagMs;
            const d = shouldRestart(policy, history, last, now, { cause, counts });
            // The decision does not depend on how late it is taken.
            expect(
              shouldRestart(policy, history, last, now + 3_600_000, { cause, counts }),
            ).toEqual(d);
            last.DesiredState = 'shutdown';
            if (!d.restart) {
              if (d.reason === 'max-attempts') {
                expect(cause).toBe('exited');
                const recent = restarts.filter((r) => p.windowMs === 0 || r > end - p.windowMs);
                expect(recent.length).toBeGreaterThanOrEqual(p.maxAttempts);
              } else {
                expect(d.reason).toBe('clean-exit');
                expect(p.condition).toBe('on-failure');
              }
              break;
            }
            expect(d.dueAt).toBe(end + p.delayMs);
            if (cause === 'exited' && ['failed', 'rejected', 'complete'].includes(state)) {
              restarts.push(end);
            }
            start = Math.max(now, d.dueAt!);
          }
          if (p.maxAttempts === 0) return;
          for (const r of restarts) {
            const inWindow = restarts.filter(
              (x) => x <= r && (p.windowMs === 0 || x > r - p.windowMs),
            );
            expect(inWindow.length).toBeLessThanOrEqual(p.maxAttempts);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the history it asks the reaper to keep decides as the whole history does', () => {
    const arbTask = fc.record({
      state: fc.constantFrom('failed', 'complete', 'shutdown', 'running', 'rejected'),
      exit: fc.constantFrom(0, 1, undefined),
      at: fc.integer({ min: 0, max: 60_000 }),
      current: fc.boolean(),
    });
    fc.assert(
      fc.property(
        arbPolicy,
        fc.array(arbTask, { maxLength: 15 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        (policy, specs, lastRan, later) => {
          const counts = madeFromTemplate(CURRENT);
          const past = specs.map((s) =>
            historyTask({
              state: s.state as 'failed',
              exit: s.exit,
              at: T0 + s.at,
              spec: s.current ? CURRENT : OLDER,
            }),
          );
          const now = T0 + 60_000;
          // The slot's current task still runs: whatever is kept must decide its future end
          // as everything would have.
          const current = historyTask({
            state: 'running',
            desired: 'running',
            at: now - lastRan,
            created: now - lastRan,
            spec: CURRENT,
          });
          const keep = restartHistoryToKeep(policy, [...past, current], now, counts);
          const kept = past.filter((t) => keep.has(t.ID));
          const ended: HistoryTask = {
            ...current,
            Status: { State: 'failed', Timestamp: rfc3339Nano(now + later) },
          };
          const full = shouldRestart(policy, [...past, ended], ended, now + later, { counts });
          const reduced = shouldRestart(policy, [...kept, ended], ended, now + later, { counts });
          expect(reduced.restart).toBe(full.restart);
          expect(keep.size).toBeLessThanOrEqual(resolveRestartPolicy(policy).maxAttempts);
        },
      ),
      { numRuns: 500 },
    );
  });
});
