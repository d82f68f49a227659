import { describe, expect, it } from 'vitest';
import { type MemoryStore } from './memory.store';
import { type StoreChangeEvent, type StoreEvent } from './store.contract';
import { WatchCompactedError } from './store.errors';
import { directStore, service, T0, task } from './testing/store.fixtures';

/** Entry n creates node `n<n>`. */
async function createNodes(store: MemoryStore, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++)
    await store.update((tx) => void tx.create('node', { ID: `n${i}` }));
}

const summary = (events: StoreEvent[]) =>
  events.map((e) =>
    e.type === 'change' ? `${e.action}:${e.object.ID}@${e.index}` : `${e.type}@${e.index}`,
  );

describe('watch', () => {
  it('emits changes then a commit marker per applied entry, with previous objects', async () => {
    const { store } = directStore();
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e));
    const { created } = await store.update((tx) => {
      tx.create('service', service('web'));
      tx.create('node', { ID: 'n' });
    });
    const s = structuredClone(store.view((tx) => tx.get('service', created[0]!))!);
    s.Spec = { Name: 'api' };
    await store.update((tx) => void tx.update('service', s));
    await store.update((tx) => tx.remove('node', 'n'));
    expect(summary(events)).toEqual([
      `create:${created[0]}@1`,
      'create:n@1',
      'commit@1',
      `update:${created[0]}@2`,
      'commit@2',
      'remove:n@3',
      'commit@3',
    ]);
    const update = events[3] as StoreChangeEvent;
    expect(update.previous?.Spec?.Name).toBe('web');
    expect(update.object.Spec?.Name).toBe('api');
    expect(update.time).toBe(T0); // the proposal time, not the applying clock
    expect(Object.isFrozen(update)).toBe(true);
  });

  it('replays from since, then continues live with no gap and no duplicate', async () => {
    const { store } = directStore();
    await createNodes(store, 1, 5);
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e), { since: 2 });
    expect(summary(events)).toEqual([
      'create:n3@3',
      'commit@3',
      'create:n4@4',
      'commit@4',
      'create:n5@5',
      'commit@5',
    ]);
    await createNodes(store, 6, 6);
    expect(summary(events).slice(-2)).toEqual(['create:n6@6', 'commit@6']);
    expect(new Set(summary(events)).size).toBe(events.length);
  });

  it('lets a since ahead of this store skip what the client has seen', async () => {
    const { store } = directStore();
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e), { since: 2 });
    await createNodes(store, 1, 3);
    expect(summary(events)).toEqual(['create:n3@3', 'commit@3']);
  });

  it('throws WatchCompactedError when since is older than the changelog', async () => {
    const { store } = directStore(1, { changelogLimit: 4 }); // two batches of create + commit
    await createNodes(store, 1, 5);
    expect(() => store.watch(() => undefined, { since: 2 })).toThrow(WatchCompactedError);
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e), { since: 3 });
    expect(summary(events)).toEqual(['create:n4@4', 'commit@4', 'create:n5@5', 'commit@5']);
  });

  it('drops whole batches when compacting', async () => {
    const { store } = directStore(1, { changelogLimit: 3 });
    await store.update((tx) => {
      tx.create('node', { ID: 'a' });
      tx.create('node', { ID: 'b' });
    });
    await createNodes(store, 1, 1);
    // Batch 1 (3 events) would not fit beside batch 2: it goes entirely.
    expect(() => store.changesSince(0)).toThrow(WatchCompactedError);
    expect(summary(store.changesSince(1))).toEqual(['create:n1@2', 'commit@2']);
  });

  it('filters by kind, keeping commit markers only for batches it delivered from', async () => {
    const { store } = directStore();
    const events: StoreEvent[] = [];
    store.watch((e) => events.push(e), { kinds: ['task'] });
    await createNodes(store, 1, 1);
    await store.update((tx) => {
      tx.create('task', task('s', 'n1'));
      tx.create('node', { ID: 'x' });
    });
    expect(events.map((e) => e.type)).toEqual(['change', 'commit']);
    expect(summary(store.changesSince(0, { kinds: ['node'] }))).toEqual([
      'create:n1@1',
      'commit@1',
      'create:x@2',
      'commit@2',
    ]);
  });

  it('unsubscribes', async () => {
    const { store } = directStore();
    const events: StoreEvent[] = [];
    const cancel = store.watch((e) => events.push(e));
    cancel();
    await createNodes(store, 1, 1);
    expect(events).toEqual([]);
  });

  it('drops a listener that throws, tells it, and keeps applying for everyone else', async () => {
    const { store } = directStore();
    const errors: unknown[] = [];
    let calls = 0;
    store.watch(
      () => {
        calls++;
        throw new Error('boom');
      },
      { onError: (e) => errors.push(e) },
    );
    const good: StoreEvent[] = [];
    store.watch((e) => good.push(e));
    await createNodes(store, 1, 2);
    expect(calls).toBe(1);
    expect(errors).toEqual([new Error('boom')]);
    expect(good).toHaveLength(4);
    expect(store.lastIndex).toBe(2);
  });

  it('delivers in index order even if a listener writes synchronously', async () => {
    const { store } = directStore();
    const seen: string[][] = [[], []];
    let wrote = false;
    store.watch((e) => {
      seen[0]!.push(summary([e])[0]!);
      if (!wrote) {
        wrote = true;
        void store.update((tx) => void tx.create('node', { ID: 'nested' })); // applied at once
      }
    });
    store.watch((e) => seen[1]!.push(summary([e])[0]!));
    await createNodes(store, 1, 1);
    const expected = ['create:n1@1', 'commit@1', 'create:nested@2', 'commit@2'];
    expect(seen).toEqual([expected, expected]);
  });

  it('viewAndWatch reads and subscribes at the same index', async () => {
    const { store } = directStore();
    await createNodes(store, 1, 2);
    const events: StoreEvent[] = [];
    const { value, cancel } = store.viewAndWatch(
      (tx) => tx.list('node').map((n) => n.ID),
      (e) => events.push(e),
    );
    expect(value).toEqual(['n1', 'n2']);
    await createNodes(store, 3, 3);
    cancel();
    await createNodes(store, 4, 4);
    expect(summary(events)).toEqual(['create:n3@3', 'commit@3']);
  });

  it('changesSince pages through history without splitting batches', async () => {
    const { store } = directStore();
    await store.update((tx) => {
      tx.create('node', { ID: 'a' });
      tx.create('node', { ID: 'b' });
    });
    await createNodes(store, 1, 2);
    const page1 = store.changesSince(0, { limit: 2 });
    expect(summary(page1)).toEqual(['create:a@1', 'create:b@1', 'commit@1']);
    const page2 = store.changesSince(page1.at(-1)!.index, { limit: 2 });
    expect(summary(page2)).toEqual(['create:n1@2', 'commit@2']);
    expect(store.changesSince(3)).toEqual([]);
  });
});
