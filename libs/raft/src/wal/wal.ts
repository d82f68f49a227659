/**
 * The write-ahead log the Raft driver persists hard state and entries to before it sends
 * any message that depends on them.
 *
 * Layout: `dir/<sequence>-<first index>.wal` segment files (16 hex digits each, so they sort
 * by name); see wal.codec.ts for the record format, wal.writer.ts for how writes are made
 * durable and wal.reader.ts for recovery.
 */
import { Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type AtRestCipher } from '@shoal/common';
import { type Entry, type HardState, type SnapshotMetadata } from '../core/types';
import { fsyncDir } from './fsync.util';
import { checkEntry, checkHardState, checkSnapshotMetadata, RecordEncoder } from './wal.codec';
import { LogProjection } from './wal.log';
import { recoverWal } from './wal.reader';
import {
  DEFAULT_SEGMENT_BYTES,
  defaultWalLogger,
  type WalOptions,
  type WalState,
  type WalStats,
  ZERO_HARD_STATE,
} from './wal.types';
import { SegmentWriter } from './wal.writer';

export class Wal {
  private closed = false;

  private constructor(
    /** The directory holding the segments. */
    readonly dir: string,
    private readonly writer: SegmentWriter,
    private readonly projection: LogProjection,
    private readonly cipher: AtRestCipher | undefined,
  ) {}

  /**
   * Opens (creating if needed) the WAL in `dir` and recovers its state. `state.entries` holds
   * only entries after `state.snapshot.index` when there is a snapshot marker.
   *
   * Throws WalCorruptionError when the WAL cannot be trusted; a torn tail left by a crash is
   * not corruption and is cut off with a warning. Throws WalEncryptionError when `opts.cipher`
   * does not match the WAL (wrong key, missing key, key given for a plain-text WAL).
   */
  static async open(dir: string, opts: WalOptions = {}): Promise<{ wal: Wal; state: WalState }> {
    const fsync = opts.fsync ?? true;
    const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const logger = opts.logger ?? defaultWalLogger;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes <= 0) {
      throw new RangeError(`invalid segmentBytes ${segmentBytes}`);
    }
    await ensureDir(dir, fsync);
    const cipher = opts.cipher;
    const recovered = await recoverWal(dir, logger, fsync, cipher);

    const state: WalState = recovered?.state ?? { hardState: { ...ZERO_HARD_STATE }, entries: [] };
    const projection = new LogProjection(state.hardState, state.entries, state.snapshot);
    const common = { dir, fsync, segmentBytes, logger, cipher, lastIndex: projection.lastIndex };

    let writer: SegmentWriter;
    if (!recovered) {
      const seg = await SegmentWriter.createSegment(dir, 0, 1, Buffer.alloc(0), fsync, cipher);
      writer = new SegmentWriter({
        ...common,
        segments: [seg.info],
        handle: seg.handle,
        size: seg.size,
      });
    } else {
      const segments = recovered.segments;
      const handle = await fs.open(segments[segments.length - 1].path, 'r+');
      try {
        // After a process crash (not a machine crash) what we just replayed may still sit
        // only in the page cache. The driver is about to act on it (e.g. answer votes as the
        // term it read), so it must be durable first.
        if (fsync) await handle.datasync();
      } catch (err) {
        await handle.close();
        throw err;
      }
      writer = new SegmentWriter({
        ...common,
        segments,
        handle,
        size: recovered.tailSize,
        hardState: state.hardState,
        marker: state.snapshot,
      });
    }
    logger.info('WAL opened', {
      dir,
      segments: writer.stats().segments,
      lastIndex: projection.lastIndex,
      snapshot: state.snapshot?.index,
    });
    return { wal: new Wal(dir, writer, projection, cipher), state };
  }

  /**
   * Appends `entries` (which may overwrite a suffix of uncommitted entries) and then
   * `hardState`. With sync, resolves once they are on stable storage; concurrent calls share
   * fsyncs. Calls are written in call order. Rejects, writing nothing, if the input does not
   * continue the log (a gap, rewriting a committed entry, a commit beyond the last entry).
   */
  async save(hardState: HardState | undefined, entries: Entry[], sync: boolean): Promise<void> {
    this.assertUsable();
    if (hardState) checkHardState(hardState);
    for (const e of entries) checkEntry(e);
    this.projection.checkSave(hardState, entries);
    // Encoded now rather than when the batch is written: the caller may reuse its objects
    // as soon as this returns.
    const enc = new RecordEncoder(this.cipher);
    for (const e of entries) enc.entry(e);
    if (hardState) enc.hardState(hardState);
    const bytes = enc.finish();
    this.projection.applySave(hardState, entries);
    return this.writer.submit({
      bytes,
      sync,
      hardState: hardState ? { ...hardState } : undefined,
      lastIndexAfter: this.projection.lastIndex,
      maxEntryIndex: entries.length > 0 ? entries[entries.length - 1].index : 0,
    });
  }

  /**
   * Records that a snapshot covering entries up to `meta.index` exists. Always fsynced. Save
   * the snapshot itself (SnapshotStore) first: after this, entries up to meta.index may be
   * released and only the snapshot holds them.
   */
  async saveSnapshotMarker(meta: SnapshotMetadata): Promise<void> {
    this.assertUsable();
    checkSnapshotMetadata(meta);
    this.projection.checkSnapshot(meta);
    const marker: SnapshotMetadata = {
      index: meta.index,
      term: meta.term,
      confState: { voters: [...meta.confState.voters], learners: [...meta.confState.learners] },
    };
    const bytes = new RecordEncoder(this.cipher).snapshot(marker).finish();
    this.projection.applySnapshot(marker);
    return this.writer.submit({
      bytes,
      sync: true,
      marker,
      lastIndexAfter: this.projection.lastIndex,
      maxEntryIndex: 0,
    });
  }

  /**
   * Deletes whole segments, oldest first, all of whose entries have index <= `index`; never
   * the segment being written. Capped at the latest durable snapshot marker (with a warning),
   * since entries no recorded snapshot covers must stay.
   */
  async releaseTo(index: number): Promise<void> {
    this.assertUsable();
    if (!Number.isSafeInteger(index)) throw new RangeError(`invalid index ${index}`);
    return this.writer.release(index);
  }

  /** Flushes and fsyncs everything written so far, then closes. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer.close();
  }

  stats(): WalStats {
    return this.writer.stats();
  }

  private assertUsable(): void {
    if (this.closed) throw new Error('WAL is closed');
    const failed = this.writer.failed;
    if (failed) throw failed;
  }
}

async function ensureDir(dir: string, fsync: boolean): Promise<void> {
  const created = await fs.mkdir(dir, { recursive: true });
  // The new directory's entry in its parent must be durable too, or the segments in it can
  // vanish with it.
  if (created !== undefined && fsync) await fsyncDir(path.dirname(path.resolve(dir)));
}
