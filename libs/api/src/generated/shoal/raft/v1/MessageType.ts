// Original file: libs/api/src/proto/raft.proto

/**
 * Mirrors MessageType in libs/raft/src/core/types.ts value for value, so the codec can
 * pass the number straight through. Local-only types are listed too: keeping the two
 * enums identical is simpler than keeping a mapping right.
 */
export const MessageType = {
  MESSAGE_TYPE_HUP: 0,
  MESSAGE_TYPE_BEAT: 1,
  MESSAGE_TYPE_PROP: 2,
  MESSAGE_TYPE_APP: 3,
  MESSAGE_TYPE_APP_RESP: 4,
  MESSAGE_TYPE_VOTE: 5,
  MESSAGE_TYPE_VOTE_RESP: 6,
  MESSAGE_TYPE_PRE_VOTE: 7,
  MESSAGE_TYPE_PRE_VOTE_RESP: 8,
  MESSAGE_TYPE_SNAP: 9,
  MESSAGE_TYPE_HEARTBEAT: 10,
  MESSAGE_TYPE_HEARTBEAT_RESP: 11,
  MESSAGE_TYPE_UNREACHABLE: 12,
  MESSAGE_TYPE_SNAP_STATUS: 13,
  MESSAGE_TYPE_CHECK_QUORUM: 14,
  MESSAGE_TYPE_TRANSFER_LEADER: 15,
  MESSAGE_TYPE_TIMEOUT_NOW: 16,
  MESSAGE_TYPE_READ_INDEX: 17,
  MESSAGE_TYPE_READ_INDEX_RESP: 18,
} as const;

/**
 * Mirrors MessageType in libs/raft/src/core/types.ts value for value, so the codec can
 * pass the number straight through. Local-only types are listed too: keeping the two
 * enums identical is simpler than keeping a mapping right.
 */
export type MessageType =
  | 'MESSAGE_TYPE_HUP'
  | 0
  | 'MESSAGE_TYPE_BEAT'
  | 1
  | 'MESSAGE_TYPE_PROP'
  | 2
  | 'MESSAGE_TYPE_APP'
  | 3
  | 'MESSAGE_TYPE_APP_RESP'
  | 4
  | 'MESSAGE_TYPE_VOTE'
  | 5
  | 'MESSAGE_TYPE_VOTE_RESP'
  | 6
  | 'MESSAGE_TYPE_PRE_VOTE'
  | 7
  | 'MESSAGE_TYPE_PRE_VOTE_RESP'
  | 8
  | 'MESSAGE_TYPE_SNAP'
  | 9
  | 'MESSAGE_TYPE_HEARTBEAT'
  | 10
  | 'MESSAGE_TYPE_HEARTBEAT_RESP'
  | 11
  | 'MESSAGE_TYPE_UNREACHABLE'
  | 12
  | 'MESSAGE_TYPE_SNAP_STATUS'
  | 13
  | 'MESSAGE_TYPE_CHECK_QUORUM'
  | 14
  | 'MESSAGE_TYPE_TRANSFER_LEADER'
  | 15
  | 'MESSAGE_TYPE_TIMEOUT_NOW'
  | 16
  | 'MESSAGE_TYPE_READ_INDEX'
  | 17
  | 'MESSAGE_TYPE_READ_INDEX_RESP'
  | 18

/**
 * Mirrors MessageType in libs/raft/src/core/types.ts value for value, so the codec can
 * pass the number straight through. Local-only types are listed too: keeping the two
 * enums identical is simpler than keeping a mapping right.
 */
export type MessageType__Output = typeof MessageType[keyof typeof MessageType]
