// Original file: libs/api/src/proto/ca.proto


export interface RootCACertificate {
  'caPem'?: (string);
}

export interface RootCACertificate__Output {
  'caPem': (string);
}
