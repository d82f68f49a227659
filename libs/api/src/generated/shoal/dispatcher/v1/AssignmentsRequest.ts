// Original file: libs/api/src/proto/dispatcher.proto


export interface AssignmentsRequest {
  'sessionId'?: (string);
}

export interface AssignmentsRequest__Output {
  'sessionId': (string);
}
