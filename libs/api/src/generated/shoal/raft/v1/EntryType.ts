// Original file: libs/api/src/proto/raft.proto

/**
 * Mirrors EntryType in the core.
 */
export const EntryType = {
  ENTRY_TYPE_NORMAL: 0,
  ENTRY_TYPE_CONF_CHANGE: 1,
} as const;

/**
 * Mirrors EntryType in the core.
 */
export type EntryType =
  | 'ENTRY_TYPE_NORMAL'
  | 0
  | 'ENTRY_TYPE_CONF_CHANGE'
  | 1

/**
 * Mirrors EntryType in the core.
 */
export type EntryType__Output = typeof EntryType[keyof typeof EntryType]
