// Original file: libs/api/src/proto/raft.proto

import type { ConfState as _shoal_raft_v1_ConfState, ConfState__Output as _shoal_raft_v1_ConfState__Output } from '../../../shoal/raft/v1/ConfState';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotMetadata {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'confState'?: (_shoal_raft_v1_ConfState | null);
}

export interface SnapshotMetadata__Output {
  'index': (number);
  'term': (number);
  'confState': (_shoal_raft_v1_ConfState__Output | null);
}
