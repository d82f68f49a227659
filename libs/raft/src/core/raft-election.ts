import { VoteResult } from './quorum';
import { RaftInvariantError } from './raft-log';
import { appendEntry } from './raft-replication';
import { CampaignType, type RaftState, TRANSFER_CONTEXT } from './raft-state';
import { EntryType, type Message, MessageType, type NodeId, NONE, Role } from './types';

/** Starts an election of the given kind, if this node may. */
export function hup(r: RaftState, t: CampaignType): void {
  if (r.role === Role.Leader) {
    r.logger.debug('ignoring election request: already leader', { id: r.id });
    return;
  }
  if (!r.promotable()) {
    r.logger.warn('not promotable; cannot campaign', { id: r.id });
    return;
  }
  if (r.hasUnappliedConfChanges()) {
    r.logger.warn('cannot campaign: committed conf changes are not yet applied', {
      id: r.id,
      applied: r.raftLog.applied,
      committed: r.raftLog.committed,
    });
    return;
  }
  campaign(r, t);
}

export function campaign(r: RaftState, t: CampaignType): void {
  if (!r.promotable()) {
    r.logger.warn('not promotable; cannot campaign', { id: r.id });
    return;
  }
  let voteType: MessageType;
  let term: number;
  if (t === CampaignType.PreElection) {
    r.becomePreCandidate();
    voteType = MessageType.PreVote;
    // Ask as if for the next term, without moving to it: a node that cannot win never
    // disturbs the rest of the cluster with a higher term.
    term = r.term + 1;
  } else {
    r.becomeCandidate();
    voteType = MessageType.Vote;
    term = r.term;
  }
  const respType = voteType === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
  if (poll(r, r.id, respType, true) === VoteResult.Won) {
    // Single-voter cluster: won outright.
    if (t === CampaignType.PreElection) campaign(r, CampaignType.Election);
    else becomeLeader(r);
    return;
  }
  const lastIndex = r.raftLog.lastIndex();
  const lastTerm = r.raftLog.lastTerm();
  for (const id of [...r.trk.voters].sort()) {
    if (id === r.id) continue;
    r.logger.info(`sent ${MessageType[voteType]} request`, { from: r.id, to: id, term });
    r.send({
      type: voteType,
      to: id,
      term,
      index: lastIndex,
      logTerm: lastTerm,
      ...(t === CampaignType.Transfer ? { context: TRANSFER_CONTEXT } : {}),
    });
  }
}

/** Records a vote and returns the election's outcome so far. */
export function poll(r: RaftState, id: NodeId, type: MessageType, granted: boolean): VoteResult {
  r.logger.info(granted ? 'received vote' : 'received rejection', {
    from: id,
    type: MessageType[type],
    term: r.term,
  });
  r.trk.recordVote(id, granted);
  return r.trk.tallyVotes().result;
}

export function becomeLeader(r: RaftState): void {
  if (r.role === Role.Follower) throw new RaftInvariantError('follower cannot become leader');
  r.reset(r.term);
  r.lead = r.id;
  r.role = Role.Leader;
  const self = r.trk.progress.get(r.id);
  if (self) {
    self.becomeReplicate();
    self.recentActive = true;
  }
  // An entry of our term lets us commit (and so learn the commit index) promptly (§5.4.2).
  appendEntry(r, [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
  // No membership change until that entry is applied. Earlier entries may hold a conf change
  // we cannot yet see as committed, and proposing another on top of it is the known
  // single-server-change bug; committing an entry of our own term first rules that out.
  // (Stricter than etcd, which only waits for the entries before this one.)
  r.pendingConfIndex = r.raftLog.lastIndex();
  r.logger.info('became leader', { id: r.id, term: r.term });
}

/** Vote and PreVote requests, after the term checks in step(). */
export function handleVoteRequest(r: RaftState, m: Message): void {
  const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
  const canVote =
    r.vote === m.from ||
    (r.vote === NONE && r.lead === NONE) ||
    // A pre-vote for a future term commits us to nothing.
    (m.type === MessageType.PreVote && m.term > r.term);
  if (canVote && r.raftLog.isUpToDate(m.index, m.logTerm)) {
    r.logger.info(`granted ${MessageType[m.type]}`, { to: m.from, term: m.term });
    // Answer with the request's term: for a pre-vote ours is lower and would be discarded.
    r.send({ type: respType, to: m.from, term: m.term });
    if (m.type === MessageType.Vote) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else if (r.term === 0) {
    // A brand-new joining node has no term to reject with, and a term-0 message would read
    // as local at the receiver. Silence is a safe refusal.
    r.logger.info(`not answering ${MessageType[m.type]} at term 0`, { to: m.from });
  } else {
    r.logger.info(`rejected ${MessageType[m.type]}`, {
      to: m.from,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
    });
    r.send({ type: respType, to: m.from, term: r.term, reject: true });
  }
}
