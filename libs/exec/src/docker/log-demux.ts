import { type LogEntry } from '../executor.port';

type Stream = LogEntry['stream'];

export interface LogDemuxOptions {
  /**
   * The container has a TTY: the engine then sends the output raw, as one stream, with no
   * frame headers.
   */
  tty: boolean;
  /** The request asked for timestamps: each engine message starts with one and a space. */
  timestamps: boolean;
}

const HEADER_BYTES = 8;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) /;
/** Longer than any RFC 3339 timestamp plus its space: how much to decode to look for one. */
const TIMESTAMP_SCAN = 48;
const NEWLINE = 0x0a;

interface PartialLine {
  parts: Buffer[];
  timestamp?: string;
}

/**
 * Turns the body of `GET /containers/{id}/logs` into one LogEntry per line.
 *
 * Without a TTY the body is the engine's multiplexed format: frames of an 8-byte header
 * (stream byte, 3 zero bytes, big-endian payload size) and a payload, one frame per log
 * message. The engine splits a line longer than its buffer (16 KiB) into several messages,
 * each with its own timestamp, so lines are reassembled per stream and keep the timestamp of
 * their first part. Frames and lines may arrive cut anywhere across chunks.
 */
export class LogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<Stream, PartialLine> = {
    stdout: { parts: [] },
    stderr: { parts: [] },
  };

  constructor(private readonly opts: LogDemuxOptions) {}

  /** Feeds one chunk of the body; returns the lines it completed, in order. */
  push(chunk: Buffer): LogEntry[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: LogEntry[] = [];
    if (this.opts.tty) {
      let nl: number;
      while ((nl = this.pending.indexOf(NEWLINE)) >= 0) {
        this.message('stdout', this.pending.subarray(0, nl + 1), out);
        this.pending = this.pending.subarray(nl + 1);
      }
      return out;
    }
    while (this.pending.length >= HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER_BYTES + size) break;
      const kind = this.pending[0];
      const payload = this.pending.subarray(HEADER_BYTES, HEADER_BYTES + size);
      this.pending = this.pending.subarray(HEADER_BYTES + size);
      if (kind === 3) {
        // Stream 3 is the engine's own error, sent in band once the 200 has gone out.
        throw new Error(payload.toString('utf8').trim());
      }
      this.message(kind === 2 ? 'stderr' : 'stdout', payload, out);
    }
    return out;
  }

  /** The body ended: what is left becomes lines without their newline. */
  end(): LogEntry[] {
    const out: LogEntry[] = [];
    if (this.opts.tty && this.pending.length > 0) this.message('stdout', this.pending, out);
    this.pending = Buffer.alloc(0);
    for (const stream of ['stdout', 'stderr'] as const) {
      const line = this.partial[stream];
      if (line.parts.length > 0) out.push(this.entry(stream, Buffer.concat(line.parts), line));
      this.partial[stream] = { parts: [] };
    }
    return out;
  }

  private message(stream: Stream, payload: Buffer, out: LogEntry[]): void {
    let data = payload;
    let timestamp: string | undefined;
    if (this.opts.timestamps) {
      const m = TIMESTAMP.exec(data.subarray(0, TIMESTAMP_SCAN).toString('latin1'));
      if (m) {
        timestamp = m[1];
        data = data.subarray(m[0].length);
      }
    }
    const line = this.partial[stream];
    if (line.parts.length === 0) line.timestamp = timestamp;
    let nl: number;
    while ((nl = data.indexOf(NEWLINE)) >= 0) {
      line.parts.push(data.subarray(0, nl + 1));
      out.push(this.entry(stream, Buffer.concat(line.parts), line));
      line.parts = [];
      data = data.subarray(nl + 1);
    }
    if (data.length > 0) {
      line.parts.push(data);
    } else {
      line.timestamp = undefined;
    }
  }

  private entry(stream: Stream, data: Buffer, line: PartialLine): LogEntry {
    return line.timestamp !== undefined && this.opts.timestamps
      ? { stream, data, timestamp: line.timestamp }
      : { stream, data };
  }
}
