import { type Kind, type StoreEvent } from './store.contract';
import { WatchCompactedError } from './store.errors';

/**
 * The most recent change events with their commit markers, for watch({since}) and the
 * events API. Bounded by a count of events; whole batches are dropped from the front, so
 * whatever the log holds for an index it holds completely.
 */
export class Changelog {
  private events: StoreEvent[] = [];
  /** Events before `head` are dropped; compacting the array is amortized. */
  private head = 0;
  /** Every event at or below this index may be gone. */
  private compacted = 0;

  constructor(private readonly limit: number) {}

  get compactedThrough(): number {
    return this.compacted;
  }

  /** Appends one applied batch: its change events and the commit marker. */
  append(batch: readonly StoreEvent[]): void {
    this.events.push(...batch);
    if (this.events.length - this.head <= this.limit) return;
    while (this.events.length - this.head > this.limit)
      this.compacted = this.events[this.head++]!.index;
    // Finish the batch we cut into.
    while (this.head < this.events.length && this.events[this.head]!.index === this.compacted) {
      this.head++;
    }
    if (this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Every retained event with index > since, in order. */
  since(since: number): StoreEvent[] {
    if (since < this.compacted) throw new WatchCompactedError(since, this.compacted);
    // Binary search: events are in index order.
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.index <= since) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo);
  }

  /** After a restore: nothing before `index` can be replayed. */
  reset(index: number): void {
    this.events = [];
    this.head = 0;
    this.compacted = index;
  }
}

/**
 * Keeps the change events of the given kinds, and a commit marker only if its batch kept
 * at least one change; resets always pass. Works on any run of whole batches.
 */
export function filterKinds(
  events: readonly StoreEvent[],
  kinds: ReadonlySet<Kind> | undefined,
): StoreEvent[] {
  if (!kinds) return [...events];
  const out: StoreEvent[] = [];
  let kept = 0;
  for (const e of events) {
    if (e.type === 'change') {
      if (kinds.has(e.kind)) {
        out.push(e);
        kept++;
      }
    } else if (e.type === 'commit') {
      if (kept > 0) out.push(e);
      kept = 0;
    } else {
      out.push(e);
    }
  }
  return out;
}
