// Original file: libs/api/src/proto/dispatcher.proto

import type { Long } from '@grpc/proto-loader';

// Original file: libs/api/src/proto/dispatcher.proto

export const _shoal_dispatcher_v1_AssignmentsMessage_Type = {
  COMPLETE: 0,
  INCREMENTAL: 1,
} as const;

export type _shoal_dispatcher_v1_AssignmentsMessage_Type =
  | 'COMPLETE'
  | 0
  | 'INCREMENTAL'
  | 1

export type _shoal_dispatcher_v1_AssignmentsMessage_Type__Output = typeof _shoal_dispatcher_v1_AssignmentsMessage_Type[keyof typeof _shoal_dispatcher_v1_AssignmentsMessage_Type]

export interface AssignmentsMessage {
  'type'?: (_shoal_dispatcher_v1_AssignmentsMessage_Type);
  'sequence'?: (number | string | Long);
  /**
   * The sequence this message follows (INCREMENTAL only).
   */
  'appliesTo'?: (number | string | Long);
  /**
   * Tasks added or changed, Docker API JSON each.
   */
  'updatedJson'?: (string)[];
  /**
   * IDs of tasks no longer assigned to the node.
   */
  'removed'?: (string)[];
}

export interface AssignmentsMessage__Output {
  'type': (_shoal_dispatcher_v1_AssignmentsMessage_Type__Output);
  'sequence': (number);
  /**
   * The sequence this message follows (INCREMENTAL only).
   */
  'appliesTo': (number);
  /**
   * Tasks added or changed, Docker API JSON each.
   */
  'updatedJson': (string)[];
  /**
   * IDs of tasks no longer assigned to the node.
   */
  'removed': (string)[];
}
