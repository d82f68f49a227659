// Original file: libs/api/src/proto/manager.proto

import type { LogsTask as _shoal_manager_v1_LogsTask, LogsTask__Output as _shoal_manager_v1_LogsTask__Output } from '../../../shoal/manager/v1/LogsTask';

export interface LogsRequest {
  'tasks'?: (_shoal_manager_v1_LogsTask)[];
  'follow'?: (boolean);
  /**
   * Lines per task from the end; -1 for all.
   */
  'tail'?: (number);
  /**
   * Milliseconds since the epoch; 0 for no bound.
   */
  'sinceMs'?: (number | string);
  'timestamps'?: (boolean);
}

export interface LogsRequest__Output {
  'tasks': (_shoal_manager_v1_LogsTask__Output)[];
  'follow': (boolean);
  /**
   * Lines per task from the end; -1 for all.
   */
  'tail': (number);
  /**
   * Milliseconds since the epoch; 0 for no bound.
   */
  'sinceMs': (number);
  'timestamps': (boolean);
}
