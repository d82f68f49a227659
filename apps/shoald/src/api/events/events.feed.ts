import { type Kind, type StoreEvent } from '@shoal/store';
import { EVENT_KINDS, type FeedEvent, mapStoreChange } from './event-message.mapper';

/**
 * How many mapped events the feed remembers for `since` replays. dockerd keeps 256; a rolling
 * update of a large service or a node failure emits bursts of service and node updates, so
 * Shoal keeps more. An event is a few hundred bytes, so this is a few hundred KiB at most.
 */
export const DEFAULT_EVENTS_HISTORY = 1000;

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
 * - Keeps the last `capacity` events in a ring, in the order the store applied them.
 * - A snapshot install (store `reset`) emits nothing: what changed is not known. dockerd
 *   likewise reports nothing for it.
 */
export class EventsFeed {
  private readonly ring: (FeedEvent | undefined)[];
  private next = 0;
  private size = 0;
  private readonly listeners = new Set<FeedListener>();
  private following?: { store: WatchableStore; cancel: () => void; lastIndex: number };

  constructor(readonly capacity: number = DEFAULT_EVENTS_HISTORY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`events history capacity must be a positive integer, got ${capacity}`);
    }
    this.ring = new Array<FeedEvent | undefined>(capacity);
  }

  /**
   * Follows this store from now on (undefined: none, e.g. the node left the swarm; history is
   * kept). Following the store it already follows is a no-op, so callers may call it often.
   */
  follow(store: WatchableStore | undefined): void {
    if (this.following?.store === store) return;
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
    this.ring[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
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
    const out: FeedEvent[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const event = this.ring[(start + i) % this.capacity]!;
      // Times come from the proposing leader's clock and need not be monotonic across
      // leaders, so every entry is checked rather than stopping at the first older one.
      if (range.sinceNano !== undefined && event.timeNano < range.sinceNano) continue;
      if (range.untilNano !== undefined && event.timeNano > range.untilNano) continue;
      out.push(event);
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

  /** Stops following; live listeners stay subscribed (they get nothing more). */
  close(): void {
    this.follow(undefined);
  }
}
