import { entrySize } from './entry-size';
import { ProgressState, type Progress } from './progress';
import { type RaftState } from './raft-state';
import {
  CompactedError,
  ProposalDroppedError,
  SnapshotTemporarilyUnavailableError,
} from './storage';
import { type Entry, MessageType, type NodeId, type Snapshot } from './types';

/** Sends entries (or an empty MsgApp carrying the commit index) to `to` if not paused. */
export function sendAppend(r: RaftState, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

/**
 * Sends the next batch of entries to `to`: at most maxSizePerMsg bytes but at least one
 * entry, so batches stay well under the transport's message limit. Falls back to a snapshot
 * when the entries it needs are compacted. Returns whether anything was sent.
 */
export function maybeSendAppend(r: RaftState, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  if (!pr || to === r.id || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  if (prevIndex > r.raftLog.lastIndex()) {
    r.logger.warn('progress is beyond our log; not sending', { to, next: pr.next });
    return false;
  }
  const prevTerm = r.raftLog.maybeTerm(prevIndex);
  let ents: Entry[] | undefined;
  if (prevTerm !== undefined) {
    try {
      ents = r.raftLog.entries(pr.next, r.cfg.maxSizePerMsg);
    } catch (e) {
      if (!(e instanceof CompactedError)) throw e;
    }
  }
  if (prevTerm === undefined || ents === undefined) return sendSnapshot(r, to, pr);
  if (ents.length === 0 && !sendIfEmpty) return false;

  r.send({
    type: MessageType.App,
    to,
    index: prevIndex,
    logTerm: prevTerm,
    entries: ents,
    commit: r.raftLog.committed,
  });
  if (pr.state === ProgressState.Replicate) {
    if (ents.length > 0) {
      const last = ents[ents.length - 1]!.index;
      pr.optimisticUpdate(last);
      let bytes = 0;
      for (const e of ents) bytes += entrySize(e);
      pr.inflights.add(last, bytes);
    }
  } else if (pr.state === ProgressState.Probe) {
    // One probe at a time: wait for its answer (or a heartbeat response) before the next.
    pr.probeSent = true;
  }
  return true;
}

function sendSnapshot(r: RaftState, to: NodeId, pr: Progress): boolean {
  // A snapshot can be large; do not ship one to a peer we have not heard from lately.
  if (!pr.recentActive) {
    r.logger.debug('not sending snapshot to inactive peer', { to });
    return false;
  }
  let snap: Snapshot;
  try {
    snap = r.raftLog.snapshot();
  } catch (e) {
    if (e instanceof SnapshotTemporarilyUnavailableError) {
      // Heartbeat responses will bring us back here to try again.
      r.logger.debug('snapshot temporarily unavailable; will retry', { to });
      return false;
    }
    throw e;
  }
  if (snap.metadata.index === 0) {
    r.logger.warn('need to send a snapshot but storage has none', { to });
    return false;
  }
  r.logger.info('sending snapshot', {
    to,
    index: snap.metadata.index,
    term: snap.metadata.term,
    match: pr.match,
  });
  r.send({ type: MessageType.Snap, to, snapshot: snap });
  pr.becomeSnapshot(snap.metadata.index);
  return true;
}

/**
 * The heartbeat's commit is capped at what the follower is known to have: its log beyond
 * `match` may still hold another leader's uncommitted entries.
 */
export function sendHeartbeat(r: RaftState, to: NodeId, ctx: Uint8Array | undefined): void {
  const pr = r.trk.progress.get(to);
  if (!pr) return;
  const commit = Math.min(pr.match, r.raftLog.committed);
  r.send({ type: MessageType.Heartbeat, to, commit, ...(ctx ? { context: ctx } : {}) });
}

export function bcastAppend(r: RaftState): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendAppend(r, id);
  });
}

/** Heartbeats carry the newest pending ReadIndex context so lost rounds get retried. */
export function bcastHeartbeat(r: RaftState): void {
  bcastHeartbeatWithCtx(r, r.readOnly.lastPendingRequestCtx());
}

export function bcastHeartbeatWithCtx(r: RaftState, ctx: Uint8Array | undefined): void {
  r.trk.visit((id) => {
    if (id !== r.id) sendHeartbeat(r, id, ctx);
  });
}

/**
 * Appends entries to the leader's own log at the current term. The leader counts its own
 * copy at once: the driver persists a Ready's entries before sending its messages or applying,
 * so no commit that depends on this copy can become visible before it is durable.
 */
export function appendEntry(r: RaftState, ents: Entry[]): void {
  const li = r.raftLog.lastIndex();
  ents.forEach((e, i) => {
    e.term = r.term;
    e.index = li + 1 + i;
  });
  if (!r.increaseUncommittedSize(ents)) {
    throw new ProposalDroppedError(
      `too much uncommitted data (${r.uncommittedSize} bytes, limit ${r.cfg.maxUncommittedBytes})`,
    );
  }
  const last = r.raftLog.append(ents);
  r.trk.progress.get(r.id)?.maybeUpdate(last);
  maybeCommit(r);
}

/** Advances commit to what a quorum of voters has, if that entry is from our term. */
export function maybeCommit(r: RaftState): boolean {
  return r.raftLog.maybeCommit(r.trk.committed(), r.term);
}

export function sendTimeoutNow(r: RaftState, to: NodeId): void {
  r.logger.info('sending TimeoutNow for leader transfer', { to });
  r.send({ type: MessageType.TimeoutNow, to });
}
