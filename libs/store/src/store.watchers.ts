import { type Kind, type StoreEvent, type StoreResetEvent } from './store.contract';
import { filterKinds } from './store.changelog';
import { type StoreListener, type WatchOptions } from './store.types';

interface Subscriber {
  listener: StoreListener;
  kinds: ReadonlySet<Kind> | undefined;
  onError: ((error: unknown) => void) | undefined;
  /** Events at or below this index are already reflected in what the subscriber saw. */
  after: number;
}

type Delivery = { index: number; events: readonly StoreEvent[] };

/**
 * Live subscribers. Deliveries go through a queue: if a listener causes another entry to be
 * applied while it is being called (a synchronous proposer in tests), the new batch is
 * delivered after the current one to everybody, so every listener sees batches in index
 * order.
 */
export class Watchers {
  private readonly subscribers = new Set<Subscriber>();
  private readonly queue: Delivery[] = [];
  private draining = false;

  /**
   * Subscribes for batches above `after`. The caller has already replayed anything older,
   * in the same synchronous turn, so there is neither gap nor overlap.
   */
  add(listener: StoreListener, after: number, opts: WatchOptions = {}): () => void {
    const sub: Subscriber = {
      listener,
      kinds: kindSet(opts.kinds),
      onError: opts.onError,
      after,
    };
    this.subscribers.add(sub);
    return () => void this.subscribers.delete(sub);
  }

  /** One applied batch (changes then its commit marker), or a reset. */
  publish(index: number, events: readonly StoreEvent[]): void {
    this.queue.push({ index, events });
    if (this.draining) return;
    this.draining = true;
    try {
      for (let d = this.queue.shift(); d; d = this.queue.shift()) this.deliver(d);
    } finally {
      this.draining = false;
    }
  }

  publishReset(event: StoreResetEvent): void {
    this.publish(event.index, [event]);
  }

  get size(): number {
    return this.subscribers.size;
  }

  private deliver({ index, events }: Delivery): void {
    const isReset = events[0]?.type === 'reset';
    for (const sub of [...this.subscribers]) {
      // Unsubscribed by an earlier listener of this batch, or already past it.
      if (!this.subscribers.has(sub) || (!isReset && index <= sub.after)) continue;
      sub.after = index;
      try {
        for (const e of filterKinds(events, sub.kinds)) sub.listener(e);
      } catch (error) {
        // It missed (part of) this batch; carrying on would hand it a silent gap.
        this.subscribers.delete(sub);
        try {
          sub.onError?.(error);
        } catch {
          // Nothing sensible left to tell it; apply must go on.
        }
      }
    }
  }
}

export function kindSet(kinds: readonly Kind[] | undefined): ReadonlySet<Kind> | undefined {
  return kinds ? new Set(kinds) : undefined;
}
