/**
 * The WAL found bytes it cannot trust and that are not a torn tail it may safely drop.
 * Recovery stops rather than guess: skipping a bad record could silently lose an entry a
 * quorum counted on, or a vote this node already cast. An operator must look at the file.
 */
export class WalCorruptionError extends Error {
  /** Absolute path of the segment file. */
  readonly file: string;
  /** Byte offset in `file` of the record (or header) that is bad. */
  readonly offset: number;
  /** What was wrong, without the file and offset. */
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(`WAL corruption in ${file} at offset ${offset}: ${reason}`);
    this.name = 'WalCorruptionError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}
