// Original file: libs/api/src/proto/dispatcher.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AssignmentsMessage as _shoal_dispatcher_v1_AssignmentsMessage, AssignmentsMessage__Output as _shoal_dispatcher_v1_AssignmentsMessage__Output } from '../../../shoal/dispatcher/v1/AssignmentsMessage';
import type { AssignmentsRequest as _shoal_dispatcher_v1_AssignmentsRequest, AssignmentsRequest__Output as _shoal_dispatcher_v1_AssignmentsRequest__Output } from '../../../shoal/dispatcher/v1/AssignmentsRequest';
import type { HeartbeatRequest as _shoal_dispatcher_v1_HeartbeatRequest, HeartbeatRequest__Output as _shoal_dispatcher_v1_HeartbeatRequest__Output } from '../../../shoal/dispatcher/v1/HeartbeatRequest';
import type { HeartbeatResponse as _shoal_dispatcher_v1_HeartbeatResponse, HeartbeatResponse__Output as _shoal_dispatcher_v1_HeartbeatResponse__Output } from '../../../shoal/dispatcher/v1/HeartbeatResponse';
import type { PublishLogsMessage as _shoal_dispatcher_v1_PublishLogsMessage, PublishLogsMessage__Output as _shoal_dispatcher_v1_PublishLogsMessage__Output } from '../../../shoal/dispatcher/v1/PublishLogsMessage';
import type { PublishLogsResponse as _shoal_dispatcher_v1_PublishLogsResponse, PublishLogsResponse__Output as _shoal_dispatcher_v1_PublishLogsResponse__Output } from '../../../shoal/dispatcher/v1/PublishLogsResponse';
import type { SessionMessage as _shoal_dispatcher_v1_SessionMessage, SessionMessage__Output as _shoal_dispatcher_v1_SessionMessage__Output } from '../../../shoal/dispatcher/v1/SessionMessage';
import type { SessionRequest as _shoal_dispatcher_v1_SessionRequest, SessionRequest__Output as _shoal_dispatcher_v1_SessionRequest__Output } from '../../../shoal/dispatcher/v1/SessionRequest';
import type { UpdateTaskStatusRequest as _shoal_dispatcher_v1_UpdateTaskStatusRequest, UpdateTaskStatusRequest__Output as _shoal_dispatcher_v1_UpdateTaskStatusRequest__Output } from '../../../shoal/dispatcher/v1/UpdateTaskStatusRequest';
import type { UpdateTaskStatusResponse as _shoal_dispatcher_v1_UpdateTaskStatusResponse, UpdateTaskStatusResponse__Output as _shoal_dispatcher_v1_UpdateTaskStatusResponse__Output } from '../../../shoal/dispatcher/v1/UpdateTaskStatusResponse';

export interface DispatcherClient extends grpc.Client {
  /**
   * The tasks assigned to the node: one COMPLETE set first, then INCREMENTAL changes, each
   * naming the sequence it follows. An agent that sees a gap reopens the stream, which starts
   * with a COMPLETE set again.
   */
  Assignments(argument: _shoal_dispatcher_v1_AssignmentsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_AssignmentsMessage__Output>;
  Assignments(argument: _shoal_dispatcher_v1_AssignmentsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_AssignmentsMessage__Output>;
  /**
   * The tasks assigned to the node: one COMPLETE set first, then INCREMENTAL changes, each
   * naming the sequence it follows. An agent that sees a gap reopens the stream, which starts
   * with a COMPLETE set again.
   */
  assignments(argument: _shoal_dispatcher_v1_AssignmentsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_AssignmentsMessage__Output>;
  assignments(argument: _shoal_dispatcher_v1_AssignmentsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_AssignmentsMessage__Output>;
  
  /**
   * Keeps the session alive; answers with the period to use for the next one.
   */
  Heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Keeps the session alive; answers with the period to use for the next one.
   */
  heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _shoal_dispatcher_v1_HeartbeatRequest, callback: grpc.requestCallback<_shoal_dispatcher_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The agent's answer to a log subscription: the log lines of the subscribed tasks.
   */
  PublishLogs(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  PublishLogs(metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  PublishLogs(options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  PublishLogs(callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  /**
   * The agent's answer to a log subscription: the log lines of the subscribed tasks.
   */
  publishLogs(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  publishLogs(metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  publishLogs(options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  publishLogs(callback: grpc.requestCallback<_shoal_dispatcher_v1_PublishLogsResponse__Output>): grpc.ClientWritableStream<_shoal_dispatcher_v1_PublishLogsMessage>;
  
  /**
   * Registers the node (its description) and opens a session. The first message carries the
   * session ID, the heartbeat period and the managers; later ones carry manager-list changes
   * and log subscriptions. The session ends when the stream ends.
   */
  Session(argument: _shoal_dispatcher_v1_SessionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_SessionMessage__Output>;
  Session(argument: _shoal_dispatcher_v1_SessionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_SessionMessage__Output>;
  /**
   * Registers the node (its description) and opens a session. The first message carries the
   * session ID, the heartbeat period and the managers; later ones carry manager-list changes
   * and log subscriptions. The session ends when the stream ends.
   */
  session(argument: _shoal_dispatcher_v1_SessionRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_SessionMessage__Output>;
  session(argument: _shoal_dispatcher_v1_SessionRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_shoal_dispatcher_v1_SessionMessage__Output>;
  
  /**
   * Status reports for tasks assigned to the caller's node, in batches. A report about any
   * other task is refused (PERMISSION_DENIED) and logged; the batch is not applied.
   */
  UpdateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  UpdateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Status reports for tasks assigned to the caller's node, in batches. A report about any
   * other task is refused (PERMISSION_DENIED) and logged; the batch is not applied.
   */
  updateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  updateTaskStatus(argument: _shoal_dispatcher_v1_UpdateTaskStatusRequest, callback: grpc.requestCallback<_shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface DispatcherHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The tasks assigned to the node: one COMPLETE set first, then INCREMENTAL changes, each
   * naming the sequence it follows. An agent that sees a gap reopens the stream, which starts
   * with a COMPLETE set again.
   */
  Assignments: grpc.handleServerStreamingCall<_shoal_dispatcher_v1_AssignmentsRequest__Output, _shoal_dispatcher_v1_AssignmentsMessage>;
  
  /**
   * Keeps the session alive; answers with the period to use for the next one.
   */
  Heartbeat: grpc.handleUnaryCall<_shoal_dispatcher_v1_HeartbeatRequest__Output, _shoal_dispatcher_v1_HeartbeatResponse>;
  
  /**
   * The agent's answer to a log subscription: the log lines of the subscribed tasks.
   */
  PublishLogs: grpc.handleClientStreamingCall<_shoal_dispatcher_v1_PublishLogsMessage__Output, _shoal_dispatcher_v1_PublishLogsResponse>;
  
  /**
   * Registers the node (its description) and opens a session. The first message carries the
   * session ID, the heartbeat period and the managers; later ones carry manager-list changes
   * and log subscriptions. The session ends when the stream ends.
   */
  Session: grpc.handleServerStreamingCall<_shoal_dispatcher_v1_SessionRequest__Output, _shoal_dispatcher_v1_SessionMessage>;
  
  /**
   * Status reports for tasks assigned to the caller's node, in batches. A report about any
   * other task is refused (PERMISSION_DENIED) and logged; the batch is not applied.
   */
  UpdateTaskStatus: grpc.handleUnaryCall<_shoal_dispatcher_v1_UpdateTaskStatusRequest__Output, _shoal_dispatcher_v1_UpdateTaskStatusResponse>;
  
}

export interface DispatcherDefinition extends grpc.ServiceDefinition {
  Assignments: MethodDefinition<_shoal_dispatcher_v1_AssignmentsRequest, _shoal_dispatcher_v1_AssignmentsMessage, _shoal_dispatcher_v1_AssignmentsRequest__Output, _shoal_dispatcher_v1_AssignmentsMessage__Output>
  Heartbeat: MethodDefinition<_shoal_dispatcher_v1_HeartbeatRequest, _shoal_dispatcher_v1_HeartbeatResponse, _shoal_dispatcher_v1_HeartbeatRequest__Output, _shoal_dispatcher_v1_HeartbeatResponse__Output>
  PublishLogs: MethodDefinition<_shoal_dispatcher_v1_PublishLogsMessage, _shoal_dispatcher_v1_PublishLogsResponse, _shoal_dispatcher_v1_PublishLogsMessage__Output, _shoal_dispatcher_v1_PublishLogsResponse__Output>
  Session: MethodDefinition<_shoal_dispatcher_v1_SessionRequest, _shoal_dispatcher_v1_SessionMessage, _shoal_dispatcher_v1_SessionRequest__Output, _shoal_dispatcher_v1_SessionMessage__Output>
  UpdateTaskStatus: MethodDefinition<_shoal_dispatcher_v1_UpdateTaskStatusRequest, _shoal_dispatcher_v1_UpdateTaskStatusResponse, _shoal_dispatcher_v1_UpdateTaskStatusRequest__Output, _shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>
}
