import { type Entry } from '../core/types';

/**
 * What the driver applies committed entries to. The driver calls these one at a time and in
 * log order; it never calls apply() with an entry it has not persisted.
 */
export interface StateMachine {
  /** Normal committed entries, in index order. Membership entries are handled by the driver. */
  apply(entries: Entry[]): void | Promise<void>;
  /**
   * A serialized image of everything applied so far. The state must be captured during the
   * call (the next apply() may follow at once); the bytes may come later through a Promise,
   * so serializing a large state need not hold up the log.
   */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replace all state with a snapshot's image. */
  restore(data: Uint8Array): void | Promise<void>;
}
