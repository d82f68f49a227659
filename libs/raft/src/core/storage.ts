import { type ConfState, type Entry, type HardState, type Snapshot } from './types';

/**
 * The read-only view of stable storage the core needs. The driver owns writing: it persists
 * to the WAL and then appends to a MemoryStorage that implements this port.
 *
 * Index conventions follow etcd-raft: firstIndex() is the first entry still in the log (one
 * past the snapshot), term(firstIndex()-1) must still answer (the snapshot's term), and
 * entries(lo, hi) returns [lo, hi).
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), limited to maxSize bytes of data but always at least one entry. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i. Throws CompactedError or UnavailableError. */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot. May throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

/** The requested index is older than the last snapshot. */
export class CompactedError extends Error {
  constructor(index: number) {
    super(`requested index ${index} is unavailable due to compaction`);
    this.name = 'CompactedError';
  }
}

/** The requested index is newer than the last entry. */
export class UnavailableError extends Error {
  constructor(index: number) {
    super(`requested entry at index ${index} is unavailable`);
    this.name = 'UnavailableError';
  }
}

export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super('snapshot is temporarily unavailable');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/** A proposal was not accepted: no leader is known, a transfer is in progress, or it is too big. */
export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}
