import { type NodeAvailability, type TaskState } from '@shoal/api/swarm';
import { rfc3339Nano } from '@shoal/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CheckedNode, type CheckedTask, noncompliantTasks } from './compliance.check';

const T0 = 1_795_334_400_123;
const CPU = 1e9;
const GB = 1024 ** 3;

function node(
  labels: Record<string, string> = {},
  extra: { availability?: NodeAvailability; cpus?: number; memory?: number; down?: boolean } = {},
): CheckedNode {
  return {
    ID: 'n1',
    Spec: { Labels: labels, Role: 'worker', Availability: extra.availability ?? 'active' },
    Description: {
      Hostname: 'host-1',
      Platform: { OS: 'linux', Architecture: 'x86_64' },
      Resources:
        extra.cpus === undefined && extra.memory === undefined
          ? undefined
          : { NanoCPUs: extra.cpus, MemoryBytes: extra.memory },
      Engine: { Labels: { storage: 'ssd' } },
    },
    Status: { State: extra.down ? 'down' : 'ready' },
  };
}

let seq = 0;
function task(
  constraints: string[] = [],
  opts: {
    cpus?: number;
    memory?: number;
    state?: TaskState;
    desired?: TaskState;
    at?: number;
  } = {},
): CheckedTask {
  seq++;
  const at = opts.at ?? T0 + seq;
  return {
    ID: `t${String(seq).padStart(4, '0')}`,
    DesiredState: opts.desired ?? 'running',
    Status: { State: opts.state ?? 'running', Timestamp: rfc3339Nano(at) },
    Spec: {
      Placement: { Constraints: constraints },
      Resources: { Reservations: { NanoCPUs: opts.cpus, MemoryBytes: opts.memory } },
    },
    CreatedAt: rfc3339Nano(at),
  };
}

describe('noncompliantTasks', () => {
  it('stops the tasks whose constraints the node no longer meets', () => {
    const zoneA = task(['node.labels.zone==a']);
    const notB = task(['node.labels.zone!=b']);
    const ssd = task(['engine.labels.storage==SSD', 'node.role==worker']);
    const host = task(['node.hostname==host-1', 'node.platform.os==linux']);
    const free = task();
    const tasks = [zoneA, notB, ssd, host, free];
    expect(noncompliantTasks(node({ zone: 'a' }), tasks)).toEqual([]);
    expect(noncompliantTasks(node({ zone: 'b' }), tasks)).toEqual([zoneA.ID, notB.ID]);
    // A missing label fails == and passes !=.
    expect(noncompliantTasks(node({}), tasks)).toEqual([zoneA.ID]);
    // Values compare case-insensitively, labels names do not.
    expect(noncompliantTasks(node({ zone: 'A' }), tasks)).toEqual([]);
    expect(noncompliantTasks(node({ Zone: 'a' }), tasks)).toEqual([zoneA.ID]);
  });

  it('follows a role change', () => {
    const managersOnly = task(['node.role==manager']);
    const n = node();
    expect(noncompliantTasks(n, [managersOnly])).toEqual([managersOnly.ID]);
    expect(
      noncompliantTasks({ ...n, Spec: { ...n.Spec, Role: 'manager' } }, [managersOnly]),
    ).toEqual([]);
  });

  it('only looks at tasks meant to run that have not ended', () => {
    const c = ['node.labels.zone==a'];
    const stopping = task(c, { desired: 'shutdown' });
    const ended = task(c, { state: 'failed' });
    const job = task(c, { desired: 'complete' });
    const starting = task(c, { state: 'assigned' });
    expect(noncompliantTasks(node(), [stopping, ended, job, starting])).toEqual([starting.ID]);
  });

  it('leaves paused, drained and down nodes alone', () => {
    const t = task(['node.labels.zone==a']);
    for (const availability of ['pause', 'drain'] as const) {
      expect(noncompliantTasks(node({}, { availability }), [t])).toEqual([]);
    }
    expect(noncompliantTasks(node({}, { down: true }), [t])).toEqual([]);
  });

  it('ignores a constraint it cannot read', () => {
    const t = task(['node.labels.zone~a', 'node.labels.zone==a']);
    expect(noncompliantTasks(node({ zone: 'a' }), [t])).toEqual([]);
    expect(noncompliantTasks(node({ zone: 'b' }), [t])).toEqual([t.ID]);
  });

  it('stops the newest tasks that no longer fit in the reservations', () => {
    const a = task([], { cpus: CPU, memory: GB, at: T0 });
    const b = task([], { cpus: CPU, memory: GB, at: T0 + 1 });
    const c = task([], { cpus: CPU / 2, at: T0 + 2 });
    const none = task([], { at: T0 + 3 });
    const tasks = [c, none, b, a];
    expect(noncompliantTasks(node({}, { cpus: 3 * CPU, memory: 2 * GB }), tasks)).toEqual([]);
    expect(noncompliantTasks(node({}, { cpus: 2 * CPU, memory: 2 * GB }), tasks)).toEqual([c.ID]);
    expect(noncompliantTasks(node({}, { cpus: 3 * CPU, memory: GB }), tasks)).toEqual([b.ID]);
    // A resource the node has not described is not enforced.
    expect(noncompliantTasks(node({}, { memory: GB }), tasks)).toEqual([b.ID]);
    expect(noncompliantTasks(node({}), tasks)).toEqual([]);
    // A task stopped for its constraints frees its share.
    const bound = { ...a, Spec: { ...a.Spec, Placement: { Constraints: ['node.labels.x==y'] } } };
    expect(noncompliantTasks(node({}, { cpus: 2 * CPU, memory: 2 * GB }), [bound, b, c])).toEqual([
      bound.ID,
    ]);
  });
});

describe('noncompliantTasks (property)', () => {
  const KEYS = ['zone', 'disk', 'tier'];
  const VALUES = ['a', 'b', 'c'];
  const arbLabels = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES));
  const arbConstraint = fc.record({
    key: fc.constantFrom(...KEYS),
    op: fc.constantFrom('==', '!='),
    value: fc.constantFrom(...VALUES),
  });

  it('after a label change, exactly the tasks violating a constraint are stopped', () => {
    fc.assert(
      fc.property(
        arbLabels,
        fc.array(fc.array(arbConstraint, { maxLength: 3 }), { maxLength: 10 }),
        (labels, taskConstraints) => {
          const tasks = taskConstraints.map((cs) =>
            task(cs.map((c) => `node.labels.${c.key}${c.op}${c.value}`)),
          );
          const violating = tasks.filter((_, i) =>
            taskConstraints[i]!.some((c) => (labels[c.key] === c.value) !== (c.op === '==')),
          );
          expect(noncompliantTasks(node(labels), tasks).sort()).toEqual(
            violating.map((t) => t.ID).sort(),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('what stays fits in the node, and every task stopped would not have fitted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ cpus: fc.integer({ min: 0, max: 4 }), at: fc.integer({ min: 0, max: 99 }) }),
          { maxLength: 10 },
        ),
        fc.integer({ min: 0, max: 12 }),
        (specs, capacity) => {
          const tasks = specs.map((s) => task([], { cpus: s.cpus * CPU, at: T0 + s.at }));
          const stopped = new Set(noncompliantTasks(node({}, { cpus: capacity * CPU }), tasks));
          const kept = tasks.filter((t) => !stopped.has(t.ID));
          const used = (ts: CheckedTask[]) =>
            ts.reduce((sum, t) => sum + (t.Spec!.Resources!.Reservations!.NanoCPUs ?? 0), 0);
          expect(used(kept)).toBeLessThanOrEqual(capacity * CPU);
          for (const t of tasks.filter((x) => stopped.has(x.ID))) {
            expect(used(kept) + t.Spec!.Resources!.Reservations!.NanoCPUs!).toBeGreaterThan(
              capacity * CPU,
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
