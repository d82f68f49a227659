import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.store';
import { type Kind, KINDS, NAMED_KINDS, type StoredObject } from './store.contract';
import { StoreError } from './store.errors';
import { TASK_FIELDS, taskField } from './store.objects';
import { type IndexDump, type Tables } from './store.tables';
import { type WriteTx } from './store.types';
import { QueuedProposer } from './testing/direct.proposer';
import { T0, type TaskLike } from './testing/store.fixtures';

/**
 * Random transactions, proposed concurrently and committed in random orders (so many fail
 * at apply time on stale versions or taken names), must leave every secondary index equal
 * to a brute-force recomputation from the ID tables; and the same log applied to a second
 * store must give the same bytes.
 */

const NAMES = ['web', 'Web', 'db', 'api', 'cache'];
const STATES = ['running', 'shutdown', 'ready'];
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const action = fc.oneof(
  fc.record({ op: fc.constant('createService' as const), name: fc.constantFrom(...NAMES) }),
  fc.record({
    op: fc.constant('renameService' as const),
    pick: fc.nat(),
    name: fc.constantFrom(...NAMES),
  }),
  fc.record({ op: fc.constant('removeService' as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant('createTask' as const),
    svc: fc.nat(3),
    node: fc.nat(3),
    state: fc.constantFrom(...STATES),
  }),
  fc.record({
    op: fc.constant('updateTask' as const),
    pick: fc.nat(),
    svc: maybe(fc.nat(3)),
    node: maybe(fc.nat(3)),
    state: maybe(fc.constantFrom(...STATES)),
  }),
  fc.record({ op: fc.constant('removeTask' as const), pick: fc.nat() }),
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

const step = fc.oneof(
  { weight: 3, arbitrary: fc.array(action, { minLength: 1, maxLength: 3 }) },
  { weight: 2, arbitrary: fc.array(fc.nat(), { maxLength: 4 }).map((order) => ({ order })) },
);

function run(tx: WriteTx, a: Action): void {
  const pick = <T extends StoredObject>(kind: Kind, n: number): T | undefined => {
    const all = tx.list<T>(kind);
    return all.length ? structuredClone(all[n % all.length]!) : undefined;
  };
  switch (a.op) {
    case 'createService':
      tx.create('service', { Spec: { Name: a.name } });
      return;
    case 'renameService': {
      const s = pick('service', a.pick);
      if (s) tx.update('service', { ...s, Spec: { Name: a.name } });
      return;
    }
    case 'createTask':
      tx.create<TaskLike>('task', {
        ServiceID: `s${a.svc}`,
        NodeID: `n${a.node}`,
        DesiredState: a.state,
      });
      return;
    case 'updateTask': {
      const t = pick<TaskLike>('task', a.pick);
      if (!t) return;
      // undefined drops the field: the task must leave that index.
      tx.update('task', {
        ...t,
        ServiceID: a.svc === undefined ? undefined : `s${a.svc}`,
        NodeID: a.node === undefined ? undefined : `n${a.node}`,
        DesiredState: a.state,
      });
      return;
    }
    case 'removeService':
    case 'removeTask': {
      const kind = a.op === 'removeService' ? 'service' : 'task';
      const o = pick(kind, a.pick);
      if (o) tx.remove(kind, o.ID);
    }
  }
}

function bruteForce(store: MemoryStore): IndexDump {
  return store.view((tx) => {
    const names: IndexDump['names'] = {};
    for (const kind of NAMED_KINDS) {
      names[kind] = tx
        .list(kind)
        .filter((o) => o.Spec?.Name)
        .map((o): [string, string] => [o.Spec!.Name!.toLowerCase(), o.ID])
        .sort(([a], [b]) => (a < b ? -1 : 1));
    }
    const tasks = {} as IndexDump['tasks'];
    for (const field of TASK_FIELDS) {
      const groups = new Map<string, string[]>();
      for (const t of tx.list('task')) {
        const v = taskField(t, field);
        if (v !== undefined) groups.set(v, [...(groups.get(v) ?? []), t.ID]);
      }
      tasks[field] = [...groups]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([v, ids]) => [v, ids.sort()]);
    }
    return { names, tasks };
  });
}

const tablesOf = (store: MemoryStore) => (store as unknown as { tables: Tables }).tables;

describe('store indexes (property)', () => {
  it('stay equal to a recomputation from the ID tables under random transactions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.nat(), async (steps, seed) => {
        const proposer = new QueuedProposer();
        const store = new MemoryStore({
          proposer,
          clock: new ManualClock(T0),
          newId: objectIdGenerator(seededRandomBytes(seed + 1)),
        });
        proposer.attach(store);
        const settled: Promise<unknown>[] = [];
        for (const s of steps) {
          if (Array.isArray(s)) {
            const p = store.update((tx) => s.forEach((a) => run(tx, a)));
            settled.push(p.catch((e: unknown) => expect(e).toBeInstanceOf(StoreError)));
          } else if (proposer.pending > 0) {
            const order = [...new Set(s.order.map((i) => i % proposer.pending))];
            await proposer.commit(order.length ? order : undefined);
          }
        }
        await proposer.commit();
        await Promise.all(settled);

        expect(tablesOf(store).indexDump()).toEqual(bruteForce(store));
        // The public queries agree too, including for keys no task has any more.
        store.view((tx) => {
          for (let i = 0; i < 4; i++) {
            const byService = tx.list<TaskLike>('task').filter((t) => t.ServiceID === `s${i}`);
            expect(tx.tasksByService(`s${i}`)).toEqual(expect.arrayContaining(byService));
            expect(tx.tasksByService(`s${i}`)).toHaveLength(byService.length);
            const byNode = tx.list<TaskLike>('task').filter((t) => t.NodeID === `n${i}`);
            expect(tx.tasksByNode(`n${i}`)).toHaveLength(byNode.length);
          }
          for (const state of STATES) {
            const n = tx.list<TaskLike>('task').filter((t) => t.DesiredState === state).length;
            expect(tx.tasksByDesiredState(state)).toHaveLength(n);
          }
          for (const name of NAMES) {
            const owners = tx
              .list('service')
              .filter((o) => o.Spec?.Name?.toLowerCase() === name.toLowerCase());
            expect(owners.length).toBeLessThanOrEqual(1); // names stayed unique
            expect(tx.getByName('service', name)).toBe(owners[0]);
          }
        });

        // Determinism: the same log, applied elsewhere in one batch, gives the same state.
        const replica = new MemoryStore({ proposer, clock: new ManualClock(0) });
        replica.apply(proposer.log);
        expect(replica.snapshot()).toEqual(store.snapshot());
        // And a restore rebuilds the same indexes.
        const restored = new MemoryStore({ proposer, clock: new ManualClock(0) });
        restored.restore(store.snapshot());
        expect(tablesOf(restored).indexDump()).toEqual(tablesOf(store).indexDump());
        for (const kind of KINDS) {
          expect(restored.view((tx) => tx.list(kind))).toEqual(store.view((tx) => tx.list(kind)));
        }
      }),
      { numRuns: 150 },
    );
  });
});
