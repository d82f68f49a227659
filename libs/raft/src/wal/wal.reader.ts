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
 */
import { type Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type SnapshotMetadata } from '../core/types';
import {
  decodeRecord,
  decodeSegmentHeader,
  findIntactRecord,
  parseSegmentFileName,
  RecordType,
  SEGMENT_HEADER_BYTES,
} from './wal.codec';
import { WalCorruptionError } from './wal.errors';
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
 */
export async function recoverWal(
  dir: string,
  logger: WalLogger,
  fsync: boolean,
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
    const { end, maxEntryIndex, tornReason } = replaySegment(seg, buf, isLast, replay);
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
  isLast: boolean,
  replay: ReplayLog,
): { end: number; maxEntryIndex: number; tornReason?: string } {
  const header = decodeSegmentHeader(buf.subarray(0, SEGMENT_HEADER_BYTES));
  if (typeof header === 'string') throw new WalCorruptionError(seg.path, 0, header);
  if (header.seq !== seg.seq || header.firstIndex !== seg.firstIndex) {
    throw new WalCorruptionError(
      seg.path,
      0,
      `segment header (sequence ${header.seq}, first index ${header.firstIndex}) does not match the file name`,
    );
  }

  let maxEntryIndex = 0;
  let off = SEGMENT_HEADER_BYTES;
  while (off < buf.length) {
    const r = decodeRecord(buf, off);
    if (!r.ok) {
      if (r.kind === 'invalid') throw new WalCorruptionError(seg.path, off, r.reason);
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
    } else {
      problem = replay.snapshot(rec.snapshot);
    }
    if (problem !== undefined) throw new WalCorruptionError(seg.path, off, problem);
    off = r.end;
  }
  return { end: off, maxEntryIndex };
}
