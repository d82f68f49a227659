/** Public API of the pure Raft core. */
export * from './types';
export {
  type Storage,
  CompactedError,
  UnavailableError,
  SnapshotTemporarilyUnavailableError,
  ProposalDroppedError,
} from './storage';
export { MemoryStorage, SnapshotOutOfDateError } from './memory-storage';
export { RaftNode, type RaftStatus, type ProgressStatus } from './raft-node';
export { type RaftConfig, MiB } from './raft-config';
export { ProgressState } from './progress';
export { RaftInvariantError } from './raft-log';
export { SeededRng } from './rng';
export { encodeConfChange, decodeConfChange } from './conf-change.codec';
export { entrySize, payloadSize, ENTRY_OVERHEAD_BYTES } from './entry-size';
