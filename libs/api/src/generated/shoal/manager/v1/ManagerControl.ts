// Original file: libs/api/src/proto/manager.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { LogsMessage as _shoal_manager_v1_LogsMessage, LogsMessage__Output as _shoal_manager_v1_LogsMessage__Output } from '../../../shoal/manager/v1/LogsMessage';
import type { LogsRequest as _shoal_manager_v1_LogsRequest, LogsRequest__Output as _shoal_manager_v1_LogsRequest__Output } from '../../../shoal/manager/v1/LogsRequest';
import type { ProposeRequest as _shoal_manager_v1_ProposeRequest, ProposeRequest__Output as _shoal_manager_v1_ProposeRequest__Output } from '../../../shoal/manager/v1/ProposeRequest';
import type { ProposeResponse as _shoal_manager_v1_ProposeResponse, ProposeResponse__Output as _shoal_manager_v1_ProposeResponse__Output } from '../../../shoal/manager/v1/ProposeResponse';

export interface ManagerControlClient extends grpc.Client {
  /**
   * A follower forwards an API client's request for task logs to the leader, whose log broker
   * reaches the agents. The leader sends the response headers once the subscription is open
   * (an error before them means nothing was subscribed), then lines and warnings as they
   * come; it ends the stream when every node has finished. The follower cancels the call
   * when its client goes away, which closes the subscription on the agents.
   */
  Logs(argument: _shoal_manager_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_manager_v1_LogsMessage__Output>;
  Logs(argument: _shoal_manager_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_manager_v1_LogsMessage__Output>;
  /**
   * A follower forwards an API client's request for task logs to the leader, whose log broker
   * reaches the agents. The leader sends the response headers once the subscription is open
   * (an error before them means nothing was subscribed), then lines and warnings as they
   * come; it ends the stream when every node has finished. The follower cancels the call
   * when its client goes away, which closes the subscription on the agents.
   */
  logs(argument: _shoal_manager_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_manager_v1_LogsMessage__Output>;
  logs(argument: _shoal_manager_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_manager_v1_LogsMessage__Output>;
  
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
   * A follower forwards an API client's request for task logs to the leader, whose log broker
   * reaches the agents. The leader sends the response headers once the subscription is open
   * (an error before them means nothing was subscribed), then lines and warnings as they
   * come; it ends the stream when every node has finished. The follower cancels the call
   * when its client goes away, which closes the subscription on the agents.
   */
  Logs: grpc.handleServerStreamingCall<_shoal_manager_v1_LogsRequest__Output, _shoal_manager_v1_LogsMessage>;
  
  /**
   * A follower forwards a store proposal (a serialized StoreProposal) to the leader, which
   * proposes it through Raft and answers once it is applied there, with its Raft index.
   */
  Propose: grpc.handleUnaryCall<_shoal_manager_v1_ProposeRequest__Output, _shoal_manager_v1_ProposeResponse>;
  
}

export interface ManagerControlDefinition extends grpc.ServiceDefinition {
  Logs: MethodDefinition<_shoal_manager_v1_LogsRequest, _shoal_manager_v1_LogsMessage, _shoal_manager_v1_LogsRequest__Output, _shoal_manager_v1_LogsMessage__Output>
  Propose: MethodDefinition<_shoal_manager_v1_ProposeRequest, _shoal_manager_v1_ProposeResponse, _shoal_manager_v1_ProposeRequest__Output, _shoal_manager_v1_ProposeResponse__Output>
}
