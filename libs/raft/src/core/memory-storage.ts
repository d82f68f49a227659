import { sliceLimited } from './entry-size';
import { CompactedError, type Storage, UnavailableError } from './storage';
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  NONE,
  type Snapshot,
} from './types';

/** applySnapshot / createSnapshot was given a snapshot older than the one already held. */
export class SnapshotOutOfDateError extends Error {
  constructor(index: number, current: number) {
    super(`snapshot at index ${index} is older than the current snapshot at ${current}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/**
 * The in-memory mirror of stable storage. The driver writes here only after the data is
 * durable in the WAL, so the core may treat whatever it reads from this as persisted.
 *
 * ents[0] is a sentinel standing for the last compacted entry (the snapshot's index/term); it
 * lets term(firstIndex()-1) answer without special cases, as the log-matching check needs.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: NONE, commit: 0 };
  private snap: Snapshot = emptySnapshot();
  private ents: Entry[] = [sentinel(0, 0)];

  initialState(): { hardState: HardState; confState: ConfState } {
    return {
      hardState: { ...this.hardState },
      confState: cloneConfState(this.snap.metadata.confState),
    };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (lo >= hi) return [];
    return sliceLimited(this.ents, lo - offset, hi - offset, maxSize);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError(i);
    if (i - offset >= this.ents.length) throw new UnavailableError(i);
    return this.ents[i - offset]!.term;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with the snapshot (a follower catching up from the leader). */
  applySnapshot(snap: Snapshot): void {
    const current = this.snap.metadata.index;
    if (snap.metadata.index < current)
      throw new SnapshotOutOfDateError(snap.metadata.index, current);
    this.snap = cloneSnapshot(snap);
    this.ents = [sentinel(snap.metadata.index, snap.metadata.term)];
  }

  /**
   * Records a snapshot of the state machine as of `index` (which must already be applied, so
   * it is within the log). Entries are kept until compact() so slow followers can still be
   * caught up from the log rather than by shipping the snapshot.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const current = this.snap.metadata.index;
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const term = this.term(index);
    this.snap = {
      metadata: { index, term, confState: cloneConfState(confState) },
      data: data.slice(),
    };
    return this.snap;
  }

  /** Discards entries up to and including `index`; `index` becomes the new sentinel. */
  compact(index: number): void {
    const offset = this.ents[0]!.index;
    if (index <= offset) throw new CompactedError(index);
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const i = index - offset;
    this.ents = [sentinel(index, this.ents[i]!.term), ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, replacing any existing suffix they conflict with. Entries already covered
   * by the snapshot are skipped (a racing compaction is not an error); a gap is.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < first) return;
    let ents = entries;
    if (first > ents[0]!.index) ents = ents.slice(first - ents[0]!.index);
    const offset = ents[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new UnavailableError(this.lastIndex() + 1);
    }
    // In place: rebuilding the array made every append cost as much as the retained log.
    this.ents.length = offset;
    for (const e of ents) this.ents.push(cloneEntry(e));
  }
}

function sentinel(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}

function emptySnapshot(): Snapshot {
  return {
    metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
    data: new Uint8Array(0),
  };
}

function cloneEntry(e: Entry): Entry {
  return { term: e.term, index: e.index, type: e.type, data: e.data };
}

function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}

function cloneSnapshot(s: Snapshot): Snapshot {
  return {
    metadata: { ...s.metadata, confState: cloneConfState(s.metadata.confState) },
    data: s.data,
  };
}
