import zlib from 'node:zlib';
import { type PbSnapshotChunk, type PbSnapshotChunkOut } from '@shoal/api';
import { type Message, MessageType } from '../core/types';
import {
  MAX_GRPC_MESSAGE_BYTES,
  messageFromPb,
  messageSizeBound,
  messageToPb,
} from './message.codec';

/**
 * Room left in each frame for the SnapshotChunk/SnapshotData wrapping (two tags and length
 * prefixes plus the offset varint come to under 30 bytes; the rest is margin).
 */
const CHUNK_OVERHEAD = 1024;
export const MAX_SNAPSHOT_CHUNK_BYTES = MAX_GRPC_MESSAGE_BYTES - CHUNK_OVERHEAD;

/** The snapshot stream broke one of its rules; the receiver refuses the whole snapshot. */
export class SnapshotAssemblyError extends Error {
  constructor(reason: string) {
    super(`snapshot rejected: ${reason}`);
    this.name = 'SnapshotAssemblyError';
  }
}

let crcTable: Uint32Array | undefined;

/** Table-driven CRC-32 (IEEE); the fallback where zlib lacks crc32. */
export function crc32Portable(data: Uint8Array, prev = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = ~prev >>> 0;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

// zlib.crc32 arrived in Node 20.15; package.json admits any Node 20, so keep a fallback.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (IEEE), continuing from `prev` so it can run over chunks as they arrive. */
export function crc32(data: Uint8Array, prev = 0): number {
  return nativeCrc32 ? nativeCrc32(data, prev) : crc32Portable(data, prev);
}

/**
 * The InstallSnapshot stream for a MsgSnap: a header with the message (minus the data), the
 * total size and a checksum, then the data in chunks of at most `chunkBytes`. Chunks are
 * views into the snapshot, not copies; gRPC copies each into its frame when it serializes.
 */
export function* snapshotChunks(msg: Message, chunkBytes: number): Generator<PbSnapshotChunk> {
  if (!msg.snapshot) throw new Error('snapshotChunks needs a message with a snapshot');
  if (!(chunkBytes > 0 && chunkBytes <= MAX_SNAPSHOT_CHUNK_BYTES)) {
    throw new RangeError(
      `snapshot chunk size ${chunkBytes} outside (0, ${MAX_SNAPSHOT_CHUNK_BYTES}]`,
    );
  }
  if (messageSizeBound(msg, { omitSnapshotData: true }) > MAX_SNAPSHOT_CHUNK_BYTES) {
    throw new RangeError('snapshot header does not fit in one gRPC message');
  }
  const data = msg.snapshot.data;
  yield {
    header: {
      message: messageToPb(msg, { omitSnapshotData: true }),
      totalSize: data.length,
      crc32: crc32(data),
    },
  };
  for (let offset = 0; offset < data.length; offset += chunkBytes) {
    yield { data: { offset, data: data.subarray(offset, offset + chunkBytes) } };
  }
}

/**
 * Rebuilds a MsgSnap from its InstallSnapshot stream and refuses anything short, long, out of
 * order or corrupt, so that Raft never restores a state machine from a damaged snapshot.
 */
export class SnapshotAssembler {
  private message: Message | undefined;
  private expectedCrc = 0;
  private data: Uint8Array | undefined;
  private received = 0;
  private crc = 0;

  /** `maxBytes` caps the buffer a header can make us allocate. */
  constructor(private readonly maxBytes: number) {}

  get receivedBytes(): number {
    return this.received;
  }

  /** The header's message once it has arrived, for the caller's own checks (who sent it...). */
  get header(): Message | undefined {
    return this.message;
  }

  push(chunk: PbSnapshotChunkOut): void {
    if (chunk.header) this.pushHeader(chunk);
    else if (chunk.data) this.pushData(chunk.data.offset, chunk.data.data);
    else throw new SnapshotAssemblyError('empty chunk');
  }

  private pushHeader(chunk: PbSnapshotChunkOut): void {
    const h = chunk.header!;
    if (this.message) throw new SnapshotAssemblyError('second header');
    if (!h.message) throw new SnapshotAssemblyError('header without a message');
    let msg: Message;
    try {
      msg = messageFromPb(h.message);
    } catch (err) {
      throw new SnapshotAssemblyError(String(err));
    }
    if (msg.type !== MessageType.Snap || !msg.snapshot) {
      throw new SnapshotAssemblyError(`header carries a ${MessageType[msg.type]}, not a Snap`);
    }
    if (!Number.isSafeInteger(h.totalSize) || h.totalSize < 0 || h.totalSize > this.maxBytes) {
      throw new SnapshotAssemblyError(`size ${h.totalSize} outside [0, ${this.maxBytes}]`);
    }
    this.message = msg;
    this.expectedCrc = h.crc32 >>> 0;
    // One allocation up front: assembling a list of chunks would hold the data twice at the end.
    this.data = new Uint8Array(h.totalSize);
  }

  private pushData(offset: number, bytes: Uint8Array): void {
    if (!this.data) throw new SnapshotAssemblyError('data before header');
    if (offset !== this.received) {
      throw new SnapshotAssemblyError(`chunk at ${offset}, expected ${this.received}`);
    }
    if (this.received + bytes.length > this.data.length) {
      throw new SnapshotAssemblyError(`more than the announced ${this.data.length} bytes`);
    }
    this.data.set(bytes, offset);
    this.received += bytes.length;
    this.crc = crc32(bytes, this.crc);
  }

  /** The complete MsgSnap, once the stream has ended. */
  finish(): Message {
    if (!this.message || !this.data) throw new SnapshotAssemblyError('stream ended before header');
    if (this.received !== this.data.length) {
      throw new SnapshotAssemblyError(`got ${this.received} of ${this.data.length} bytes`);
    }
    // The CRC of no bytes is 0, which is also where the running value starts.
    if (this.crc !== this.expectedCrc) {
      throw new SnapshotAssemblyError(
        `checksum ${this.crc.toString(16)}, header says ${this.expectedCrc.toString(16)}`,
      );
    }
    const snapshot = this.message.snapshot!;
    return { ...this.message, snapshot: { metadata: snapshot.metadata, data: this.data } };
  }
}
