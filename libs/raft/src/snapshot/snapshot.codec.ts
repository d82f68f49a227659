/**
 * Snapshot file format, little-endian:
 *
 *   magic "SHOALSNP" (8) | version u16 | flags u16 | metadata length u32 | metadata (JSON, UTF-8)
 *   | data length u64 | data | crc32c u32 of every preceding byte
 *
 * JSON for the metadata because it is small, written once per snapshot, and readable with
 * `head` when debugging a node; the data is opaque bytes from the state machine.
 *
 * Files written before flags existed have a u32 version 1, which reads as version 1, flags 0.
 *
 * Encrypted (flag bit 0, FLAG_ENCRYPTED), the metadata in the clear is only {index, term}
 * (both are in the file name anyway, and all that is needed to choose a snapshot), and the
 * data field holds
 *
 *   sealed( confState JSON length u32 | confState JSON | state machine data )
 *
 * with the header up to the end of the metadata (magic, version, flags, length, JSON) as
 * associated data, so the sealed part cannot be moved to another snapshot's header. The CRC
 * covers the sealed bytes, so damage is still told apart from a wrong key.
 */
import { Buffer } from 'node:buffer';
import { type AtRestCipher } from '@shoal/common';
import { type ConfState, type Snapshot, type SnapshotMetadata } from '../core/types';
import { crc32c } from '../wal/crc32c';

const MAGIC = Buffer.from('SHOALSNP', 'latin1');
const VERSION = 1;
/** The data is sealed with the data key (see the file comment). */
export const FLAG_ENCRYPTED = 0x0001;
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
 * copied into one buffer (with a cipher, the data part is the sealed envelope).
 */
export function encodeSnapshot(
  snap: Snapshot,
  cipher?: AtRestCipher,
): [Buffer, Uint8Array, Buffer] {
  const m = snap.metadata;
  const confState = { voters: m.confState.voters, learners: m.confState.learners };
  const meta = Buffer.from(
    JSON.stringify(
      cipher ? { index: m.index, term: m.term } : { index: m.index, term: m.term, confState },
    ),
    'utf8',
  );
  const head = Buffer.alloc(8 + 4 + 4 + meta.length + 8);
  MAGIC.copy(head, 0);
  head.writeUInt16LE(VERSION, 8);
  head.writeUInt16LE(cipher ? FLAG_ENCRYPTED : 0, 10);
  head.writeUInt32LE(meta.length, 12);
  meta.copy(head, 16);
  let data = snap.data;
  if (cipher) {
    const conf = Buffer.from(JSON.stringify(confState), 'utf8');
    const lenField = Buffer.alloc(4);
    lenField.writeUInt32LE(conf.length, 0);
    const inner = Buffer.concat([lenField, conf, snap.data]);
    data = cipher.seal(inner, head.subarray(0, 16 + meta.length));
  }
  const len = data.length;
  head.writeUInt32LE(len >>> 0, 16 + meta.length);
  head.writeUInt32LE(Math.floor(len / TWO_32), 20 + meta.length);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(crc32c(data, crc32c(head)), 0);
  return [head, data, trailer];
}

/**
 * `corrupt`: the file does not verify or makes no sense. `undecryptable`: it verifies but its
 * sealed data does not open with the cipher given (wrong key, or altered with the CRC fixed).
 * `no-key` / `not-encrypted`: the file is encrypted and no cipher was given, or the reverse.
 */
export type SnapshotDecodeResult =
  | { ok: true; snapshot: Snapshot }
  | { ok: false; kind: 'corrupt' | 'undecryptable' | 'no-key' | 'not-encrypted'; reason: string };

/** Decodes and verifies a whole file. */
export function decodeSnapshot(buf: Buffer, cipher?: AtRestCipher): SnapshotDecodeResult {
  const corrupt = (reason: string): SnapshotDecodeResult => ({
    ok: false,
    kind: 'corrupt',
    reason,
  });
  if (buf.length < FIXED) return corrupt(`file is ${buf.length} bytes, too short to be a snapshot`);
  if (!buf.subarray(0, 8).equals(MAGIC)) return corrupt('bad magic');
  const body = buf.subarray(0, buf.length - 4);
  if (crc32c(body) !== buf.readUInt32LE(buf.length - 4)) return corrupt('checksum mismatch');
  const version = buf.readUInt16LE(8);
  if (version !== VERSION) return corrupt(`unsupported version ${version}`);
  const flags = buf.readUInt16LE(10);
  if ((flags & ~FLAG_ENCRYPTED) !== 0) return corrupt(`unsupported flags 0x${flags.toString(16)}`);
  const encrypted = (flags & FLAG_ENCRYPTED) !== 0;
  if (encrypted && !cipher) {
    return { ok: false, kind: 'no-key', reason: 'snapshot is encrypted but no data key was given' };
  }
  if (!encrypted && cipher) {
    return {
      ok: false,
      kind: 'not-encrypted',
      reason: 'snapshot is not encrypted but a data key was given',
    };
  }
  const metaLen = buf.readUInt32LE(12);
  if (FIXED + metaLen > buf.length)
    return corrupt(`metadata length ${metaLen} runs past end of file`);
  let metadata: SnapshotMetadata;
  try {
    metadata = JSON.parse(buf.toString('utf8', 16, 16 + metaLen)) as SnapshotMetadata;
  } catch {
    return corrupt('metadata is not valid JSON');
  }
  const p = 16 + metaLen;
  const dataLen = buf.readUInt32LE(p) + buf.readUInt32LE(p + 4) * TWO_32;
  if (p + 8 + dataLen + 4 !== buf.length) {
    return corrupt(`data length ${dataLen} does not match file size ${buf.length}`);
  }
  let data: Uint8Array;
  if (cipher) {
    let inner: Uint8Array;
    try {
      inner = cipher.open(buf.subarray(p + 8, p + 8 + dataLen), buf.subarray(0, p));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { ok: false, kind: 'undecryptable', reason: `data does not decrypt (${why})` };
    }
    const ib = Buffer.from(inner.buffer, inner.byteOffset, inner.byteLength);
    const confLen = ib.length >= 4 ? ib.readUInt32LE(0) : -1;
    if (confLen < 0 || 4 + confLen > ib.length) return corrupt('malformed sealed envelope');
    try {
      const confState = JSON.parse(ib.toString('utf8', 4, 4 + confLen)) as ConfState;
      metadata = { ...metadata, confState };
    } catch {
      return corrupt('sealed membership is not valid JSON');
    }
    data = ownBytes(ib, 4 + confLen, ib.length);
  } else {
    data = ownBytes(buf, p + 8, p + 8 + dataLen);
  }
  const snap: Snapshot = { metadata, data };
  try {
    checkSnapshot(snap);
  } catch (err) {
    return corrupt((err as Error).message);
  }
  return {
    ok: true,
    snapshot: {
      metadata: {
        index: metadata.index,
        term: metadata.term,
        confState: { voters: metadata.confState.voters, learners: metadata.confState.learners },
      },
      data,
    },
  };
}

/** buf[start, end) as bytes that own their memory: a view when they span all of it. */
function ownBytes(buf: Buffer, start: number, end: number): Uint8Array {
  return buf.byteOffset === 0 && buf.buffer.byteLength === buf.length
    ? new Uint8Array(buf.buffer, start, end - start)
    : new Uint8Array(buf.subarray(start, end));
}
