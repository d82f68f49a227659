// Original file: libs/api/src/proto/dispatcher.proto


export interface LogSubscription {
  'id'?: (string);
  'taskIds'?: (string)[];
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
  /**
   * The manager no longer wants this subscription.
   */
  'close'?: (boolean);
}

export interface LogSubscription__Output {
  'id': (string);
  'taskIds': (string)[];
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
  /**
   * The manager no longer wants this subscription.
   */
  'close': (boolean);
}
