import { type LogLine, type LogLineFormat, formatLogLine } from './log-line.formatter';

/**
 * Docker's multiplexed stream (`application/vnd.docker.multiplexed-stream`, pkg/stdcopy):
 * frames of an 8-byte header, then the payload. Header byte 0 is the stream (0 stdin,
 * 1 stdout, 2 stderr, 3 system error), bytes 1-3 are zero, bytes 4-7 the payload length as a
 * big-endian uint32.
 *
 * dockerd sends service and task logs multiplexed for API 1.42 and later when the service has
 * no TTY; before 1.42, or with a TTY, it sends `application/vnd.docker.raw-stream`: the
 * formatted lines (formatLogLine()) of both streams one after another, with no header.
 */
export const MULTIPLEXED_STREAM_TYPE = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM_TYPE = 'application/vnd.docker.raw-stream';

export const FRAME_HEADER_BYTES = 8;
/** The largest payload one header can announce; a longer one is sent as several frames. */
export const MAX_FRAME_PAYLOAD = 0xffff_ffff;

export type FrameStream = 'stdin' | 'stdout' | 'stderr' | 'systemerr';

export const STREAM_CODES: Readonly<Record<FrameStream, number>> = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  systemerr: 3,
};

/** One frame per MAX_FRAME_PAYLOAD bytes of `payload` (one frame, empty, for no bytes). */
export function encodeFrame(stream: FrameStream, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const parts: Buffer[] = [];
  let offset = 0;
  do {
    const piece = data.subarray(offset, offset + MAX_FRAME_PAYLOAD);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header[0] = STREAM_CODES[stream];
    header.writeUInt32BE(piece.length, 4);
    parts.push(header, piece);
    offset += piece.length;
  } while (offset < data.length);
  return Buffer.concat(parts);
}

/** One log line as a multiplexed frame, its text formatted as dockerd formats it. */
export function encodeLogEntry(line: LogLine, format: LogLineFormat): Buffer {
  return encodeFrame(line.stream, formatLogLine(line, format));
}

/**
 * An error met after the stream has started (the status is already 200), as dockerd reports
 * it: on the system-error stream, `Error grabbing logs: <message>\n`.
 */
export function encodeLogError(message: string): Buffer {
  return encodeFrame('systemerr', `Error grabbing logs: ${message}\n`);
}
