import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { isServiceError, loadServiceDefinition, loadServiceMethods } from './grpc.pool';

/**
 * The wire contract of the KV node's client API, in one place for both ends: the node builds
 * its error answers with the helpers below and the client parses them with the same code, so
 * the "is this safe to retry?" rules cannot drift apart. kv.proto states the same contract.
 */

export const RAFT_KV_PROTO = path.join(__dirname, 'kv.proto');
export const RAFT_KV_SERVICE = 'shoal.raftkv.RaftKv';
/** uint64 fields arrive as JS numbers: Raft indexes and terms stay far below 2^53. */
export const RAFT_KV_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
} as const;

export const LEADER_ID_KEY = 'x-leader-id';
export const LEADER_ADDRESS_KEY = 'x-leader-address';
const NOT_LEADER_PREFIX = 'not leader';

export interface PutRequest {
  key: string;
  value: Uint8Array;
}
export interface PutResponse {
  index: number;
}
export interface GetRequest {
  key: string;
}
export interface GetResponse {
  value: Buffer;
  found: boolean;
  index: number;
}
export type Empty = Record<string, never>;
export interface StatusResponse {
  id: string;
  leaderId: string;
  leaderClientAddress: string;
  term: number;
  commit: number;
  applied: number;
  role: string;
}

export interface DumpResponse {
  keys: string[];
  applied: number;
}

export type RaftKvMethod = 'Put' | 'Get' | 'Status' | 'Dump';

let cachedMethods: ReturnType<typeof loadServiceMethods> | undefined;

export function raftKvMethods(): Record<
  RaftKvMethod,
  ReturnType<typeof loadServiceMethods>[string]
> {
  cachedMethods ??= loadServiceMethods(RAFT_KV_PROTO, RAFT_KV_SERVICE, RAFT_KV_LOADER_OPTIONS);
  const m = cachedMethods;
  return { Put: m['Put']!, Get: m['Get']!, Status: m['Status']!, Dump: m['Dump']! };
}

/** For `server.addService(raftKvServiceDefinition(), handlers)` in the KV node. */
export function raftKvServiceDefinition(): grpc.ServiceDefinition {
  return loadServiceDefinition(RAFT_KV_PROTO, RAFT_KV_SERVICE, RAFT_KV_LOADER_OPTIONS);
}

/** What grpc-js's unary `callback(err)` accepts on the server side. */
export type RaftKvServerError = grpc.ServerErrorResponse;

function serverError(
  code: grpc.status,
  details: string,
  metadata?: grpc.Metadata,
): RaftKvServerError {
  return Object.assign(new Error(details), {
    code,
    details,
    metadata: metadata ?? new grpc.Metadata(),
  });
}

/**
 * The answer of a node that is not the leader to a Put or Get it did NOT propose. The leader
 * is carried twice: in trailers for clients that read them, and in the message so a human
 * (or a client that only sees the message, e.g. through a proxy) still learns where to go.
 */
export function notLeaderError(leaderId?: string, leaderAddress?: string): RaftKvServerError {
  const md = new grpc.Metadata();
  if (leaderId) md.set(LEADER_ID_KEY, leaderId);
  if (leaderAddress) md.set(LEADER_ADDRESS_KEY, leaderAddress);
  const who = leaderId || leaderAddress ? `${leaderId ?? ''}@${leaderAddress ?? ''}` : 'unknown';
  return serverError(grpc.status.FAILED_PRECONDITION, `${NOT_LEADER_PREFIX}; leader=${who}`, md);
}

/** Certainly not applied (e.g. the core dropped the proposal); the caller may retry. */
export function notAppliedError(reason: string): RaftKvServerError {
  return serverError(grpc.status.ABORTED, `not applied: ${reason}`);
}

/** The entry may or may not commit later (proposal timeout, node stopping). */
export function outcomeUnknownError(
  reason: string,
  code: grpc.status = grpc.status.UNAVAILABLE,
): RaftKvServerError {
  return serverError(code, `outcome unknown: ${reason}`);
}

export interface NotLeaderInfo {
  leaderId?: string;
  leaderAddress?: string;
}

/**
 * Recognises a not-leader answer. Trailers win; the message is the fallback. Returns
 * undefined for every other error, including FAILED_PRECONDITION for other reasons.
 */
export function parseNotLeader(err: unknown): NotLeaderInfo | undefined {
  if (!isServiceError(err) || err.code !== grpc.status.FAILED_PRECONDITION) return undefined;
  if (!err.details.startsWith(NOT_LEADER_PREFIX)) return undefined;
  const info: NotLeaderInfo = {};
  const id = err.metadata.get(LEADER_ID_KEY)[0];
  const addr = err.metadata.get(LEADER_ADDRESS_KEY)[0];
  if (id !== undefined) info.leaderId = String(id);
  if (addr !== undefined) info.leaderAddress = String(addr);
  if (info.leaderAddress === undefined) {
    const m = /leader=([^@\s]*)@(\S+)/.exec(err.details);
    if (m) {
      if (m[1]) info.leaderId ??= m[1];
      info.leaderAddress = m[2]!;
    }
  }
  return info;
}

/** Codes whose Put was certainly not applied. Everything else (bar OK) is outcome-unknown. */
export const NOT_APPLIED_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.ABORTED,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.UNIMPLEMENTED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
]);
