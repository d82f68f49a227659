// Original file: libs/api/src/proto/manager.proto

import type { Long } from '@grpc/proto-loader';

export interface ProposeResponse {
  'index'?: (number | string | Long);
}

export interface ProposeResponse__Output {
  'index': (number);
}
