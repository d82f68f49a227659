/**
 * Appends encoded records to segment files with group commit, rolls segments, and deletes
 * released ones.
 *
 * Group commit: submissions queue up while a batch is being written or fsynced. When the
 * batch is done, everything queued meanwhile becomes the next batch: one write() of the
 * concatenated records, then (if any submission asked for it) one datasync() covering all of
 * them. A submission's promise settles only after the batch holding its bytes is done, so a
 * sync=true caller never hears "durable" before its bytes are. Batches are processed one at a
 * time, which is what keeps file order equal to call order.
 *
 * Invariants recovery depends on (see wal.reader.ts):
 * - A segment is fully fsynced before its successor is created, so a torn record can only
 *   be in the newest segment.
 * - A segment appears under its final name only once its header and initial records are
 *   durable (written to a temp name, fsynced, renamed, directory fsynced).
 * - Each segment starts with the hard state and snapshot marker current when it was created,
 *   so deleting older segments never loses them.
 * - Segments are deleted oldest first with a directory fsync after each, so a crash cannot
 *   leave a hole in the sequence.
 */
import { Buffer } from 'node:buffer';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type AtRestCipher } from '@shoal/common';
import { type HardState, type SnapshotMetadata } from '../core/types';
import { fsyncDir, writeFully } from './fsync.util';
import { encodeSegmentHeader, RecordEncoder, segmentFileName } from './wal.codec';
import { SEGMENT_TMP_SUFFIX, type SegmentInfo } from './wal.reader';
import { type WalLogger, type WalStats } from './wal.types';

export interface WriteItem {
  /** Encoded records; empty for a pure "sync what came before" request. */
  bytes: Buffer;
  sync: boolean;
  /** What the records change, so a new segment can start with the state as of that point. */
  hardState?: HardState;
  marker?: SnapshotMetadata;
  /** Last log index once this item is applied (first index of a segment started after it). */
  lastIndexAfter?: number;
  /** Highest entry index in `bytes`, 0 if none; decides when a segment may be released. */
  maxEntryIndex: number;
}

interface Queued extends WriteItem {
  resolve(): void;
  reject(err: Error): void;
}

export interface WriterInit {
  dir: string;
  fsync: boolean;
  segmentBytes: number;
  logger: WalLogger;
  segments: SegmentInfo[];
  /** Open read-write handle on the last segment, and its current size. */
  handle: fs.FileHandle;
  size: number;
  hardState?: HardState;
  marker?: SnapshotMetadata;
  lastIndex: number;
  /** Seals the records of segments this writer creates (see wal.codec.ts). */
  cipher?: AtRestCipher;
}

export class SegmentWriter {
  private readonly dir: string;
  private readonly fsync: boolean;
  private readonly segmentBytes: number;
  private readonly logger: WalLogger;
  private readonly cipher: AtRestCipher | undefined;
  private readonly segments: SegmentInfo[];
  private handle: fs.FileHandle;
  private handleOpen = true;
  private size: number;
  /** Size of the current segment before any submitted item was written to it. */
  private baseSize: number;
  /** Bytes written to the current segment since its last datasync. */
  private dirty = false;
  /** State as of the last item handed to the file, for the start of the next segment. */
  private written: { hardState?: HardState; marker?: SnapshotMetadata; lastIndex: number };
  /** Index of the latest snapshot marker known to be on disk; bounds what may be released. */
  private durableMarkerIndex: number;

  private queue: Queued[] = [];
  private running = false;
  private failure: Error | undefined;
  private releaseChain: Promise<void> = Promise.resolve();
  private readonly counters = { writes: 0, fsyncs: 0, dirSyncs: 0, batches: 0, bytesWritten: 0 };

  constructor(init: WriterInit) {
    this.dir = init.dir;
    this.fsync = init.fsync;
    this.segmentBytes = init.segmentBytes;
    this.logger = init.logger;
    this.cipher = init.cipher;
    this.segments = init.segments;
    this.handle = init.handle;
    this.size = init.size;
    this.baseSize = init.size;
    this.written = { hardState: init.hardState, marker: init.marker, lastIndex: init.lastIndex };
    this.durableMarkerIndex = init.marker?.index ?? 0;
  }

  /**
   * Creates a segment file atomically and opens it for appending. With a cipher, the header
   * is flagged encrypted and a key check record precedes `initial` (which must be sealed with
   * the same cipher).
   */
  static async createSegment(
    dir: string,
    seq: number,
    firstIndex: number,
    initial: Buffer,
    fsync: boolean,
    cipher?: AtRestCipher,
  ): Promise<{ info: SegmentInfo; handle: fs.FileHandle; size: number }> {
    const file = path.join(dir, segmentFileName(seq, firstIndex));
    const tmp = file + SEGMENT_TMP_SUFFIX;
    const header = encodeSegmentHeader(seq, firstIndex, cipher !== undefined);
    const keyCheck = cipher ? new RecordEncoder(cipher).keyCheck(seq).finish() : Buffer.alloc(0);
    const bytes = Buffer.concat([header, keyCheck, initial]);
    const out = await fs.open(tmp, 'w');
    try {
      await writeFully(out, bytes, 0);
      if (fsync) await out.datasync();
    } finally {
      await out.close();
    }
    await fs.rename(tmp, file);
    if (fsync) await fsyncDir(dir);
    const handle = await fs.open(file, 'r+');
    return { info: { seq, firstIndex, path: file, maxEntryIndex: 0 }, handle, size: bytes.length };
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  stats(): WalStats {
    return { ...this.counters, segments: this.segments.length };
  }

  submit(item: WriteItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.queue.push({ ...item, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  /**
   * Deletes the oldest segments while every entry in them is <= index, never the segment
   * being written. `index` is capped at the latest durable snapshot marker: deleting entries
   * no recorded snapshot covers would leave a restart with a gap it cannot fill.
   */
  release(index: number): Promise<void> {
    const run = this.releaseChain.then(() => this.releaseNow(index));
    this.releaseChain = run.catch(() => undefined);
    return run;
  }

  /** Waits for submitted writes and releases, syncs, and closes the current segment. */
  async close(): Promise<void> {
    try {
      if (!this.failure) await this.submit(emptySync());
      await this.releaseChain;
    } finally {
      if (this.handleOpen) {
        this.handleOpen = false;
        await this.handle.close();
      }
    }
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        if (this.failure) {
          for (const q of batch) q.reject(this.failure);
          continue;
        }
        try {
          await this.commit(batch);
          for (const q of batch) q.resolve();
        } catch (err) {
          // After a failed write or fsync the file's contents are unknown (Linux may even
          // have dropped the dirty pages), so no later write may claim to follow it. Every
          // further call fails; the process must restart and recover from disk.
          this.failure = err instanceof Error ? err : new Error(String(err));
          this.logger.warn('WAL write failed; the WAL is now unusable', {
            error: this.failure.message,
          });
          for (const q of batch) q.reject(this.failure);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async commit(batch: Queued[]): Promise<void> {
    this.counters.batches++;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let sync = false;
    for (const q of batch) {
      if (q.sync) sync = true;
      if (q.bytes.length > 0) {
        const full = this.size + pendingBytes >= this.segmentBytes;
        // A segment holding only its initial records is never rolled, or a segmentBytes
        // smaller than those records would roll forever.
        if (full && this.size + pendingBytes > this.baseSize) {
          await this.append(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await this.roll();
        }
        pending.push(q.bytes);
        pendingBytes += q.bytes.length;
      }
      this.noteWritten(q);
    }
    await this.append(pending, pendingBytes);
    if (sync) await this.syncData();
    if (sync || !this.fsync) this.durableMarkerIndex = this.written.marker?.index ?? 0;
  }

  private noteWritten(item: WriteItem): void {
    if (item.hardState) this.written.hardState = item.hardState;
    if (item.marker) this.written.marker = item.marker;
    if (item.lastIndexAfter !== undefined) this.written.lastIndex = item.lastIndexAfter;
    const seg = this.segments[this.segments.length - 1];
    if (item.maxEntryIndex > seg.maxEntryIndex) seg.maxEntryIndex = item.maxEntryIndex;
  }

  private async append(parts: Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts, bytes);
    this.dirty = true;
    this.counters.writes += await writeFully(this.handle, data, this.size);
    this.size += bytes;
    this.counters.bytesWritten += bytes;
  }

  private async syncData(): Promise<void> {
    if (!this.fsync || !this.dirty) return;
    await this.handle.datasync();
    this.counters.fsyncs++;
    this.dirty = false;
  }

  private async roll(): Promise<void> {
    await this.syncData();
    this.handleOpen = false;
    await this.handle.close();
    const prev = this.segments[this.segments.length - 1];
    const initial = new RecordEncoder(this.cipher);
    if (this.written.hardState) initial.hardState(this.written.hardState);
    if (this.written.marker) initial.snapshot(this.written.marker);
    const next = await SegmentWriter.createSegment(
      this.dir,
      prev.seq + 1,
      this.written.lastIndex + 1,
      initial.finish(),
      this.fsync,
      this.cipher,
    );
    if (this.fsync) this.counters.dirSyncs++;
    this.segments.push(next.info);
    this.handle = next.handle;
    this.handleOpen = true;
    this.size = next.size;
    this.baseSize = next.size;
    this.dirty = false;
    this.logger.info('WAL segment started', { file: next.info.path });
  }

  private async releaseNow(index: number): Promise<void> {
    if (this.failure) throw this.failure;
    const limit = Math.min(index, this.durableMarkerIndex);
    if (index > this.durableMarkerIndex) {
      this.logger.warn('WAL release capped at the latest durable snapshot marker', {
        requested: index,
        marker: this.durableMarkerIndex,
      });
    }
    while (this.segments.length > 1 && this.segments[0].maxEntryIndex <= limit) {
      const seg = this.segments[0];
      await fs.rm(seg.path, { force: true });
      this.segments.shift();
      if (this.fsync) {
        await fsyncDir(this.dir);
        this.counters.dirSyncs++;
      }
      this.logger.info('WAL segment released', { file: seg.path, upTo: limit });
    }
  }
}

function emptySync(): WriteItem {
  return { bytes: Buffer.alloc(0), sync: true, maxEntryIndex: 0 };
}
