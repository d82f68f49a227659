import { hup, poll, becomeLeader, campaign } from './raft-election';
import { bcastAppend } from './raft-replication';
import { CampaignType, type RaftState } from './raft-state';
import { VoteResult } from './quorum';
import { ProposalDroppedError } from './storage';
import { type Message, MessageType, NONE, Role, type Snapshot } from './types';

/** Followers (voters and learners) at the current term. */
export function stepFollower(r: RaftState, m: Message): void {
  switch (m.type) {
    case MessageType.Prop:
      if (r.lead === NONE) throw new ProposalDroppedError('no leader is known');
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.App:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppendEntries(r, m);
      return;
    case MessageType.Heartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return;
    case MessageType.Snap:
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return;
    case MessageType.TransferLeader:
      if (r.lead === NONE) {
        r.logger.info('no leader; dropping leader transfer request', { transferee: m.from });
        return;
      }
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.TimeoutNow:
      r.logger.info('received TimeoutNow; campaigning to take over leadership', {
        id: r.id,
        from: m.from,
        term: r.term,
      });
      // Skips pre-vote: the leader asked for this, so the election must not wait a round.
      hup(r, CampaignType.Transfer);
      return;
    case MessageType.ReadIndex:
      if (r.lead === NONE) throw new ProposalDroppedError('no leader is known for ReadIndex');
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.ReadIndexResp:
      if (!m.context) {
        r.logger.warn('ReadIndexResp without context', { from: m.from });
        return;
      }
      r.readStates.push({ index: m.index, requestCtx: m.context });
      return;
    default:
      r.logger.debug('follower ignoring message', { type: MessageType[m.type], from: m.from });
  }
}

/** Candidates and pre-candidates at the current term. */
export function stepCandidate(r: RaftState, m: Message): void {
  const myRespType = r.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
  switch (m.type) {
    case MessageType.Prop:
      throw new ProposalDroppedError('no leader is known (election in progress)');
    case MessageType.ReadIndex:
      throw new ProposalDroppedError('no leader is known for ReadIndex (election in progress)');
    // A leader exists at our term: it won, so we follow it.
    case MessageType.App:
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return;
    case MessageType.Heartbeat:
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case MessageType.Snap:
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case myRespType: {
      const result = poll(r, m.from, m.type, !m.reject);
      if (result === VoteResult.Won) {
        if (r.role === Role.PreCandidate) {
          campaign(r, CampaignType.Election);
        } else {
          becomeLeader(r);
          bcastAppend(r);
        }
      } else if (result === VoteResult.Lost) {
        // Stay at this term (a pre-candidate never left its old one) and wait for a leader.
        r.becomeFollower(r.term, NONE);
      }
      return;
    }
    default:
      r.logger.debug('candidate ignoring message', { type: MessageType[m.type], from: m.from });
  }
}

export function handleAppendEntries(r: RaftState, m: Message): void {
  const log = r.raftLog;
  if (m.index < log.committed) {
    // Everything up to our commit already matches any leader's log; say so to skip ahead.
    r.send({ type: MessageType.AppResp, to: m.from, index: log.committed });
    return;
  }
  const lastNew = log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ type: MessageType.AppResp, to: m.from, index: lastNew });
    return;
  }
  // Mismatch at m.index. Hint the leader at the last index whose term is <= the term it
  // probed with: every entry between there and m.index must conflict, so the leader can skip
  // them all in one round trip instead of one per entry.
  const hintIndex = Math.min(m.index, log.lastIndex());
  const hint = log.findConflictByTerm(hintIndex, m.logTerm);
  r.logger.debug('rejected MsgApp', {
    index: m.index,
    logTerm: m.logTerm,
    ourTerm: log.termOrZero(m.index),
    hintIndex: hint.index,
    hintTerm: hint.term,
  });
  r.send({
    type: MessageType.AppResp,
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hint.index,
    logTerm: hint.term,
  });
}

export function handleHeartbeat(r: RaftState, m: Message): void {
  let commit = m.commit;
  if (commit > r.raftLog.lastIndex()) {
    // The leader caps this at our match index, so we should have it. If not, our log was
    // lost or truncated under us; committing what we do have is still safe.
    r.logger.warn('heartbeat commit beyond our log; was it truncated?', {
      commit,
      lastIndex: r.raftLog.lastIndex(),
    });
    commit = r.raftLog.lastIndex();
  }
  r.raftLog.commitTo(commit);
  r.send({
    type: MessageType.HeartbeatResp,
    to: m.from,
    ...(m.context ? { context: m.context } : {}),
  });
}

export function handleSnapshot(r: RaftState, m: Message): void {
  const s = m.snapshot;
  if (!s) {
    r.logger.warn('MsgSnap without a snapshot', { from: m.from });
    return;
  }
  if (restore(r, s)) {
    r.logger.info('restored snapshot', { index: s.metadata.index, term: s.metadata.term });
    r.send({ type: MessageType.AppResp, to: m.from, index: r.raftLog.lastIndex() });
  } else {
    r.logger.info('ignored snapshot', { index: s.metadata.index, term: s.metadata.term });
    r.send({ type: MessageType.AppResp, to: m.from, index: r.raftLog.committed });
  }
}

/**
 * Resets the log and configuration to a snapshot from the leader. Returns false if the
 * snapshot brings nothing new.
 *
 * Unlike etcd we accept a snapshot whose configuration does not contain us: a node added
 * after the leader's latest snapshot gets exactly that, learns of its own addition from the
 * entries that follow, and would otherwise wait for the next snapshot to be taken.
 */
export function restore(r: RaftState, s: Snapshot): boolean {
  const { index, term } = s.metadata;
  if (index <= r.raftLog.committed) return false;
  if (r.role !== Role.Follower) {
    r.logger.warn('non-follower asked to restore a snapshot; stepping down', { id: r.id });
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  if (r.raftLog.matchTerm(index, term)) {
    // We already hold the snapshot's last entry, hence (log matching) everything before it.
    r.raftLog.commitTo(index);
    return false;
  }
  r.raftLog.restore(s);
  r.trk.reset(s.metadata.confState, r.raftLog.lastIndex() + 1);
  const self = r.trk.progress.get(r.id);
  if (self) self.maybeUpdate(self.next - 1);
  r.isLearner = r.trk.learners.has(r.id);
  return true;
}
