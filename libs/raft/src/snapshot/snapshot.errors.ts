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
