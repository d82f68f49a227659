export { crc32c } from './crc32c';
export { Wal } from './wal';
export { WalCorruptionError, WalEncryptionError } from './wal.errors';
export {
  DEFAULT_SEGMENT_BYTES,
  type WalLogger,
  type WalOptions,
  type WalState,
  type WalStats,
} from './wal.types';
