/**
 * The CA's gRPC side: NodeCA (server and client) and the cluster port's TLS plumbing. Kept out
 * of @shoal/ca's index so that code needing only certificates and tokens does not load gRPC;
 * import it as `@shoal/ca/grpc`.
 */
export * from './cluster-credentials';
export * from './node-ca.client';
export * from './node-ca.service';
export * from './peer-authorization';
