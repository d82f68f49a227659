import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AssignmentsMessage as _shoal_dispatcher_v1_AssignmentsMessage, AssignmentsMessage__Output as _shoal_dispatcher_v1_AssignmentsMessage__Output } from './shoal/dispatcher/v1/AssignmentsMessage';
import type { AssignmentsRequest as _shoal_dispatcher_v1_AssignmentsRequest, AssignmentsRequest__Output as _shoal_dispatcher_v1_AssignmentsRequest__Output } from './shoal/dispatcher/v1/AssignmentsRequest';
import type { DispatcherClient as _shoal_dispatcher_v1_DispatcherClient, DispatcherDefinition as _shoal_dispatcher_v1_DispatcherDefinition } from './shoal/dispatcher/v1/Dispatcher';
import type { HeartbeatRequest as _shoal_dispatcher_v1_HeartbeatRequest, HeartbeatRequest__Output as _shoal_dispatcher_v1_HeartbeatRequest__Output } from './shoal/dispatcher/v1/HeartbeatRequest';
import type { HeartbeatResponse as _shoal_dispatcher_v1_HeartbeatResponse, HeartbeatResponse__Output as _shoal_dispatcher_v1_HeartbeatResponse__Output } from './shoal/dispatcher/v1/HeartbeatResponse';
import type { LogLine as _shoal_dispatcher_v1_LogLine, LogLine__Output as _shoal_dispatcher_v1_LogLine__Output } from './shoal/dispatcher/v1/LogLine';
import type { LogSubscription as _shoal_dispatcher_v1_LogSubscription, LogSubscription__Output as _shoal_dispatcher_v1_LogSubscription__Output } from './shoal/dispatcher/v1/LogSubscription';
import type { Manager as _shoal_dispatcher_v1_Manager, Manager__Output as _shoal_dispatcher_v1_Manager__Output } from './shoal/dispatcher/v1/Manager';
import type { PublishLogsMessage as _shoal_dispatcher_v1_PublishLogsMessage, PublishLogsMessage__Output as _shoal_dispatcher_v1_PublishLogsMessage__Output } from './shoal/dispatcher/v1/PublishLogsMessage';
import type { PublishLogsResponse as _shoal_dispatcher_v1_PublishLogsResponse, PublishLogsResponse__Output as _shoal_dispatcher_v1_PublishLogsResponse__Output } from './shoal/dispatcher/v1/PublishLogsResponse';
import type { SessionMessage as _shoal_dispatcher_v1_SessionMessage, SessionMessage__Output as _shoal_dispatcher_v1_SessionMessage__Output } from './shoal/dispatcher/v1/SessionMessage';
import type { SessionRequest as _shoal_dispatcher_v1_SessionRequest, SessionRequest__Output as _shoal_dispatcher_v1_SessionRequest__Output } from './shoal/dispatcher/v1/SessionRequest';
import type { TaskStatusUpdate as _shoal_dispatcher_v1_TaskStatusUpdate, TaskStatusUpdate__Output as _shoal_dispatcher_v1_TaskStatusUpdate__Output } from './shoal/dispatcher/v1/TaskStatusUpdate';
import type { UpdateTaskStatusRequest as _shoal_dispatcher_v1_UpdateTaskStatusRequest, UpdateTaskStatusRequest__Output as _shoal_dispatcher_v1_UpdateTaskStatusRequest__Output } from './shoal/dispatcher/v1/UpdateTaskStatusRequest';
import type { UpdateTaskStatusResponse as _shoal_dispatcher_v1_UpdateTaskStatusResponse, UpdateTaskStatusResponse__Output as _shoal_dispatcher_v1_UpdateTaskStatusResponse__Output } from './shoal/dispatcher/v1/UpdateTaskStatusResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shoal: {
    dispatcher: {
      v1: {
        AssignmentsMessage: MessageTypeDefinition<_shoal_dispatcher_v1_AssignmentsMessage, _shoal_dispatcher_v1_AssignmentsMessage__Output>
        AssignmentsRequest: MessageTypeDefinition<_shoal_dispatcher_v1_AssignmentsRequest, _shoal_dispatcher_v1_AssignmentsRequest__Output>
        Dispatcher: SubtypeConstructor<typeof grpc.Client, _shoal_dispatcher_v1_DispatcherClient> & { service: _shoal_dispatcher_v1_DispatcherDefinition }
        HeartbeatRequest: MessageTypeDefinition<_shoal_dispatcher_v1_HeartbeatRequest, _shoal_dispatcher_v1_HeartbeatRequest__Output>
        HeartbeatResponse: MessageTypeDefinition<_shoal_dispatcher_v1_HeartbeatResponse, _shoal_dispatcher_v1_HeartbeatResponse__Output>
        LogLine: MessageTypeDefinition<_shoal_dispatcher_v1_LogLine, _shoal_dispatcher_v1_LogLine__Output>
        LogSubscription: MessageTypeDefinition<_shoal_dispatcher_v1_LogSubscription, _shoal_dispatcher_v1_LogSubscription__Output>
        Manager: MessageTypeDefinition<_shoal_dispatcher_v1_Manager, _shoal_dispatcher_v1_Manager__Output>
        PublishLogsMessage: MessageTypeDefinition<_shoal_dispatcher_v1_PublishLogsMessage, _shoal_dispatcher_v1_PublishLogsMessage__Output>
        PublishLogsResponse: MessageTypeDefinition<_shoal_dispatcher_v1_PublishLogsResponse, _shoal_dispatcher_v1_PublishLogsResponse__Output>
        SessionMessage: MessageTypeDefinition<_shoal_dispatcher_v1_SessionMessage, _shoal_dispatcher_v1_SessionMessage__Output>
        SessionRequest: MessageTypeDefinition<_shoal_dispatcher_v1_SessionRequest, _shoal_dispatcher_v1_SessionRequest__Output>
        TaskStatusUpdate: MessageTypeDefinition<_shoal_dispatcher_v1_TaskStatusUpdate, _shoal_dispatcher_v1_TaskStatusUpdate__Output>
        UpdateTaskStatusRequest: MessageTypeDefinition<_shoal_dispatcher_v1_UpdateTaskStatusRequest, _shoal_dispatcher_v1_UpdateTaskStatusRequest__Output>
        UpdateTaskStatusResponse: MessageTypeDefinition<_shoal_dispatcher_v1_UpdateTaskStatusResponse, _shoal_dispatcher_v1_UpdateTaskStatusResponse__Output>
      }
    }
  }
}

