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

/**
 * The WAL and the data key given to open it do not go together. Kept apart from
 * WalCorruptionError because the fix is different: the bytes are very likely fine, the
 * configuration (or the key) is not.
 *
 * - `wrong-key`: the WAL is encrypted and its first record, whose checksum holds, does not
 *   decrypt with this key.
 * - `no-key`: the WAL is encrypted and no cipher was given.
 * - `not-encrypted`: a cipher was given but the WAL was written in plain text.
 */
export class WalEncryptionError extends Error {
  readonly dir: string;
  readonly kind: 'wrong-key' | 'no-key' | 'not-encrypted';

  constructor(dir: string, kind: WalEncryptionError['kind'], detail?: string) {
    const what = {
      'wrong-key': 'the WAL cannot be decrypted: wrong data key?',
      'no-key': 'the WAL is encrypted but no data key was given',
      'not-encrypted': 'the WAL is not encrypted but a data key was given',
    }[kind];
    super(`${what} (${dir}${detail ? `: ${detail}` : ''})`);
    this.name = 'WalEncryptionError';
    this.dir = dir;
    this.kind = kind;
  }
}
