import { FRAME_HEADER_BYTES, type FrameStream, MAX_FRAME_PAYLOAD } from './log-frame.encoder';

export interface LogFrame {
  stream: FrameStream;
  payload: Buffer;
}

/** Thrown for bytes that are not a multiplexed log stream, or one cut inside a frame. */
export class LogFrameDecodeError extends Error {
  override readonly name = 'LogFrameDecodeError';
}

const STREAMS: readonly FrameStream[] = ['stdin', 'stdout', 'stderr', 'systemerr'];

export interface LogFrameDecoderOptions {
  /**
   * Refuse a frame announcing a longer payload, rather than buffer it; the format's limit
   * (4 GiB - 1) unless given.
   */
  maxPayloadBytes?: number;
}

/**
 * Reads a multiplexed log stream (see log-frame.encoder.ts) from chunks cut anywhere: push()
 * each chunk as it comes and get the frames it completes; end() when the stream ends, to
 * learn whether it was cut inside a frame. Stricter than Docker's stdcopy on one point: the
 * three padding bytes must be zero, which catches a raw (TTY) stream read as multiplexed.
 * After an error, every later call throws it again.
 */
export class LogFrameDecoder {
  private readonly maxPayload: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes consumed so far, for error messages. */
  private position = 0;
  private header?: { stream: FrameStream; length: number };
  private failed?: LogFrameDecodeError;

  constructor(opts: LogFrameDecoderOptions = {}) {
    this.maxPayload = Math.min(opts.maxPayloadBytes ?? MAX_FRAME_PAYLOAD, MAX_FRAME_PAYLOAD);
  }

  /** Bytes held for a frame not yet complete. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): LogFrame[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const frames: LogFrame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        this.header = this.readHeader(this.take(FRAME_HEADER_BYTES));
      }
      if (this.buffered < this.header.length) break;
      frames.push({ stream: this.header.stream, payload: this.take(this.header.length) });
      this.header = undefined;
    }
    return frames;
  }

  /** Throws when the stream ended inside a frame. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.header) {
      this.fail(
        `log stream ended inside a frame: ${this.buffered} of its ${this.header.length} payload bytes arrived`,
      );
    }
    if (this.buffered > 0) {
      this.fail(
        `log stream ended inside a frame header: ${this.buffered} of its ${FRAME_HEADER_BYTES} bytes arrived`,
      );
    }
  }

  private readHeader(h: Buffer): { stream: FrameStream; length: number } {
    const at = this.position - FRAME_HEADER_BYTES;
    const stream = STREAMS[h[0]!];
    if (stream === undefined || h[1] !== 0 || h[2] !== 0 || h[3] !== 0) {
      this.fail(
        `not a multiplexed log stream: frame header at byte ${at} is ${h.toString('hex')}; ` +
          `expected a stream byte of 0 (stdin), 1 (stdout), 2 (stderr) or 3 (system error), ` +
          `3 zero bytes and a 4-byte length (a TTY service's raw stream has no headers)`,
      );
    }
    const length = h.readUInt32BE(4);
    if (length > this.maxPayload) {
      this.fail(
        `log frame at byte ${at} announces ${length} bytes, more than the limit of ${this.maxPayload}`,
      );
    }
    return { stream, length };
  }

  private fail(message: string): never {
    this.failed = new LogFrameDecodeError(message);
    this.chunks = [];
    this.buffered = 0;
    throw this.failed;
  }

  /** The next `n` buffered bytes, as a buffer of their own. */
  private take(n: number): Buffer {
    this.buffered -= n;
    this.position += n;
    const first = this.chunks[0];
    if (first && first.length >= n) {
      // A copy, so a frame does not pin the caller's (possibly much larger) chunk.
      const out = Buffer.from(first.subarray(0, n));
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.alloc(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0]!;
      const used = head.copy(out, filled, 0, Math.min(head.length, n - filled));
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    return out;
  }
}

/** The frames of a whole stream, e.g. an HTTP response body; throws LogFrameDecodeError. */
export async function* decodeLogFrames(
  source: AsyncIterable<Uint8Array>,
  opts?: LogFrameDecoderOptions,
): AsyncGenerator<LogFrame, void, undefined> {
  const decoder = new LogFrameDecoder(opts);
  for await (const chunk of source) yield* decoder.push(chunk);
  decoder.end();
}
