import { type AtRestCipher } from '@shoal/common';
import { type Entry, type HardState, type RaftLogger, type SnapshotMetadata } from '../core/types';

/** The core's logging port, less debug. */
export type WalLogger = Pick<RaftLogger, 'info' | 'warn'>;

export interface WalOptions {
  /** Start a new segment once the current one reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Default true. false skips every fsync: only for tests, a crash then loses data. */
  fsync?: boolean;
  logger?: WalLogger;
  /**
   * Encrypts record payloads at rest (see wal.codec.ts). Must be given exactly when the WAL
   * was created with one: opening an encrypted WAL without it, or a plain-text WAL with it,
   * fails with WalEncryptionError, as does a cipher whose key does not open the WAL.
   */
  cipher?: AtRestCipher;
}

export interface WalState {
  /** Zero value ({term: 0, vote: '', commit: 0}) if none was ever saved. */
  hardState: HardState;
  /**
   * Contiguous, in index order, after overwrites. Only entries with index greater than
   * `snapshot.index` (when there is a marker); the rest are covered by the snapshot.
   */
  entries: Entry[];
  /** The latest snapshot marker recorded, if any. */
  snapshot?: SnapshotMetadata;
}

/** Counters for metrics and tests. */
export interface WalStats {
  /** write() syscalls on segment files (one per group-commit batch per segment). */
  writes: number;
  /** datasync() calls on segment files. */
  fsyncs: number;
  /** fsync() calls on the WAL directory (segment creation and deletion). */
  dirSyncs: number;
  /** Group-commit batches processed. */
  batches: number;
  bytesWritten: number;
  /** Segment files currently on disk. */
  segments: number;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export const ZERO_HARD_STATE: Readonly<HardState> = Object.freeze({ term: 0, vote: '', commit: 0 });

/**
 * Recovery warnings matter to an operator (they mean a crash cut a write short), so without
 * an injected logger they still reach stderr; routine info is dropped.
 */
export const defaultWalLogger: WalLogger = {
  warn: (msg, fields) => console.warn(`[wal] ${msg}`, fields ?? {}),
  info: () => undefined,
};
