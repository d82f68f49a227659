// Original file: libs/api/src/proto/raft.proto

import type { SnapshotHeader as _shoal_raft_v1_SnapshotHeader, SnapshotHeader__Output as _shoal_raft_v1_SnapshotHeader__Output } from '../../../shoal/raft/v1/SnapshotHeader';
import type { SnapshotData as _shoal_raft_v1_SnapshotData, SnapshotData__Output as _shoal_raft_v1_SnapshotData__Output } from '../../../shoal/raft/v1/SnapshotData';

export interface SnapshotChunk {
  'header'?: (_shoal_raft_v1_SnapshotHeader | null);
  'data'?: (_shoal_raft_v1_SnapshotData | null);
  'chunk'?: "header"|"data";
}

export interface SnapshotChunk__Output {
  'header'?: (_shoal_raft_v1_SnapshotHeader__Output | null);
  'data'?: (_shoal_raft_v1_SnapshotData__Output | null);
  'chunk'?: "header"|"data";
}
