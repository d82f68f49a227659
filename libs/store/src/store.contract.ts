/**
 * The public contract of libs/store. Implementations live beside it; other code (the control
 * API, orchestrators, the daemon) depends only on these shapes.
 *
 * Model (after swarmkit's manager/state/store):
 * - One in-memory table per kind, indexed by ID, by name (unique per kind where objects have
 *   names), and for tasks by service, by node and by desired state.
 * - A write transaction runs against a private overlay of the committed state, collects
 *   actions, and proposes them through Raft as ONE entry. Nothing changes locally until the
 *   entry is applied; then every manager applies it the same way.
 * - Every precondition (expected version, name uniqueness, existence) is checked again at
 *   apply time, deterministically, so a proposal built on a stale view fails on every manager
 *   alike and the proposer learns the outcome.
 * - Version.Index of a written object is the Raft index of the entry that wrote it.
 * - Watchers see events only after apply, each batch followed by a commit marker.
 */

export type Kind = 'cluster' | 'node' | 'service' | 'task' | 'network' | 'secret' | 'config';
export const KINDS: readonly Kind[] = [
  'cluster',
  'node',
  'service',
  'task',
  'network',
  'secret',
  'config',
];

/** Kinds whose Spec.Name must be unique among objects of that kind. */
export const NAMED_KINDS: readonly Kind[] = ['cluster', 'service', 'network', 'secret', 'config'];

/** What the store needs of every object: the Docker API's common fields. */
export interface StoredObject {
  ID: string;
  Version: { Index: number };
  /** RFC 3339 with nanoseconds, as Docker prints them; set from the proposer's clock. */
  CreatedAt: string;
  UpdatedAt: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export type StoreAction =
  /** Fails with AlreadyExists if the ID exists, or NameConflict if the name is taken. */
  | { op: 'create'; kind: Kind; object: StoredObject }
  /**
   * Changes the object's top-level fields: `set` replaces (or adds) fields, `unset` removes
   * them, the others stay as stored. Fails with NotFound if it is gone, VersionConflict if
   * its current Version.Index differs from `version` (the version the writer read), or
   * NameConflict if a rename collides. A status report changes one field of a task, so the
   * entry carries that field and not the whole task (issue 6's benchmark: whole tasks were
   * most of the bytes encoded, logged, sent, decoded and frozen on every manager).
   */
  | { op: 'update'; kind: Kind; id: string; version: number; set: FieldMap; unset?: string[] }
  /**
   * The earlier form of update, still applied from older logs: replaces the whole object,
   * expecting `object.Version.Index`.
   */
  | { op: 'update'; kind: Kind; object: StoredObject }
  /** Fails with NotFound if it is gone. */
  | { op: 'remove'; kind: Kind; id: string };

/** Top-level fields of a stored object, by name; never its ID, Version or timestamps. */
export type FieldMap = Record<string, unknown>;

/** The fields only apply sets. */
export const STAMPED_FIELDS: ReadonlySet<string> = new Set([
  'ID',
  'Version',
  'CreatedAt',
  'UpdatedAt',
]);

/** One Raft entry's worth of store writes. Serialized as JSON. */
export interface StoreProposal {
  /** Unique per proposal; lets the proposing manager find the outcome of its own entry. */
  requestId: string;
  /** Milliseconds since the epoch on the proposer's clock; becomes CreatedAt/UpdatedAt. */
  time: number;
  actions: StoreAction[];
}

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'NameConflict' | 'VersionConflict';

/** An apply-time precondition failure. Nothing of the proposal was applied. */
export interface ApplyFailure {
  code: StoreErrorCode;
  kind: Kind;
  id: string;
  message: string;
}

export interface ApplyOutcome {
  /** The Raft index the proposal was applied at. */
  index: number;
  failure?: ApplyFailure;
}

/**
 * Sends a serialized StoreProposal through Raft (to the leader, forwarding if need be) and
 * resolves once it is applied on THIS manager, with the Raft index it got. Rejects with the
 * Raft driver's errors (NotLeaderError, ProposalTimeoutError, ...) when it cannot tell.
 */
export interface Proposer {
  propose(data: Uint8Array): Promise<{ index: number }>;
}

export interface StoreChangeEvent {
  type: 'change';
  kind: Kind;
  action: 'create' | 'update' | 'remove';
  /** The object after the change; for remove, the object as it was. */
  object: StoredObject;
  /** For update and remove: the object before the change. */
  previous?: StoredObject;
  /** Raft index of the batch. */
  index: number;
  /** The proposal's time (ms since epoch). */
  time: number;
}

/** Ends every applied batch that changed something. */
export interface StoreCommitEvent {
  type: 'commit';
  index: number;
}

/** All state was replaced from a snapshot; watchers must re-read. */
export interface StoreResetEvent {
  type: 'reset';
  index: number;
}

export type StoreEvent = StoreChangeEvent | StoreCommitEvent | StoreResetEvent;
