import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Shared by the Shoal KV client and the etcd benchmark client so both sides of a comparison
 * go through the same gRPC plumbing; a difference in client overhead would otherwise show up
 * as a difference between the two Raft implementations.
 */

export interface ChannelPoolOptions {
  /**
   * TCP connections to open to the one address. grpc-js multiplexes every call of a channel
   * over one HTTP/2 connection, and channels with identical options even share it through
   * the global subchannel pool. Under 64 concurrent 1 KiB calls that single connection's
   * flow-control window and the server's per-connection read loop can become the limit
   * rather than the system under test, so the pool gives each channel a private subchannel
   * pool (hence its own connection) and spreads calls round-robin.
   */
  channels?: number;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
}

export class ChannelPool {
  private readonly clients: grpc.Client[];
  private cursor = 0;

  constructor(
    readonly address: string,
    opts: ChannelPoolOptions = {},
  ) {
    const n = Math.max(1, opts.channels ?? 1);
    const credentials = opts.credentials ?? grpc.credentials.createInsecure();
    this.clients = Array.from(
      { length: n },
      () =>
        new grpc.Client(address, credentials, {
          // Benchmarks kill servers; a long reconnect backoff would be measured as
          // failover time, so keep it close to what a tuned production client uses.
          'grpc.initial_reconnect_backoff_ms': 50,
          'grpc.max_reconnect_backoff_ms': 500,
          ...opts.channelOptions,
          'grpc.use_local_subchannel_pool': 1,
        }),
    );
  }

  next(): grpc.Client {
    const c = this.clients[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.clients.length;
    return c;
  }

  /**
   * The next channel, once its connection is up; undefined if it cannot be brought up within
   * `timeoutMs`. Callers rely on this to tell "never sent" from "sent, outcome unknown": a
   * call issued on a channel that turns out to be dead fails with the same UNAVAILABLE as a
   * call cut off mid-flight, so connecting first keeps a dead leader from producing
   * outcome-unknown errors for writes that never left the client.
   */
  async nextReady(timeoutMs: number): Promise<grpc.Client | undefined> {
    const client = this.next();
    const channel = client.getChannel();
    const deadline = Date.now() + timeoutMs;
    let state = channel.getConnectivityState(true);
    while (state !== grpc.connectivityState.READY) {
      if (
        state === grpc.connectivityState.TRANSIENT_FAILURE ||
        state === grpc.connectivityState.SHUTDOWN
      ) {
        return undefined;
      }
      const changed = await new Promise<boolean>((resolve) =>
        channel.watchConnectivityState(state, deadline, (err) => resolve(!err)),
      );
      if (!changed) return undefined;
      state = channel.getConnectivityState(true);
    }
    return client;
  }

  /** Worst state across the pool, so "ready" means every connection is usable. */
  state(): grpc.connectivityState {
    return Math.max(...this.clients.map((c) => c.getChannel().getConnectivityState(false)));
  }

  /** Starts connecting every channel (they are lazy) and waits until all are ready. */
  async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(
      this.clients.map(
        (c) =>
          new Promise<void>((resolve, reject) =>
            c.waitForReady(deadline, (err) => (err ? reject(err) : resolve())),
          ),
      ),
    );
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

export interface CallOptions {
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

/** A unary call as a promise; rejects with the grpc-js `ServiceError` (code, details, trailers). */
export function unaryCall<Req, Res>(
  client: grpc.Client,
  method: protoLoader.MethodDefinition<Req, Res>,
  request: Req,
  opts: CallOptions = {},
): Promise<Res> {
  const callOptions: grpc.CallOptions = {};
  if (opts.deadlineMs !== undefined) callOptions.deadline = Date.now() + opts.deadlineMs;
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest<Req, Res>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      opts.metadata ?? new grpc.Metadata(),
      callOptions,
      (err, res) => (err ? reject(err) : resolve(res as Res)),
    );
  });
}

export function isServiceError(err: unknown): err is grpc.ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<grpc.ServiceError>).code === 'number' &&
    (err as Partial<grpc.ServiceError>).metadata instanceof grpc.Metadata
  );
}

/**
 * Loads one service's method table from a .proto at run time (no codegen step to keep in
 * sync). Typed loosely: callers pin request/response shapes with their own interfaces.
 */
export function loadServiceMethods(
  protoPath: string,
  serviceName: string,
  loaderOptions: protoLoader.Options,
): Record<string, protoLoader.MethodDefinition<object, object>> {
  const def = protoLoader.loadSync(protoPath, loaderOptions);
  const service = def[serviceName];
  // Messages and enums are in the same table, marked by a `format` field; services are not.
  if (!service || 'format' in service) {
    throw new Error(`service ${serviceName} not found in ${protoPath}`);
  }
  return service as unknown as Record<string, protoLoader.MethodDefinition<object, object>>;
}

/** The service definition as grpc-js `Server#addService` wants it (for servers and fakes). */
export function loadServiceDefinition(
  protoPath: string,
  serviceName: string,
  loaderOptions: protoLoader.Options,
): grpc.ServiceDefinition {
  return loadServiceMethods(protoPath, serviceName, loaderOptions) as grpc.ServiceDefinition;
}

/**
 * mTLS channel credentials from a PKI directory laid out as `ca.pem`, `<name>.pem`,
 * `<name>-key.pem` — the layout the etcd cluster helper also expects.
 */
export function tlsCredentialsFromDir(dir: string, name: string): grpc.ChannelCredentials {
  const read = (file: string) => readFileSync(path.join(dir, file));
  return grpc.credentials.createSsl(read('ca.pem'), read(`${name}-key.pem`), read(`${name}.pem`));
}
