// Original file: libs/api/src/proto/ca.proto


export interface RenewResponse {
  'certPem'?: (string);
  'role'?: (string);
}

export interface RenewResponse__Output {
  'certPem': (string);
  'role': (string);
}
