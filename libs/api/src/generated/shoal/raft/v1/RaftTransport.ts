// Original file: libs/api/src/proto/raft.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RaftBatch as _shoal_raft_v1_RaftBatch, RaftBatch__Output as _shoal_raft_v1_RaftBatch__Output } from '../../../shoal/raft/v1/RaftBatch';
import type { SnapshotAck as _shoal_raft_v1_SnapshotAck, SnapshotAck__Output as _shoal_raft_v1_SnapshotAck__Output } from '../../../shoal/raft/v1/SnapshotAck';
import type { SnapshotChunk as _shoal_raft_v1_SnapshotChunk, SnapshotChunk__Output as _shoal_raft_v1_SnapshotChunk__Output } from '../../../shoal/raft/v1/SnapshotChunk';
import type { StreamAck as _shoal_raft_v1_StreamAck, StreamAck__Output as _shoal_raft_v1_StreamAck__Output } from '../../../shoal/raft/v1/StreamAck';

export interface RaftTransportClient extends grpc.Client {
  /**
   * One snapshot per call: a SnapshotHeader, then the data in order. The receiver answers
   * only after it has checked the size and checksum and handed the MsgSnap to Raft.
   */
  InstallSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  InstallSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  InstallSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  InstallSnapshot(callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  /**
   * One snapshot per call: a SnapshotHeader, then the data in order. The receiver answers
   * only after it has checked the size and checksum and handed the MsgSnap to Raft.
   */
  installSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  installSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  installSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  installSnapshot(callback: grpc.requestCallback<_shoal_raft_v1_SnapshotAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_SnapshotChunk>;
  
  /**
   * Long-lived stream of batches from one peer to another; one per direction per pair.
   */
  Stream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  Stream(metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  Stream(options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  Stream(callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  /**
   * Long-lived stream of batches from one peer to another; one per direction per pair.
   */
  stream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  stream(metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  stream(options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  stream(callback: grpc.requestCallback<_shoal_raft_v1_StreamAck__Output>): grpc.ClientWritableStream<_shoal_raft_v1_RaftBatch>;
  
}

export interface RaftTransportHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One snapshot per call: a SnapshotHeader, then the data in order. The receiver answers
   * only after it has checked the size and checksum and handed the MsgSnap to Raft.
   */
  InstallSnapshot: grpc.handleClientStreamingCall<_shoal_raft_v1_SnapshotChunk__Output, _shoal_raft_v1_SnapshotAck>;
  
  /**
   * Long-lived stream of batches from one peer to another; one per direction per pair.
   */
  Stream: grpc.handleClientStreamingCall<_shoal_raft_v1_RaftBatch__Output, _shoal_raft_v1_StreamAck>;
  
}

export interface RaftTransportDefinition extends grpc.ServiceDefinition {
  InstallSnapshot: MethodDefinition<_shoal_raft_v1_SnapshotChunk, _shoal_raft_v1_SnapshotAck, _shoal_raft_v1_SnapshotChunk__Output, _shoal_raft_v1_SnapshotAck__Output>
  Stream: MethodDefinition<_shoal_raft_v1_RaftBatch, _shoal_raft_v1_StreamAck, _shoal_raft_v1_RaftBatch__Output, _shoal_raft_v1_StreamAck__Output>
}
