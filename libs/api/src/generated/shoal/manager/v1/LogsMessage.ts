// Original file: libs/api/src/proto/manager.proto

import type { LogsLine as _shoal_manager_v1_LogsLine, LogsLine__Output as _shoal_manager_v1_LogsLine__Output } from '../../../shoal/manager/v1/LogsLine';

/**
 * Lines in the order the broker passed them on; a warning, when set, comes after them.
 */
export interface LogsMessage {
  'lines'?: (_shoal_manager_v1_LogsLine)[];
  'warning'?: (string);
}

/**
 * Lines in the order the broker passed them on; a warning, when set, comes after them.
 */
export interface LogsMessage__Output {
  'lines': (_shoal_manager_v1_LogsLine__Output)[];
  'warning': (string);
}
