// Original file: libs/api/src/proto/dispatcher.proto


export interface HeartbeatRequest {
  'sessionId'?: (string);
}

export interface HeartbeatRequest__Output {
  'sessionId': (string);
}
