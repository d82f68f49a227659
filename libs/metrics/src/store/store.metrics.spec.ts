import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { type Kind, KINDS, MemoryStore, StoreError, type WriteTx } from '@shoal/store';
import { QueuedProposer } from '@shoal/store/testing/direct.proposer';
import { T0 } from '@shoal/store/testing/store.fixtures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDaemonRegistry } from '../registry';
import { parseExposition, samplesOf, valueOf } from '../registry.testing';
import { StoreMetricsCollector } from './store.metrics';

/**
 * Random transactions over every kind, proposed concurrently and committed in random orders
 * (so some fail at apply time on taken names or stale versions), with the odd snapshot
 * restore: after every step, shoal_store_objects must equal a recount of the store, and the
 * transaction histogram must have counted each write once, under the outcome its caller saw.
 */

const NAMES = ['a', 'A', 'b', 'c'];
const action = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    kind: fc.constantFrom(...KINDS),
    name: fc.constantFrom(...NAMES),
  }),
  fc.record({
    op: fc.constant('rename' as const),
    kind: fc.constantFrom(...KINDS),
    pick: fc.nat(),
  }),
  fc.record({
    op: fc.constant('remove' as const),
    kind: fc.constantFrom(...KINDS),
    pick: fc.nat(),
  }),
  fc.record({ op: fc.constant('throw' as const) }),
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

const step = fc.oneof(
  { weight: 4, arbitrary: fc.array(action, { maxLength: 3 }) },
  { weight: 3, arbitrary: fc.array(fc.nat(), { maxLength: 4 }).map((order) => ({ order })) },
  { weight: 1, arbitrary: fc.record({ restoreEmpty: fc.boolean() }) },
);

function run(tx: WriteTx, a: Action): void {
  if (a.op === 'throw') throw new Error('the callback gave up');
  if (a.op === 'create') {
    tx.create(a.kind, { Spec: { Name: a.name } });
    return;
  }
  const all = tx.list(a.kind);
  const o = all.length ? structuredClone(all[a.pick % all.length]!) : undefined;
  if (!o) return;
  if (a.op === 'remove') tx.remove(a.kind, o.ID);
  else tx.update(a.kind, { ...o, Spec: { Name: NAMES[a.pick % NAMES.length] } });
}

function recount(store: MemoryStore): Record<Kind, number> {
  return store.view((tx) => {
    const out = {} as Record<Kind, number>;
    for (const kind of KINDS) out[kind] = tx.list(kind).length;
    return out;
  });
}

describe('store metrics (property)', () => {
  it('object counts equal a recount, and every write is timed once under its outcome', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), fc.nat(), async (steps, seed) => {
        const registry = createDaemonRegistry({ version: 'test' });
        const metrics = new StoreMetricsCollector(registry);
        const proposer = new QueuedProposer();
        const store = new MemoryStore({
          proposer,
          clock: new ManualClock(T0),
          newId: objectIdGenerator(seededRandomBytes(seed + 1)),
          metrics,
        });
        metrics.attach(store);
        proposer.attach(store);
        // A replica fed the same log, whose snapshots the store is sometimes reset to.
        const replica = new MemoryStore({ proposer, clock: new ManualClock(T0) });
        proposer.attach(replica);
        const empty = new MemoryStore({ proposer, clock: new ManualClock(T0) });

        const seen = { committed: 0, failed: 0 };
        const settled: Promise<unknown>[] = [];
        const check = async () => {
          const samples = parseExposition(await registry.metrics());
          const counts = recount(store);
          for (const kind of KINDS) {
            expect(valueOf(samples, 'shoal_store_objects', { kind })).toBe(counts[kind]);
          }
          expect(samplesOf(samples, 'shoal_store_objects')).toHaveLength(KINDS.length);
          for (const outcome of ['committed', 'failed'] as const) {
            const count = valueOf(samples, 'shoal_store_transaction_duration_seconds_count', {
              outcome,
            });
            expect(count).toBe(seen[outcome]);
          }
        };

        for (const s of steps) {
          if (Array.isArray(s)) {
            const before = proposer.pending;
            const p = store.update((tx) => s.forEach((a) => run(tx, a)));
            // update() proposes synchronously, if its callback wrote anything.
            const proposed = proposer.pending > before;
            settled.push(
              p.then(
                () => {
                  // A transaction that wrote nothing proposed nothing, and is not timed.
                  if (proposed) seen.committed++;
                },
                (e: unknown) => {
                  if (!(e instanceof StoreError) && (e as Error).message !== 'the callback gave up')
                    throw e;
                  seen.failed++;
                },
              ),
            );
          } else if ('order' in s) {
            if (proposer.pending > 0) {
              const order = [...new Set(s.order.map((i) => i % proposer.pending))];
              await proposer.commit(order.length ? order : undefined);
            }
          } else {
            // Either the same state, or all of it replaced (the counts all change at once).
            store.restore(s.restoreEmpty ? empty.snapshot() : replica.snapshot());
          }
          // Let the settled writes report before comparing.
          await new Promise((r) => setImmediate(r));
          await check();
        }
        await proposer.commit();
        await Promise.all(settled);
        await check();
        metrics.unregister();
      }),
      { numRuns: 100 },
    );
  });
});

describe('StoreMetricsCollector', () => {
  it('reports no object series until attached, and none after unregister', async () => {
    const registry = createDaemonRegistry({ version: 'test' });
    const metrics = new StoreMetricsCollector(registry);
    expect(samplesOf(parseExposition(await registry.metrics()), 'shoal_store_objects')).toEqual([]);
    metrics.attach({ count: (kind) => (kind === 'node' ? 3 : 0) });
    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'node' })).toBe(3);
    expect(valueOf(samples, 'shoal_store_objects', { kind: 'task' })).toBe(0);
    metrics.unregister();
    const after = parseExposition(await registry.metrics());
    expect(after.filter((s) => s.name.startsWith('shoal_store_'))).toEqual([]);
    // The names are free again: a new manager on the same daemon registers its own.
    const again = new StoreMetricsCollector(registry);
    again.transactionEnded(again.transactionStarted(), 'committed');
    expect(
      valueOf(
        parseExposition(await registry.metrics()),
        'shoal_store_transaction_duration_seconds_count',
        { outcome: 'committed' },
      ),
    ).toBe(1);
  });
});
