import { type Kind, type StoreEvent } from '@shoal/store';
import { EVENT_KINDS, type FeedEvent, mapStoreChange } from './event-message.mapper';

/**
 * How many mapped events the feed remembers for `since` replays. dockerd keeps 256; a rolling
 * update of a large service or a node failure emits bursts of service and node updates, so
 * Shoal keeps more. An event is a few hundred bytes, so this is a few hundred KiB at most.
 */
export const DEFAULT_EVENTS_HISTORY = 1000;

/**
 * Task events get a ring of their own: a scale to 1,000 replicas writes each task several
 * times (pending, assigned, ..., running), and sharing one ring would push every service and
 * node event out of the history. Kept separately, a burst of task churn costs only older task
 * events. A few MiB at most.
 */
export const DEFAULT_TASK_EVENTS_HISTORY = 5000;

/** What the feed needs of the store (MemoryStore has it). */
export interface WatchableStore {
  watch(
    listener: (event: StoreEvent) => void,
    opts?: { since?: number; kinds?: readonly Kind[]; onError?: (error: unknown) => void },
  ): () => void;
}

export type FeedListener = (event: FeedEvent) => void;

/**
 * The node's swarm event history and live fan-out. Pure (no timers, no I/O): whoever owns it
 * tells it which store to follow (events.service.ts does, as the node joins and leaves
 * swarms) and subscribes streams to it.
 *
 * - One store subscription, whatever the number of /events clients.
 * - On following a store it replays the store's retained changelog (watch since 0), so
 *   history covers changes made before anyone asked for events, as far back as the store
 *   still remembers; then it continues live with no gap.
 * - Keeps the last `capacity` non-task events and the last `taskCapacity` task events in two
 *   rings; history() merges them back into the order the store applied them.
 * - A snapshot install (store `reset`) emits nothing: what changed is not known. dockerd
 *   likewise reports nothing for it.
 */
export class EventsFeed {
  private readonly ring: Ring;
  private readonly taskRing: Ring;
  private seq = 0;
  private readonly listeners = new Set<FeedListener>();
  private closed = false;
  private following?: { store: WatchableStore; cancel: () => void; lastIndex: number };

  constructor(
    readonly capacity: number = DEFAULT_EVENTS_HISTORY,
    readonly taskCapacity: number = DEFAULT_TASK_EVENTS_HISTORY,
  ) {
    this.ring = new Ring(capacity, 'events history capacity');
    this.taskRing = new Ring(taskCapacity, 'task events history capacity');
  }

  /**
   * Follows this store from now on (undefined: none, e.g. the node left the swarm; history is
   * kept). Following the store it already follows is a no-op, so callers may call it often.
   */
  follow(store: WatchableStore | undefined): void {
    if (this.closed || this.following?.store === store) return;
    this.following?.cancel();
    this.following = undefined;
    if (store) this.subscribe(store, 0);
  }

  /** True while following some store. */
  get isFollowing(): boolean {
    return this.following !== undefined;
  }

  private subscribe(store: WatchableStore, since: number): void {
    // lastIndex: the last batch whose commit marker arrived, where a re-watch resumes.
    const state = { store, cancel: () => undefined as void, lastIndex: since };
    this.following = state;
    const handler = (event: StoreEvent) => {
      if (this.following !== state) return;
      if (event.type === 'commit') state.lastIndex = Math.max(state.lastIndex, event.index);
      else if (event.type === 'change' && event.index > state.lastIndex) this.ingest(event);
    };
    const opts = {
      kinds: EVENT_KINDS,
      // Our listener does not throw (see ingest), but should the store still drop it,
      // resume after the last whole batch rather than go quiet.
      onError: () => {
        if (this.following === state) this.subscribe(store, state.lastIndex);
      },
    };
    try {
      state.cancel = store.watch(handler, { ...opts, since });
    } catch {
      // The changelog no longer reaches back to `since` (WatchCompactedError): follow live;
      // history then starts now.
      try {
        state.cancel = store.watch(handler, opts);
      } catch (err) {
        this.following = undefined;
        throw err;
      }
    }
  }

  /** Maps and records one store change, and hands it to the live listeners. */
  ingest(change: StoreEvent): void {
    if (change.type !== 'change') return;
    const event = mapStoreChange(change);
    if (!event) return;
    (event.message.Type === 'task' ? this.taskRing : this.ring).push(this.seq++, event);
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One broken stream must not starve the others or the history.
        this.listeners.delete(listener);
      }
    }
  }

  /** Remembered events, oldest first, with since <= timeNano <= until (both optional). */
  history(range: { sinceNano?: bigint; untilNano?: bigint } = {}): FeedEvent[] {
    const a = this.ring.select(range);
    const b = this.taskRing.select(range);
    const out: FeedEvent[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      if (j >= b.length || (i < a.length && a[i]!.seq < b[j]!.seq)) out.push(a[i++]!.event);
      else out.push(b[j++]!.event);
    }
    return out;
  }

  /** Live events from now on, until the returned function is called. */
  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Number of live listeners: /info's NEventsListener. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Stops following for good: a later follow() (a periodic sync racing the shutdown) is
   * ignored. Live listeners stay subscribed and get nothing more.
   */
  close(): void {
    this.follow(undefined);
    this.closed = true;
  }
}

interface Entry {
  /** Position in the order the feed ingested events, to merge the rings back. */
  seq: number;
  event: FeedEvent;
}

/** A fixed-size ring of the newest entries. */
class Ring {
  private readonly slots: (Entry | undefined)[];
  private next = 0;
  private size = 0;

  constructor(
    private readonly capacity: number,
    what: string,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`${what} must be a positive integer, got ${capacity}`);
    }
    this.slots = new Array<Entry | undefined>(capacity);
  }

  push(seq: number, event: FeedEvent): void {
    this.slots[this.next] = { seq, event };
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Entries oldest first with since <= timeNano <= until (both optional). */
  select(range: { sinceNano?: bigint; untilNano?: bigint }): Entry[] {
    const out: Entry[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const entry = this.slots[(start + i) % this.capacity]!;
      // Times come from the proposing leader's clock and need not be monotonic across
      // leaders, so every entry is checked rather than stopping at the first older one.
      const t = entry.event.timeNano;
      if (range.sinceNano !== undefined && t < range.sinceNano) continue;
      if (range.untilNano !== undefined && t > range.untilNano) continue;
      out.push(entry);
    }
    return out;
  }
}
