/**
 * Durable snapshot files, one per snapshot, named `<term>-<index>.snap` (16 hex digits each)
 * so the newest sorts last.
 *
 * A snapshot must never be half-visible: the driver records the WAL snapshot marker and
 * releases WAL segments once save() resolves, after which this file is the only copy of
 * those entries. Hence temp file, fsync, rename, directory fsync.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type AtRestCipher } from '@shoal/common';
import { type RaftLogger, type Snapshot } from '../core/types';
import { fsyncDir, writeFully } from '../wal/fsync.util';
import {
  checkSnapshot,
  decodeSnapshot,
  encodeSnapshot,
  parseSnapshotFileName,
  snapshotFileName,
} from './snapshot.codec';
import { SnapshotCorruptionError, SnapshotEncryptionError } from './snapshot.errors';

/** The core's logging port, less debug. */
export type SnapshotLogger = Pick<RaftLogger, 'info' | 'warn'>;

export interface SnapshotStoreOptions {
  /** Snapshot files kept after a save. Default 3; older ones are deleted. */
  keep?: number;
  /** Default true. false skips every fsync: only for tests. */
  fsync?: boolean;
  logger?: SnapshotLogger;
  /**
   * Seals snapshot data at rest (see snapshot.codec.ts for what stays in the clear). Must be
   * given exactly when the snapshots were written with one, or loadLatest() throws
   * SnapshotEncryptionError.
   */
  cipher?: AtRestCipher;
}

const TMP_SUFFIX = '.tmp';

/** A corrupt snapshot is worth an operator's attention even without an injected logger. */
const defaultLogger: SnapshotLogger = {
  warn: (msg, fields) => console.warn(`[snapshot] ${msg}`, fields ?? {}),
  info: () => undefined,
};

export class SnapshotStore {
  readonly dir: string;
  private readonly keep: number;
  private readonly fsync: boolean;
  private readonly logger: SnapshotLogger;
  private readonly cipher: AtRestCipher | undefined;
  private ready: Promise<void> | undefined;
  /** Saves run one at a time so purging never races a rename. */
  private saving: Promise<void> = Promise.resolve();

  constructor(dir: string, opts: SnapshotStoreOptions = {}) {
    this.dir = dir;
    this.keep = opts.keep ?? 3;
    if (!Number.isSafeInteger(this.keep) || this.keep < 1) {
      throw new RangeError(`keep must be a positive integer, got ${opts.keep}`);
    }
    this.fsync = opts.fsync ?? true;
    this.logger = opts.logger ?? defaultLogger;
    this.cipher = opts.cipher;
  }

  /**
   * Writes the snapshot atomically: it is either fully on disk under its final name or
   * absent. Then deletes all but the newest `keep` snapshots.
   */
  save(snap: Snapshot): Promise<void> {
    try {
      checkSnapshot(snap);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.saving.then(() => this.saveNow(snap));
    this.saving = run.catch(() => undefined);
    return run;
  }

  /**
   * The newest snapshot whose checksum verifies, or undefined when there are none. A corrupt
   * file is reported and skipped in favour of the next older one. Throws
   * SnapshotCorruptionError when snapshot files exist but none verifies: starting empty
   * then would silently forget state the WAL no longer holds.
   *
   * With encryption: a file whose checksum holds but which does not decrypt is skipped like a
   * corrupt one (an older file that does decrypt proves the key right, so that one was
   * altered); if no file decrypts, SnapshotEncryptionError('wrong-key'). A file whose
   * encryption flag does not match the cipher option throws SnapshotEncryptionError at once:
   * that is a configuration error, and an older file will not fix it.
   */
  async loadLatest(): Promise<Snapshot | undefined> {
    await this.init();
    const names = await this.list();
    const rejected: string[] = [];
    let undecryptable = 0;
    for (let i = names.length - 1; i >= 0; i--) {
      const file = path.join(this.dir, names[i]);
      let buf: Buffer;
      try {
        buf = await fs.readFile(file);
      } catch (err) {
        // A concurrent save may have purged it since the listing.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const decoded = decodeSnapshot(buf, this.cipher);
      let problem: string | undefined;
      if (decoded.ok) {
        const snap = decoded.snapshot;
        const named = parseSnapshotFileName(names[i]);
        if (named?.index !== snap.metadata.index || named.term !== snap.metadata.term) {
          problem = `contents (term ${snap.metadata.term}, index ${snap.metadata.index}) do not match the file name`;
        } else {
          return snap;
        }
      } else if (decoded.kind === 'no-key' || decoded.kind === 'not-encrypted') {
        throw new SnapshotEncryptionError(decoded.kind, this.dir, file);
      } else {
        if (decoded.kind === 'undecryptable') undecryptable++;
        problem = decoded.reason;
      }
      rejected.push(names[i]);
      this.logger.warn('skipping corrupt snapshot', { file, reason: problem });
    }
    if (undecryptable > 0) {
      // Checksums hold, so these are the bytes that were written: most likely another key.
      throw new SnapshotEncryptionError('wrong-key', this.dir);
    }
    if (rejected.length > 0) {
      throw new SnapshotCorruptionError(
        `none of the ${rejected.length} snapshot files in ${this.dir} verifies (${rejected.join(', ')})`,
      );
    }
    return undefined;
  }

  private async saveNow(snap: Snapshot): Promise<void> {
    await this.init();
    const name = snapshotFileName(snap.metadata);
    const file = path.join(this.dir, name);
    const tmp = file + TMP_SUFFIX;
    const out = await fs.open(tmp, 'w');
    try {
      let pos = 0;
      for (const part of encodeSnapshot(snap, this.cipher)) {
        await writeFully(out, part, pos);
        pos += part.length;
      }
      if (this.fsync) await out.datasync();
    } catch (err) {
      await out.close();
      await fs.rm(tmp, { force: true });
      throw err;
    }
    await out.close();
    await fs.rename(tmp, file);
    if (this.fsync) await fsyncDir(this.dir);
    this.logger.info('snapshot saved', { file, bytes: snap.data.length });
    await this.purge();
  }

  private async purge(): Promise<void> {
    const names = await this.list();
    // Losing a deletion in a crash only costs disk space, so no directory fsync here.
    for (const name of names.slice(0, Math.max(0, names.length - this.keep))) {
      await fs.rm(path.join(this.dir, name), { force: true });
      this.logger.info('snapshot purged', { file: path.join(this.dir, name) });
    }
  }

  /** Snapshot file names, oldest first. */
  private async list(): Promise<string[]> {
    const names = (await fs.readdir(this.dir)).filter((n) => parseSnapshotFileName(n));
    return names.sort();
  }

  /** Creates the directory and removes temp files a crash left behind, once. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      const created = await fs.mkdir(this.dir, { recursive: true });
      // A new directory's own entry must be durable too, or the snapshots in it can vanish.
      if (created !== undefined && this.fsync) await fsyncDir(path.dirname(path.resolve(this.dir)));
      for (const name of await fs.readdir(this.dir)) {
        if (name.endsWith(`.snap${TMP_SUFFIX}`)) {
          this.logger.info('removing incomplete snapshot', { file: path.join(this.dir, name) });
          await fs.rm(path.join(this.dir, name), { force: true });
        }
      }
    })();
    // A failed init (say, a permission error) is retried on the next call rather than cached.
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }
}
