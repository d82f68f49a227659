import { type BrokeredLogLine } from '@shoal/dispatcher';
import { compareApiVersions } from '../http/api-version';
import {
  MULTIPLEXED_STREAM_TYPE,
  RAW_STREAM_TYPE,
  encodeLogEntry,
  encodeLogError,
} from './log-frame.encoder';
import { type LogLineFormat, formatLogLine, swarmLogDetails } from './log-line.formatter';

/**
 * swarmkit's text (logbroker/subscription.go) for a stream some of whose logs could not be
 * had, followed by the reasons. swarmkit joins them with ", "; Shoal uses "; ", since its
 * reasons (a node's own error text among them) may contain commas.
 */
export const INCOMPLETE_LOG_STREAM =
  'warning: incomplete log stream. some logs could not be retrieved for the following reasons: ';

/**
 * dockerd's choice (api/server/router/swarm/helpers.go): a stream with a TTY is raw, and so
 * is any stream for a client older than API 1.42, which did not know the multiplexed type;
 * the body is multiplexed whenever there is no TTY, whatever the header says.
 */
export function logContentType(tty: boolean, apiVersion: string | undefined): string {
  if (tty) return RAW_STREAM_TYPE;
  if (apiVersion !== undefined && compareApiVersions(apiVersion, '1.42') < 0) {
    return RAW_STREAM_TYPE;
  }
  return MULTIPLEXED_STREAM_TYPE;
}

export interface LogStreamOptions {
  /** False for a TTY's raw stream: the lines one after another, with no frame headers. */
  multiplexed: boolean;
  format: LogLineFormat;
  stdout: boolean;
  stderr: boolean;
  /** The service of a task, for the swarm details. */
  serviceOf: (taskId: string) => string;
}

/**
 * The bytes of one logs response, from what the broker passes on: each line as dockerd
 * writes it (WriteLogStream), and, once everything has arrived, one error for whatever could
 * not be read (down nodes, options a node's executor cannot honour, unscheduled tasks).
 *
 * The error comes last, as swarmkit reports it, not as each reason is learned: the docker CLI
 * stops reading at the first system-error frame, so an early one would cut off the lines of
 * every healthy node. With `follow`, a reason therefore shows only when the stream ends.
 */
export class LogStreamWriter {
  private readonly reasons: string[] = [];

  constructor(private readonly o: LogStreamOptions) {}

  /** The bytes of one line, or undefined for a stream the client did not ask for. */
  line(line: BrokeredLogLine): Buffer | undefined {
    if (line.stream === 'stdout' ? !this.o.stdout : !this.o.stderr) return undefined;
    const entry = {
      stream: line.stream,
      data: line.data,
      ...(line.timestamp !== undefined ? { timestamp: line.timestamp } : {}),
      details: swarmLogDetails({
        nodeId: line.nodeId,
        serviceId: this.o.serviceOf(line.taskId),
        taskId: line.taskId,
      }),
    };
    return this.o.multiplexed
      ? encodeLogEntry(entry, this.o.format)
      : formatLogLine(entry, this.o.format);
  }

  /** A reason some logs will be missing; reported by finish(). */
  warning(reason: string): void {
    this.reasons.push(reason);
  }

  /** The closing error, if any logs were missing: on the system-error stream when multiplexed. */
  finish(): Buffer | undefined {
    if (this.reasons.length === 0) return undefined;
    const message = `${INCOMPLETE_LOG_STREAM}${this.reasons.join('; ')}`;
    return this.o.multiplexed
      ? encodeLogError(message)
      : Buffer.from(`Error grabbing logs: ${message}\n`, 'utf8');
  }
}
