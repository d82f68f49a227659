// Original file: libs/api/src/proto/dispatcher.proto


export interface HeartbeatResponse {
  'periodMs'?: (number);
}

export interface HeartbeatResponse__Output {
  'periodMs': (number);
}
