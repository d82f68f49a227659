import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, objectIdGenerator, seededRandomBytes } from '@shoal/common';
import { MemoryStore } from './memory.store';
import { type StoredObject } from './store.contract';
import { DirectProposer } from './testing/direct.proposer';
import { T0, type TaskLike } from './testing/store.fixtures';

/**
 * The proposing store applies its own entries from the transaction's objects instead of
 * decoding them; its followers decode. Both must end with identical state, whatever the
 * writes hold (undefined fields, NaN, shared subtrees of stored objects, nested arrays).
 */
describe('a proposing store and a decoding follower', () => {
  const payload = fc.object({ maxDepth: 3, withBoxedValues: false, withSparseArray: true });
  const step = fc.oneof(
    fc.record({ op: fc.constant('create' as const), extra: payload }),
    fc.record({ op: fc.constant('update' as const), pick: fc.nat(), extra: payload }),
    fc.record({ op: fc.constant('status' as const), pick: fc.nat(), state: fc.string() }),
  );

  it('hold the same state after any sequence of writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const clock = new ManualClock(T0);
        const proposer = new DirectProposer();
        const newId = objectIdGenerator(seededRandomBytes(3));
        const leader = new MemoryStore({ proposer, clock, newId });
        const follower = new MemoryStore({ proposer: new DirectProposer(), clock, newId });
        // The follower gets copies of the bytes, as it would off the network.
        proposer.attach(leader, {
          apply: (entries) =>
            follower.apply(entries.map((e) => ({ ...e, data: Uint8Array.from(e.data) }))),
          snapshot: () => follower.snapshot(),
          restore: (d) => follower.restore(d),
        });
        for (const s of steps) {
          await leader.update((tx) => {
            const tasks = tx.list<TaskLike & { Extra?: unknown }>('task');
            if (s.op === 'create' || tasks.length === 0) {
              tx.create<TaskLike & { Extra?: unknown }>('task', {
                ServiceID: 'svc',
                Extra: 'extra' in s ? s.extra : {},
              });
              return;
            }
            const t = tasks[s.pick % tasks.length]!;
            if (s.op === 'update') tx.update('task', { ...t, Extra: s.extra });
            else tx.update('task', { ...t, Status: { State: s.state, Bad: undefined, N: NaN } });
          });
          clock.advance(1);
        }
        const tables = (store: MemoryStore): StoredObject[] => store.view((tx) => tx.list('task'));
        expect(tables(leader)).toStrictEqual(tables(follower));
        expect(Buffer.from(leader.snapshot()).equals(Buffer.from(follower.snapshot()))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
