import { decodeConfChange } from './conf-change.codec';
import { type Progress, ProgressState } from './progress';
import { VoteResult, voteResult } from './quorum';
import {
  appendEntry,
  bcastAppend,
  bcastHeartbeat,
  bcastHeartbeatWithCtx,
  maybeCommit,
  maybeSendAppend,
  sendAppend,
  sendTimeoutNow,
} from './raft-replication';
import { type RaftState } from './raft-state';
import { contextKey } from './read-only';
import { ProposalDroppedError } from './storage';
import {
  type ConfChange,
  ConfChangeType,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  type NodeId,
  NONE,
} from './types';

export function stepLeader(r: RaftState, m: Message): void {
  switch (m.type) {
    case MessageType.Beat:
      bcastHeartbeat(r);
      return;
    case MessageType.CheckQuorum:
      if (!r.trk.quorumActive()) {
        r.logger.warn('stepping down: no quorum heard from within an election timeout', {
          id: r.id,
          term: r.term,
        });
        r.becomeFollower(r.term, NONE);
      }
      // Start the next round: each follower has to show up again.
      r.trk.visit((id, pr) => {
        if (id === r.id) return;
        pr.activeLastRound = pr.recentActive;
        pr.recentActive = false;
      });
      return;
    case MessageType.Prop:
      handleProposal(r, m);
      return;
    case MessageType.ReadIndex:
      handleReadIndex(r, m);
      return;
  }

  const pr = r.trk.progress.get(m.from);
  if (!pr) {
    r.logger.debug('no progress for sender; ignoring', { from: m.from, type: MessageType[m.type] });
    return;
  }
  switch (m.type) {
    case MessageType.AppResp:
      handleAppendResponse(r, m, pr);
      return;
    case MessageType.HeartbeatResp:
      handleHeartbeatResponse(r, m, pr);
      return;
    case MessageType.SnapStatus:
      if (pr.state !== ProgressState.Snapshot) return;
      if (m.reject) {
        // Failed: forget the snapshot so probing restarts from what the follower has.
        pr.pendingSnapshot = 0;
      }
      r.logger.info('snapshot status', { to: m.from, ok: !m.reject });
      pr.becomeProbe();
      // Give the follower a heartbeat interval to apply it before probing again.
      pr.probeSent = true;
      return;
    case MessageType.Unreachable:
      // Pipelined MsgApps to an unreachable peer are probably lost; probe instead.
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      r.logger.debug('peer unreachable', { to: m.from });
      return;
    case MessageType.TransferLeader:
      handleTransferLeader(r, m.from, pr);
      return;
    default:
      r.logger.debug('leader ignoring message', { type: MessageType[m.type], from: m.from });
  }
}

function handleProposal(r: RaftState, m: Message): void {
  if (m.entries.length === 0) throw new ProposalDroppedError('empty proposal');
  if (!r.trk.progress.has(r.id)) {
    throw new ProposalDroppedError('this leader has been removed from the configuration');
  }
  if (r.leadTransferee !== NONE) {
    throw new ProposalDroppedError(`leadership transfer to ${r.leadTransferee} is in progress`);
  }
  for (const e of m.entries) {
    if (e.data.byteLength > r.cfg.maxEntryBytes) {
      throw new ProposalDroppedError(
        `entry of ${e.data.byteLength} bytes exceeds maxEntryBytes ${r.cfg.maxEntryBytes}`,
      );
    }
  }
  const lastIndex = r.raftLog.lastIndex();
  let confIndex: number | undefined;
  m.entries.forEach((e, i) => {
    if (e.type !== EntryType.ConfChange) return;
    if (confIndex !== undefined) {
      throw new ProposalDroppedError('only one configuration change per proposal');
    }
    if (r.pendingConfIndex > r.raftLog.applied) {
      throw new ProposalDroppedError(
        `a configuration change is already pending (index ${r.pendingConfIndex}, applied ` +
          `${r.raftLog.applied}); propose the next one after it is applied`,
      );
    }
    validateConfChange(r, e.data);
    confIndex = lastIndex + i + 1;
  });
  const ents: Entry[] = m.entries.map((e) => ({ term: 0, index: 0, type: e.type, data: e.data }));
  appendEntry(r, ents);
  if (confIndex !== undefined) r.pendingConfIndex = confIndex;
  // Broadcast when the driver next takes a Ready rather than per proposal: every proposal
  // that arrives while the driver is busy (persisting the previous batch) then travels in one
  // MsgApp per follower instead of one each.
  r.appendPending = true;
}

function validateConfChange(r: RaftState, data: Uint8Array): void {
  let cc: ConfChange;
  try {
    cc = decodeConfChange(data);
  } catch (e) {
    throw new ProposalDroppedError(`malformed configuration change: ${(e as Error).message}`);
  }
  if (cc.nodeId === NONE) throw new ProposalDroppedError('configuration change without a node id');
  const losesVoter = cc.type === ConfChangeType.RemoveNode || cc.type === ConfChangeType.AddLearner;
  if (losesVoter && r.trk.voters.has(cc.nodeId) && r.trk.voters.size === 1) {
    throw new ProposalDroppedError(`removing voter ${cc.nodeId} would leave no voters`);
  }
}

function handleReadIndex(r: RaftState, m: Message): void {
  if (!m.context || m.context.byteLength === 0) {
    throw new ProposalDroppedError('ReadIndex needs a non-empty request context');
  }
  if (r.trk.isSingleton()) {
    // We are the whole quorum: nobody else can have been elected.
    respondToReadIndex(r, m, r.raftLog.committed);
    return;
  }
  // A requester asks again when it presumes its request lost. If we still hold the first, its
  // answer serves both: queueing it twice would only cost another heartbeat round.
  if (isReadIndexPending(r, m.context)) return;
  // Until an entry of our term commits we do not know the true commit index (§6.4 step 1).
  if (!r.committedEntryInCurrentTerm()) {
    r.pendingReadIndexMessages.push(m);
    return;
  }
  startReadIndexRound(r, m);
}

function isReadIndexPending(r: RaftState, ctx: Uint8Array): boolean {
  if (r.readOnly.has(ctx)) return true;
  const key = contextKey(ctx);
  return r.pendingReadIndexMessages.some((p) => contextKey(p.context) === key);
}

function startReadIndexRound(r: RaftState, m: Message): void {
  r.readOnly.addRequest(r.raftLog.committed, m);
  r.readOnly.recvAck(r.id, m.context);
  bcastHeartbeatWithCtx(r, m.context);
}

function respondToReadIndex(r: RaftState, req: Message, index: number): void {
  if (req.from === NONE || req.from === r.id) {
    r.readStates.push({ index, requestCtx: req.context! });
  } else {
    r.send({ type: MessageType.ReadIndexResp, to: req.from, index, context: req.context! });
  }
}

function releasePendingReadIndexMessages(r: RaftState): void {
  if (r.pendingReadIndexMessages.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const pending = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of pending) startReadIndexRound(r, m);
}

function handleAppendResponse(r: RaftState, m: Message, pr: Progress): void {
  pr.recentActive = true;
  if (m.reject) {
    let nextProbe = m.rejectHint;
    if (m.logTerm > 0) {
      // The follower's entry at rejectHint has term m.logTerm; ours cannot match above the
      // last index where our term is <= that, so jump straight there.
      nextProbe = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
    }
    if (pr.maybeDecrTo(m.index, nextProbe)) {
      r.logger.debug('decreased progress after rejection', { to: m.from, next: pr.next });
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }

  const wasPaused = pr.isPaused();
  // An ack equal to match while probing still proves the logs agree there (e.g. we fell back
  // to probing after an Unreachable): resume replicating.
  const sameMatchProbe = pr.match === m.index && pr.state === ProgressState.Probe;
  if (!pr.maybeUpdate(m.index) && !sameMatchProbe) return;

  switch (pr.state) {
    case ProgressState.Probe:
      pr.becomeReplicate();
      break;
    case ProgressState.Snapshot:
      // Once the log (not another snapshot) can take it the rest of the way.
      if (pr.match + 1 >= r.raftLog.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
      break;
    case ProgressState.Replicate:
      pr.inflights.freeLE(m.index);
      break;
  }

  if (maybeCommit(r)) {
    releasePendingReadIndexMessages(r);
    bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  // Fill the window: size-limited batches may leave more to send right away.
  while (maybeSendAppend(r, m.from, false)) {
    /* keep sending */
  }
  if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
    r.logger.info('transferee caught up; sending TimeoutNow', { to: m.from });
    sendTimeoutNow(r, m.from);
  }
}

function handleHeartbeatResponse(r: RaftState, m: Message, pr: Progress): void {
  pr.recentActive = true;
  pr.probeSent = false;
  if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.raftLog.lastIndex() || pr.state === ProgressState.Probe) {
    sendAppend(r, m.from);
  }
  if (!m.context || m.context.byteLength === 0 || r.readOnly.pendingCount === 0) return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (!acks) return;
  const votes = new Map<NodeId, boolean>();
  for (const id of acks) votes.set(id, true);
  if (voteResult(r.trk.voters, votes) !== VoteResult.Won) return;
  for (const rs of r.readOnly.advance(m.context)) respondToReadIndex(r, rs.req, rs.index);
}

function handleTransferLeader(r: RaftState, transferee: NodeId, pr: Progress): void {
  if (pr.isLearner) {
    r.logger.info('ignoring leader transfer to a learner', { transferee });
    return;
  }
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === transferee) {
      r.logger.info('leader transfer already in progress', { transferee });
      return;
    }
    r.logger.info('aborting leader transfer for a new one', {
      previous: r.leadTransferee,
      transferee,
    });
    r.abortLeaderTransfer();
  }
  if (transferee === r.id) {
    r.logger.info('already leader; ignoring transfer to self');
    return;
  }
  r.logger.info('starting leader transfer', { transferee, term: r.term });
  // The transfer must finish within one election timeout (see tickHeartbeat).
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (pr.match === r.raftLog.lastIndex()) sendTimeoutNow(r, transferee);
  else sendAppend(r, transferee);
}
