export {
  PROTO_DIR,
  PROTO_LOADER_OPTIONS,
  loadCaProto,
  loadDispatcherProto,
  loadManagerProto,
  loadProto,
  loadRaftProto,
} from './proto-loader';

// Generated shoal.raft.v1 types, prefixed with Pb because several share a name with the
// Raft core's own types (Message, Entry, Snapshot...). The plain name is what a sender may
// pass; the __Output variant (PbXOut) is what the loader hands back with our options.
export type { ProtoGrpcType as RaftProtoGrpcType } from './generated/raft';
export type { ProtoGrpcType as ManagerProtoGrpcType } from './generated/manager';
export type { ProtoGrpcType as CaProtoGrpcType } from './generated/ca';
export type { ProtoGrpcType as DispatcherProtoGrpcType } from './generated/dispatcher';
// shoal.dispatcher.v1: no name clashes with our own types, but the same Pb prefix.
export type {
  DispatcherClient as PbDispatcherClient,
  DispatcherHandlers as PbDispatcherHandlers,
} from './generated/shoal/dispatcher/v1/Dispatcher';
export type { SessionMessage as PbSessionMessage } from './generated/shoal/dispatcher/v1/SessionMessage';
export type { LogSubscription__Output as PbLogSubscriptionOut } from './generated/shoal/dispatcher/v1/LogSubscription';
export type {
  AssignmentsMessage as PbAssignmentsMessage,
  AssignmentsMessage__Output as PbAssignmentsMessageOut,
} from './generated/shoal/dispatcher/v1/AssignmentsMessage';
export type { PublishLogsMessage__Output as PbPublishLogsMessageOut } from './generated/shoal/dispatcher/v1/PublishLogsMessage';
export type { LogLine as PbLogLine } from './generated/shoal/dispatcher/v1/LogLine';
export type {
  NodeCAClient as PbNodeCaClient,
  NodeCADefinition as PbNodeCaDefinition,
  NodeCAHandlers as PbNodeCaHandlers,
} from './generated/shoal/ca/v1/NodeCA';
export type {
  GetRootCACertificateRequest as PbGetRootCaCertificateRequest,
  GetRootCACertificateRequest__Output as PbGetRootCaCertificateRequestOut,
} from './generated/shoal/ca/v1/GetRootCACertificateRequest';
export type {
  RootCACertificate as PbRootCaCertificate,
  RootCACertificate__Output as PbRootCaCertificateOut,
} from './generated/shoal/ca/v1/RootCACertificate';
export type {
  IssueRequest as PbIssueRequest,
  IssueRequest__Output as PbIssueRequestOut,
} from './generated/shoal/ca/v1/IssueRequest';
export type {
  IssueResponse as PbIssueResponse,
  IssueResponse__Output as PbIssueResponseOut,
} from './generated/shoal/ca/v1/IssueResponse';
export type {
  Manager as PbCaManager,
  Manager__Output as PbCaManagerOut,
} from './generated/shoal/ca/v1/Manager';
export type {
  RenewRequest as PbRenewRequest,
  RenewRequest__Output as PbRenewRequestOut,
} from './generated/shoal/ca/v1/RenewRequest';
export type {
  RenewResponse as PbRenewResponse,
  RenewResponse__Output as PbRenewResponseOut,
} from './generated/shoal/ca/v1/RenewResponse';
export type {
  ManagerControlClient as PbManagerControlClient,
  ManagerControlHandlers as PbManagerControlHandlers,
} from './generated/shoal/manager/v1/ManagerControl';
export type {
  LogsRequest as PbLogsRequest,
  LogsRequest__Output as PbLogsRequestOut,
} from './generated/shoal/manager/v1/LogsRequest';
export type {
  LogsMessage as PbLogsMessage,
  LogsMessage__Output as PbLogsMessageOut,
} from './generated/shoal/manager/v1/LogsMessage';
export type {
  LogsLine as PbLogsLine,
  LogsLine__Output as PbLogsLineOut,
} from './generated/shoal/manager/v1/LogsLine';
export type {
  ConfState as PbConfState,
  ConfState__Output as PbConfStateOut,
} from './generated/shoal/raft/v1/ConfState';
export type {
  Entry as PbEntry,
  Entry__Output as PbEntryOut,
} from './generated/shoal/raft/v1/Entry';
export type {
  Message as PbMessage,
  Message__Output as PbMessageOut,
} from './generated/shoal/raft/v1/Message';
export type {
  RaftBatch as PbRaftBatch,
  RaftBatch__Output as PbRaftBatchOut,
} from './generated/shoal/raft/v1/RaftBatch';
export type {
  RaftTransportClient as PbRaftTransportClient,
  RaftTransportDefinition as PbRaftTransportDefinition,
  RaftTransportHandlers as PbRaftTransportHandlers,
} from './generated/shoal/raft/v1/RaftTransport';
export type {
  Snapshot as PbSnapshot,
  Snapshot__Output as PbSnapshotOut,
} from './generated/shoal/raft/v1/Snapshot';
export type {
  SnapshotAck as PbSnapshotAck,
  SnapshotAck__Output as PbSnapshotAckOut,
} from './generated/shoal/raft/v1/SnapshotAck';
export type {
  SnapshotChunk as PbSnapshotChunk,
  SnapshotChunk__Output as PbSnapshotChunkOut,
} from './generated/shoal/raft/v1/SnapshotChunk';
export type {
  SnapshotData as PbSnapshotData,
  SnapshotData__Output as PbSnapshotDataOut,
} from './generated/shoal/raft/v1/SnapshotData';
export type {
  SnapshotHeader as PbSnapshotHeader,
  SnapshotHeader__Output as PbSnapshotHeaderOut,
} from './generated/shoal/raft/v1/SnapshotHeader';
export type {
  SnapshotMetadata as PbSnapshotMetadata,
  SnapshotMetadata__Output as PbSnapshotMetadataOut,
} from './generated/shoal/raft/v1/SnapshotMetadata';
export type {
  StreamAck as PbStreamAck,
  StreamAck__Output as PbStreamAckOut,
} from './generated/shoal/raft/v1/StreamAck';

export * from './errors/api-error';
export * from './swarm';
export * from './validation';
