// Original file: libs/api/src/proto/raft.proto

import type { MessageType as _shoal_raft_v1_MessageType, MessageType__Output as _shoal_raft_v1_MessageType__Output } from '../../../shoal/raft/v1/MessageType';
import type { Entry as _shoal_raft_v1_Entry, Entry__Output as _shoal_raft_v1_Entry__Output } from '../../../shoal/raft/v1/Entry';
import type { Snapshot as _shoal_raft_v1_Snapshot, Snapshot__Output as _shoal_raft_v1_Snapshot__Output } from '../../../shoal/raft/v1/Snapshot';
import type { Long } from '@grpc/proto-loader';

export interface Message {
  'type'?: (_shoal_raft_v1_MessageType);
  'to'?: (string);
  'from'?: (string);
  'term'?: (number | string | Long);
  'logTerm'?: (number | string | Long);
  'index'?: (number | string | Long);
  'entries'?: (_shoal_raft_v1_Entry)[];
  'commit'?: (number | string | Long);
  'snapshot'?: (_shoal_raft_v1_Snapshot | null);
  'reject'?: (boolean);
  'rejectHint'?: (number | string | Long);
  /**
   * `optional` because the core distinguishes "no context" from an empty one.
   */
  'context'?: (Buffer | Uint8Array | string);
  '_context'?: "context";
}

export interface Message__Output {
  'type': (_shoal_raft_v1_MessageType__Output);
  'to': (string);
  'from': (string);
  'term': (number);
  'logTerm': (number);
  'index': (number);
  'entries': (_shoal_raft_v1_Entry__Output)[];
  'commit': (number);
  'snapshot': (_shoal_raft_v1_Snapshot__Output | null);
  'reject': (boolean);
  'rejectHint': (number);
  /**
   * `optional` because the core distinguishes "no context" from an empty one.
   */
  'context'?: (Buffer);
  '_context'?: "context";
}
