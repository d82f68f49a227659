import * as grpc from '@grpc/grpc-js';
import { loadDispatcherProto, type PbDispatcherClient } from '@shoal/api';
import { type AssignmentMessage } from '../core/assignment.set';
import {
  DispatcherCallError,
  type AgentSessionMessage,
  type DispatcherApi,
  type StreamHandlers,
} from '../core/dispatcher-api.port';
import { LEADER_ADDR_METADATA } from './dispatcher.service';

/** Unary calls give up after this; streams have no deadline. */
const CALL_TIMEOUT_MS = 5_000;

function callError(err: grpc.ServiceError | grpc.StatusObject): DispatcherCallError {
  const details = err.details || ('message' in err ? err.message : '') || 'call failed';
  switch (err.code) {
    case grpc.status.FAILED_PRECONDITION: {
      const leader = err.metadata?.get(LEADER_ADDR_METADATA)[0];
      return new DispatcherCallError('not-leader', details, leader ? String(leader) : undefined);
    }
    case grpc.status.NOT_FOUND:
      return new DispatcherCallError('unknown-session', details);
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.UNAUTHENTICATED:
      return new DispatcherCallError('denied', details);
    case grpc.status.INVALID_ARGUMENT:
      return new DispatcherCallError('invalid', details);
    default:
      return new DispatcherCallError('unavailable', details);
  }
}

function readStream<T, R>(
  stream: grpc.ClientReadableStream<R>,
  convert: (msg: R) => T,
  h: StreamHandlers<T>,
): { cancel(): void } {
  let ended = false;
  const end = (err?: DispatcherCallError) => {
    if (ended) return;
    ended = true;
    h.end(err);
  };
  stream.on('data', (msg: R) => {
    if (ended) return;
    let converted: T;
    try {
      converted = convert(msg);
    } catch (err) {
      // A message we cannot read (bad JSON from a broken or hostile manager): drop the stream
      // rather than act on part of it; the session starts over.
      end(new DispatcherCallError('invalid', `unreadable message: ${(err as Error).message}`));
      stream.cancel();
      return;
    }
    h.message(converted);
  });
  stream.on('error', (err: grpc.ServiceError) => end(callError(err)));
  stream.on('end', () => end(new DispatcherCallError('unavailable', 'the stream ended')));
  return {
    cancel: () => {
      ended = true;
      stream.cancel();
    },
  };
}

/** The Dispatcher service of one manager, over mTLS on its cluster port. */
export class GrpcDispatcherApi implements DispatcherApi {
  private readonly client: PbDispatcherClient;
  private readonly logStreams = new Map<string, grpc.ClientWritableStream<unknown>>();

  constructor(
    readonly address: string,
    credentials: grpc.ChannelCredentials,
  ) {
    const Ctor = loadDispatcherProto().shoal.dispatcher.v1.Dispatcher;
    this.client = new Ctor(address, credentials, {
      // Agents must notice a dead manager even on an idle connection.
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
  }

  session(descriptionJson: string, h: StreamHandlers<AgentSessionMessage>): { cancel(): void } {
    return readStream(
      this.client.Session({ descriptionJson }),
      (m): AgentSessionMessage => ({
        sessionId: m.sessionId,
        ...(m.heartbeatPeriodMs ? { heartbeatPeriodMs: m.heartbeatPeriodMs } : {}),
        ...(m.managers.length > 0
          ? { managers: m.managers.map((x) => ({ nodeId: x.nodeId, addr: x.addr })) }
          : {}),
        ...(m.logSubscription
          ? {
              logSubscription: {
                id: m.logSubscription.id,
                taskIds: m.logSubscription.taskIds,
                follow: m.logSubscription.follow,
                ...(m.logSubscription.tail >= 0 ? { tail: m.logSubscription.tail } : {}),
                ...(m.logSubscription.sinceMs > 0 ? { sinceMs: m.logSubscription.sinceMs } : {}),
                timestamps: m.logSubscription.timestamps,
                close: m.logSubscription.close,
              },
            }
          : {}),
      }),
      h,
    );
  }

  heartbeat(sessionId: string): Promise<number> {
    return new Promise((resolve, reject) =>
      this.client.Heartbeat(
        { sessionId },
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (err, res) => (err ? reject(callError(err)) : resolve(res!.periodMs)),
      ),
    );
  }

  assignments(sessionId: string, h: StreamHandlers<AssignmentMessage>): { cancel(): void } {
    return readStream(
      this.client.Assignments({ sessionId }),
      (m): AssignmentMessage => ({
        type: m.type === 0 ? 'complete' : 'incremental',
        sequence: m.sequence,
        appliesTo: m.appliesTo,
        updated: m.updatedJson.map((j) => JSON.parse(j) as AssignmentMessage['updated'][number]),
        removed: m.removed,
      }),
      h,
    );
  }

  updateTaskStatus(
    sessionId: string,
    updates: readonly { taskId: string; statusJson: string }[],
  ): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.UpdateTaskStatus(
        { sessionId, updates: [...updates] },
        { deadline: Date.now() + CALL_TIMEOUT_MS },
        (err) => (err ? reject(callError(err)) : resolve()),
      ),
    );
  }

  async publishLogs(
    subscriptionId: string,
    lines: readonly {
      taskId: string;
      stream: 'stdout' | 'stderr';
      data: Buffer;
      timestamp?: string;
    }[],
    end?: { error?: string },
  ): Promise<void> {
    let stream = this.logStreams.get(subscriptionId);
    if (!stream) {
      stream = this.client.PublishLogs(() => undefined) as grpc.ClientWritableStream<unknown>;
      stream.on('error', () => this.logStreams.delete(subscriptionId));
      this.logStreams.set(subscriptionId, stream);
    }
    const msg = {
      subscriptionId,
      lines: lines.map((l) => ({
        taskId: l.taskId,
        stream: l.stream === 'stderr' ? 2 : 1,
        data: l.data,
        timestamp: l.timestamp ?? '',
      })),
      close: end !== undefined,
      error: end?.error ?? '',
    };
    // Respect the stream's flow control, so a fast log never buffers without bound; a stream
    // that closes or fails meanwhile never drains, so those end the wait too.
    if (!stream.write(msg)) {
      const s = stream;
      await new Promise<void>((resolve) => {
        const done = () => {
          s.off('drain', done).off('close', done).off('error', done);
          resolve();
        };
        s.once('drain', done).once('close', done).once('error', done);
      });
    }
    if (end) {
      this.logStreams.delete(subscriptionId);
      stream.end();
    }
  }

  close(): void {
    for (const s of this.logStreams.values()) s.end();
    this.logStreams.clear();
    this.client.close();
  }
}
