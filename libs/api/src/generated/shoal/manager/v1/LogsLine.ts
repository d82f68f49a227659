// Original file: libs/api/src/proto/manager.proto


export interface LogsLine {
  'taskId'?: (string);
  'nodeId'?: (string);
  /**
   * 1 stdout, 2 stderr (Docker's stream numbers).
   */
  'stream'?: (number);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * RFC 3339 with nanoseconds; empty when the engine keeps none.
   */
  'timestamp'?: (string);
}

export interface LogsLine__Output {
  'taskId': (string);
  'nodeId': (string);
  /**
   * 1 stdout, 2 stderr (Docker's stream numbers).
   */
  'stream': (number);
  'data': (Buffer);
  /**
   * RFC 3339 with nanoseconds; empty when the engine keeps none.
   */
  'timestamp': (string);
}
