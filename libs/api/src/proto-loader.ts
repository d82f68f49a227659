import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type ProtoGrpcType as CaProtoGrpcType } from './generated/ca';
import { type ProtoGrpcType as DispatcherProtoGrpcType } from './generated/dispatcher';
import { type ProtoGrpcType as ManagerProtoGrpcType } from './generated/manager';
import { type ProtoGrpcType as RaftProtoGrpcType } from './generated/raft';

/** Where the .proto sources live. Builds must ship this directory next to the compiled code. */
export const PROTO_DIR = path.join(__dirname, 'proto');

/**
 * The one set of loader options. scripts/proto-gen.ts derives the proto-loader-gen-types flags
 * from this object, because the generated types describe what the loader produces with these
 * exact options: change one without the other and the types silently lie.
 *
 * - longs: Number: the core keeps terms and indexes as numbers (safe to 2^53).
 * - defaults/arrays: every scalar and repeated field is present on decode, so the codec needs
 *   no undefined checks; message fields still decode as null when absent.
 * - oneofs: adds the virtual field naming which member of a oneof is set.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  defaults: true,
  arrays: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
} satisfies protoLoader.Options;

/** Loads `file` (relative to PROTO_DIR) and returns its grpc object, typed by the caller. */
export function loadProto<T>(file: string): T {
  const definition = protoLoader.loadSync(path.resolve(PROTO_DIR, file), PROTO_LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

let raftProto: RaftProtoGrpcType | undefined;

/** The shoal.raft.v1 package; parsed once per process because parsing is not free. */
export function loadRaftProto(): RaftProtoGrpcType {
  raftProto ??= loadProto<RaftProtoGrpcType>('raft.proto');
  return raftProto;
}

let managerProto: ManagerProtoGrpcType | undefined;

/** The shoal.manager.v1 package: calls between managers beside the Raft transport. */
export function loadManagerProto(): ManagerProtoGrpcType {
  managerProto ??= loadProto<ManagerProtoGrpcType>('manager.proto');
  return managerProto;
}

let caProto: CaProtoGrpcType | undefined;

/** The shoal.ca.v1 package: certificate issuance and renewal on the cluster port. */
export function loadCaProto(): CaProtoGrpcType {
  caProto ??= loadProto<CaProtoGrpcType>('ca.proto');
  return caProto;
}

let dispatcherProto: DispatcherProtoGrpcType | undefined;

/** The shoal.dispatcher.v1 package: agents and the leader's dispatcher. */
export function loadDispatcherProto(): DispatcherProtoGrpcType {
  dispatcherProto ??= loadProto<DispatcherProtoGrpcType>('dispatcher.proto');
  return dispatcherProto;
}
