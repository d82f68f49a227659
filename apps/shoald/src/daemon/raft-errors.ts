import { ApiError, UnavailableError } from '@shoal/api';
import {
  DriverStoppedError,
  NotLeaderError,
  ProposalDroppedError,
  ProposalOutcomeUnknownError,
  ProposalTimeoutError,
} from '@shoal/raft';

/** Raft's failures as the API errors a client can act on; each means "not known to be applied". */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof NotLeaderError) {
    return new UnavailableError(
      err.leaderId
        ? `this manager is not the Raft leader (the leader is ${err.leaderId} at ${err.leaderAddress ?? 'an unknown address'}); retry against the leader`
        : 'the swarm has no leader at the moment (an election is in progress or a quorum of managers is unreachable); retry shortly',
    );
  }
  if (err instanceof ProposalTimeoutError || err instanceof ProposalOutcomeUnknownError) {
    return new UnavailableError(
      `the write may or may not have been applied: ${(err as Error).message}; read the object back before retrying`,
    );
  }
  if (err instanceof ProposalDroppedError) {
    return new UnavailableError(`the write was not accepted: ${err.message}; retry shortly`);
  }
  if (err instanceof DriverStoppedError) {
    return new UnavailableError('this manager is shutting down');
  }
  return err;
}
