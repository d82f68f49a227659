// Original file: libs/api/src/proto/dispatcher.proto

import type { LogLine as _shoal_dispatcher_v1_LogLine, LogLine__Output as _shoal_dispatcher_v1_LogLine__Output } from '../../../shoal/dispatcher/v1/LogLine';

export interface PublishLogsMessage {
  'subscriptionId'?: (string);
  'lines'?: (_shoal_dispatcher_v1_LogLine)[];
  /**
   * The agent has sent everything for this subscription (or failed: then error says why).
   */
  'close'?: (boolean);
  'error'?: (string);
}

export interface PublishLogsMessage__Output {
  'subscriptionId': (string);
  'lines': (_shoal_dispatcher_v1_LogLine__Output)[];
  /**
   * The agent has sent everything for this subscription (or failed: then error says why).
   */
  'close': (boolean);
  'error': (string);
}
