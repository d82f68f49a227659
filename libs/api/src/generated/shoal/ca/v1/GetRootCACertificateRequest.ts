// Original file: libs/api/src/proto/ca.proto


export interface GetRootCACertificateRequest {
}

export interface GetRootCACertificateRequest__Output {
}
