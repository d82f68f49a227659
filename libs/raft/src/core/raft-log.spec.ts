import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES } from './entry-size';
import { MemoryStorage } from './memory-storage';
import { RaftInvariantError, RaftLog } from './raft-log';
import { CompactedError, UnavailableError } from './storage';
import { type Entry, EntryType, silentLogger } from './types';
import { UnstableLog } from './unstable-log';

function ent(index: number, term: number, size = 0): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(size) };
}

function terms(es: Entry[]): number[] {
  return es.map((e) => e.term);
}

/** A log with entries 1..3 at terms 1,2,3 in storage. */
function logWith(stable: Entry[], unstable: Entry[] = []): RaftLog {
  const s = new MemoryStorage();
  s.append(stable);
  const l = new RaftLog(s, silentLogger);
  l.append(unstable);
  return l;
}

describe('RaftLog.findConflict', () => {
  const base = [ent(1, 1), ent(2, 2), ent(3, 3)];
  it.each([
    [[], 0],
    [[ent(1, 1), ent(2, 2), ent(3, 3)], 0],
    [[ent(2, 2), ent(3, 3)], 0],
    [[ent(3, 3)], 0],
    // new entries
    [[ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 4), ent(5, 4)], 4],
    [[ent(3, 3), ent(4, 4)], 4],
    // conflicts
    [[ent(1, 4), ent(2, 4)], 1],
    [[ent(2, 1), ent(3, 4), ent(4, 4)], 2],
    [[ent(3, 1), ent(4, 2), ent(5, 4)], 3],
  ])('case %#', (ents, want) => {
    expect(logWith(base).findConflict(ents as Entry[])).toBe(want);
  });
});

describe('RaftLog.findConflictByTerm', () => {
  it('finds the last index with term <= the given term', () => {
    // Terms: 1:1 2:1 3:2 4:2 5:5 6:5
    const l = logWith([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 5), ent(6, 5)]);
    expect(l.findConflictByTerm(6, 5)).toEqual({ index: 6, term: 5 });
    expect(l.findConflictByTerm(6, 4)).toEqual({ index: 4, term: 2 });
    expect(l.findConflictByTerm(6, 2)).toEqual({ index: 4, term: 2 });
    expect(l.findConflictByTerm(6, 1)).toEqual({ index: 2, term: 1 });
    expect(l.findConflictByTerm(3, 0)).toEqual({ index: 0, term: 0 });
  });

  it('stops at compacted entries', () => {
    const s = new MemoryStorage();
    s.applySnapshot({
      metadata: { index: 10, term: 3, confState: { voters: [], learners: [] } },
      data: new Uint8Array(),
    });
    s.append([ent(11, 4), ent(12, 5)]);
    const l = new RaftLog(s, silentLogger);
    expect(l.findConflictByTerm(12, 3)).toEqual({ index: 10, term: 3 });
    expect(l.findConflictByTerm(12, 1)).toEqual({ index: 9, term: 0 });
  });
});

describe('RaftLog.maybeAppend', () => {
  const base = () => logWith([ent(1, 1), ent(2, 2), ent(3, 3)]);

  it('rejects on a mismatch at the previous index', () => {
    const l = base();
    expect(l.maybeAppend(3, 2, 3, [ent(4, 4)])).toBeUndefined();
    expect(l.maybeAppend(4, 4, 3, [ent(5, 4)])).toBeUndefined();
    expect(l.committed).toBe(0);
  });

  it('appends, and commits no further than the last new entry', () => {
    const l = base();
    expect(l.maybeAppend(3, 3, 10, [ent(4, 4), ent(5, 4)])).toBe(5);
    expect(l.committed).toBe(5);
    expect(l.lastIndex()).toBe(5);
    expect(l.maybeAppend(3, 3, 10, [])).toBe(3);
    expect(l.committed).toBe(5); // never decreases
  });

  it('truncates a conflicting suffix', () => {
    const l = base();
    expect(l.maybeAppend(1, 1, 1, [ent(2, 4)])).toBe(2);
    expect(l.lastIndex()).toBe(2);
    expect(l.term(2)).toBe(4);
    expect(l.committed).toBe(1);
  });

  it('ignores entries it already has (no truncation of a longer log)', () => {
    const l = base();
    expect(l.maybeAppend(1, 1, 0, [ent(2, 2)])).toBe(2);
    expect(l.lastIndex()).toBe(3);
  });

  it('refuses to overwrite committed entries', () => {
    const l = base();
    l.commitTo(3);
    expect(() => l.maybeAppend(1, 1, 3, [ent(2, 4)])).toThrow(RaftInvariantError);
  });
});

describe('RaftLog slicing', () => {
  it('spans storage and unstable entries with a byte limit', () => {
    const l = logWith([ent(1, 1, 10), ent(2, 1, 10)], [ent(3, 2, 10), ent(4, 2, 10)]);
    const one = 10 + ENTRY_OVERHEAD_BYTES;
    expect(l.slice(1, 5, Infinity).map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(l.slice(1, 5, 3 * one).map((e) => e.index)).toEqual([1, 2, 3]);
    expect(l.slice(1, 5, one).map((e) => e.index)).toEqual([1]);
    expect(l.slice(2, 4, 0).map((e) => e.index)).toEqual([2]);
    expect(l.slice(3, 5, 2 * one - 1).map((e) => e.index)).toEqual([3]);
    expect(l.slice(2, 2, Infinity)).toEqual([]);
    expect(l.entries(3, Infinity).map((e) => e.index)).toEqual([3, 4]);
    expect(l.entries(5, Infinity)).toEqual([]);
    expect(() => l.slice(1, 6, Infinity)).toThrow(UnavailableError);
  });

  it('throws CompactedError below the first index', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.compact(2);
    const l = new RaftLog(s, silentLogger);
    expect(() => l.slice(2, 4, Infinity)).toThrow(CompactedError);
    expect(l.term(2)).toBe(1);
    expect(() => l.term(1)).toThrow(CompactedError);
    expect(l.maybeTerm(1)).toBeUndefined();
    expect(l.committed).toBe(2);
    expect(l.applied).toBe(2);
  });
});

describe('RaftLog commit/apply and unstable hand-off', () => {
  it('hands committed entries out once, including unstable ones', () => {
    const l = logWith([ent(1, 1)], [ent(2, 1), ent(3, 1)]);
    expect(l.nextCommittedEntries()).toEqual([]);
    l.commitTo(2);
    expect(l.nextCommittedEntries().map((e) => e.index)).toEqual([1, 2]);
    l.acceptApplying(2);
    expect(l.hasNextCommittedEntries()).toBe(false);
    l.commitTo(3);
    expect(l.nextCommittedEntries().map((e) => e.index)).toEqual([3]);
    l.appliedTo(3);
    expect(l.applied).toBe(3);
    expect(() => l.commitTo(4)).toThrow(RaftInvariantError);
  });

  it('maybeCommit only commits entries of the given term', () => {
    const l = logWith([ent(1, 1), ent(2, 2)]);
    expect(l.maybeCommit(2, 3)).toBe(false);
    expect(l.maybeCommit(2, 2)).toBe(true);
    expect(l.committed).toBe(2);
  });

  it('does not re-hand entries in progress, and stableTo checks the term', () => {
    const l = logWith([], [ent(1, 1), ent(2, 1)]);
    expect(l.nextUnstableEntries().map((e) => e.index)).toEqual([1, 2]);
    l.unstable.acceptInProgress();
    expect(l.nextUnstableEntries()).toEqual([]);
    l.append([ent(2, 2), ent(3, 2)]); // a new leader replaced entry 2 meanwhile
    expect(l.nextUnstableEntries().map((e) => e.index)).toEqual([2, 3]);
    l.stableTo(2, 1); // the old entry 2 became durable, not the new one
    expect(l.unstable.offset).toBe(1);
    l.stableTo(1, 1);
    expect(l.unstable.offset).toBe(2);
    expect(terms(l.unstable.entries)).toEqual([2, 2]);
  });

  it('restore resets the log to the snapshot', () => {
    const l = logWith([ent(1, 1)], [ent(2, 1)]);
    l.restore({
      metadata: { index: 10, term: 4, confState: { voters: ['a'], learners: [] } },
      data: new Uint8Array(),
    });
    expect(l.firstIndex()).toBe(11);
    expect(l.lastIndex()).toBe(10);
    expect(l.lastTerm()).toBe(4);
    expect(l.committed).toBe(10);
    expect(l.nextCommittedEntries()).toEqual([]);
    expect(l.nextUnstableSnapshot()?.metadata.index).toBe(10);
    l.append([ent(11, 4)]);
    expect(l.entries(11, Infinity).map((e) => e.index)).toEqual([11]);
  });

  it('isUpToDate compares last term, then last index', () => {
    const l = logWith([ent(1, 1), ent(2, 2)]);
    expect(l.isUpToDate(1, 3)).toBe(true);
    expect(l.isUpToDate(2, 2)).toBe(true);
    expect(l.isUpToDate(1, 2)).toBe(false);
    expect(l.isUpToDate(5, 1)).toBe(false);
  });
});

describe('UnstableLog', () => {
  it('truncateAndAppend handles append, replace-all and replace-suffix', () => {
    const u = new UnstableLog(5);
    u.truncateAndAppend([ent(5, 1), ent(6, 1), ent(7, 1)]);
    u.truncateAndAppend([ent(8, 1)]);
    expect(u.maybeLastIndex()).toBe(8);
    u.acceptInProgress();
    u.truncateAndAppend([ent(7, 2)]);
    expect(terms(u.entries)).toEqual([1, 1, 2]);
    expect(u.offsetInProgress).toBe(7);
    u.truncateAndAppend([ent(4, 3)]);
    expect(u.offset).toBe(4);
    expect(terms(u.entries)).toEqual([3]);
  });
});
