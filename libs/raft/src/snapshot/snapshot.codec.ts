/**
 * Snapshot file format, little-endian:
 *
 *   magic "SHOALSNP" (8) | version u32 | metadata length u32 | metadata (JSON, UTF-8)
 *   | data length u64 | data | crc32c u32 of every preceding byte
 *
 * JSON for the metadata because it is small, written once per snapshot, and readable with
 * `head` when debugging a node; the data is opaque bytes from the state machine.
 */
import { Buffer } from 'node:buffer';
import { type Snapshot, type SnapshotMetadata } from '../core/types';
import { crc32c } from '../wal/crc32c';

const MAGIC = Buffer.from('SHOALSNP', 'latin1');
const VERSION = 1;
const FIXED = 8 + 4 + 4 + 8 + 4;
const TWO_32 = 4294967296;

/** term then index, 16 hex digits each: lexical order is (term, index) order. */
const NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export function snapshotFileName(m: SnapshotMetadata): string {
  return `${m.term.toString(16).padStart(16, '0')}-${m.index.toString(16).padStart(16, '0')}.snap`;
}

export function parseSnapshotFileName(name: string): { term: number; index: number } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const term = Number.parseInt(m[1], 16);
  const index = Number.parseInt(m[2], 16);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(index)) return undefined;
  return { term, index };
}

export function checkSnapshot(snap: Snapshot): void {
  const m = snap.metadata;
  const ok = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  const strings = (a: unknown): boolean =>
    Array.isArray(a) && a.every((s) => typeof s === 'string');
  if (
    !m ||
    !ok(m.index) ||
    !ok(m.term) ||
    !strings(m.confState?.voters) ||
    !strings(m.confState?.learners)
  ) {
    throw new RangeError(`invalid snapshot metadata ${JSON.stringify(m)}`);
  }
  if (!(snap.data instanceof Uint8Array)) throw new TypeError('snapshot data is not bytes');
}

/**
 * The file as three parts (head, data, trailer) so a large payload is written without being
 * copied into one buffer.
 */
export function encodeSnapshot(snap: Snapshot): [Buffer, Uint8Array, Buffer] {
  const m = snap.metadata;
  const meta = Buffer.from(
    JSON.stringify({
      index: m.index,
      term: m.term,
      confState: { voters: m.confState.voters, learners: m.confState.learners },
    }),
    'utf8',
  );
  const head = Buffer.alloc(8 + 4 + 4 + meta.length + 8);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(VERSION, 8);
  head.writeUInt32LE(meta.length, 12);
  meta.copy(head, 16);
  const len = snap.data.length;
  head.writeUInt32LE(len >>> 0, 16 + meta.length);
  head.writeUInt32LE(Math.floor(len / TWO_32), 20 + meta.length);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(crc32c(snap.data, crc32c(head)), 0);
  return [head, snap.data, trailer];
}

/** Decodes and verifies a whole file; returns what is wrong with it as a string. */
export function decodeSnapshot(buf: Buffer): Snapshot | string {
  if (buf.length < FIXED) return `file is ${buf.length} bytes, too short to be a snapshot`;
  if (!buf.subarray(0, 8).equals(MAGIC)) return 'bad magic';
  const body = buf.subarray(0, buf.length - 4);
  if (crc32c(body) !== buf.readUInt32LE(buf.length - 4)) return 'checksum mismatch';
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) return `unsupported version ${version}`;
  const metaLen = buf.readUInt32LE(12);
  if (FIXED + metaLen > buf.length) return `metadata length ${metaLen} runs past end of file`;
  let metadata: SnapshotMetadata;
  try {
    metadata = JSON.parse(buf.toString('utf8', 16, 16 + metaLen)) as SnapshotMetadata;
  } catch {
    return 'metadata is not valid JSON';
  }
  const p = 16 + metaLen;
  const dataLen = buf.readUInt32LE(p) + buf.readUInt32LE(p + 4) * TWO_32;
  if (p + 8 + dataLen + 4 !== buf.length) {
    return `data length ${dataLen} does not match file size ${buf.length}`;
  }
  const data =
    buf.byteOffset === 0 && buf.buffer.byteLength === buf.length
      ? new Uint8Array(buf.buffer, p + 8, dataLen)
      : new Uint8Array(buf.subarray(p + 8, p + 8 + dataLen));
  const snap: Snapshot = { metadata, data };
  try {
    checkSnapshot(snap);
  } catch (err) {
    return (err as Error).message;
  }
  return {
    metadata: {
      index: metadata.index,
      term: metadata.term,
      confState: { voters: metadata.confState.voters, learners: metadata.confState.learners },
    },
    data,
  };
}
