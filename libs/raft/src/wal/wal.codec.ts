/**
 * On-disk format of WAL segments. Everything is little-endian.
 *
 * A segment file is a 32-byte header followed by records:
 *
 *   header:  magic "SHOALWAL" (8) | version u16 | flags u16 | sequence u64 | first index u64
 *            | crc u32
 *   record:  length u32 | crc u32 | body (length bytes)
 *   body:    record type u8 | payload                 (plain-text segment)
 *            record type u8 | sealed(payload)         (encrypted segment)
 *
 * The record CRC covers the length field as well as the body, so a flipped bit in a length
 * cannot make a shorter or longer slice of the file verify by accident.
 *
 *   entry (1):          term u64 | index u64 | entry type u8 | data
 *   hard state (2):     term u64 | commit u64 | vote (UTF-8, rest of body)
 *   snapshot (3):       index u64 | term u64 | voters strlist | learners strlist
 *   key check (4):      segment sequence u64 (encrypted segments only, always first)
 *   strlist:            count u32 | (length u32 | UTF-8)*
 *
 * Fixed-width integers rather than varints: an entry costs 25 bytes of framing either way
 * within a few bytes, and fixed widths make the decoder's bounds checks trivial.
 *
 * Encryption at rest. Flag bit 0 (SEGMENT_FLAG_ENCRYPTED) marks a segment whose record
 * payloads are sealed with an AtRestCipher (AES-256-GCM under the data key). Segments written
 * before the flag existed have flags 0 (the old u32 version 1 reads as version 1, flags 0), so
 * they still read as plain text; a reader that predates the flag sees "version 65537" in an
 * encrypted segment and refuses it. In an encrypted segment:
 * - The type byte stays in the clear (recovery needs it to tell record boundaries from noise
 *   before it has a key); everything after it is the cipher's output. The CRC is computed
 *   over those sealed bytes, so torn-tail and corruption detection need no key.
 * - The associated data is "SHOALWAL" | type, so a sealed payload cannot be passed off as a
 *   record of another type. Indexes and terms are inside the authenticated plaintext.
 * - The first record is a key check: the segment's sequence number, sealed. It lets recovery
 *   tell a wrong key (the check's CRC holds but it does not open) from damage, even when the
 *   WAL holds nothing else.
 * What stays in the clear: the segment header (sequence, first index) and file names, record
 * lengths and record types.
 */
import { Buffer } from 'node:buffer';
import { type AtRestCipher } from '@shoal/common';
import {
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type SnapshotMetadata,
} from '../core/types';
import { crc32c } from './crc32c';

export const SEGMENT_MAGIC = Buffer.from('SHOALWAL', 'latin1');
export const SEGMENT_VERSION = 1;
/** Segment header flag: record payloads are sealed with the data key. */
export const SEGMENT_FLAG_ENCRYPTED = 0x0001;
export const SEGMENT_HEADER_BYTES = 32;
export const RECORD_HEADER_BYTES = 8;
/**
 * Upper bound on a record body. Keeps a corrupted length from making the reader allocate or
 * scan gigabytes, and stays well inside Node's Buffer limit.
 */
export const MAX_RECORD_BODY_BYTES = 512 * 1024 * 1024;

export enum RecordType {
  Entry = 1,
  HardState = 2,
  Snapshot = 3,
  /** Proves the data key opens this segment; first record of every encrypted segment. */
  KeyCheck = 4,
}

function isRecordType(t: number): t is RecordType {
  return t >= RecordType.Entry && t <= RecordType.KeyCheck;
}

/** Associated data sealed with each payload: binds it to its record type. */
const RECORD_AAD: readonly Buffer[] = [0, 1, 2, 3, 4].map((t) =>
  Buffer.concat([SEGMENT_MAGIC, Buffer.from([t])]),
);

const ENTRY_FIXED = 1 + 8 + 8 + 1;
const HARD_STATE_FIXED = 1 + 8 + 8;
const SNAPSHOT_FIXED = 1 + 8 + 8 + 4 + 4;
const TWO_32 = 4294967296;
/** The high word of Number.MAX_SAFE_INTEGER. */
const MAX_SAFE_HIGH = 0x1fffff;

export type WalRecord =
  | { type: RecordType.Entry; entry: Entry }
  | { type: RecordType.HardState; hardState: HardState }
  | { type: RecordType.Snapshot; snapshot: SnapshotMetadata }
  | { type: RecordType.KeyCheck; seq: number };

/**
 * `unverified`: the bytes do not form a record whose checksum holds (short header, length past
 * the end, zero length, CRC mismatch). This is what a torn write looks like.
 * `invalid`: the checksum holds but the content makes no sense (unknown type, bad payload).
 * A torn write cannot produce that, so it is always corruption.
 * `undecryptable`: the checksum holds but the sealed payload does not open (wrong key, or
 * bytes changed and the checksum recomputed). Also never a torn write.
 */
export type DecodeResult =
  | { ok: true; record: WalRecord; end: number }
  | { ok: false; kind: 'unverified' | 'invalid' | 'undecryptable'; reason: string };

// ---------------------------------------------------------------------------------------
// Integers

export function writeU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32LE(n >>> 0, off);
  buf.writeUInt32LE(Math.floor(n / TWO_32), off + 4);
}

/** undefined when the value does not fit a safe JavaScript integer. */
export function readU64(buf: Buffer, off: number): number | undefined {
  const hi = buf.readUInt32LE(off + 4);
  if (hi > MAX_SAFE_HIGH) return undefined;
  return hi * TWO_32 + buf.readUInt32LE(off);
}

function isU64(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

// ---------------------------------------------------------------------------------------
// Segment header and file names

export function encodeSegmentHeader(seq: number, firstIndex: number, encrypted = false): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(b, 0);
  b.writeUInt16LE(SEGMENT_VERSION, 8);
  b.writeUInt16LE(encrypted ? SEGMENT_FLAG_ENCRYPTED : 0, 10);
  writeU64(b, 12, seq);
  writeU64(b, 20, firstIndex);
  b.writeUInt32LE(crc32c(b.subarray(0, 28)), 28);
  return b;
}

/** Returns the header fields, or a string saying what is wrong with it. */
export function decodeSegmentHeader(
  buf: Buffer,
): { seq: number; firstIndex: number; encrypted: boolean } | string {
  if (buf.length < SEGMENT_HEADER_BYTES) {
    return `segment header is ${buf.length} bytes, expected ${SEGMENT_HEADER_BYTES}`;
  }
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return 'bad segment magic';
  if (crc32c(buf.subarray(0, 28)) !== buf.readUInt32LE(28)) {
    return 'segment header checksum mismatch';
  }
  const version = buf.readUInt16LE(8);
  if (version !== SEGMENT_VERSION) return `unsupported segment version ${version}`;
  const flags = buf.readUInt16LE(10);
  if ((flags & ~SEGMENT_FLAG_ENCRYPTED) !== 0) {
    return `unsupported segment flags 0x${flags.toString(16)}`;
  }
  const seq = readU64(buf, 12);
  const firstIndex = readU64(buf, 20);
  if (seq === undefined || firstIndex === undefined) return 'segment header field out of range';
  return { seq, firstIndex, encrypted: (flags & SEGMENT_FLAG_ENCRYPTED) !== 0 };
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}.wal`;
}

export function parseSegmentFileName(
  name: string,
): { seq: number; firstIndex: number } | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  const seq = Number.parseInt(m[1], 16);
  const firstIndex = Number.parseInt(m[2], 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return undefined;
  return { seq, firstIndex };
}

// ---------------------------------------------------------------------------------------
// Encoding

/** Validates what the encoder would otherwise silently wrap or truncate. */
export function checkEntry(e: Entry): void {
  if (!isU64(e.index) || e.index < 1) throw new RangeError(`invalid entry index ${e.index}`);
  if (!isU64(e.term)) throw new RangeError(`invalid term ${e.term} for entry ${e.index}`);
  if (EntryType[e.type] === undefined) {
    throw new RangeError(`invalid entry type ${String(e.type)} for entry ${e.index}`);
  }
  if (!(e.data instanceof Uint8Array)) throw new TypeError(`entry ${e.index} data is not bytes`);
  if (ENTRY_FIXED + e.data.length > MAX_RECORD_BODY_BYTES) {
    throw new RangeError(`entry ${e.index} is ${e.data.length} bytes, too large for the WAL`);
  }
}

export function checkHardState(hs: HardState): void {
  if (!isU64(hs.term) || !isU64(hs.commit) || typeof hs.vote !== 'string') {
    throw new RangeError(`invalid hard state ${JSON.stringify(hs)}`);
  }
}

export function checkSnapshotMetadata(m: SnapshotMetadata): void {
  const strings = (a: unknown): boolean =>
    Array.isArray(a) && a.every((s) => typeof s === 'string');
  if (
    !isU64(m.index) ||
    !isU64(m.term) ||
    !strings(m.confState?.voters) ||
    !strings(m.confState?.learners)
  ) {
    throw new RangeError(`invalid snapshot metadata ${JSON.stringify(m)}`);
  }
}

/**
 * Incrementally builds one Buffer holding several records, so a batch is one write. With a
 * cipher, each payload is sealed as it is added (so the caller may reuse its objects as soon
 * as the call returns, as without one).
 */
export class RecordEncoder {
  private readonly parts: {
    type: RecordType;
    size: number;
    fill: (b: Buffer, o: number) => void;
  }[] = [];
  private total = 0;

  constructor(private readonly cipher?: AtRestCipher) {}

  entry(e: Entry): this {
    const data = e.data;
    return this.add(RecordType.Entry, ENTRY_FIXED + data.length, (b, o) => {
      writeU64(b, o, e.term);
      writeU64(b, o + 8, e.index);
      b[o + 16] = e.type;
      b.set(data, o + 17);
    });
  }

  hardState(hs: HardState): this {
    const vote = Buffer.from(hs.vote, 'utf8');
    return this.add(RecordType.HardState, HARD_STATE_FIXED + vote.length, (b, o) => {
      writeU64(b, o, hs.term);
      writeU64(b, o + 8, hs.commit);
      vote.copy(b, o + 16);
    });
  }

  snapshot(m: SnapshotMetadata): this {
    const voters = m.confState.voters.map((s) => Buffer.from(s, 'utf8'));
    const learners = m.confState.learners.map((s) => Buffer.from(s, 'utf8'));
    const listBytes = (l: Buffer[]): number => l.reduce((n, s) => n + 4 + s.length, 0);
    const size = SNAPSHOT_FIXED + listBytes(voters) + listBytes(learners);
    return this.add(RecordType.Snapshot, size, (b, o) => {
      writeU64(b, o, m.index);
      writeU64(b, o + 8, m.term);
      o = writeStrings(b, o + 16, voters);
      writeStrings(b, o, learners);
    });
  }

  /** The first record of an encrypted segment. */
  keyCheck(seq: number): this {
    if (!this.cipher) throw new Error('a key check record exists only in encrypted segments');
    return this.add(RecordType.KeyCheck, 1 + 8, (b, o) => writeU64(b, o, seq));
  }

  get byteLength(): number {
    return this.total;
  }

  finish(): Buffer {
    const buf = Buffer.allocUnsafe(this.total);
    let off = 0;
    for (const p of this.parts) {
      buf.writeUInt32LE(p.size, off);
      buf[off + 8] = p.type;
      p.fill(buf, off + 9);
      const crc = crc32c(
        buf.subarray(off + 8, off + 8 + p.size),
        crc32c(buf.subarray(off, off + 4)),
      );
      buf.writeUInt32LE(crc, off + 4);
      off += RECORD_HEADER_BYTES + p.size;
    }
    return buf;
  }

  private add(type: RecordType, size: number, fill: (b: Buffer, o: number) => void): this {
    if (size > MAX_RECORD_BODY_BYTES) throw new RangeError(`WAL record of ${size} bytes too large`);
    if (this.cipher) {
      const plain = Buffer.allocUnsafe(size - 1);
      fill(plain, 0);
      const sealed = this.cipher.seal(plain, RECORD_AAD[type]);
      size = 1 + sealed.length;
      if (size > MAX_RECORD_BODY_BYTES) {
        throw new RangeError(`sealed WAL record of ${size} bytes too large`);
      }
      fill = (b, o) => b.set(sealed, o);
    }
    this.parts.push({ type, size, fill });
    this.total += RECORD_HEADER_BYTES + size;
    return this;
  }
}

function writeStrings(b: Buffer, o: number, list: Buffer[]): number {
  b.writeUInt32LE(list.length, o);
  o += 4;
  for (const s of list) {
    b.writeUInt32LE(s.length, o);
    s.copy(b, o + 4);
    o += 4 + s.length;
  }
  return o;
}

// ---------------------------------------------------------------------------------------
// Decoding

function verifyFrame(buf: Buffer, off: number): { bodyEnd: number } | string {
  const avail = buf.length - off;
  if (avail < RECORD_HEADER_BYTES) return `incomplete record header (${avail} bytes)`;
  const len = buf.readUInt32LE(off);
  if (len === 0) return 'zero record length';
  if (len > MAX_RECORD_BODY_BYTES) return `record length ${len} exceeds the maximum`;
  const bodyEnd = off + RECORD_HEADER_BYTES + len;
  if (bodyEnd > buf.length) {
    return `record length ${len} runs past end of file (${avail - RECORD_HEADER_BYTES} bytes left)`;
  }
  const crc = crc32c(buf.subarray(off + 8, bodyEnd), crc32c(buf.subarray(off, off + 4)));
  if (crc !== buf.readUInt32LE(off + 4)) return 'record checksum mismatch';
  return { bodyEnd };
}

/**
 * Decodes the record starting at `off`. Entry data is copied out of `buf`. With a cipher (an
 * encrypted segment), the payload is opened first; without one a key check record is invalid.
 */
export function decodeRecord(buf: Buffer, off: number, cipher?: AtRestCipher): DecodeResult {
  const frame = verifyFrame(buf, off);
  if (typeof frame === 'string') return { ok: false, kind: 'unverified', reason: frame };
  const end = frame.bodyEnd;
  const type = buf[off + RECORD_HEADER_BYTES];
  const invalid = (reason: string): DecodeResult => ({ ok: false, kind: 'invalid', reason });
  if (!isRecordType(type)) return invalid(`unknown record type ${type}`);
  const p = off + RECORD_HEADER_BYTES + 1;
  let record: WalRecord | string;
  if (cipher) {
    let plain: Uint8Array;
    try {
      plain = cipher.open(buf.subarray(p, end), RECORD_AAD[type]);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { ok: false, kind: 'undecryptable', reason: `record does not decrypt (${why})` };
    }
    const pb = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
    record = decodePayload(type, pb, 0, pb.length);
  } else if (type === RecordType.KeyCheck) {
    record = 'key check record in a segment that is not encrypted';
  } else {
    record = decodePayload(type, buf, p, end);
  }
  return typeof record === 'string' ? invalid(record) : { ok: true, end, record };
}

/** Parses the plain-text payload in buf[p, end); returns what is wrong with it as a string. */
function decodePayload(type: RecordType, buf: Buffer, p: number, end: number): WalRecord | string {
  const len = end - p + 1;
  switch (type) {
    case RecordType.Entry: {
      if (len < ENTRY_FIXED) return `entry record too short (${len} bytes)`;
      const term = readU64(buf, p);
      const index = readU64(buf, p + 8);
      const entryType = buf[p + 16];
      if (term === undefined || index === undefined || index < 1) {
        return 'entry term or index out of range';
      }
      if (EntryType[entryType] === undefined) return `unknown entry type ${entryType}`;
      const data = new Uint8Array(buf.subarray(p + 17, end));
      return { type, entry: { term, index, type: entryType, data } };
    }
    case RecordType.HardState: {
      if (len < HARD_STATE_FIXED) return `hard state record too short (${len} bytes)`;
      const term = readU64(buf, p);
      const commit = readU64(buf, p + 8);
      if (term === undefined || commit === undefined) return 'hard state out of range';
      const vote = buf.toString('utf8', p + 16, end);
      return { type, hardState: { term, vote, commit } };
    }
    case RecordType.Snapshot: {
      if (len < SNAPSHOT_FIXED) return `snapshot record too short (${len} bytes)`;
      const index = readU64(buf, p);
      const term = readU64(buf, p + 8);
      if (index === undefined || term === undefined) return 'snapshot marker out of range';
      const voters = readStrings(buf, p + 16, end);
      if (!voters) return 'malformed snapshot voters';
      const learners = readStrings(buf, voters.next, end);
      if (!learners || learners.next !== end) return 'malformed snapshot learners';
      const confState: ConfState = { voters: voters.list, learners: learners.list };
      return { type, snapshot: { index, term, confState } };
    }
    case RecordType.KeyCheck: {
      const seq = len === 1 + 8 ? readU64(buf, p) : undefined;
      if (seq === undefined) return 'malformed key check record';
      return { type, seq };
    }
  }
}

function readStrings(
  buf: Buffer,
  o: number,
  end: number,
): { list: string[]; next: number } | undefined {
  if (o + 4 > end) return undefined;
  const n = buf.readUInt32LE(o);
  o += 4;
  const list: string[] = [];
  for (let i = 0; i < n; i++) {
    if (o + 4 > end) return undefined;
    const len = buf.readUInt32LE(o);
    if (o + 4 + len > end) return undefined;
    list.push(buf.toString('utf8', o + 4, o + 4 + len));
    o += 4 + len;
  }
  return { list, next: o };
}

/**
 * Offset of the first position in [from, buf.length) where a record with a valid checksum
 * starts, or -1. Recovery uses this to tell a torn tail (nothing intact after the bad bytes)
 * from damage in the middle of the log (intact records follow, so dropping the bad one would
 * also drop them). The cheap checks first keep the scan linear on zeros and on random bytes.
 */
export function findIntactRecord(buf: Buffer, from: number): number {
  const last = buf.length - RECORD_HEADER_BYTES - 1;
  for (let p = from; p <= last; p++) {
    const len = buf.readUInt32LE(p);
    if (len === 0 || p + RECORD_HEADER_BYTES + len > buf.length) continue;
    if (!isRecordType(buf[p + RECORD_HEADER_BYTES])) continue;
    if (typeof verifyFrame(buf, p) !== 'string') return p;
  }
  return -1;
}
