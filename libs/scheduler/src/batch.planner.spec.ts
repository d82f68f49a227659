import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batches, pendingGroups } from './batch.planner';
import { clusterOf, task, tasks } from './testing/cluster.fixtures';

describe('batch planner', () => {
  it('groups the queue by service, then spec, tasks by slot', () => {
    const state = clusterOf(
      [],
      [
        ...tasks('web', 3, {}, 1).reverse(),
        task('web.v2', 'web', 9, { image: 'v2' }),
        ...tasks('db', 2),
        task('db.placed', 'db', 7, { nodeId: 'x' }),
      ],
    );
    const groups = pendingGroups(state);
    expect(groups.map((g) => [g.serviceId, g.tasks.map((t) => t.id)])).toEqual([
      ['db', ['db.1', 'db.2']],
      ['web', ['web.1', 'web.2', 'web.3']],
      ['web', ['web.v2']],
    ]);
    expect(groups[1]!.demand.serviceId).toBe('web');
  });

  it('keeps every batch within its bounds, splits a group only when it alone is too big, loses nothing', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ count: fc.integer({ min: 1, max: 30 }), pad: fc.nat({ max: 3000 }) }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1000, max: 40_000 }),
        (services, maxTasks, maxBytes) => {
          const all = services.flatMap((s, i) =>
            tasks(`s${i}`, s.count, { image: 'x'.repeat(s.pad) }),
          );
          const groups = pendingGroups(clusterOf([], all));
          const seen: string[] = [];
          for (const batch of batches(groups, { maxTasks, maxBytes })) {
            const count = batch.reduce((a, p) => a + p.tasks.length, 0);
            const bytes = batch.reduce((a, p) => a + p.tasks.length * p.group.bytesPerTask, 0);
            expect(count).toBeGreaterThan(0);
            expect(count).toBeLessThanOrEqual(maxTasks);
            if (count > 1) expect(bytes).toBeLessThanOrEqual(maxBytes);
            // A group shares a batch with others only if it is there whole.
            if (batch.length > 1)
              for (const p of batch.slice(1)) expect(p.tasks[0]).toBe(p.group.tasks[0]);
            seen.push(...batch.flatMap((p) => p.tasks.map((t) => t.id)));
          }
          expect(seen).toEqual(groups.flatMap((g) => g.tasks.map((t) => t.id)));
        },
      ),
    );
  });
});
