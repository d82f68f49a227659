// Original file: libs/api/src/proto/raft.proto

import type { Message as _shoal_raft_v1_Message, Message__Output as _shoal_raft_v1_Message__Output } from '../../../shoal/raft/v1/Message';

/**
 * Everything one sender had queued for one peer, written as a single stream message.
 * The sender keeps each batch under the 4 MiB gRPC message limit.
 */
export interface RaftBatch {
  'messages'?: (_shoal_raft_v1_Message)[];
}

/**
 * Everything one sender had queued for one peer, written as a single stream message.
 * The sender keeps each batch under the 4 MiB gRPC message limit.
 */
export interface RaftBatch__Output {
  'messages': (_shoal_raft_v1_Message__Output)[];
}
