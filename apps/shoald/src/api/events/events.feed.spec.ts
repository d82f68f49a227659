import { ManualClock } from '@shoal/common';
import { MemoryStore, type StoreChangeEvent } from '@shoal/store';
import { DirectProposer } from '@shoal/store/testing/direct.proposer';
import { describe, expect, it } from 'vitest';
import { type FeedEvent } from './event-message.mapper';
import { EventsFeed } from './events.feed';

function change(id: string, time: number, index = 1): StoreChangeEvent {
  return {
    type: 'change',
    kind: 'service',
    action: 'create',
    object: { ID: id, Version: { Index: index }, CreatedAt: '', UpdatedAt: '', Spec: { Name: id } },
    index,
    time,
  };
}

function newStore(clock = new ManualClock()) {
  const proposer = new DirectProposer();
  const store = new MemoryStore({ proposer, clock });
  proposer.attach(store);
  return { store, clock };
}

async function createService(store: MemoryStore, name: string): Promise<void> {
  await store.update((tx) => {
    tx.create('service', { Spec: { Name: name } });
  });
}

const ids = (events: FeedEvent[]) => events.map((e) => e.message.Actor!.ID);
const names = (events: FeedEvent[]) => events.map((e) => e.message.Actor!.Attributes!['name']);

describe('EventsFeed', () => {
  it('keeps the last N events in order', () => {
    const feed = new EventsFeed(3);
    for (let i = 1; i <= 5; i++) feed.ingest(change(`s${i}`, i * 1000));
    expect(ids(feed.history())).toEqual(['s3', 's4', 's5']);
  });

  it('keeps task events in a ring of their own, merged back in order', () => {
    const feed = new EventsFeed(3, 2);
    const task = (id: string, time: number): StoreChangeEvent => ({
      ...change(id, time),
      kind: 'task',
      object: { ID: id, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '' },
    });
    feed.ingest(change('s1', 1000));
    feed.ingest(task('t1', 2000));
    feed.ingest(change('s2', 3000));
    feed.ingest(task('t2', 4000));
    expect(ids(feed.history())).toEqual(['s1', 't1', 's2', 't2']);
    // A burst of task churn evicts older tasks only, not services.
    for (let i = 3; i <= 10; i++) feed.ingest(task(`t${i}`, 4000 + i));
    expect(ids(feed.history())).toEqual(['s1', 's2', 't9', 't10']);
    expect(() => new EventsFeed(3, 0)).toThrow(/task events history capacity/);
  });

  it('selects history by inclusive since/until in nanoseconds', () => {
    const feed = new EventsFeed(10);
    for (let i = 1; i <= 5; i++) feed.ingest(change(`s${i}`, i * 1000));
    const s = (sec: number) => BigInt(sec) * 1_000_000_000n;
    expect(ids(feed.history({ sinceNano: s(2) }))).toEqual(['s2', 's3', 's4', 's5']);
    expect(ids(feed.history({ untilNano: s(2) }))).toEqual(['s1', 's2']);
    expect(ids(feed.history({ sinceNano: s(2), untilNano: s(4) }))).toEqual(['s2', 's3', 's4']);
    expect(ids(feed.history({ sinceNano: s(9) }))).toEqual([]);
  });

  it('fans live events out and drops a listener that throws', () => {
    const feed = new EventsFeed();
    const got: string[] = [];
    const stop = feed.listen((e) => got.push(e.message.Actor!.ID!));
    feed.listen(() => {
      throw new Error('broken client');
    });
    expect(feed.listenerCount).toBe(2);
    feed.ingest(change('a', 1));
    expect(feed.listenerCount).toBe(1);
    feed.ingest(change('b', 2));
    stop();
    feed.ingest(change('c', 3));
    expect(got).toEqual(['a', 'b']);
    expect(feed.listenerCount).toBe(0);
  });

  it('ignores kinds without events and non-change store events', () => {
    const feed = new EventsFeed();
    feed.ingest({ ...change('c', 1), kind: 'cluster' });
    feed.ingest({ type: 'commit', index: 3 });
    feed.ingest({ type: 'reset', index: 4 });
    expect(feed.history()).toEqual([]);
  });

  it('replays what the store retained when it starts following, then goes live', async () => {
    const { store } = newStore();
    await createService(store, 'before');
    const feed = new EventsFeed();
    feed.follow(store);
    expect(names(feed.history())).toEqual(['before']);
    await createService(store, 'after');
    expect(names(feed.history())).toEqual(['before', 'after']);
    // Following the same store again neither replays nor duplicates.
    feed.follow(store);
    expect(names(feed.history())).toEqual(['before', 'after']);
  });

  it('switches stores and stops following on undefined, keeping history', async () => {
    const a = newStore();
    const b = newStore();
    const feed = new EventsFeed();
    feed.follow(a.store);
    await createService(a.store, 'one');
    feed.follow(b.store);
    await createService(a.store, 'ignored');
    await createService(b.store, 'two');
    feed.follow(undefined);
    expect(feed.isFollowing).toBe(false);
    await createService(b.store, 'ignored-too');
    expect(names(feed.history())).toEqual(['one', 'two']);
  });

  it('once closed, never follows a store again', async () => {
    const { store } = newStore();
    const feed = new EventsFeed(10);
    feed.follow(store);
    feed.close();
    // A periodic sync racing the shutdown must not bring the store watch back.
    feed.follow(store);
    expect(feed.isFollowing).toBe(false);
    await createService(store, 'after-close');
    expect(names(feed.history())).not.toContain('after-close');
  });

  it('rejects a bad capacity', () => {
    expect(() => new EventsFeed(0)).toThrow(RangeError);
  });
});
