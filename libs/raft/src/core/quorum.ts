import { type NodeId } from './types';

export enum VoteResult {
  Pending = 'pending',
  Lost = 'lost',
  Won = 'won',
}

export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The highest index replicated on a majority of `voters`: sort the match indexes descending
 * and take the majority-th. Learners must not be passed in: they never count toward quorum.
 * With no voters there is no quorum, so nothing new can commit (0).
 */
export function committedIndex(voters: Iterable<NodeId>, matchOf: (id: NodeId) => number): number {
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  if (matches.length === 0) return 0;
  matches.sort((a, b) => b - a);
  return matches[majority(matches.length) - 1]!;
}

/** Tallies votes (true = granted) cast by `voters`; votes from anyone else are ignored. */
export function voteResult(
  voters: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = majority(voters.size);
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
