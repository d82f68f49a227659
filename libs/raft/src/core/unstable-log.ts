import { sliceLimited } from './entry-size';
import { type Entry, type Snapshot } from './types';

/**
 * The tail of the log not yet known to be on stable storage, plus a snapshot received from
 * the leader and not yet persisted.
 *
 * Entries handed to the driver in a Ready are "in progress": the next Ready must not hand
 * them out again, yet they stay here (readable) until advance() confirms they are durable.
 */
export class UnstableLog {
  snapshot: Snapshot | undefined;
  snapshotInProgress = false;
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;
  /** Entries below this index were already handed to the driver. */
  offsetInProgress: number;

  constructor(offset: number) {
    this.offset = offset;
    this.offsetInProgress = offset;
  }

  /** Only known while a snapshot is pending; otherwise storage knows. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]?.term;
  }

  nextEntries(): Entry[] {
    const inProgress = this.offsetInProgress - this.offset;
    if (inProgress >= this.entries.length) return [];
    return this.entries.slice(inProgress);
  }

  nextSnapshot(): Snapshot | undefined {
    return this.snapshotInProgress ? undefined : this.snapshot;
  }

  /** Marks everything currently here as handed to the driver. */
  acceptInProgress(): void {
    if (this.entries.length > 0) this.offsetInProgress = this.offset + this.entries.length;
    if (this.snapshot) this.snapshotInProgress = true;
  }

  /**
   * Entries up to (i, term t) are durable. The term check matters: if the entry at i was
   * replaced by a newer leader's entry after the Ready went out, the durable one is the old
   * entry and the new one must stay unstable.
   */
  stableTo(i: number, t: number): void {
    if (i < this.offset) return;
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t) return;
    const n = i + 1 - this.offset;
    this.entries = this.entries.slice(n);
    this.offset = i + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
      this.snapshotInProgress = false;
    }
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
    this.snapshotInProgress = false;
  }

  truncateAndAppend(ents: Entry[]): void {
    if (ents.length === 0) return;
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (from <= this.offset) {
      // Replaces everything we hold (and, once persisted, a suffix of storage too).
      this.entries = ents.slice();
      this.offset = from;
      this.offsetInProgress = from;
    } else {
      this.entries = this.entries.slice(0, from - this.offset).concat(ents);
      this.offsetInProgress = Math.min(this.offsetInProgress, from);
    }
  }

  /** Entries [lo, hi) within maxSize bytes; the caller guarantees offset <= lo <= hi <= last+1. */
  slice(lo: number, hi: number, maxSize = Infinity): Entry[] {
    return sliceLimited(this.entries, lo - this.offset, hi - this.offset, maxSize);
  }
}
