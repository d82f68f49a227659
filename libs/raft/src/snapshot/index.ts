export { SnapshotCorruptionError, SnapshotEncryptionError } from './snapshot.errors';
export { SnapshotStore, type SnapshotLogger, type SnapshotStoreOptions } from './snapshot.store';
