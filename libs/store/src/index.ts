export * from './store.contract';
export * from './store.types';
export { StoreError, WatchCompactedError, StoreOutcomeUnknownError } from './store.errors';
export { MemoryStore, type MemoryStoreOptions, DEFAULT_CHANGELOG_LIMIT } from './memory.store';
export { type StoreMetrics, type TransactionOutcome } from './store.metrics';
export { rfc3339Nano } from './store.time';
export { updateFields } from './store.objects';
