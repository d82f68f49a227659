// Original file: libs/api/src/proto/ca.proto


export interface Manager {
  'nodeId'?: (string);
  'addr'?: (string);
}

export interface Manager__Output {
  'nodeId': (string);
  'addr': (string);
}
