import { limitSize } from './entry-size';
import { CompactedError, type Storage, UnavailableError } from './storage';
import { type Entry, type RaftLogger, type Snapshot } from './types';
import { UnstableLog } from './unstable-log';

/** Thrown when the log would have to break a Raft invariant; it means a bug or lost data. */
export class RaftInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftInvariantError';
  }
}

/**
 * The Raft log as the protocol sees it: stable entries (Storage) followed by unstable ones,
 * and the commit/apply cursors.
 *
 *   firstIndex ... applied <= applying <= committed <= lastIndex
 */
export class RaftLog {
  readonly unstable: UnstableLog;
  committed: number;
  /** Highest index handed to the driver for applying (not yet acknowledged). */
  applying: number;
  /** Highest index the driver has acknowledged as applied. */
  applied: number;

  constructor(
    readonly storage: Storage,
    private readonly logger: RaftLogger,
    /** Byte budget of committed entries handed out per Ready. */
    readonly maxApplyingSize: number = Infinity,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Throws CompactedError / UnavailableError outside [firstIndex-1, lastIndex]. */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** The term of entry i, or undefined if it is compacted or beyond the log. */
  maybeTerm(i: number): number | undefined {
    // Bounds first: a follower asks this for every entry it appends, and a thrown error costs a
    // stack capture each time.
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    try {
      return this.term(i);
    } catch (e) {
      // Storage may still have compacted underneath us (the driver compacts between Readys).
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  /** 0 for an index we cannot see; used where "unknown" must simply not match. */
  termOrZero(i: number): number {
    return this.maybeTerm(i) ?? 0;
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  matchTerm(i: number, t: number): boolean {
    return this.maybeTerm(i) === t;
  }

  /** Raft §5.4.1: is a log ending at (lastIndex, term) at least as up to date as ours? */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Index of the first entry in `ents` that is new or conflicts (same index, different term)
   * with our log, or 0 if every entry is already present. `ents` must be contiguous.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) {
        if (e.index <= this.lastIndex()) {
          this.logger.info('found conflict', {
            index: e.index,
            existingTerm: this.termOrZero(e.index),
            conflictingTerm: e.term,
          });
        }
        return e.index;
      }
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term. Both ends of the
   * fast log-repair use it: the follower to propose where the leader should probe, the leader
   * to skip a whole term of entries the follower cannot have. Returns term 0 if the walk hits
   * compacted entries (the caller then probes at that index, which is still correct).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = index;
    for (; i > 0; i--) {
      const t = this.maybeTerm(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /**
   * The follower side of AppendEntries: if our entry at `index` has `logTerm`, merge `ents`
   * after it (dropping a conflicting suffix), advance commit, and return the index of the last
   * new entry. Returns undefined if the log does not match at `index`.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    ents: Entry[],
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(
          `entry ${ci} conflicts with committed entry (committed ${this.committed})`,
        );
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(
        `cannot overwrite committed entries: after ${after} < committed ${this.committed}`,
      );
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    if (toCommit > this.lastIndex()) {
      throw new RaftInvariantError(
        `commit ${toCommit} is beyond last index ${this.lastIndex()}; was the log lost or truncated?`,
      );
    }
    this.committed = toCommit;
  }

  /** Leader side: advance commit to maxIndex only if that entry is from `term` (Raft §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  acceptApplying(i: number): void {
    if (i > this.committed)
      throw new RaftInvariantError(`applying ${i} > committed ${this.committed}`);
    this.applying = Math.max(this.applying, i);
  }

  appliedTo(i: number): void {
    if (i <= this.applied) return;
    if (i > this.committed)
      throw new RaftInvariantError(`applied ${i} > committed ${this.committed}`);
    this.applied = i;
    this.applying = Math.max(this.applying, i);
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  nextUnstableEntries(): Entry[] {
    return this.unstable.nextEntries();
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  /**
   * Committed entries not yet handed out for applying, bounded by maxApplyingSize. Unstable
   * entries are allowed: the driver persists a Ready's entries before applying its committed
   * ones. Nothing while a snapshot is pending: the state machine must load it first.
   */
  nextCommittedEntries(): Entry[] {
    if (this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.committed + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingSize);
  }

  hasNextCommittedEntries(): boolean {
    return !this.hasNextOrInProgressSnapshot() && this.committed > this.applying;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Entries from i to the end, limited to maxSize bytes (at least one). */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  /** Entries [lo, hi) from storage and the unstable tail; at least one if lo < hi. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1);
    if (lo === hi) return [];
    const uOffset = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < uOffset) {
      const stableHi = Math.min(hi, uOffset);
      ents = this.storage.entries(lo, stableHi, maxSize);
      // Storage stopped short: the size limit is already reached.
      if (ents.length < stableHi - lo) return ents;
    }
    if (hi > uOffset) {
      // Fetch no more than the remaining budget could possibly hold, then trim exactly.
      const unstable = this.unstable.slice(Math.max(lo, uOffset), hi, maxSize);
      if (ents.length === 0) return unstable;
      ents = ents.concat(unstable);
    }
    return limitSize(ents, maxSize);
  }

  /** The snapshot the leader would send: a pending one if any, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  restore(s: Snapshot): void {
    this.logger.info('log restoring snapshot', {
      index: s.metadata.index,
      term: s.metadata.term,
    });
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }
}
