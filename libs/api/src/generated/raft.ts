import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ConfState as _shoal_raft_v1_ConfState, ConfState__Output as _shoal_raft_v1_ConfState__Output } from './shoal/raft/v1/ConfState';
import type { Entry as _shoal_raft_v1_Entry, Entry__Output as _shoal_raft_v1_Entry__Output } from './shoal/raft/v1/Entry';
import type { Message as _shoal_raft_v1_Message, Message__Output as _shoal_raft_v1_Message__Output } from './shoal/raft/v1/Message';
import type { RaftBatch as _shoal_raft_v1_RaftBatch, RaftBatch__Output as _shoal_raft_v1_RaftBatch__Output } from './shoal/raft/v1/RaftBatch';
import type { RaftTransportClient as _shoal_raft_v1_RaftTransportClient, RaftTransportDefinition as _shoal_raft_v1_RaftTransportDefinition } from './shoal/raft/v1/RaftTransport';
import type { Snapshot as _shoal_raft_v1_Snapshot, Snapshot__Output as _shoal_raft_v1_Snapshot__Output } from './shoal/raft/v1/Snapshot';
import type { SnapshotAck as _shoal_raft_v1_SnapshotAck, SnapshotAck__Output as _shoal_raft_v1_SnapshotAck__Output } from './shoal/raft/v1/SnapshotAck';
import type { SnapshotChunk as _shoal_raft_v1_SnapshotChunk, SnapshotChunk__Output as _shoal_raft_v1_SnapshotChunk__Output } from './shoal/raft/v1/SnapshotChunk';
import type { SnapshotData as _shoal_raft_v1_SnapshotData, SnapshotData__Output as _shoal_raft_v1_SnapshotData__Output } from './shoal/raft/v1/SnapshotData';
import type { SnapshotHeader as _shoal_raft_v1_SnapshotHeader, SnapshotHeader__Output as _shoal_raft_v1_SnapshotHeader__Output } from './shoal/raft/v1/SnapshotHeader';
import type { SnapshotMetadata as _shoal_raft_v1_SnapshotMetadata, SnapshotMetadata__Output as _shoal_raft_v1_SnapshotMetadata__Output } from './shoal/raft/v1/SnapshotMetadata';
import type { StreamAck as _shoal_raft_v1_StreamAck, StreamAck__Output as _shoal_raft_v1_StreamAck__Output } from './shoal/raft/v1/StreamAck';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shoal: {
    raft: {
      v1: {
        ConfState: MessageTypeDefinition<_shoal_raft_v1_ConfState, _shoal_raft_v1_ConfState__Output>
        Entry: MessageTypeDefinition<_shoal_raft_v1_Entry, _shoal_raft_v1_Entry__Output>
        EntryType: EnumTypeDefinition
        Message: MessageTypeDefinition<_shoal_raft_v1_Message, _shoal_raft_v1_Message__Output>
        MessageType: EnumTypeDefinition
        RaftBatch: MessageTypeDefinition<_shoal_raft_v1_RaftBatch, _shoal_raft_v1_RaftBatch__Output>
        RaftTransport: SubtypeConstructor<typeof grpc.Client, _shoal_raft_v1_RaftTransportClient> & { service: _shoal_raft_v1_RaftTransportDefinition }
        Snapshot: MessageTypeDefinition<_shoal_raft_v1_Snapshot, _shoal_raft_v1_Snapshot__Output>
        SnapshotAck: MessageTypeDefinition<_shoal_raft_v1_SnapshotAck, _shoal_raft_v1_SnapshotAck__Output>
        SnapshotChunk: MessageTypeDefinition<_shoal_raft_v1_SnapshotChunk, _shoal_raft_v1_SnapshotChunk__Output>
        SnapshotData: MessageTypeDefinition<_shoal_raft_v1_SnapshotData, _shoal_raft_v1_SnapshotData__Output>
        SnapshotHeader: MessageTypeDefinition<_shoal_raft_v1_SnapshotHeader, _shoal_raft_v1_SnapshotHeader__Output>
        SnapshotMetadata: MessageTypeDefinition<_shoal_raft_v1_SnapshotMetadata, _shoal_raft_v1_SnapshotMetadata__Output>
        StreamAck: MessageTypeDefinition<_shoal_raft_v1_StreamAck, _shoal_raft_v1_StreamAck__Output>
      }
    }
  }
}

