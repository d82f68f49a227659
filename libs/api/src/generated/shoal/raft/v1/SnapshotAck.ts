// Original file: libs/api/src/proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotAck {
  'receivedBytes'?: (number | string | Long);
}

export interface SnapshotAck__Output {
  'receivedBytes': (number);
}
