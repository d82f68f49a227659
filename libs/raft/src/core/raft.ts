import { type ResolvedRaftConfig } from './raft-config';
import { handleVoteRequest, hup } from './raft-election';
import { stepCandidate, stepFollower } from './raft-follower';
import { stepLeader } from './raft-leader';
import { maybeCommit, bcastAppend, sendAppend } from './raft-replication';
import { CampaignType, isTransferContext, RaftState } from './raft-state';
import {
  type ConfChange,
  type ConfState,
  emptyMessage,
  type Message,
  MessageType,
  NONE,
  Role,
} from './types';

/**
 * The Raft protocol state machine for one peer: messages in (step), time in (tick),
 * messages and state changes out (msgs, readStates, the log). No I/O, no clock.
 */
export class Raft extends RaftState {
  constructor(cfg: ResolvedRaftConfig) {
    super(cfg);
  }

  step(m: Message): void {
    if (m.term === 0) {
      // Local message (or a forwarded proposal/read, which carries no term).
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = isTransferContext(m.context);
        // Leader lease: while we hear from a leader, a candidate is most likely a node that
        // was partitioned away; ignoring it keeps it from deposing a healthy leader.
        // Pre-vote carries the same condition on its own (thesis §9.6): a voter grants it only
        // if it has not heard from a leader within an election timeout.
        const leaseApplies = this.cfg.checkQuorum || m.type === MessageType.PreVote;
        const inLease =
          leaseApplies && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          this.logger.info('ignoring vote request within leader lease', {
            id: this.id,
            from: m.from,
            type: MessageType[m.type],
            term: this.term,
            msgTerm: m.term,
            lead: this.lead,
            remaining: this.electionTimeout - this.electionElapsed,
          });
          return;
        }
      }
      if (m.type === MessageType.PreVote) {
        // Never adopt a pre-vote's term: that is the point of pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // Granted pre-votes carry the future term; we move to it only when we win.
      } else {
        this.logger.info('received message with higher term', {
          id: this.id,
          term: this.term,
          msgTerm: m.term,
          from: m.from,
          type: MessageType[m.type],
        });
        const fromLeader =
          m.type === MessageType.App ||
          m.type === MessageType.Heartbeat ||
          m.type === MessageType.Snap;
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        hup(this, this.cfg.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        handleVoteRequest(this, m);
        return;
    }
    switch (this.role) {
      case Role.Leader:
        stepLeader(this, m);
        return;
      case Role.Candidate:
      case Role.PreCandidate:
        stepCandidate(this, m);
        return;
      case Role.Follower:
        stepFollower(this, m);
        return;
    }
  }

  /** A message from an older term. */
  private stepStale(m: Message): void {
    if (
      (this.cfg.checkQuorum || this.cfg.preVote) &&
      (m.type === MessageType.Heartbeat || m.type === MessageType.App)
    ) {
      // A stale leader that was partitioned away. With check-quorum or pre-vote our higher
      // term may never reach it through an election, so answer and let it step down.
      this.send({ type: MessageType.AppResp, to: m.from });
    } else if (m.type === MessageType.PreVote) {
      // Tell a lagging pre-candidate about our term so it can catch up.
      this.send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
    } else {
      this.logger.debug('ignoring message from an older term', {
        id: this.id,
        term: this.term,
        msgTerm: m.term,
        from: m.from,
        type: MessageType[m.type],
      });
    }
  }

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(emptyMessage(MessageType.Hup, NONE, this.id));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.step(emptyMessage(MessageType.CheckQuorum, NONE, this.id));
      // A transfer that has not finished within an election timeout has failed; resume
      // accepting proposals.
      if (this.role === Role.Leader && this.leadTransferee !== NONE) {
        this.logger.info('leader transfer timed out; aborting', {
          transferee: this.leadTransferee,
        });
        this.abortLeaderTransfer();
      }
    }
    if (this.role !== Role.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(emptyMessage(MessageType.Beat, NONE, this.id));
    }
  }

  /**
   * Applies a committed membership change. Every member calls this at the same log position,
   * so every member's configuration changes at the same point in the log.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const added = this.trk.applyConfChange(cc, this.raftLog.lastIndex() + 1);
    this.isLearner = this.trk.learners.has(this.id);
    this.logger.info('applied conf change', {
      id: this.id,
      type: cc.type,
      nodeId: cc.nodeId,
      voters: [...this.trk.voters],
      learners: [...this.trk.learners],
    });
    if (this.role === Role.Leader) {
      if (!this.trk.voters.has(this.id)) {
        // A leader outside the voters cannot count itself toward quorum; let the remaining
        // voters elect one of themselves.
        this.logger.info('leader removed or demoted; stepping down', { id: this.id });
        this.becomeFollower(this.term, NONE);
      } else {
        if (this.leadTransferee !== NONE && !this.trk.voters.has(this.leadTransferee)) {
          this.abortLeaderTransfer();
        }
        // A smaller quorum may commit more right away; new members need probing.
        if (maybeCommit(this)) bcastAppend(this);
        else for (const id of added) sendAppend(this, id);
      }
    }
    return this.trk.confState();
  }
}
