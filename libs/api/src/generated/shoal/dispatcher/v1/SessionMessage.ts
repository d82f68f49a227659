// Original file: libs/api/src/proto/dispatcher.proto

import type { Manager as _shoal_dispatcher_v1_Manager, Manager__Output as _shoal_dispatcher_v1_Manager__Output } from '../../../shoal/dispatcher/v1/Manager';
import type { LogSubscription as _shoal_dispatcher_v1_LogSubscription, LogSubscription__Output as _shoal_dispatcher_v1_LogSubscription__Output } from '../../../shoal/dispatcher/v1/LogSubscription';

export interface SessionMessage {
  'sessionId'?: (string);
  'heartbeatPeriodMs'?: (number);
  'managers'?: (_shoal_dispatcher_v1_Manager)[];
  /**
   * Set when a client asked a manager for logs of tasks on this node (or to stop them).
   */
  'logSubscription'?: (_shoal_dispatcher_v1_LogSubscription | null);
}

export interface SessionMessage__Output {
  'sessionId': (string);
  'heartbeatPeriodMs': (number);
  'managers': (_shoal_dispatcher_v1_Manager__Output)[];
  /**
   * Set when a client asked a manager for logs of tasks on this node (or to stop them).
   */
  'logSubscription': (_shoal_dispatcher_v1_LogSubscription__Output | null);
}
