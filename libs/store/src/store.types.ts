import { type Kind, type StoreEvent, type StoredObject } from './store.contract';

/**
 * A consistent read of the store. Objects are deep-frozen (see store.objects.ts); lists are
 * fresh arrays the caller may keep. Valid for the synchronous turn it was handed out in: the
 * next applied entry changes what a committed ReadTx returns.
 */
export interface ReadTx {
  /** Raft index of the last entry applied to the store (0 before any). */
  readonly lastIndex: number;
  get<T extends StoredObject = StoredObject>(kind: Kind, id: string): T | undefined;
  /** By Spec.Name, case-insensitively. Indexed for NAMED_KINDS; a scan for other kinds. */
  getByName<T extends StoredObject = StoredObject>(kind: Kind, name: string): T | undefined;
  list<T extends StoredObject = StoredObject>(kind: Kind): T[];
  find<T extends StoredObject = StoredObject>(kind: Kind, predicate: (object: T) => boolean): T[];
  tasksByService<T extends StoredObject = StoredObject>(serviceId: string): T[];
  tasksByNode<T extends StoredObject = StoredObject>(nodeId: string): T[];
  tasksByDesiredState<T extends StoredObject = StoredObject>(state: string): T[];
}

/** What create() takes: the object without the fields the store assigns (ID is optional). */
export type NewObject<T extends StoredObject = StoredObject> = Omit<
  T,
  'ID' | 'Version' | 'CreatedAt' | 'UpdatedAt'
> &
  Partial<Pick<StoredObject, 'ID' | 'Version' | 'CreatedAt' | 'UpdatedAt'>>;

/**
 * A write transaction: reads see the transaction's own writes. Each write checks its
 * preconditions against that view and throws StoreError at once if they fail; the same
 * checks run again, authoritatively, when the entry is applied.
 */
export interface WriteTx extends ReadTx {
  /**
   * The proposal's time (ms since the epoch): what CreatedAt and UpdatedAt of this
   * transaction's writes will say. A writer that compares its own timestamps with those
   * must use this reading, not another of the clock.
   */
  readonly time: number;
  /**
   * Assigns an ID if missing, CreatedAt/UpdatedAt from the proposal time and a provisional
   * Version.Index of 0 (the applied entry's index replaces it). Returns the object as stored.
   */
  create<T extends StoredObject = StoredObject>(kind: Kind, object: NewObject<T>): T;
  /**
   * Replaces the object. `object.Version.Index` must be the version the caller read; the
   * store keeps CreatedAt and sets UpdatedAt. Returns the object as stored.
   */
  update<T extends StoredObject = StoredObject>(kind: Kind, object: T): T;
  remove(kind: Kind, id: string): void;
}

export interface UpdateResult {
  /** Raft index the transaction was applied at; for a transaction with no writes, lastIndex. */
  index: number;
  /** IDs of the objects the transaction created, in creation order. */
  created: string[];
}

export type StoreListener = (event: StoreEvent) => void;

export interface WatchOptions {
  /**
   * Replay every change after this index from the changelog, then continue live. Without it,
   * the watch starts at the current lastIndex. Throws WatchCompactedError if the changelog
   * no longer reaches back that far.
   */
  since?: number;
  /** Only changes of these kinds (and commit markers of batches that had some); resets always. */
  kinds?: readonly Kind[];
  /**
   * A listener that throws has missed an event, so it is unsubscribed (continuing would hide
   * a gap) and this is called with the error; it should re-read and watch again.
   */
  onError?: (error: unknown) => void;
}

export interface ChangesSinceOptions {
  kinds?: readonly Kind[];
  /** Stop after the batch that reaches this many events (batches are never split). */
  limit?: number;
}
