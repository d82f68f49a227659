export * from './transport';
export { GrpcTransport, type GrpcTransportOptions } from './grpc.transport';
export { MemoryNetwork, MemoryTransport, type MemoryNetworkOptions } from './memory.transport';
export {
  MAX_GRPC_MESSAGE_BYTES,
  MessageDecodeError,
  messageFromPb,
  messageToPb,
} from './message.codec';
export { type BackoffOptions } from './backoff.policy';
