// Original file: libs/api/src/proto/raft.proto

import type { EntryType as _shoal_raft_v1_EntryType, EntryType__Output as _shoal_raft_v1_EntryType__Output } from '../../../shoal/raft/v1/EntryType';
import type { Long } from '@grpc/proto-loader';

export interface Entry {
  'term'?: (number | string | Long);
  'index'?: (number | string | Long);
  'type'?: (_shoal_raft_v1_EntryType);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Entry__Output {
  'term': (number);
  'index': (number);
  'type': (_shoal_raft_v1_EntryType__Output);
  'data': (Buffer);
}
