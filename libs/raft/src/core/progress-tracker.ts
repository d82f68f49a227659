import { Progress } from './progress';
import { committedIndex, majority, VoteResult, voteResult } from './quorum';
import { type ConfChange, ConfChangeType, type ConfState, type NodeId } from './types';

/**
 * The membership configuration plus the leader's per-member Progress and the votes of the
 * current election. Membership changes arrive one at a time (see ConfChange).
 */
export class ProgressTracker {
  readonly voters = new Set<NodeId>();
  readonly learners = new Set<NodeId>();
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  /** Member ids in order, for visit(); recomputed only when membership changes. */
  private order: NodeId[] | undefined;

  constructor(readonly maxInflight: number) {}

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() };
  }

  /** Replaces the configuration (startup or snapshot restore); every Progress starts afresh. */
  reset(cs: ConfState, nextIndex: number): void {
    this.voters.clear();
    this.learners.clear();
    this.progress.clear();
    this.votes.clear();
    this.order = undefined;
    for (const id of cs.voters) {
      this.voters.add(id);
      this.progress.set(id, new Progress(nextIndex, this.maxInflight, false));
    }
    for (const id of cs.learners) {
      if (this.voters.has(id)) continue;
      this.learners.add(id);
      this.progress.set(id, new Progress(nextIndex, this.maxInflight, true));
    }
  }

  /**
   * Forgets everything learned about followers (a new term starts). Only our own log is
   * known: it matches itself up to lastIndex.
   */
  resetProgress(lastIndex: number, selfId: NodeId): void {
    for (const [id, old] of [...this.progress]) {
      const pr = new Progress(lastIndex + 1, this.maxInflight, old.isLearner);
      if (id === selfId) pr.match = lastIndex;
      this.progress.set(id, pr);
    }
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  /**
   * Visits members in id order, so message order never depends on insertion history. Runs on
   * every broadcast, so the order is cached rather than sorted each time.
   */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    this.order ??= [...this.progress.keys()].sort();
    for (const id of this.order) fn(id, this.progress.get(id)!);
  }

  /** Highest index replicated on a quorum of voters. */
  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** Whether a quorum of voters was heard from recently (the leader counts itself active). */
  quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters) if (this.progress.get(id)?.recentActive) active++;
    return active >= majority(this.voters.size);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records the first vote from `id`; later duplicates cannot change it. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) };
  }

  /**
   * Applies one membership change. New members start probing from `nextIndex` and count as
   * recently active so the leader does not immediately judge them dead. Returns the ids whose
   * Progress was created.
   */
  applyConfChange(cc: ConfChange, nextIndex: number): NodeId[] {
    const id = cc.nodeId;
    this.order = undefined;
    const existing = this.progress.get(id);
    switch (cc.type) {
      case ConfChangeType.AddVoter:
        this.learners.delete(id);
        this.voters.add(id);
        if (existing) {
          existing.isLearner = false;
          return [];
        }
        this.progress.set(id, this.newProgress(nextIndex, false));
        return [id];
      case ConfChangeType.AddLearner:
        this.voters.delete(id);
        this.learners.add(id);
        if (existing) {
          existing.isLearner = true;
          return [];
        }
        this.progress.set(id, this.newProgress(nextIndex, true));
        return [id];
      case ConfChangeType.RemoveNode:
        this.voters.delete(id);
        this.learners.delete(id);
        this.progress.delete(id);
        this.votes.delete(id);
        return [];
    }
  }

  private newProgress(nextIndex: number, isLearner: boolean): Progress {
    const pr = new Progress(nextIndex, this.maxInflight, isLearner);
    pr.recentActive = true;
    return pr;
  }
}

export { VoteResult };
