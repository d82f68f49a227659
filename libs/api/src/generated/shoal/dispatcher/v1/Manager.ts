// Original file: libs/api/src/proto/dispatcher.proto


export interface Manager {
  'nodeId'?: (string);
  'addr'?: (string);
}

export interface Manager__Output {
  'nodeId': (string);
  'addr': (string);
}
