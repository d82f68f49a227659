/**
 * The two halves of the WAL's log semantics, kept side by side so they cannot drift apart:
 *
 * - ReplayLog rebuilds the state from records in the order they were written (recovery).
 * - LogProjection tracks, without holding entry data, what that replay would produce after
 *   everything submitted so far, so `save()` can refuse input that replay would later call
 *   corruption. Refusing at write time turns a driver bug into an immediate error instead of
 *   a node that cannot restart.
 *
 * Rules shared by both:
 * - An entry at index i discards every held entry with index >= i (a follower replacing a
 *   conflicting suffix), but i may not be beyond last + 1 (a gap).
 * - Committed entries are never replaced.
 * - A snapshot marker at S (term T) makes entries <= S redundant. Entries after S are kept only
 *   if the entry held at S has term T, i.e. they continue the snapshot's history (a leader or
 *   follower compacting its own log). Otherwise the snapshot came from a leader whose history
 *   replaced ours, and the tail after S is stale: it is dropped, as Raft drops it in memory.
 *   Kept, it would make the log look older than it is after a restart and the node could vote
 *   for a candidate that misses committed entries. Markers never move backwards.
 *   (LogProjection holds no terms, so at write time it only checks indexes; replay decides.)
 * - After replay the held entries must start right after the snapshot (or at 1 with no
 *   snapshot), and must reach the hard state's commit index.
 */
import { type Entry, type HardState, type SnapshotMetadata } from '../core/types';
import { ZERO_HARD_STATE } from './wal.types';

export class ReplayLog {
  hardState: HardState = { ...ZERO_HARD_STATE };
  marker: SnapshotMetadata | undefined;
  private held: Entry[] = [];

  /** Returns a reason when the record cannot be part of a log this WAL wrote. */
  entry(e: Entry): string | undefined {
    const held = this.held;
    if (this.marker && e.index <= this.marker.index) {
      return `entry ${e.index} is at or below snapshot marker ${this.marker.index}`;
    }
    if (held.length === 0) {
      // Whether this start is legitimate depends on markers that may come later (segments
      // before this one may have been released); finish() checks it.
      held.push(e);
      return undefined;
    }
    const first = held[0].index;
    const last = held[held.length - 1].index;
    if (e.index > last + 1) return `entry ${e.index} does not follow entry ${last} (gap)`;
    if (e.index <= last && e.index <= this.hardState.commit) {
      return `entry ${e.index} overwrites a committed entry (commit ${this.hardState.commit})`;
    }
    if (e.index < first) held.length = 0;
    else held.length = e.index - first;
    held.push(e);
    return undefined;
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  snapshot(m: SnapshotMetadata): string | undefined {
    if (this.marker && m.index < this.marker.index) {
      return `snapshot marker ${m.index} is older than marker ${this.marker.index}`;
    }
    this.marker = m;
    const held = this.held;
    if (held.length === 0) return undefined;
    const first = held[0].index;
    if (m.index < first) return undefined;
    if (m.index >= held[held.length - 1].index) {
      this.held = [];
      return undefined;
    }
    // Log matching: what we hold after the marker continues the snapshot's history only if our
    // entry at its index is the snapshot's own. Otherwise it is a stale, uncommitted tail of a
    // history the leader's snapshot replaced; kept, it would make our log look older than it
    // is and we could vote for a candidate missing committed entries.
    const atMarker = held[m.index - first]!;
    this.held = atMarker.term === m.term ? held.slice(m.index - first + 1) : [];
    return undefined;
  }

  /** The final checks; returns the entries or a reason they cannot be trusted. */
  finish(): { entries: Entry[] } | { error: string } {
    const base = this.marker?.index ?? 0;
    const held = this.held;
    if (held.length > 0 && held[0].index !== base + 1) {
      const what = this.marker ? `snapshot marker ${base}` : 'the start of the log';
      return { error: `entries ${base + 1}..${held[0].index - 1} missing after ${what}` };
    }
    const last = held.length > 0 ? held[held.length - 1].index : base;
    if (last < this.hardState.commit) {
      return {
        error: `committed entry ${last + 1} missing (commit index ${this.hardState.commit}, last index ${last})`,
      };
    }
    return { entries: held };
  }
}

export class LogProjection {
  lastIndex: number;
  commit: number;
  markerIndex: number;

  constructor(hs: HardState, entries: readonly Entry[], marker: SnapshotMetadata | undefined) {
    this.commit = hs.commit;
    this.markerIndex = marker?.index ?? 0;
    this.lastIndex = entries.length > 0 ? entries[entries.length - 1].index : this.markerIndex;
  }

  /** Throws (RangeError) if these entries and hard state cannot follow what was submitted. */
  checkSave(hs: HardState | undefined, entries: readonly Entry[]): void {
    let newLast = this.lastIndex;
    if (entries.length > 0) {
      const first = entries[0].index;
      for (let k = 1; k < entries.length; k++) {
        if (entries[k].index !== first + k) {
          throw new RangeError(
            `entries not contiguous: ${entries[k].index} follows ${entries[k - 1].index}`,
          );
        }
      }
      if (first > this.lastIndex + 1) {
        throw new RangeError(`entry ${first} does not follow last index ${this.lastIndex} (gap)`);
      }
      if (first <= this.markerIndex) {
        throw new RangeError(`entry ${first} is at or below snapshot marker ${this.markerIndex}`);
      }
      if (first <= this.lastIndex && first <= this.commit) {
        throw new RangeError(
          `entry ${first} would overwrite committed entries (commit ${this.commit})`,
        );
      }
      newLast = entries[entries.length - 1].index;
    }
    if (hs && hs.commit > newLast) {
      throw new RangeError(`hard state commit ${hs.commit} is beyond last index ${newLast}`);
    }
  }

  applySave(hs: HardState | undefined, entries: readonly Entry[]): void {
    if (entries.length > 0) this.lastIndex = entries[entries.length - 1].index;
    if (hs) this.commit = hs.commit;
  }

  checkSnapshot(m: SnapshotMetadata): void {
    if (m.index < this.markerIndex) {
      throw new RangeError(`snapshot marker ${m.index} is older than marker ${this.markerIndex}`);
    }
  }

  applySnapshot(m: SnapshotMetadata): void {
    this.markerIndex = m.index;
    this.lastIndex = Math.max(this.lastIndex, m.index);
  }
}
