import { describe, expect, it } from 'vitest';
import { MemoryStorage, SnapshotOutOfDateError } from './memory-storage';
import { CompactedError, UnavailableError } from './storage';
import { ENTRY_OVERHEAD_BYTES } from './entry-size';
import { type Entry, EntryType } from './types';

function ent(index: number, term: number, size = 0): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(size) };
}

/** Storage holding a snapshot at 3 (term 3) and entries 4..5. */
function storage(): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({
    metadata: { index: 3, term: 3, confState: { voters: ['a'], learners: [] } },
    data: new Uint8Array(0),
  });
  s.append([ent(4, 4), ent(5, 5)]);
  return s;
}

describe('MemoryStorage', () => {
  it('starts empty with term(0) = 0', () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(0)).toBe(0);
    expect(() => s.term(1)).toThrow(UnavailableError);
    expect(s.initialState().hardState).toEqual({ term: 0, vote: '', commit: 0 });
  });

  it('answers term() from the snapshot boundary to the last entry', () => {
    const s = storage();
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(s.term(3)).toBe(3);
    expect(s.term(4)).toBe(4);
    expect(s.term(5)).toBe(5);
    expect(() => s.term(6)).toThrow(UnavailableError);
    expect(s.firstIndex()).toBe(4);
    expect(s.lastIndex()).toBe(5);
  });

  it('returns entries in [lo, hi) and throws outside the log', () => {
    const s = storage();
    expect(() => s.entries(3, 5, Infinity)).toThrow(CompactedError);
    expect(() => s.entries(4, 7, Infinity)).toThrow(UnavailableError);
    expect(s.entries(4, 6, Infinity).map((e) => e.index)).toEqual([4, 5]);
    expect(s.entries(5, 6, Infinity).map((e) => e.index)).toEqual([5]);
  });

  it('limits entries by size but always returns at least one', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 100), ent(2, 1, 100), ent(3, 1, 100)]);
    const one = 100 + ENTRY_OVERHEAD_BYTES;
    expect(s.entries(1, 4, 0)).toHaveLength(1);
    expect(s.entries(1, 4, one)).toHaveLength(1);
    expect(s.entries(1, 4, 2 * one)).toHaveLength(2);
    expect(s.entries(1, 4, 2 * one + 1)).toHaveLength(2);
    expect(s.entries(1, 4, 3 * one)).toHaveLength(3);
  });

  it('append truncates a conflicting suffix and refuses gaps', () => {
    const s = storage();
    s.append([ent(5, 6), ent(6, 6)]);
    expect(s.term(5)).toBe(6);
    expect(s.lastIndex()).toBe(6);
    // Overwrite from the first entry.
    s.append([ent(4, 7)]);
    expect(s.lastIndex()).toBe(4);
    expect(s.term(4)).toBe(7);
    // Entries entirely before the snapshot are ignored; overlapping ones are trimmed.
    s.append([ent(2, 3), ent(3, 3)]);
    expect(s.lastIndex()).toBe(4);
    s.append([ent(3, 3), ent(4, 7), ent(5, 7)]);
    expect(s.lastIndex()).toBe(5);
    expect(() => s.append([ent(7, 7)])).toThrow(UnavailableError);
  });

  it('compacts, keeping the term of the new first-1 index', () => {
    const s = storage();
    expect(() => s.compact(3)).toThrow(CompactedError);
    expect(() => s.compact(6)).toThrow(UnavailableError);
    s.compact(4);
    expect(s.firstIndex()).toBe(5);
    expect(s.term(4)).toBe(4);
    expect(() => s.term(3)).toThrow(CompactedError);
    expect(s.entries(5, 6, Infinity).map((e) => e.index)).toEqual([5]);
  });

  it('creates snapshots within the log and rejects stale ones', () => {
    const s = storage();
    const cs = { voters: ['a', 'b'], learners: [] };
    const snap = s.createSnapshot(5, cs, new Uint8Array([1, 2]));
    expect(snap.metadata).toEqual({ index: 5, term: 5, confState: cs });
    expect(s.snapshot()).toBe(snap);
    // The log is untouched until compact().
    expect(s.firstIndex()).toBe(4);
    expect(() => s.createSnapshot(5, cs, new Uint8Array())).toThrow(SnapshotOutOfDateError);
    expect(() => s.applySnapshot({ ...snap, metadata: { ...snap.metadata, index: 4 } })).toThrow(
      SnapshotOutOfDateError,
    );
  });

  it('applySnapshot replaces the log and exposes the confState', () => {
    const s = storage();
    s.applySnapshot({
      metadata: { index: 10, term: 8, confState: { voters: ['x'], learners: ['y'] } },
      data: new Uint8Array(),
    });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(10)).toBe(8);
    expect(s.initialState().confState).toEqual({ voters: ['x'], learners: ['y'] });
  });

  it('stores the hard state', () => {
    const s = new MemoryStorage();
    s.setHardState({ term: 3, vote: 'b', commit: 0 });
    expect(s.initialState().hardState).toEqual({ term: 3, vote: 'b', commit: 0 });
  });
});
