import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetRootCACertificateRequest as _shoal_ca_v1_GetRootCACertificateRequest, GetRootCACertificateRequest__Output as _shoal_ca_v1_GetRootCACertificateRequest__Output } from './shoal/ca/v1/GetRootCACertificateRequest';
import type { IssueRequest as _shoal_ca_v1_IssueRequest, IssueRequest__Output as _shoal_ca_v1_IssueRequest__Output } from './shoal/ca/v1/IssueRequest';
import type { IssueResponse as _shoal_ca_v1_IssueResponse, IssueResponse__Output as _shoal_ca_v1_IssueResponse__Output } from './shoal/ca/v1/IssueResponse';
import type { Manager as _shoal_ca_v1_Manager, Manager__Output as _shoal_ca_v1_Manager__Output } from './shoal/ca/v1/Manager';
import type { NodeCAClient as _shoal_ca_v1_NodeCAClient, NodeCADefinition as _shoal_ca_v1_NodeCADefinition } from './shoal/ca/v1/NodeCA';
import type { NodeRoleRequest as _shoal_ca_v1_NodeRoleRequest, NodeRoleRequest__Output as _shoal_ca_v1_NodeRoleRequest__Output } from './shoal/ca/v1/NodeRoleRequest';
import type { NodeRoleResponse as _shoal_ca_v1_NodeRoleResponse, NodeRoleResponse__Output as _shoal_ca_v1_NodeRoleResponse__Output } from './shoal/ca/v1/NodeRoleResponse';
import type { RenewRequest as _shoal_ca_v1_RenewRequest, RenewRequest__Output as _shoal_ca_v1_RenewRequest__Output } from './shoal/ca/v1/RenewRequest';
import type { RenewResponse as _shoal_ca_v1_RenewResponse, RenewResponse__Output as _shoal_ca_v1_RenewResponse__Output } from './shoal/ca/v1/RenewResponse';
import type { RootCACertificate as _shoal_ca_v1_RootCACertificate, RootCACertificate__Output as _shoal_ca_v1_RootCACertificate__Output } from './shoal/ca/v1/RootCACertificate';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shoal: {
    ca: {
      v1: {
        GetRootCACertificateRequest: MessageTypeDefinition<_shoal_ca_v1_GetRootCACertificateRequest, _shoal_ca_v1_GetRootCACertificateRequest__Output>
        IssueRequest: MessageTypeDefinition<_shoal_ca_v1_IssueRequest, _shoal_ca_v1_IssueRequest__Output>
        IssueResponse: MessageTypeDefinition<_shoal_ca_v1_IssueResponse, _shoal_ca_v1_IssueResponse__Output>
        Manager: MessageTypeDefinition<_shoal_ca_v1_Manager, _shoal_ca_v1_Manager__Output>
        NodeCA: SubtypeConstructor<typeof grpc.Client, _shoal_ca_v1_NodeCAClient> & { service: _shoal_ca_v1_NodeCADefinition }
        NodeRoleRequest: MessageTypeDefinition<_shoal_ca_v1_NodeRoleRequest, _shoal_ca_v1_NodeRoleRequest__Output>
        NodeRoleResponse: MessageTypeDefinition<_shoal_ca_v1_NodeRoleResponse, _shoal_ca_v1_NodeRoleResponse__Output>
        RenewRequest: MessageTypeDefinition<_shoal_ca_v1_RenewRequest, _shoal_ca_v1_RenewRequest__Output>
        RenewResponse: MessageTypeDefinition<_shoal_ca_v1_RenewResponse, _shoal_ca_v1_RenewResponse__Output>
        RootCACertificate: MessageTypeDefinition<_shoal_ca_v1_RootCACertificate, _shoal_ca_v1_RootCACertificate__Output>
      }
    }
  }
}

