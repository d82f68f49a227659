// Original file: libs/api/src/proto/manager.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ProposeRequest as _shoal_manager_v1_ProposeRequest, ProposeRequest__Output as _shoal_manager_v1_ProposeRequest__Output } from '../../../shoal/manager/v1/ProposeRequest';
import type { ProposeResponse as _shoal_manager_v1_ProposeResponse, ProposeResponse__Output as _shoal_manager_v1_ProposeResponse__Output } from '../../../shoal/manager/v1/ProposeResponse';

export interface ManagerControlClient extends grpc.Client {
  /**
   * A follower forwards a store proposal (a serialized StoreProposal) to the leader, which
   * proposes it through Raft and answers once it is applied there, with its Raft index.
   */
  Propose(argument: _shoal_manager_v1_ProposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  Propose(argument: _shoal_manager_v1_ProposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  Propose(argument: _shoal_manager_v1_ProposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  Propose(argument: _shoal_manager_v1_ProposeRequest, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A follower forwards a store proposal (a serialized StoreProposal) to the leader, which
   * proposes it through Raft and answers once it is applied there, with its Raft index.
   */
  propose(argument: _shoal_manager_v1_ProposeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _shoal_manager_v1_ProposeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _shoal_manager_v1_ProposeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  propose(argument: _shoal_manager_v1_ProposeRequest, callback: grpc.requestCallback<_shoal_manager_v1_ProposeResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ManagerControlHandlers extends grpc.UntypedServiceImplementation {
  /**
   * A follower forwards a store proposal (a serialized StoreProposal) to the leader, which
   * proposes it through Raft and answers once it is applied there, with its Raft index.
   */
  Propose: grpc.handleUnaryCall<_shoal_manager_v1_ProposeRequest__Output, _shoal_manager_v1_ProposeResponse>;
  
}

export interface ManagerControlDefinition extends grpc.ServiceDefinition {
  Propose: MethodDefinition<_shoal_manager_v1_ProposeRequest, _shoal_manager_v1_ProposeResponse, _shoal_manager_v1_ProposeRequest__Output, _shoal_manager_v1_ProposeResponse__Output>
}
