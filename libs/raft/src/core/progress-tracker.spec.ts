import { describe, expect, it } from 'vitest';
import { Progress, ProgressState } from './progress';
import { ProgressTracker } from './progress-tracker';
import { committedIndex, VoteResult, voteResult } from './quorum';
import { ConfChangeType } from './types';

const none = new Uint8Array(0);

describe('quorum', () => {
  it('committed index is the highest index a majority has', () => {
    const m = (ms: Record<string, number>) => committedIndex(Object.keys(ms), (id) => ms[id]!);
    expect(m({ a: 5 })).toBe(5);
    expect(m({ a: 5, b: 3 })).toBe(3);
    expect(m({ a: 5, b: 3, c: 1 })).toBe(3);
    expect(m({ a: 9, b: 8, c: 1, d: 1 })).toBe(1);
    expect(m({ a: 9, b: 8, c: 7, d: 1 })).toBe(7);
    expect(m({ a: 2, b: 9, c: 7, d: 3, e: 1 })).toBe(3);
    expect(m({})).toBe(0);
  });

  it('vote result counts voters only', () => {
    const voters = new Set(['a', 'b', 'c']);
    const v = (o: Record<string, boolean>) => voteResult(voters, new Map(Object.entries(o)));
    expect(v({ a: true })).toBe(VoteResult.Pending);
    expect(v({ a: true, b: true })).toBe(VoteResult.Won);
    expect(v({ a: true, b: false })).toBe(VoteResult.Pending);
    expect(v({ a: true, b: false, c: false })).toBe(VoteResult.Lost);
    // Votes from non-voters (learners) do not count.
    expect(v({ a: true, x: true, y: true })).toBe(VoteResult.Pending);
  });
});

describe('ProgressTracker', () => {
  it('excludes learners from the commit index and from quorumActive', () => {
    const t = new ProgressTracker(4);
    t.reset({ voters: ['a', 'b', 'c'], learners: ['l1', 'l2'] }, 1);
    const set = (id: string, match: number) => (t.progress.get(id)!.match = match);
    set('a', 10);
    set('b', 2);
    set('c', 1);
    set('l1', 10);
    set('l2', 10);
    expect(t.committed()).toBe(2);
    for (const id of ['a', 'l1', 'l2']) t.progress.get(id)!.recentActive = true;
    expect(t.quorumActive()).toBe(false);
    t.progress.get('c')!.recentActive = true;
    expect(t.quorumActive()).toBe(true);
  });

  it('tallies votes, keeping the first vote of each voter', () => {
    const t = new ProgressTracker(4);
    t.reset({ voters: ['a', 'b', 'c'], learners: ['l'] }, 1);
    t.recordVote('a', true);
    t.recordVote('l', true);
    expect(t.tallyVotes()).toEqual({ granted: 1, rejected: 0, result: VoteResult.Pending });
    t.recordVote('b', false);
    t.recordVote('b', true);
    expect(t.tallyVotes()).toEqual({ granted: 1, rejected: 1, result: VoteResult.Pending });
    t.recordVote('c', false);
    expect(t.tallyVotes().result).toBe(VoteResult.Lost);
  });

  it('applies single-server membership changes', () => {
    const t = new ProgressTracker(4);
    t.reset({ voters: ['a'], learners: [] }, 5);
    expect(
      t.applyConfChange({ type: ConfChangeType.AddLearner, nodeId: 'b', context: none }, 7),
    ).toEqual(['b']);
    expect(t.confState()).toEqual({ voters: ['a'], learners: ['b'] });
    expect(t.progress.get('b')!.next).toBe(7);
    expect(t.progress.get('b')!.recentActive).toBe(true);
    // Promote.
    t.progress.get('b')!.match = 3;
    expect(
      t.applyConfChange({ type: ConfChangeType.AddVoter, nodeId: 'b', context: none }, 7),
    ).toEqual([]);
    expect(t.confState()).toEqual({ voters: ['a', 'b'], learners: [] });
    expect(t.progress.get('b')!.isLearner).toBe(false);
    expect(t.progress.get('b')!.match).toBe(3);
    // Demote.
    t.applyConfChange({ type: ConfChangeType.AddLearner, nodeId: 'a', context: none }, 7);
    expect(t.confState()).toEqual({ voters: ['b'], learners: ['a'] });
    t.applyConfChange({ type: ConfChangeType.RemoveNode, nodeId: 'a', context: none }, 7);
    expect(t.confState()).toEqual({ voters: ['b'], learners: [] });
    expect(t.progress.has('a')).toBe(false);
    expect(t.isSingleton()).toBe(true);
  });
});

describe('Progress', () => {
  it('probe sends one message at a time', () => {
    const p = new Progress(5, 4, false);
    expect(p.isPaused()).toBe(false);
    p.probeSent = true;
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(4)).toBe(true);
    expect(p.isPaused()).toBe(false);
    expect(p.next).toBe(5);
  });

  it('replicate is paused when the inflight window is full', () => {
    const p = new Progress(1, 2, false);
    p.becomeReplicate();
    p.inflights.add(1, 1);
    p.inflights.add(2, 1);
    expect(p.isPaused()).toBe(true);
  });

  it('maybeDecrTo ignores stale rejections and uses the hint', () => {
    const p = new Progress(10, 4, false);
    p.match = 2;
    expect(p.maybeDecrTo(5, 5)).toBe(false); // probe at 9 is outstanding, not 5
    expect(p.maybeDecrTo(9, 4)).toBe(true);
    expect(p.next).toBe(5);
    // Never below match+1.
    expect(p.maybeDecrTo(4, 0)).toBe(true);
    expect(p.next).toBe(3);
    p.becomeReplicate();
    p.optimisticUpdate(8);
    expect(p.maybeDecrTo(2, 0)).toBe(false); // below match: stale
    expect(p.maybeDecrTo(6, 0)).toBe(true);
    expect(p.next).toBe(3);
  });

  it('leaving Snapshot state resumes after the snapshot', () => {
    const p = new Progress(3, 4, false);
    p.match = 2;
    p.becomeSnapshot(20);
    expect(p.state).toBe(ProgressState.Snapshot);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect(p.next).toBe(21);
  });
});
