import * as grpc from '@grpc/grpc-js';
import {
  type PbLogsLine,
  type PbLogsLineOut,
  type PbLogsMessage,
  type PbLogsMessageOut,
  type PbLogsRequest,
  type PbLogsRequestOut,
  type PbManagerControlClient,
  UnavailableError,
} from '@shoal/api';
import { type Logger } from '@shoal/common';
import {
  type BrokeredLogLine,
  type LogBroker,
  type LogRequest,
  type LogSink,
} from '@shoal/dispatcher';

/**
 * Task logs asked of a follower travel to the leader on ManagerControl.Logs, since only the
 * leader's broker holds the agents' sessions. One hop, as for writes: the leader serves the
 * subscription from its own broker and never forwards it again.
 */

/** Lines per LogsMessage, and the bytes after which a message is sent before that. */
const LINES_PER_MESSAGE = 256;
const BYTES_PER_MESSAGE = 1024 * 1024;
/**
 * A follower this far behind (bytes sent but not yet taken by the transport) is cut off: the
 * broker has no way to slow the agents down, so the alternative is unbounded memory.
 */
const MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

export function logsRequestToPb(req: LogRequest): PbLogsRequest {
  return {
    tasks: req.tasks.map((t) => ({ taskId: t.taskId, nodeId: t.nodeId })),
    follow: req.follow,
    tail: req.tail ?? -1,
    sinceMs: req.sinceMs ?? 0,
    timestamps: req.timestamps,
  };
}

export function logsRequestFromPb(msg: PbLogsRequestOut): LogRequest {
  return {
    tasks: msg.tasks.map((t) => ({ taskId: t.taskId, nodeId: t.nodeId })),
    follow: msg.follow,
    ...(msg.tail >= 0 ? { tail: msg.tail } : {}),
    ...(msg.sinceMs > 0 ? { sinceMs: msg.sinceMs } : {}),
    timestamps: msg.timestamps,
  };
}

export function logLineToPb(line: BrokeredLogLine): PbLogsLine {
  return {
    taskId: line.taskId,
    nodeId: line.nodeId,
    stream: line.stream === 'stderr' ? 2 : 1,
    data: line.data,
    timestamp: line.timestamp ?? '',
  };
}

export function logLineFromPb(line: PbLogsLineOut): BrokeredLogLine {
  return {
    taskId: line.taskId,
    nodeId: line.nodeId,
    stream: line.stream === 2 ? 'stderr' : 'stdout',
    data: Buffer.from(line.data),
    ...(line.timestamp ? { timestamp: line.timestamp } : {}),
  };
}

/**
 * The leader's side of ManagerControl.Logs, once the caller is authorized: opens the
 * subscription on `broker`, sends the headers (which tell the follower it is open), then the
 * lines, batched per event-loop turn, and the warnings in order with them. The call ends when
 * the broker says every node is done; the follower cancelling it cancels the subscription.
 */
export function serveLogs(
  call: grpc.ServerWritableStream<PbLogsRequestOut, PbLogsMessage>,
  broker: LogBroker,
  logger: Logger,
): void {
  let lines: PbLogsLine[] = [];
  let batchBytes = 0;
  let inFlight = 0;
  let scheduled = false;
  let done = false;

  const send = (msg: PbLogsMessage, bytes: number) => {
    inFlight += bytes;
    call.write(msg, () => (inFlight -= bytes));
  };
  const flush = (warning?: string) => {
    if (done || (lines.length === 0 && warning === undefined)) return;
    send({ lines, ...(warning !== undefined ? { warning } : {}) }, batchBytes);
    lines = [];
    batchBytes = 0;
  };
  const finish = () => {
    if (done) return;
    flush();
    done = true;
    call.end();
  };

  call.sendMetadata(new grpc.Metadata());
  const cancel = broker.subscribe(logsRequestFromPb(call.request), {
    line: (line) => {
      if (done) return;
      lines.push(logLineToPb(line));
      batchBytes += line.data.length;
      if (lines.length >= LINES_PER_MESSAGE || batchBytes >= BYTES_PER_MESSAGE) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
      if (inFlight > MAX_IN_FLIGHT_BYTES) {
        logger.warn('a forwarded log stream fell too far behind; cutting it off', {
          peer: call.getPeer(),
          pending: inFlight,
        });
        done = true;
        cancel();
        call.emit('error', {
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: `the log stream fell more than ${MAX_IN_FLIGHT_BYTES} bytes behind`,
        });
      }
    },
    warning: (message) => flush(message),
    end: finish,
  });
  call.on('cancelled', () => {
    done = true;
    cancel();
  });
}

/**
 * The follower's side: asks the leader at `address` for the logs. Resolves, with the function
 * that cancels, once the leader has opened the subscription; before that, a refusal or an
 * unreachable leader rejects with a 503. Afterwards, a broken stream reaches `sink` as a
 * warning followed by the end, so an API client is told rather than left waiting.
 */
export function forwardLogs(
  client: PbManagerControlClient,
  address: string,
  req: LogRequest,
  sink: LogSink,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    let opened = false;
    let cancelled = false;
    let ended = false;
    const end = () => {
      if (ended || cancelled) return;
      ended = true;
      sink.end();
    };
    const call = client.Logs(logsRequestToPb(req));
    call.on('metadata', () => {
      opened = true;
      resolve(() => {
        if (ended) return;
        cancelled = true;
        call.cancel();
      });
    });
    call.on('data', (msg: PbLogsMessageOut) => {
      if (ended || cancelled) return;
      for (const line of msg.lines) sink.line(logLineFromPb(line));
      if (msg.warning) sink.warning(msg.warning);
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (!opened) {
        reject(
          new UnavailableError(
            `could not get logs through the leader at ${address}: ${err.details || err.message}`,
          ),
        );
        return;
      }
      if (ended || cancelled) return;
      sink.warning(
        `the log stream from the leader at ${address} broke off: ${err.details || err.message}`,
      );
      end();
    });
    call.on('end', () => {
      // Without headers, the error handler above has answered already.
      if (opened) end();
    });
    call.on('status', (status: grpc.StatusObject) => {
      // A leader that ends the call before any headers, yet without an error, opened nothing.
      if (opened || status.code !== grpc.status.OK) return;
      opened = true;
      resolve(() => undefined);
      end();
    });
  });
}
