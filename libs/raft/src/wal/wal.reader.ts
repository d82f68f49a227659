/**
 * Recovery: read every segment in order, rebuild the log, and decide what a bad record means.
 *
 * The writer guarantees (see wal.writer.ts) that only the newest segment can end in a
 * partial write: a segment is fsynced before its successor is created, and a successor only
 * appears under its final name once its header is durable. So:
 *
 * - A record in the last segment that does not verify, with no intact record anywhere after
 *   it, is a torn tail: the crash interrupted the write and no fsync covering it completed,
 *   so nobody was told it was durable. It is cut off and writing resumes there.
 * - Every other bad byte is corruption (bit rot, a truncated copy, a bug) and stops recovery:
 *   guessing could drop an entry a quorum counted on or a vote already cast.
 *
 * Encrypted WALs (see wal.codec.ts) follow the same rules, since the CRC covers the sealed
 * bytes: a torn tail is found, and cut, without the key. A record whose CRC holds but which
 * does not decrypt cannot come from a torn write (the CRC was computed over exactly those
 * sealed bytes), so it is corruption wherever it is, like any record whose CRC holds but whose
 * content is invalid. One exception makes a wrong key readable: when the very first record of
 * the WAL (the first segment's key check) verifies but does not decrypt, recovery reports
 * WalEncryptionError('wrong-key') instead. Whether a WAL is encrypted is read from each
 * segment header and must match whether a cipher was given (WalEncryptionError otherwise).
 */
import { type Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type AtRestCipher } from '@shoal/common';
import { type SnapshotMetadata } from '../core/types';
import {
  decodeRecord,
  decodeSegmentHeader,
  findIntactRecord,
  parseSegmentFileName,
  RecordType,
  SEGMENT_HEADER_BYTES,
} from './wal.codec';
import { WalCorruptionError, WalEncryptionError } from './wal.errors';
import { ReplayLog } from './wal.log';
import { type WalLogger, type WalState } from './wal.types';

export interface SegmentInfo {
  seq: number;
  firstIndex: number;
  path: string;
  /** Highest entry index recorded in the segment; 0 when it holds no entries. */
  maxEntryIndex: number;
}

export interface Recovered {
  state: WalState;
  segments: SegmentInfo[];
  /** Size of the last segment after any torn tail was cut off: where writing resumes. */
  tailSize: number;
}

export const SEGMENT_TMP_SUFFIX = '.tmp';

/**
 * Reads the WAL in `dir`. Returns undefined when there are no segments yet. Deletes segment
 * files a crash left half-created (they never got their final name, so hold nothing durable).
 * `cipher` must be given exactly when the WAL is encrypted.
 */
export async function recoverWal(
  dir: string,
  logger: WalLogger,
  fsync: boolean,
  cipher?: AtRestCipher,
): Promise<Recovered | undefined> {
  const found: Omit<SegmentInfo, 'maxEntryIndex'>[] = [];
  for (const name of await fs.readdir(dir)) {
    if (name.endsWith(`.wal${SEGMENT_TMP_SUFFIX}`)) {
      logger.info('removing half-created WAL segment', { file: path.join(dir, name) });
      await fs.rm(path.join(dir, name), { force: true });
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed) found.push({ ...parsed, path: path.join(dir, name) });
  }
  if (found.length === 0) return undefined;
  found.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < found.length; i++) {
    if (found[i].seq !== found[i - 1].seq + 1) {
      throw new WalCorruptionError(
        found[i].path,
        0,
        `segment sequence ${found[i - 1].seq + 1} is missing (found ${found[i].seq} after ${found[i - 1].seq})`,
      );
    }
  }

  const replay = new ReplayLog();
  const segments: SegmentInfo[] = [];
  let torn: { file: string; offset: number; size: number; reason: string } | undefined;
  let tailSize = 0;
  for (let i = 0; i < found.length; i++) {
    const seg = found[i];
    const isLast = i === found.length - 1;
    const buf = await fs.readFile(seg.path);
    const ctx = { dir, cipher, isFirst: i === 0, isLast };
    const { end, maxEntryIndex, tornReason } = replaySegment(seg, buf, ctx, replay);
    segments.push({ ...seg, maxEntryIndex });
    if (isLast) {
      tailSize = end;
      if (tornReason !== undefined) {
        torn = { file: seg.path, offset: end, size: buf.length, reason: tornReason };
      }
    }
  }

  const last = segments[segments.length - 1];
  const finished = replay.finish();
  if ('error' in finished) throw new WalCorruptionError(last.path, tailSize, finished.error);

  // Only now, once the log is known to be sound, touch the file: a WAL that is going to be
  // reported as corrupt is left exactly as found for whoever investigates it.
  if (torn) {
    logger.warn('truncating torn WAL tail', {
      file: torn.file,
      offset: torn.offset,
      droppedBytes: torn.size - torn.offset,
      reason: torn.reason,
    });
    const fh = await fs.open(torn.file, 'r+');
    try {
      await fh.truncate(torn.offset);
      if (fsync) await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  const snapshot: SnapshotMetadata | undefined = replay.marker;
  const state: WalState = { hardState: replay.hardState, entries: finished.entries };
  if (snapshot) state.snapshot = snapshot;
  return { state, segments, tailSize };
}

/**
 * Feeds one segment's records to `replay`. Returns where the valid records end and, for the
 * last segment, why the bytes after that point were judged a torn tail.
 */
function replaySegment(
  seg: Omit<SegmentInfo, 'maxEntryIndex'>,
  buf: Buffer,
  ctx: { dir: string; cipher: AtRestCipher | undefined; isFirst: boolean; isLast: boolean },
  replay: ReplayLog,
): { end: number; maxEntryIndex: number; tornReason?: string } {
  const { cipher, isLast } = ctx;
  const header = decodeSegmentHeader(buf.subarray(0, SEGMENT_HEADER_BYTES));
  if (typeof header === 'string') throw new WalCorruptionError(seg.path, 0, header);
  if (header.seq !== seg.seq || header.firstIndex !== seg.firstIndex) {
    throw new WalCorruptionError(
      seg.path,
      0,
      `segment header (sequence ${header.seq}, first index ${header.firstIndex}) does not match the file name`,
    );
  }

  if (header.encrypted !== (cipher !== undefined)) {
    if (ctx.isFirst) {
      throw new WalEncryptionError(ctx.dir, header.encrypted ? 'no-key' : 'not-encrypted');
    }
    const reason = header.encrypted
      ? 'segment is encrypted but the segments before it are not'
      : 'segment is not encrypted but the segments before it are';
    throw new WalCorruptionError(seg.path, 0, reason);
  }

  let maxEntryIndex = 0;
  let off = SEGMENT_HEADER_BYTES;
  if (cipher) off = checkKey(seg, buf, header.seq, cipher, ctx);
  while (off < buf.length) {
    const r = decodeRecord(buf, off, cipher);
    if (!r.ok) {
      if (r.kind !== 'unverified') throw new WalCorruptionError(seg.path, off, r.reason);
      if (!isLast) {
        throw new WalCorruptionError(
          seg.path,
          off,
          `${r.reason} (in a segment that is not the last)`,
        );
      }
      const next = findIntactRecord(buf, off + 1);
      if (next >= 0) {
        throw new WalCorruptionError(
          seg.path,
          off,
          `${r.reason}, but an intact record follows at offset ${next}`,
        );
      }
      return { end: off, maxEntryIndex, tornReason: r.reason };
    }
    const rec = r.record;
    let problem: string | undefined;
    if (rec.type === RecordType.Entry) {
      problem = replay.entry(rec.entry);
      if (rec.entry.index > maxEntryIndex) maxEntryIndex = rec.entry.index;
    } else if (rec.type === RecordType.HardState) {
      replay.setHardState(rec.hardState);
    } else if (rec.type === RecordType.Snapshot) {
      problem = replay.snapshot(rec.snapshot);
    } else {
      problem = 'key check record after the start of the segment';
    }
    if (problem !== undefined) throw new WalCorruptionError(seg.path, off, problem);
    off = r.end;
  }
  return { end: off, maxEntryIndex };
}

/**
 * Verifies the key check every encrypted segment starts with; returns the offset after it.
 * It is written together with the segment header before the segment gets its final name, so
 * unlike later records it can never be a torn tail.
 */
function checkKey(
  seg: Omit<SegmentInfo, 'maxEntryIndex'>,
  buf: Buffer,
  seq: number,
  cipher: AtRestCipher,
  ctx: { dir: string; isFirst: boolean },
): number {
  const off = SEGMENT_HEADER_BYTES;
  const r = decodeRecord(buf, off, cipher);
  if (!r.ok) {
    // Its CRC holds, so the bytes are as written: the likeliest cause by far is another key.
    if (r.kind === 'undecryptable' && ctx.isFirst) {
      throw new WalEncryptionError(ctx.dir, 'wrong-key', `${seg.path} does not decrypt`);
    }
    throw new WalCorruptionError(seg.path, off, `bad key check record: ${r.reason}`);
  }
  if (r.record.type !== RecordType.KeyCheck) {
    throw new WalCorruptionError(
      seg.path,
      off,
      'encrypted segment does not start with a key check',
    );
  }
  if (r.record.seq !== seq) {
    throw new WalCorruptionError(
      seg.path,
      off,
      `key check is for segment ${r.record.seq}, not ${seq} (copied from another segment?)`,
    );
  }
  return r.end;
}
