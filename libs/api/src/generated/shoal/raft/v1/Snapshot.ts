// Original file: libs/api/src/proto/raft.proto

import type { SnapshotMetadata as _shoal_raft_v1_SnapshotMetadata, SnapshotMetadata__Output as _shoal_raft_v1_SnapshotMetadata__Output } from '../../../shoal/raft/v1/SnapshotMetadata';

export interface Snapshot {
  'metadata'?: (_shoal_raft_v1_SnapshotMetadata | null);
  /**
   * Empty when the snapshot travels over InstallSnapshot: the bytes follow as chunks.
   */
  'data'?: (Buffer | Uint8Array | string);
}

export interface Snapshot__Output {
  'metadata': (_shoal_raft_v1_SnapshotMetadata__Output | null);
  /**
   * Empty when the snapshot travels over InstallSnapshot: the bytes follow as chunks.
   */
  'data': (Buffer);
}
