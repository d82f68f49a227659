import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { LogsLine as _shoal_manager_v1_LogsLine, LogsLine__Output as _shoal_manager_v1_LogsLine__Output } from './shoal/manager/v1/LogsLine';
import type { LogsMessage as _shoal_manager_v1_LogsMessage, LogsMessage__Output as _shoal_manager_v1_LogsMessage__Output } from './shoal/manager/v1/LogsMessage';
import type { LogsRequest as _shoal_manager_v1_LogsRequest, LogsRequest__Output as _shoal_manager_v1_LogsRequest__Output } from './shoal/manager/v1/LogsRequest';
import type { LogsTask as _shoal_manager_v1_LogsTask, LogsTask__Output as _shoal_manager_v1_LogsTask__Output } from './shoal/manager/v1/LogsTask';
import type { ManagerControlClient as _shoal_manager_v1_ManagerControlClient, ManagerControlDefinition as _shoal_manager_v1_ManagerControlDefinition } from './shoal/manager/v1/ManagerControl';
import type { ProposeRequest as _shoal_manager_v1_ProposeRequest, ProposeRequest__Output as _shoal_manager_v1_ProposeRequest__Output } from './shoal/manager/v1/ProposeRequest';
import type { ProposeResponse as _shoal_manager_v1_ProposeResponse, ProposeResponse__Output as _shoal_manager_v1_ProposeResponse__Output } from './shoal/manager/v1/ProposeResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shoal: {
    manager: {
      v1: {
        LogsLine: MessageTypeDefinition<_shoal_manager_v1_LogsLine, _shoal_manager_v1_LogsLine__Output>
        LogsMessage: MessageTypeDefinition<_shoal_manager_v1_LogsMessage, _shoal_manager_v1_LogsMessage__Output>
        LogsRequest: MessageTypeDefinition<_shoal_manager_v1_LogsRequest, _shoal_manager_v1_LogsRequest__Output>
        LogsTask: MessageTypeDefinition<_shoal_manager_v1_LogsTask, _shoal_manager_v1_LogsTask__Output>
        ManagerControl: SubtypeConstructor<typeof grpc.Client, _shoal_manager_v1_ManagerControlClient> & { service: _shoal_manager_v1_ManagerControlDefinition }
        ProposeRequest: MessageTypeDefinition<_shoal_manager_v1_ProposeRequest, _shoal_manager_v1_ProposeRequest__Output>
        ProposeResponse: MessageTypeDefinition<_shoal_manager_v1_ProposeResponse, _shoal_manager_v1_ProposeResponse__Output>
      }
    }
  }
}

