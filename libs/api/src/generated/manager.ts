import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

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
        ManagerControl: SubtypeConstructor<typeof grpc.Client, _shoal_manager_v1_ManagerControlClient> & { service: _shoal_manager_v1_ManagerControlDefinition }
        ProposeRequest: MessageTypeDefinition<_shoal_manager_v1_ProposeRequest, _shoal_manager_v1_ProposeRequest__Output>
        ProposeResponse: MessageTypeDefinition<_shoal_manager_v1_ProposeResponse, _shoal_manager_v1_ProposeResponse__Output>
      }
    }
  }
}

