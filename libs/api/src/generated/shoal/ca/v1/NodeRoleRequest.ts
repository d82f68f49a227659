// Original file: libs/api/src/proto/ca.proto


export interface NodeRoleRequest {
  'advertiseAddr'?: (string);
}

export interface NodeRoleRequest__Output {
  'advertiseAddr': (string);
}
