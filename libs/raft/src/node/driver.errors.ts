import { type NodeId } from '../core/types';

/**
 * The typed outcomes of a proposal that did not apply. Callers need to tell apart "certainly
 * not applied, safe to retry elsewhere" (NotLeader, Dropped) from "outcome unknown" (Timeout,
 * Stopped), because retrying the latter could apply a write twice.
 */
export class NotLeaderError extends Error {
  readonly retryable = true;
  constructor(
    readonly leaderId: NodeId | undefined,
    readonly leaderAddress: string | undefined,
  ) {
    super(
      leaderId
        ? `not the raft leader; the leader is ${leaderId}${leaderAddress ? ` at ${leaderAddress}` : ''}`
        : 'not the raft leader, and no leader is known yet',
    );
    this.name = 'NotLeaderError';
  }
}

/** Certainly not applied: refused by the core (leader transfer, size limits) or overwritten. */
export class ProposalDroppedError extends Error {
  readonly retryable = true;
  constructor(reason: string) {
    super(`proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

/** The outcome is unknown: the entry may still commit later. */
export class ProposalTimeoutError extends Error {
  readonly retryable = false;
  constructor(timeoutMs: number) {
    super(`proposal not applied within ${timeoutMs} ms; it may still be applied later`);
    this.name = 'ProposalTimeoutError';
  }
}

/** The driver stopped while the proposal was in flight; the outcome is unknown. */
export class DriverStoppedError extends Error {
  readonly retryable = false;
  constructor() {
    super('raft driver stopped');
    this.name = 'DriverStoppedError';
  }
}

/** Covered by a snapshot from the leader before this node saw the entry: it may have applied. */
export class ProposalOutcomeUnknownError extends Error {
  readonly retryable = false;
  constructor(reason: string) {
    super(`proposal outcome unknown: ${reason}`);
    this.name = 'ProposalOutcomeUnknownError';
  }
}
