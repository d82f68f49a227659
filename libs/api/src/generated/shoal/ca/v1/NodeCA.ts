// Original file: libs/api/src/proto/ca.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetRootCACertificateRequest as _shoal_ca_v1_GetRootCACertificateRequest, GetRootCACertificateRequest__Output as _shoal_ca_v1_GetRootCACertificateRequest__Output } from '../../../shoal/ca/v1/GetRootCACertificateRequest';
import type { IssueRequest as _shoal_ca_v1_IssueRequest, IssueRequest__Output as _shoal_ca_v1_IssueRequest__Output } from '../../../shoal/ca/v1/IssueRequest';
import type { IssueResponse as _shoal_ca_v1_IssueResponse, IssueResponse__Output as _shoal_ca_v1_IssueResponse__Output } from '../../../shoal/ca/v1/IssueResponse';
import type { NodeRoleRequest as _shoal_ca_v1_NodeRoleRequest, NodeRoleRequest__Output as _shoal_ca_v1_NodeRoleRequest__Output } from '../../../shoal/ca/v1/NodeRoleRequest';
import type { NodeRoleResponse as _shoal_ca_v1_NodeRoleResponse, NodeRoleResponse__Output as _shoal_ca_v1_NodeRoleResponse__Output } from '../../../shoal/ca/v1/NodeRoleResponse';
import type { RenewRequest as _shoal_ca_v1_RenewRequest, RenewRequest__Output as _shoal_ca_v1_RenewRequest__Output } from '../../../shoal/ca/v1/RenewRequest';
import type { RenewResponse as _shoal_ca_v1_RenewResponse, RenewResponse__Output as _shoal_ca_v1_RenewResponse__Output } from '../../../shoal/ca/v1/RenewResponse';
import type { RootCACertificate as _shoal_ca_v1_RootCACertificate, RootCACertificate__Output as _shoal_ca_v1_RootCACertificate__Output } from '../../../shoal/ca/v1/RootCACertificate';

export interface NodeCAClient extends grpc.Client {
  /**
   * The cluster's root CA certificate. A joining node fetches it without verifying the
   * server, then checks it against the CA digest in its join token before trusting it.
   */
  GetRootCACertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  GetRootCACertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  GetRootCACertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  GetRootCACertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  /**
   * The cluster's root CA certificate. A joining node fetches it without verifying the
   * server, then checks it against the CA digest in its join token before trusting it.
   */
  getRootCaCertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  getRootCaCertificate(argument: _shoal_ca_v1_GetRootCACertificateRequest, callback: grpc.requestCallback<_shoal_ca_v1_RootCACertificate__Output>): grpc.ClientUnaryCall;
  
  /**
   * Admits a new node: the token decides its role; the CSR's key becomes its identity.
   */
  IssueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  IssueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  IssueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  IssueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Admits a new node: the token decides its role; the CSR's key becomes its identity.
   */
  issueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  issueNodeCertificate(argument: _shoal_ca_v1_IssueRequest, callback: grpc.requestCallback<_shoal_ca_v1_IssueResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The caller's current role and the managers, for the caller's own node ID (from its client
   * certificate). Nodes poll it to learn of promotion and demotion until agents hold a
   * dispatcher session (issue #5). A promoted node's advertise address becomes its Raft
   * address.
   */
  NodeRole(argument: _shoal_ca_v1_NodeRoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  NodeRole(argument: _shoal_ca_v1_NodeRoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  NodeRole(argument: _shoal_ca_v1_NodeRoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  NodeRole(argument: _shoal_ca_v1_NodeRoleRequest, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The caller's current role and the managers, for the caller's own node ID (from its client
   * certificate). Nodes poll it to learn of promotion and demotion until agents hold a
   * dispatcher session (issue #5). A promoted node's advertise address becomes its Raft
   * address.
   */
  nodeRole(argument: _shoal_ca_v1_NodeRoleRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  nodeRole(argument: _shoal_ca_v1_NodeRoleRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  nodeRole(argument: _shoal_ca_v1_NodeRoleRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  nodeRole(argument: _shoal_ca_v1_NodeRoleRequest, callback: grpc.requestCallback<_shoal_ca_v1_NodeRoleResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A new certificate for the caller's own node ID (the CN of its client certificate), with
   * its current role.
   */
  RenewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  RenewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  RenewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  RenewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A new certificate for the caller's own node ID (the CN of its client certificate), with
   * its current role.
   */
  renewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  renewNodeCertificate(argument: _shoal_ca_v1_RenewRequest, callback: grpc.requestCallback<_shoal_ca_v1_RenewResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface NodeCAHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The cluster's root CA certificate. A joining node fetches it without verifying the
   * server, then checks it against the CA digest in its join token before trusting it.
   */
  GetRootCACertificate: grpc.handleUnaryCall<_shoal_ca_v1_GetRootCACertificateRequest__Output, _shoal_ca_v1_RootCACertificate>;
  
  /**
   * Admits a new node: the token decides its role; the CSR's key becomes its identity.
   */
  IssueNodeCertificate: grpc.handleUnaryCall<_shoal_ca_v1_IssueRequest__Output, _shoal_ca_v1_IssueResponse>;
  
  /**
   * The caller's current role and the managers, for the caller's own node ID (from its client
   * certificate). Nodes poll it to learn of promotion and demotion until agents hold a
   * dispatcher session (issue #5). A promoted node's advertise address becomes its Raft
   * address.
   */
  NodeRole: grpc.handleUnaryCall<_shoal_ca_v1_NodeRoleRequest__Output, _shoal_ca_v1_NodeRoleResponse>;
  
  /**
   * A new certificate for the caller's own node ID (the CN of its client certificate), with
   * its current role.
   */
  RenewNodeCertificate: grpc.handleUnaryCall<_shoal_ca_v1_RenewRequest__Output, _shoal_ca_v1_RenewResponse>;
  
}

export interface NodeCADefinition extends grpc.ServiceDefinition {
  GetRootCACertificate: MethodDefinition<_shoal_ca_v1_GetRootCACertificateRequest, _shoal_ca_v1_RootCACertificate, _shoal_ca_v1_GetRootCACertificateRequest__Output, _shoal_ca_v1_RootCACertificate__Output>
  IssueNodeCertificate: MethodDefinition<_shoal_ca_v1_IssueRequest, _shoal_ca_v1_IssueResponse, _shoal_ca_v1_IssueRequest__Output, _shoal_ca_v1_IssueResponse__Output>
  NodeRole: MethodDefinition<_shoal_ca_v1_NodeRoleRequest, _shoal_ca_v1_NodeRoleResponse, _shoal_ca_v1_NodeRoleRequest__Output, _shoal_ca_v1_NodeRoleResponse__Output>
  RenewNodeCertificate: MethodDefinition<_shoal_ca_v1_RenewRequest, _shoal_ca_v1_RenewResponse, _shoal_ca_v1_RenewRequest__Output, _shoal_ca_v1_RenewResponse__Output>
}
