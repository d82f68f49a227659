import { type ApplyFailure, type Kind, type StoreErrorCode } from './store.contract';

/**
 * A precondition failure, thrown by a write transaction when it can already tell (the common
 * case, so the caller fails fast without a Raft round trip) and by update() when the entry
 * failed at apply time (the authoritative check). Messages follow Docker's store wording,
 * which scripts match on.
 */
export class StoreError extends Error implements ApplyFailure {
  readonly code: StoreErrorCode;
  readonly kind: Kind;
  readonly id: string;

  constructor(failure: ApplyFailure) {
    super(failure.message);
    this.name = 'StoreError';
    this.code = failure.code;
    this.kind = failure.kind;
    this.id = failure.id;
  }
}

export function notFound(kind: Kind, id: string): ApplyFailure {
  return { code: 'NotFound', kind, id, message: `${kind} ${id} not found` };
}

export function alreadyExists(kind: Kind, id: string): ApplyFailure {
  return { code: 'AlreadyExists', kind, id, message: `${kind} ${id} already exists` };
}

export function nameConflict(kind: Kind, id: string, name: string): ApplyFailure {
  return {
    code: 'NameConflict',
    kind,
    id,
    message: `name conflicts with an existing object: ${name}`,
  };
}

export function versionConflict(kind: Kind, id: string): ApplyFailure {
  return { code: 'VersionConflict', kind, id, message: 'update out of sequence' };
}

/**
 * watch()/changesSince() asked for history the changelog no longer holds. The caller must
 * re-read the state (view) and watch from its lastIndex instead.
 */
export class WatchCompactedError extends Error {
  constructor(
    readonly since: number,
    /** Every change at or below this index may be gone. */
    readonly compactedThrough: number,
  ) {
    super(
      `changes after index ${since} are no longer retained (compacted through ${compactedThrough}); re-read the state and watch from its index`,
    );
    this.name = 'WatchCompactedError';
  }
}

/**
 * The proposer reported the entry applied, but this store holds no outcome for it: the state
 * was replaced by a snapshot in between. The write may or may not have happened.
 */
export class StoreOutcomeUnknownError extends Error {
  constructor(readonly index: number) {
    super(`outcome of the store update at index ${index} is unknown; re-read and retry`);
    this.name = 'StoreOutcomeUnknownError';
  }
}
