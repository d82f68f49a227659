import { ConflictError, NotFoundError, UnavailableError } from '@shoal/api';
import {
  StoreError,
  StoreOutcomeUnknownError,
  type UpdateResult,
  type WriteTx,
} from '@shoal/store';
import { type ManagerHandle } from '../manager/swarm-runtime.port';

/** Docker's text for a stale `version` (swarmkit's store.ErrSequenceConflict). */
export const OUT_OF_SEQUENCE_MESSAGE = 'update out of sequence';

/** swarmkit's store.ErrNameConflict, which clients string-match on. */
export const NAME_CONFLICT_MESSAGE = 'name conflicts with an existing object';

/**
 * Turns the store's precondition failures into the API errors Docker returns for them.
 * Anything else (the proposer's UnavailableErrors, our own ApiErrors thrown inside a
 * transaction, bugs) passes through unchanged.
 *
 * - VersionConflict → 409 "update out of sequence". Docker itself answers 500 here (the
 *   swarmkit error has no gRPC code); the design brief asks for 409, which is what the
 *   condition is, and the docker CLI prints the message either way.
 * - NameConflict    → 409 "name conflicts with an existing object[: <detail>]".
 * - NotFound        → 404 "<kind> <id> not found" (the object went away meanwhile).
 * - AlreadyExists   → 409 (an ID collision; practically impossible with 128-bit IDs).
 */
export function mapStoreError(err: unknown, nameConflictDetail?: string): unknown {
  if (err instanceof StoreError) {
    switch (err.code) {
      case 'VersionConflict':
        return new ConflictError(OUT_OF_SEQUENCE_MESSAGE);
      case 'NameConflict':
        return new ConflictError(
          nameConflictDetail ? `${NAME_CONFLICT_MESSAGE}: ${nameConflictDetail}` : err.message,
        );
      case 'NotFound':
        return new NotFoundError(`${err.kind} ${err.id} not found`);
      case 'AlreadyExists':
        return new ConflictError(`${err.kind} ${err.id} already exists`);
    }
  }
  if (err instanceof StoreOutcomeUnknownError) {
    // The entry was applied but this manager's store was replaced by a snapshot meanwhile.
    return new UnavailableError(
      `the write may or may not have been applied (${err.message}); read the object back before retrying`,
    );
  }
  return err;
}

/**
 * A write as the control endpoints make it: first the read barrier, so the transaction's
 * reads (resolving a name, the uniqueness and port checks, "is this the last manager") see
 * every write acknowledged anywhere before, even on a follower; then MemoryStore.update, with
 * the store's errors mapped to API errors. The store checks versions and names again when the
 * entry applies, so a race between the barrier and the commit still cannot lose an update.
 */
export async function updateStore(
  manager: ManagerHandle,
  fn: (tx: WriteTx) => void,
  nameConflictDetail?: string,
): Promise<UpdateResult> {
  await manager.readBarrier();
  try {
    return await manager.store.update(fn);
  } catch (err) {
    throw mapStoreError(err, nameConflictDetail);
  }
}
