/** A snapshot file failed verification, or no snapshot file on disk could be trusted. */
export class SnapshotCorruptionError extends Error {
  /** The file at fault, when one file is. */
  readonly file: string | undefined;

  constructor(message: string, file?: string) {
    super(file ? `snapshot ${file}: ${message}` : message);
    this.name = 'SnapshotCorruptionError';
    this.file = file;
  }
}

/**
 * The snapshots and the data key given to read them do not go together (the WAL's
 * WalEncryptionError, for snapshot files): `wrong-key` when no snapshot file decrypts though
 * their checksums hold, `no-key` for an encrypted snapshot read without a cipher,
 * `not-encrypted` for a plain-text snapshot read with one.
 */
export class SnapshotEncryptionError extends Error {
  readonly file: string | undefined;
  readonly kind: 'wrong-key' | 'no-key' | 'not-encrypted';

  constructor(kind: SnapshotEncryptionError['kind'], where: string, file?: string) {
    const what = {
      'wrong-key': 'the snapshots cannot be decrypted: wrong data key?',
      'no-key': 'the snapshot is encrypted but no data key was given',
      'not-encrypted': 'the snapshot is not encrypted but a data key was given',
    }[kind];
    super(`${what} (${file ?? where})`);
    this.name = 'SnapshotEncryptionError';
    this.file = file;
    this.kind = kind;
  }
}
