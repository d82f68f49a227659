import * as grpc from '@grpc/grpc-js';
import {
  loadDispatcherProto,
  type PbAssignmentsMessage,
  type PbDispatcherHandlers,
  type PbSessionMessage,
} from '@shoal/api';
import { peerCertificateOf, type PeerCertificateInfo } from '@shoal/ca/grpc';
import { type Logger } from '@shoal/common';
import { type AssignmentMessage } from '../core/assignment.set';
import {
  ForeignTaskError,
  UnknownNodeError,
  UnknownSessionError,
  type Dispatcher,
  type SessionPush,
} from '../core/dispatcher';
import { InvalidReportError } from '../core/reports.sanitizer';
import { type LogBroker } from '../logs/log.broker';

/** Trailing metadata naming the leader, on FAILED_PRECONDITION from a manager that is not. */
export const LEADER_ADDR_METADATA = 'shoal-leader-addr';

export interface DispatcherServiceOptions {
  /** The leader's running dispatcher and log broker; undefined on any other manager. */
  current(): { dispatcher: Dispatcher; logs: LogBroker } | undefined;
  /** Another manager's address when it leads, for agents to move to; else undefined. */
  leaderAddr(): string | undefined;
  /** Why this certificate may not call the dispatcher, or undefined (any role, not removed). */
  authorizePeer(peer: PeerCertificateInfo): string | undefined;
  logger: Logger;
}

interface GrpcError {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

function errorOf(err: unknown): GrpcError {
  const details = err instanceof Error ? err.message : String(err);
  if (err instanceof UnknownSessionError) return { code: grpc.status.NOT_FOUND, details };
  if (err instanceof UnknownNodeError) return { code: grpc.status.PERMISSION_DENIED, details };
  if (err instanceof ForeignTaskError) return { code: grpc.status.PERMISSION_DENIED, details };
  if (err instanceof InvalidReportError) return { code: grpc.status.INVALID_ARGUMENT, details };
  return { code: grpc.status.UNAVAILABLE, details };
}

/** "ipv4:10.0.0.1:4242", "[::1]:4242" or "10.0.0.1:4242" → the host part. */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\]/.exec(bare);
  if (v6) return v6[1]!.replace(/^::ffff:/, '');
  const i = bare.lastIndexOf(':');
  return i > 0 ? bare.slice(0, i) : bare;
}

function toPbAssignments(msg: AssignmentMessage): PbAssignmentsMessage {
  return {
    type: msg.type === 'complete' ? 0 : 1,
    sequence: msg.sequence,
    appliesTo: msg.appliesTo,
    updatedJson: msg.updated.map((t) => JSON.stringify(t)),
    removed: msg.removed,
  };
}

/**
 * The Dispatcher gRPC service on the cluster port: authentication and the mapping between
 * gRPC and the dispatcher core. Every manager serves it, only the leader answers; the others
 * point agents at the leader.
 */
export function dispatcherService(o: DispatcherServiceOptions): {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
} {
  const log = o.logger;

  /** The caller's node ID and the leader's services, or the error to answer with. */
  const resolve = (
    call: Parameters<typeof peerCertificateOf>[0],
  ): { nodeId: string; leader: NonNullable<ReturnType<typeof o.current>> } | GrpcError => {
    const peer = peerCertificateOf(call);
    const refused = o.authorizePeer(peer);
    if (refused || !peer.cn) {
      return { code: grpc.status.PERMISSION_DENIED, details: refused ?? 'no node ID' };
    }
    const leader = o.current();
    if (!leader) {
      const addr = o.leaderAddr();
      if (!addr) {
        // No leader known, or this is the leader and its dispatcher is not up yet (it starts
        // once the whole log is applied): the agent backs off and tries again.
        return {
          code: grpc.status.UNAVAILABLE,
          details: 'no dispatcher here yet: there is no leader, or it is still starting',
        };
      }
      const metadata = new grpc.Metadata();
      metadata.set(LEADER_ADDR_METADATA, addr);
      return {
        code: grpc.status.FAILED_PRECONDITION,
        details: `this manager is not the leader; the leader is at ${addr}`,
        metadata,
      };
    }
    return { nodeId: peer.cn, leader };
  };
  const isError = (r: ReturnType<typeof resolve>): r is GrpcError => 'code' in r;

  const handlers: PbDispatcherHandlers = {
    Session: (call) => {
      const r = resolve(call);
      if (isError(r)) return call.emit('error', r);
      const { nodeId, leader } = r;
      let sessionId: string | undefined;
      let open = true;
      const finish = (err?: GrpcError) => {
        if (!open) return;
        open = false;
        if (sessionId) leader.dispatcher.closeSession(sessionId);
        if (err) call.emit('error', err);
        else call.end();
      };
      const push = (msg: SessionPush) => {
        if (!open) return;
        if (msg.end !== undefined)
          return finish({ code: grpc.status.UNAVAILABLE, details: msg.end });
        const out: PbSessionMessage = { sessionId };
        if (msg.managers) out.managers = msg.managers;
        if (msg.logSubscription) out.logSubscription = msg.logSubscription;
        call.write(out);
      };
      call.on('cancelled', () => finish());
      call.on('close', () => finish());
      leader.dispatcher
        .openSession(nodeId, call.request.descriptionJson, peerHost(call.getPeer()), push)
        .then(
          (s) => {
            sessionId = s.sessionId;
            if (!open) return leader.dispatcher.closeSession(s.sessionId);
            call.write({
              sessionId: s.sessionId,
              heartbeatPeriodMs: s.heartbeatPeriodMs,
              managers: s.managers,
            });
            log.debug('agent session opened', { node: nodeId, session: s.sessionId });
          },
          (err: unknown) => finish(errorOf(err)),
        );
    },

    Heartbeat: (call, callback) => {
      const r = resolve(call);
      if (isError(r)) return callback(r);
      try {
        const periodMs = r.leader.dispatcher.heartbeat(r.nodeId, call.request.sessionId);
        callback(null, { periodMs });
      } catch (err) {
        callback(errorOf(err));
      }
    },

    Assignments: (call) => {
      const r = resolve(call);
      if (isError(r)) return call.emit('error', r);
      let stop: (() => void) | undefined;
      let open = true;
      const finish = (err?: GrpcError) => {
        if (!open) return;
        open = false;
        stop?.();
        if (err) call.emit('error', err);
        else call.end();
      };
      call.on('cancelled', () => finish());
      try {
        stop = r.leader.dispatcher.watchAssignments(
          r.nodeId,
          call.request.sessionId,
          (msg) => open && call.write(toPbAssignments(msg)),
          (why) => finish({ code: grpc.status.UNAVAILABLE, details: why }),
        );
      } catch (err) {
        finish(errorOf(err));
      }
    },

    UpdateTaskStatus: (call, callback) => {
      const r = resolve(call);
      if (isError(r)) return callback(r);
      let pending: Promise<void>;
      try {
        pending = r.leader.dispatcher.updateTaskStatus(
          r.nodeId,
          call.request.sessionId,
          call.request.updates.map((u) => ({ taskId: u.taskId, statusJson: u.statusJson })),
        );
      } catch (err) {
        return callback(errorOf(err));
      }
      pending.then(
        () => callback(null, {}),
        (err: unknown) => callback(errorOf(err)),
      );
    },

    PublishLogs: (call, callback) => {
      const r = resolve(call);
      if (isError(r)) return callback(r);
      const { nodeId, leader } = r;
      call.on('data', (msg) => leader.logs.publish(nodeId, msg));
      call.on('error', () => undefined);
      call.on('end', () => callback(null, {}));
    },
  };

  return {
    definition: loadDispatcherProto().shoal.dispatcher.v1.Dispatcher.service,
    implementation: handlers as unknown as grpc.UntypedServiceImplementation,
  };
}
