import { TASK_STATE_ORDER, type TaskState } from '@shoal/api/swarm';
import {
  type OrchestratedNode,
  type OrchestratedService,
  type OrchestratedTask,
} from '@shoal/orchestrator';
import { type ReadTx, type WriteTx } from '@shoal/store';
import { directStore } from '@shoal/store/testing/store.fixtures';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LeaderMetrics } from './leader.metrics';
import { MAX_REASONS, OTHER_REASON, unschedulableReason } from './unschedulable.reason';

const STATES = Object.keys(TASK_STATE_ORDER) as TaskState[];
const ERRS = [
  undefined,
  'no suitable node (insufficient resources on 2 nodes; 1 node not ready)',
  'no suitable node (1 node not ready; insufficient resources on 3 nodes)',
  'no suitable node (scheduling constraints not satisfied on 4 nodes)',
  'insufficient resources on 1 node',
  'no suitable node',
];

type Op =
  | { op: 'node'; id: number; state?: string; availability?: string; role?: string }
  | { op: 'dropNode'; id: number }
  | {
      op: 'service';
      id: number;
      mode: 'replicated' | 'global' | 'replicated-job' | 'global-job' | 'none';
      replicas: number;
      maxConcurrent: number;
      total: number;
      iteration?: number;
      update?: string;
    }
  | { op: 'dropService'; id: number }
  | {
      op: 'task';
      id: number;
      service: number;
      state: TaskState;
      desired: TaskState;
      err?: string;
      slot: number;
      iteration: number;
    }
  | { op: 'dropTask'; id: number };

const small = fc.integer({ min: 0, max: 5 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('node' as const),
    id: small,
    state: fc.option(fc.constantFrom('unknown', 'down', 'ready', 'disconnected', 'odd'), {
      nil: undefined,
    }),
    availability: fc.option(fc.constantFrom('active', 'pause', 'drain'), { nil: undefined }),
    role: fc.option(fc.constantFrom('worker', 'manager'), { nil: undefined }),
  }),
  fc.record({ op: fc.constant('dropNode' as const), id: small }),
  fc.record({
    op: fc.constant('service' as const),
    id: small,
    mode: fc.constantFrom('replicated', 'global', 'replicated-job', 'global-job', 'none'),
    replicas: fc.integer({ min: 0, max: 5 }),
    maxConcurrent: fc.integer({ min: 0, max: 4 }),
    total: fc.integer({ min: 0, max: 6 }),
    iteration: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    update: fc.option(fc.constantFrom('updating', 'paused', 'rollback_completed'), {
      nil: undefined,
    }),
  }),
  fc.record({ op: fc.constant('dropService' as const), id: small }),
  fc.record({
    op: fc.constant('task' as const),
    id: fc.integer({ min: 0, max: 30 }),
    service: fc.integer({ min: 0, max: 6 }),
    state: fc.constantFrom(...STATES),
    desired: fc.constantFrom<TaskState>('running', 'complete', 'shutdown', 'remove', 'ready'),
    err: fc.constantFrom(...ERRS),
    slot: fc.integer({ min: 0, max: 7 }),
    iteration: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ op: fc.constant('dropTask' as const), id: fc.integer({ min: 0, max: 30 }) }),
);

type Fields = { ID: string } & Record<string, unknown>;

function upsert(tx: WriteTx, kind: 'node' | 'service' | 'task', object: Fields) {
  const old = tx.get(kind, object.ID);
  if (old) tx.update(kind, { ...object, Version: old.Version, CreatedAt: old.CreatedAt } as never);
  else tx.create(kind, object as never);
}

function apply(tx: WriteTx, o: Op): void {
  switch (o.op) {
    case 'node':
      upsert(tx, 'node', {
        ID: `n${o.id}`,
        Spec: { Availability: o.availability, Role: o.role },
        Status: { State: o.state },
      });
      return;
    case 'service': {
      const mode =
        o.mode === 'replicated'
          ? { Replicated: { Replicas: o.replicas } }
          : o.mode === 'global'
            ? { Global: {} }
            : o.mode === 'replicated-job'
              ? { ReplicatedJob: { MaxConcurrent: o.maxConcurrent, TotalCompletions: o.total } }
              : o.mode === 'global-job'
                ? { GlobalJob: {} }
                : undefined;
      upsert(tx, 'service', {
        ID: `s${o.id}`,
        Spec: { Name: `svc-${o.id}`, ...(mode ? { Mode: mode } : {}) },
        ...(o.iteration !== undefined
          ? { JobStatus: { JobIteration: { Index: o.iteration } } }
          : {}),
        ...(o.update ? { UpdateStatus: { State: o.update } } : {}),
      });
      return;
    }
    case 'task':
      upsert(tx, 'task', {
        ID: `t${o.id}`,
        ServiceID: `s${o.service}`,
        Slot: o.slot,
        DesiredState: o.desired,
        JobIteration: { Index: o.iteration },
        Status: { State: o.state, ...(o.err ? { Err: o.err } : {}) },
      });
      return;
    default: {
      const kind = o.op === 'dropNode' ? 'node' : o.op === 'dropService' ? 'service' : 'task';
      const id = `${kind[0]}${o.id}`;
      if (tx.get(kind, id)) tx.remove(kind, id);
    }
  }
}

type Series = Map<string, number>;
const key = (name: string, labels: Partial<Record<string, string | number>>) =>
  `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

/** The series the leader metrics should show, recounted naively from the store. */
function recount(tx: ReadTx): Series {
  const out: Series = new Map();
  const add = (name: string, labels: Record<string, string>, v: number) =>
    out.set(key(name, labels), (out.get(key(name, labels)) ?? 0) + v);
  for (const state of ['unknown', 'down', 'ready', 'disconnected'])
    for (const availability of ['active', 'pause', 'drain'])
      for (const role of ['worker', 'manager'])
        add('shoal_nodes', { state, availability, role }, 0);
  for (const n of tx.list<OrchestratedNode>('node')) {
    const labels = {
      state: n.Status?.State ?? 'unknown',
      availability: n.Spec?.Availability ?? 'unknown',
      role: n.Spec?.Role ?? 'unknown',
    };
    add('shoal_nodes', labels, 1);
  }
  const tasks = tx.list<OrchestratedTask>('task');
  const waiting = tasks.filter(
    (t) =>
      t.Status?.State === 'pending' &&
      ['running', 'complete', 'ready'].includes(t.DesiredState ?? ''),
  );
  add('shoal_scheduler_pending_tasks', {}, waiting.length);
  const reasons = new Map<string, number>();
  for (const t of waiting) {
    if (!t.Status?.Err) continue;
    const r = unschedulableReason(t.Status.Err);
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  expect(reasons.size).toBeLessThanOrEqual(MAX_REASONS);
  for (const [reason, n] of reasons) add('shoal_scheduler_unschedulable_tasks', { reason }, n);
  for (const s of tx.list<OrchestratedService>('service')) {
    const m = s.Spec.Mode;
    const mode = m?.Global
      ? 'global'
      : m?.ReplicatedJob
        ? 'replicated-job'
        : m?.GlobalJob
          ? 'global-job'
          : 'replicated';
    const job = mode.endsWith('job');
    const iteration = s.JobStatus?.JobIteration?.Index ?? 0;
    const mine = tx
      .tasksByService<OrchestratedTask>(s.ID)
      .filter((t) => !job || t.JobIteration?.Index === iteration);
    const meant = (t: OrchestratedTask) =>
      ['running', 'complete', 'ready'].includes(t.DesiredState!);
    const running = mine.filter((t) => t.Status?.State === 'running' && meant(t)).length;
    let desired = 0;
    if (mode === 'replicated') desired = m?.Replicated?.Replicas ?? 1;
    if (mode === 'global') desired = mine.filter((t) => t.DesiredState === 'running').length;
    if (mode === 'global-job') {
      desired = mine.filter(
        (t) =>
          t.DesiredState === 'complete' &&
          TASK_STATE_ORDER[t.Status!.State!] <= TASK_STATE_ORDER.running,
      ).length;
    }
    if (mode === 'replicated-job') {
      const max = m!.ReplicatedJob!.MaxConcurrent!;
      const total = m!.ReplicatedJob!.TotalCompletions!;
      const done = new Set(
        mine
          .filter((t) => t.Status?.State === 'complete' && t.Slot! >= 1 && t.Slot! <= total)
          .map((t) => t.Slot),
      ).size;
      desired = Math.min(max, total - done);
    }
    const labels = { service_id: s.ID, service_name: s.Spec.Name! };
    add('shoal_service_replicas_desired', { ...labels, mode }, desired);
    add('shoal_service_replicas_running', labels, running);
    if (s.UpdateStatus?.State) {
      add('shoal_service_update_state', { ...labels, state: s.UpdateStatus.State }, 1);
    }
  }
  return out;
}

const STORE_DERIVED = new Set([
  'shoal_nodes',
  'shoal_scheduler_pending_tasks',
  'shoal_scheduler_unschedulable_tasks',
  'shoal_service_replicas_desired',
  'shoal_service_replicas_running',
  'shoal_service_update_state',
]);

async function collected(registry: Registry): Promise<Series> {
  const out: Series = new Map();
  for (const m of await registry.getMetricsAsJSON()) {
    if (!STORE_DERIVED.has(m.name)) continue;
    for (const v of m.values) out.set(key(m.name, v.labels), v.value);
  }
  return out;
}

describe('LeaderMetrics: store-derived series', () => {
  it('equal a recount from the store after every transaction of a random sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { maxLength: 25 }),
        fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
        async (transactions, scrapes) => {
          const { store } = directStore(3);
          const registry = new Registry();
          const metrics = new LeaderMetrics(registry, store);
          try {
            for (const [i, ops] of transactions.entries()) {
              await store.update((tx) => ops.forEach((o) => apply(tx, o)));
              // Scrape only sometimes: a census skipped over several commits must catch up.
              if (!scrapes[i] && i < transactions.length - 1) continue;
              const want = store.view(recount);
              expect(await collected(registry)).toEqual(want);
              // A second scrape at the same index reuses the census and must agree too.
              expect(await collected(registry)).toEqual(want);
            }
          } finally {
            metrics.unregister();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('caps the distinct unschedulable reasons, folding the rest into "other"', async () => {
    const { store } = directStore(4);
    const registry = new Registry();
    const metrics = new LeaderMetrics(registry, store);
    const custom = MAX_REASONS + 5;
    await store.update((tx) => {
      for (let i = 0; i < custom; i++) {
        tx.create<OrchestratedTask>('task', {
          ID: `t${i}`,
          DesiredState: 'running',
          // Letters, not digits: digits would be normalised away into one reason.
          Status: { State: 'pending', Err: `custom refusal ${String.fromCharCode(97 + i)}` },
        });
      }
    });
    const [m] = (await registry.getMetricsAsJSON()).filter(
      (x) => x.name === 'shoal_scheduler_unschedulable_tasks',
    );
    expect(m!.values).toHaveLength(MAX_REASONS + 1);
    expect(m!.values.reduce((n, v) => n + v.value, 0)).toBe(custom);
    expect(m!.values.find((v) => v.labels.reason === OTHER_REASON)?.value).toBe(5);
    metrics.unregister();
  });
});
