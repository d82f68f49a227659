// Original file: libs/api/src/proto/raft.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotData {
  /**
   * Where this chunk starts in the snapshot data; lets the receiver catch a gap.
   */
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
}

export interface SnapshotData__Output {
  /**
   * Where this chunk starts in the snapshot data; lets the receiver catch a gap.
   */
  'offset': (number);
  'data': (Buffer);
}
