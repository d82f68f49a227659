// Original file: libs/api/src/proto/manager.proto


export interface ProposeRequest {
  'data'?: (Buffer | Uint8Array | string);
}

export interface ProposeRequest__Output {
  'data': (Buffer);
}
