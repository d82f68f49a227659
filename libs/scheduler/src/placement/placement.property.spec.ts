import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SchedulerTask } from '../scheduler.types';
import {
  arbScenario,
  serviceObject,
  serviceTasks,
  violations,
} from '../testing/cluster.arbitraries';
import { clusterOf } from '../testing/cluster.fixtures';
import { ClusterRunner } from '../testing/cluster.runner';

describe('placement invariants (random clusters and services)', () => {
  it('no overcommit, constraints and platforms hold, replicas and preferences spread within one', () => {
    fc.assert(
      fc.property(
        arbScenario(),
        fc.integer({ min: 1, max: 40 }),
        ({ nodes, services }, maxTasks) => {
          const tasks = services.flatMap((s) => serviceTasks(s));
          const runner = new ClusterRunner(
            clusterOf(nodes, tasks, services.map(serviceObject)),
            tasks,
            { maxTasks, maxBytes: 1 << 30 },
          );
          runner.pass();
          expect(violations(nodes, runner.list(), services)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps them across rounds: tasks stop, new ones come, the state is rebuilt or carried on', () => {
    fc.assert(
      fc.property(
        arbScenario(),
        fc.array(fc.constantFrom('shutdown', 'failed', 'keep', 'keep'), { maxLength: 80 }),
        fc.boolean(),
        ({ nodes, services }, fates, rebuild) => {
          const first = services.flatMap((s) => serviceTasks(s));
          const svcs = services.map(serviceObject);
          let runner = new ClusterRunner(clusterOf(nodes, first, svcs), first);
          runner.pass();
          // Some placed tasks stop; each service asks for as many again.
          runner.list().forEach((t, i) => {
            const fate = fates[i % Math.max(1, fates.length)] ?? 'keep';
            if (t.NodeID && fate !== 'keep')
              runner.put({ ...t, Status: { ...t.Status, State: fate } } as SchedulerTask);
          });
          const more = services.flatMap((s) => serviceTasks(s, 1000));
          if (rebuild) {
            const all = [...runner.list(), ...more];
            runner = new ClusterRunner(clusterOf(nodes, all, svcs), all);
          } else {
            for (const t of more) runner.put(t);
          }
          runner.pass();
          // Spread is judged per round, so only the rules that always hold are checked here.
          const all = runner.list();
          const rules = violations(nodes, all, services).filter(
            (v) => !/uneven|left a task pending/.test(v),
          );
          expect(rules).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('with equal nodes, a service’s replicas differ by at most one between the nodes it may use', () => {
    fc.assert(
      fc.property(arbScenario({ equal: true }), ({ nodes, services }) => {
        const tasks = services.flatMap((s) => serviceTasks(s));
        const runner = new ClusterRunner(
          clusterOf(nodes, tasks, services.map(serviceObject)),
          tasks,
        );
        runner.pass();
        expect(violations(nodes, runner.list(), services)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
