// Original file: libs/api/src/proto/ca.proto


export interface RenewRequest {
  /**
   * PKCS#10, PEM. Its subject is ignored: the node ID comes from the client certificate.
   */
  'csrPem'?: (string);
}

export interface RenewRequest__Output {
  /**
   * PKCS#10, PEM. Its subject is ignored: the node ID comes from the client certificate.
   */
  'csrPem': (string);
}
