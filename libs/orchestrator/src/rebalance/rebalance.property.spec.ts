import { type NodeAvailability, type NodeState } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { T0 } from '../common/testing/orchestrator.fixtures';
import { REPLACES_LABEL } from './rebalance.labels';
import {
  planRebalance,
  type RebalanceNode,
  type RebalanceService,
  type RebalanceStep,
  type RebalanceTask,
} from './rebalance.plan';

interface NodeShape {
  state: NodeState;
  availability: NodeAvailability;
  zone: 'a' | 'b';
}

interface ClusterShape {
  nodes: NodeShape[];
  /** Per replica, which of the nodes that may hold it (ready, not drained) it is on. */
  placement: number[];
  /** If not 0, all replicas on that many of those nodes, as before others joined. */
  skewed: number;
  labelled: boolean;
  constrained: boolean;
  maxReplicas: number;
  /** Nodes the "scheduler" refuses new tasks on (no room left there). */
  full: boolean[];
}

const arbNode: fc.Arbitrary<NodeShape> = fc.record({
  state: fc.constantFrom<NodeState>('ready', 'ready', 'ready', 'ready', 'down'),
  availability: fc.constantFrom<NodeAvailability>(
    'active',
    'active',
    'active',
    'active',
    'pause',
    'drain',
  ),
  zone: fc.constantFrom<'a' | 'b'>('a', 'a', 'b'),
});

const arbCluster: fc.Arbitrary<ClusterShape> = fc.record({
  nodes: fc.array(arbNode, { minLength: 1, maxLength: 6 }),
  placement: fc.array(fc.nat(5), { minLength: 1, maxLength: 14 }),
  skewed: fc.constantFrom(0, 1, 2, 2),
  labelled: fc.boolean(),
  constrained: fc.boolean(),
  maxReplicas: fc.constantFrom(0, 0, 2, 4),
  full: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
});

function buildService(c: ClusterShape): RebalanceService {
  return {
    ID: 'svc',
    Version: { Index: 1 },
    Spec: {
      Name: 'web',
      Labels: c.labelled ? { 'shoal.rebalance': 'true', 'shoal.rebalance.delay': '5s' } : {},
      Mode: { Replicated: { Replicas: c.placement.length } },
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox' },
        Placement: {
          Constraints: c.constrained ? ['node.labels.zone==a'] : [],
          MaxReplicas: c.maxReplicas,
        },
      },
    },
  };
}

function buildNodes(c: ClusterShape): RebalanceNode[] {
  return c.nodes.map((n, i) => ({
    ID: `n${i}`,
    Version: { Index: 1 },
    Spec: { Role: 'worker', Availability: n.availability, Labels: { zone: n.zone } },
    Description: { Hostname: `host-${i}`, Platform: { OS: 'linux', Architecture: 'x86_64' } },
    Status: { State: n.state },
  }));
}

/** Nodes a running replica may be on: ready and not drained. */
function hosts(c: ClusterShape): number[] {
  const out: number[] = [];
  c.nodes.forEach((n, i) => {
    if (n.state === 'ready' && n.availability !== 'drain') out.push(i);
  });
  return out;
}

function buildTasks(c: ClusterShape): RebalanceTask[] {
  const h = hosts(c);
  // With no such node, the replicas sit on n0, which keeps the service unsteady.
  const used = c.skewed === 0 ? h.length : Math.min(c.skewed, h.length);
  const on = (p: number) => (h.length === 0 ? 0 : h[p % used]!);
  return c.placement.map((p, i) => ({
    ID: `t${String(i).padStart(3, '0')}`,
    Slot: i + 1,
    NodeID: `n${on(p)}`,
    DesiredState: 'running',
    Status: { State: 'running', Timestamp: rfc3339Nano(T0 + i) },
    CreatedAt: rfc3339Nano(T0 + i),
    UpdatedAt: rfc3339Nano(T0 + i),
  }));
}

/** The test's own reading of "eligible", written apart from the plan's. */
function eligible(c: ClusterShape, nodeId: string): boolean {
  const n = c.nodes[Number(nodeId.slice(1))]!;
  return n.state === 'ready' && n.availability === 'active' && (!c.constrained || n.zone === 'a');
}

function countsOf(tasks: readonly RebalanceTask[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of tasks) {
    if (t.DesiredState !== 'running' || !t.NodeID) continue;
    if (t.Status?.State !== 'running' && t.Status?.State !== 'assigned') continue;
    out.set(t.NodeID, (out.get(t.NodeID) ?? 0) + 1);
  }
  return out;
}

/** max − min replicas over eligible nodes, the min only over nodes below MaxReplicas. */
function spread(c: ClusterShape, tasks: readonly RebalanceTask[]): number {
  const counts = countsOf(tasks);
  const ids = c.nodes.map((_, i) => `n${i}`).filter((id) => eligible(c, id));
  const count = (id: string) => counts.get(id) ?? 0;
  const withRoom = ids.filter((id) => c.maxReplicas === 0 || count(id) < c.maxReplicas);
  if (ids.length === 0 || withRoom.length === 0) return 0;
  return Math.max(...ids.map(count)) - Math.min(...withRoom.map(count));
}

function inFlight(tasks: readonly RebalanceTask[]): number {
  const desired = new Set(tasks.filter((t) => t.DesiredState === 'running').map((t) => t.ID));
  return tasks.filter(
    (t) => desired.has(t.ID) && t.Labels?.[REPLACES_LABEL] && desired.has(t.Labels[REPLACES_LABEL]),
  ).length;
}

function sumOfSquares(tasks: readonly RebalanceTask[]): number {
  let s = 0;
  for (const n of countsOf(tasks).values()) s += n * n;
  return s;
}

/**
 * Clusters with work to do: every replica on a node that may hold it (so the service is
 * steady) and eligible nodes two or more replicas apart.
 */
const arbUneven = arbCluster.filter((c) => hosts(c).length > 0 && spread(c, buildTasks(c)) >= 2);

interface Sim {
  tasks: RebalanceTask[];
  now: number;
  lastMoveAt?: number;
  heldKey?: string;
  steps: RebalanceStep[];
}

/**
 * The plan driven to its end, with stand-ins for the other components: the scheduler puts a
 * new task on the node with the fewest replicas among those it admits (eligible, under
 * MaxReplicas, not full; `pick` breaks ties), the agents start and stop tasks at once, and
 * time jumps to whenever the plan wants to look again. `check` runs after every write.
 */
function simulate(
  c: ClusterShape,
  pick: (candidates: string[]) => string,
  check: (sim: Sim) => void,
): Sim {
  const service = buildService(c);
  const nodes = buildNodes(c);
  const sim: Sim = { tasks: buildTasks(c), now: T0 + 60_000, steps: [] };
  let seq = 0;
  for (let i = 0; i < 200; i++) {
    const step = planRebalance({ service, nodes, ...sim });
    sim.steps.push(step);
    if (step.action === 'none') {
      if (step.nextLookAt === undefined) return sim;
      sim.now = Math.max(sim.now, step.nextLookAt);
      continue;
    }
    sim.lastMoveAt = sim.now;
    if (step.action === 'start') {
      const counts = countsOf(sim.tasks);
      const admitted = nodes
        .map((n) => n.ID)
        .filter((id) => eligible(c, id) && !c.full[Number(id.slice(1))])
        .filter((id) => c.maxReplicas === 0 || (counts.get(id) ?? 0) < c.maxReplicas);
      const task: RebalanceTask = {
        ID: `new${seq++}`,
        Slot: step.slot,
        DesiredState: 'running',
        Labels: { [REPLACES_LABEL]: step.replaces },
        CreatedAt: rfc3339Nano(sim.now),
        Status: { State: 'pending', Timestamp: rfc3339Nano(sim.now) },
      };
      sim.tasks.push(task);
      check(sim);
      // While it waits, the plan only waits too.
      expect(planRebalance({ service, nodes, ...sim })).toMatchObject({
        action: 'none',
        reason: 'moving',
      });
      if (admitted.length === 0) {
        task.Status = { State: 'pending', Err: 'no suitable node' };
      } else {
        const least = Math.min(...admitted.map((id) => counts.get(id) ?? 0));
        task.NodeID = pick(admitted.filter((id) => (counts.get(id) ?? 0) === least));
        task.Status = { State: 'running' };
      }
    } else {
      const doomed = new Set(step.shutdown);
      sim.tasks = sim.tasks.map((t) =>
        doomed.has(t.ID) ? { ...t, DesiredState: 'shutdown', Status: { State: 'shutdown' } } : t,
      );
      if (step.action === 'cancel') sim.heldKey = step.holdKey;
    }
    check(sim);
  }
  throw new Error('the rebalancer did not come to rest');
}

const running = (tasks: readonly RebalanceTask[]) =>
  tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running').length;

describe('rebalance plan (property)', () => {
  it('never moves when the spread is already within one', () => {
    fc.assert(
      fc.property(arbCluster, (c) => {
        const tasks = buildTasks(c);
        fc.pre(spread(c, tasks) <= 1);
        const step = planRebalance({
          service: buildService({ ...c, labelled: true }),
          tasks,
          nodes: buildNodes(c),
          now: T0 + 60_000,
        });
        expect(step.action).toBe('none');
      }),
      { numRuns: 500 },
    );
  });

  it('never starts a move for a service without the label', () => {
    fc.assert(
      fc.property(arbCluster, fc.nat(30), (c, pickSeed) => {
        const tasks = buildTasks(c);
        // Even with a move of ours in flight (the label was removed meanwhile), it only
        // finishes or cancels that one.
        const withMove = pickSeed % 2 === 0;
        if (withMove) {
          const old = tasks[pickSeed % tasks.length]!;
          tasks.push({
            ID: 'mv',
            Slot: old.Slot,
            NodeID: `n${pickSeed % c.nodes.length}`,
            DesiredState: 'running',
            Labels: { [REPLACES_LABEL]: old.ID },
            Status: { State: 'running' },
            CreatedAt: rfc3339Nano(T0 + 1_000),
          });
        }
        const step = planRebalance({
          service: buildService({ ...c, labelled: false }),
          tasks,
          nodes: buildNodes(c),
          now: T0 + 60_000,
        });
        expect(step.action).not.toBe('start');
        if (!withMove) expect(step).toEqual({ action: 'none', reason: 'not-opted-in' });
        else if (step.action === 'finish' || step.action === 'cancel') {
          expect(step.task).toBe('mv');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('starts no move while one is in flight, and keeps at most one in flight', () => {
    fc.assert(
      fc.property(arbCluster, fc.nat(30), (c, seed) => {
        const tasks = buildTasks(c);
        const old = tasks[seed % tasks.length]!;
        const states = ['pending', 'assigned', 'starting', 'running', 'failed'] as const;
        tasks.push({
          ID: 'mv',
          Slot: old.Slot,
          NodeID: `n${seed % c.nodes.length}`,
          DesiredState: 'running',
          Labels: { [REPLACES_LABEL]: old.ID },
          Status: { State: states[seed % states.length]! },
          CreatedAt: rfc3339Nano(T0 + 1_000),
        });
        const step = planRebalance({
          service: buildService({ ...c, labelled: true }),
          tasks,
          nodes: buildNodes(c),
          now: T0 + 60_000,
        });
        expect(step.action).not.toBe('start');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(arbUneven, fc.nat(), (c, seed) => {
        simulate(
          { ...c, labelled: true },
          (xs) => xs[seed % xs.length]!,
          (sim) => expect(inFlight(sim.tasks)).toBeLessThanOrEqual(1),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('moves only onto eligible nodes, never below N running, never worsening the spread', () => {
    fc.assert(
      fc.property(arbUneven, fc.nat(), (c, seed) => {
        const labelled = { ...c, labelled: true };
        const n = c.placement.length;
        let potential = sumOfSquares(buildTasks(c));
        const sim = simulate(
          labelled,
          (xs) => xs[seed % xs.length]!,
          (s) => {
            expect(running(s.tasks)).toBeGreaterThanOrEqual(n);
            const settled = s.tasks.filter((t) => t.Status?.State !== 'pending');
            if (inFlight(settled) === 0) {
              const now = sumOfSquares(settled);
              expect(now).toBeLessThanOrEqual(potential);
              potential = now;
            }
          },
        );
        for (const step of sim.steps) {
          if (step.action === 'start' || step.action === 'finish') {
            expect(eligible(labelled, step.to)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('converges to within one when the scheduler can place on every eligible node', () => {
    fc.assert(
      fc.property(arbUneven, fc.nat(), (c, seed) => {
        const roomy = { ...c, labelled: true, full: c.full.map(() => false) };
        const sim = simulate(
          roomy,
          (xs) => xs[seed % xs.length]!,
          () => undefined,
        );
        expect(spread(roomy, sim.tasks)).toBeLessThanOrEqual(1);
        expect(sim.steps.some((s) => s.action === 'cancel')).toBe(false);
        // One move per two-replica gap at most: each lowers the sum of squares by 2 or more.
        const starts = sim.steps.filter((s) => s.action === 'start').length;
        expect(starts).toBeLessThanOrEqual(sumOfSquares(buildTasks(c)) / 2);
        // The delay holds between moves.
        const last = sim.steps.at(-1)!;
        expect(last).toMatchObject({ action: 'none', reason: 'balanced' });
      }),
      { numRuns: 300 },
    );
  });
});
