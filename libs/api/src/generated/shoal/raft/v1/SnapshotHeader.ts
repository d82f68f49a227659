// Original file: libs/api/src/proto/raft.proto

import type { Message as _shoal_raft_v1_Message, Message__Output as _shoal_raft_v1_Message__Output } from '../../../shoal/raft/v1/Message';
import type { Long } from '@grpc/proto-loader';

/**
 * First chunk of an InstallSnapshot stream.
 */
export interface SnapshotHeader {
  /**
   * A MsgSnap whose snapshot carries the metadata but no data.
   */
  'message'?: (_shoal_raft_v1_Message | null);
  /**
   * Length of the snapshot data that the data chunks add up to.
   */
  'totalSize'?: (number | string | Long);
  /**
   * CRC-32 (IEEE, as zlib computes it) of the whole snapshot data.
   */
  'crc32'?: (number);
}

/**
 * First chunk of an InstallSnapshot stream.
 */
export interface SnapshotHeader__Output {
  /**
   * A MsgSnap whose snapshot carries the metadata but no data.
   */
  'message': (_shoal_raft_v1_Message__Output | null);
  /**
   * Length of the snapshot data that the data chunks add up to.
   */
  'totalSize': (number);
  /**
   * CRC-32 (IEEE, as zlib computes it) of the whole snapshot data.
   */
  'crc32': (number);
}
