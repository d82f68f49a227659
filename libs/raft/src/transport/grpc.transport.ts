import * as grpc from '@grpc/grpc-js';
import {
  loadRaftProto,
  type PbMessageOut,
  type PbRaftBatchOut,
  type PbRaftTransportHandlers,
  type PbSnapshotAck,
  type PbSnapshotChunk,
  type PbSnapshotChunkOut,
  type PbStreamAck,
} from '@shoal/api';
import { type Message, MessageType, type NodeId, silentLogger } from '../core/types';
import { Backoff, type BackoffOptions } from './backoff.policy';
import { MAX_GRPC_MESSAGE_BYTES, messageFromPb } from './message.codec';
import { PeerSender } from './peer.sender';
import { MAX_SNAPSHOT_CHUNK_BYTES, SnapshotAssembler, snapshotChunks } from './snapshot.codec';
import { type Transport, type TransportHandlers, type TransportLogger } from './transport';

export interface GrpcTransportOptions {
  id: NodeId;
  /** host:port to listen on; port 0 picks a free one (see boundPort). */
  listenAddress: string;
  /**
   * Injected so the CA work decides policy. Either server credentials that require a client
   * certificate (`grpc.ServerCredentials.createSsl(ca, [{ cert_chain, private_key }], true)`),
   * or ready-made ones that request one without requiring it, so that the same port can serve
   * certificate issuance to nodes that have none yet; pair those with `authorizePeer`, or any
   * client without a certificate may speak Raft. Client: `grpc.credentials.createSsl(ca, key,
   * cert)` or equivalent mTLS credentials.
   */
  credentials: { server: grpc.ServerCredentials; client: grpc.ChannelCredentials };
  logger?: TransportLogger;
  /** Snapshot data per InstallSnapshot message. Default 1 MiB; at most 4 MiB minus framing. */
  snapshotChunkBytes?: number;
  /** Per-peer queue bound, in messages. Default 4096. */
  maxQueuedMessages?: number;
  /** Per-peer queue bound, in (estimated) encoded bytes. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Reconnect delays after a stream fails. Default 100 ms doubling to 5 s, jittered. */
  backoff?: BackoffOptions;
  /** At most one onUnreachable per peer per interval. Default 1000 ms. */
  unreachableIntervalMs?: number;
  /** Largest snapshot this node accepts. Default 1 GiB. */
  maxSnapshotBytes?: number;
  /** Deadline for one whole InstallSnapshot call. Default 10 minutes. */
  snapshotTimeoutMs?: number;
  /**
   * Refuse inbound messages whose `from` is not the CN of the sender's client certificate, so
   * one member cannot speak for another. No effect without client certificates. Default true.
   */
  verifySenderIdentity?: boolean;
  /** How long stop() waits for queued messages to reach their peers. Default 1000 ms. */
  stopGraceMs?: number;
  /**
   * Decides whether the client at the other end of an inbound Stream or InstallSnapshot call
   * may speak Raft at all: returns why not, or undefined to admit it. `certificateDer` is the
   * client certificate, present only when TLS verified it against the server's CA at the
   * handshake; re-checking it here (expiry, role, denylist) is the hook's job. Applied when a
   * call starts and again at most every `reauthorizeIntervalMs` on a long-lived stream, so a
   * node removed or expired mid-stream is cut off. A refused call ends with UNAUTHENTICATED
   * (no certificate) or PERMISSION_DENIED. A hook that throws refuses. Default: no check
   * beyond the credentials' own.
   */
  authorizePeer?: PeerAuthorizer;
  /** How often a long-lived inbound stream is re-authorized. Default 1000 ms. */
  reauthorizeIntervalMs?: number;
  /**
   * Other services served on the same port and credentials (the cluster port carries more
   * than Raft: manager-to-manager calls, later the dispatcher and the CA).
   */
  extraServices?: {
    definition: grpc.ServiceDefinition;
    implementation: grpc.UntypedServiceImplementation;
  }[];
}

/** The client at the other end of an inbound call, as TLS established it. */
export interface GrpcPeerIdentity {
  /** DER of the client certificate; only present when TLS verified its chain. */
  certificateDer?: Uint8Array;
  /** The certificate's CN (the node ID). */
  cn?: string;
}

/** Why a peer may not speak Raft, or undefined when it may. */
export type PeerAuthorizer = (peer: GrpcPeerIdentity) => string | undefined;

type Resolved = Required<Omit<GrpcTransportOptions, 'credentials' | 'authorizePeer'>> &
  Pick<GrpcTransportOptions, 'credentials' | 'authorizePeer'>;

const MiB = 1024 * 1024;

// Both ends state the 4 MiB limit instead of trusting the library default; the sender sizes
// batches and chunks to stay under it.
const MESSAGE_LIMITS = {
  'grpc.max_send_message_length': MAX_GRPC_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES,
};

// A silently dead peer (power loss, partition without RST) would otherwise hold a stream
// open until TCP gives up, minutes later. Also, Node's HTTP/2-over-TLS client can miss the reset of a peer killed mid-write and keep the
// stream "open" forever; an unanswered ping is then the only sign. Peers exchange heartbeats
// every tick, so a ping every 2 s costs nothing, and a dead stream is replaced within ~4 s
// instead of lingering until the restarted peer is needed.
const KEEPALIVE = { 'grpc.keepalive_time_ms': 2_000, 'grpc.keepalive_timeout_ms': 2_000 };

/** Refusals of the same kind are logged at most this often (a refused peer retries fast). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Raft messages over gRPC: one long-lived client stream per peer for ordinary messages, one
 * InstallSnapshot call per snapshot. Every MsgSnap accepted by send() is answered by exactly
 * one onSnapshotStatus, unless the transport stops first.
 */
export class GrpcTransport implements Transport {
  private readonly o: Resolved;
  private readonly log: TransportLogger;
  private readonly peers = new Map<NodeId, PeerSender>();
  private readonly snapshotCalls = new Map<NodeId, grpc.ClientWritableStream<PbSnapshotChunk>>();
  private readonly lastUnreachable = new Map<NodeId, number>();
  private readonly refusalLog = new Map<string, { at: number; suppressed: number }>();
  private handlers: TransportHandlers | undefined;
  private server: grpc.Server | undefined;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private port = 0;

  constructor(opts: GrpcTransportOptions) {
    this.o = {
      logger: silentLogger,
      snapshotChunkBytes: MiB,
      maxQueuedMessages: 4096,
      maxQueuedBytes: 64 * MiB,
      backoff: { initialMs: 100, maxMs: 5_000 },
      unreachableIntervalMs: 1_000,
      maxSnapshotBytes: 1024 * MiB,
      snapshotTimeoutMs: 10 * 60_000,
      verifySenderIdentity: true,
      stopGraceMs: 1_000,
      reauthorizeIntervalMs: 1_000,
      extraServices: [],
      ...withoutUndefined(opts),
    };
    this.log = this.o.logger;
    const chunk = this.o.snapshotChunkBytes;
    if (!(Number.isInteger(chunk) && chunk > 0 && chunk <= MAX_SNAPSHOT_CHUNK_BYTES)) {
      throw new RangeError(`snapshotChunkBytes must be in (0, ${MAX_SNAPSHOT_CHUNK_BYTES}]`);
    }
    // Fail at construction, not at the first reconnect.
    new Backoff(this.o.backoff);
  }

  /** The port actually listened on; differs from listenAddress's when that asked for 0. */
  get boundPort(): number {
    if (this.state !== 'running') throw new Error('GrpcTransport is not running');
    return this.port;
  }

  async start(handlers: TransportHandlers): Promise<void> {
    if (this.state !== 'new') throw new Error(`GrpcTransport cannot start when ${this.state}`);
    this.state = 'starting';
    this.handlers = handlers;
    const server = new grpc.Server({ ...MESSAGE_LIMITS, ...KEEPALIVE });
    const impl: PbRaftTransportHandlers = {
      Stream: (call, callback) => this.acceptStream(call, callback),
      InstallSnapshot: (call, callback) => this.acceptSnapshot(call, callback),
    };
    server.addService(loadRaftProto().shoal.raft.v1.RaftTransport.service, impl);
    for (const extra of this.o.extraServices)
      server.addService(extra.definition, extra.implementation);
    try {
      this.port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(this.o.listenAddress, this.o.credentials.server, (err, port) =>
          err ? reject(err) : resolve(port),
        ),
      );
    } catch (err) {
      server.forceShutdown();
      this.state = 'stopped';
      throw err;
    }
    this.server = server;
    // stop() may have run while we were binding.
    if (this.state !== 'starting') {
      server.forceShutdown();
      return;
    }
    this.state = 'running';
    this.log.info('raft transport listening', { id: this.o.id, port: this.port });
  }

  send(messages: Message[]): void {
    for (const m of messages) {
      try {
        this.sendOne(m);
      } catch (err) {
        // Raft will retransmit; a throw here would unwind the driver's loop instead.
        this.log.warn('raft transport: send failed', { to: m.to, type: m.type, err: String(err) });
      }
    }
  }

  setPeer(id: NodeId, address: string): void {
    if (id === this.o.id || this.state === 'stopped') return;
    const existing = this.peers.get(id);
    if (existing?.address === address) return;
    if (existing) this.dropPeer(existing);
    const client = new (loadRaftProto().shoal.raft.v1.RaftTransport)(
      address,
      this.o.credentials.client,
      {
        ...MESSAGE_LIMITS,
        ...KEEPALIVE,
        // gRPC's own reconnect backoff (default up to 120 s) would outlast ours and keep
        // failing calls fast long after the peer is back.
        'grpc.initial_reconnect_backoff_ms': this.o.backoff.initialMs,
        'grpc.max_reconnect_backoff_ms': this.o.backoff.maxMs,
        // Our reconnect logic is the only retry; gRPC's would buffer and replay stale batches.
        'grpc.enable_retries': 0,
        // Channels to the same address (an old and a new peer entry, two transports in one
        // test process) must not share a connection or its credentials.
        'grpc.use_local_subchannel_pool': 1,
      },
    );
    const sender = new PeerSender({
      peer: id,
      address,
      client,
      maxQueuedMessages: this.o.maxQueuedMessages,
      maxQueuedBytes: this.o.maxQueuedBytes,
      backoff: new Backoff(this.o.backoff),
      logger: this.log,
      onUnreachable: () => this.reportUnreachable(id),
    });
    this.peers.set(id, sender);
  }

  removePeer(id: NodeId): void {
    const sender = this.peers.get(id);
    if (sender) this.dropPeer(sender);
    this.lastUnreachable.delete(id);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const call of this.snapshotCalls.values()) call.cancel();
    this.snapshotCalls.clear();
    const senders = [...this.peers.values()];
    this.peers.clear();
    await Promise.all(senders.map((s) => s.close(this.o.stopGraceMs)));
    // Inbound streams never end on their own, so a graceful server shutdown would just wait.
    this.server?.forceShutdown();
    this.server = undefined;
    this.handlers = undefined;
  }

  private sendOne(m: Message): void {
    if (this.state !== 'running') return;
    if (m.to === this.o.id) {
      this.log.warn('raft transport: dropping a message to self', { type: m.type });
      return;
    }
    const sender = this.peers.get(m.to);
    if (!sender) {
      this.log.debug('raft transport: no address for peer', { peer: m.to, type: m.type });
      this.reportUnreachable(m.to);
      if (m.type === MessageType.Snap) this.reportSnapshot(m.to, false);
      return;
    }
    if (m.type === MessageType.Snap && m.snapshot) this.sendSnapshot(sender, m);
    else sender.enqueue(m);
  }

  private sendSnapshot(sender: PeerSender, m: Message): void {
    const peer = sender.peer;
    if (this.snapshotCalls.has(peer)) {
      // The core sends one snapshot at a time per follower; a second means it gave up on the
      // first. Refusing keeps the one-status-per-MsgSnap promise without a second transfer.
      this.log.warn('raft transport: snapshot already in flight, refusing another', { peer });
      this.reportSnapshot(peer, false);
      return;
    }
    let finished = false;
    const call = sender.client.InstallSnapshot(
      new grpc.Metadata(),
      { deadline: Date.now() + this.o.snapshotTimeoutMs },
      (err, ack) => {
        finished = true;
        if (this.snapshotCalls.get(peer) === call) this.snapshotCalls.delete(peer);
        if (err) {
          this.log.warn('raft transport: snapshot failed', {
            peer,
            err: `${grpc.status[err.code]}: ${err.details}`,
          });
        } else {
          this.log.info('raft transport: snapshot sent', { peer, bytes: ack?.receivedBytes });
        }
        this.reportSnapshot(peer, !err);
      },
    );
    call.on('error', (err) =>
      this.log.debug('raft transport: snapshot stream error', { err: String(err) }),
    );
    this.snapshotCalls.set(peer, call);
    void this.pumpSnapshot(call, m, () => finished);
  }

  /** Writes the chunks with backpressure, stopping early if the call has already ended. */
  private async pumpSnapshot(
    call: grpc.ClientWritableStream<PbSnapshotChunk>,
    m: Message,
    finished: () => boolean,
  ): Promise<void> {
    try {
      for (const chunk of snapshotChunks(m, this.o.snapshotChunkBytes)) {
        if (finished()) return;
        if (!call.write(chunk)) await drainOrStatus(call);
      }
      if (!finished()) call.end();
    } catch (err) {
      this.log.warn('raft transport: cannot send snapshot', { peer: m.to, err: String(err) });
      // Ends the call, whose callback then reports the failure.
      call.cancel();
    }
  }

  private acceptStream(
    call: grpc.ServerReadableStream<PbRaftBatchOut, PbStreamAck>,
    callback: grpc.sendUnaryData<PbStreamAck>,
  ): void {
    const peer = peerIdentity(call);
    const identity = peer.cn;
    let done = false;
    const refuse = (refusal: Refusal) => {
      done = true;
      this.logRefusal('stream', refusal, call.getPeer());
      callback({ code: refusal.code, details: refusal.details });
    };
    const refusal = this.authorize(peer);
    if (refusal) return refuse(refusal);
    let authorizedAt = performance.now();
    call.sendMetadata(new grpc.Metadata());
    call.on('data', (batch: PbRaftBatchOut) => {
      if (done) return;
      // A stream lives as long as the connection: the peer may have been removed, or its
      // certificate may have expired, since it was admitted.
      if (
        this.o.authorizePeer &&
        performance.now() - authorizedAt >= this.o.reauthorizeIntervalMs
      ) {
        const again = this.authorize(peer);
        if (again) return refuse(again);
        authorizedAt = performance.now();
      }
      for (const pb of batch.messages) this.deliver(pb, identity);
    });
    call.on('end', () => {
      if (done) return;
      done = true;
      callback(null, {});
    });
    call.on('error', (err) =>
      this.log.debug('raft transport: inbound stream error', {
        peer: call.getPeer(),
        err: String(err),
      }),
    );
  }

  private deliver(pb: PbMessageOut, identity: string | undefined): void {
    if (this.state !== 'running') return;
    let msg: Message;
    try {
      msg = messageFromPb(pb);
    } catch (err) {
      this.log.warn('raft transport: dropping undecodable message', {
        from: pb.from,
        err: String(err),
      });
      return;
    }
    const refusal = this.refusal(msg, identity);
    if (refusal) {
      this.log.warn(`raft transport: dropping inbound message: ${refusal}`, { type: msg.type });
      return;
    }
    this.callHandler('onMessage', () => this.handlers?.onMessage(msg));
  }

  private acceptSnapshot(
    call: grpc.ServerReadableStream<PbSnapshotChunkOut, PbSnapshotAck>,
    callback: grpc.sendUnaryData<PbSnapshotAck>,
  ): void {
    const peer = peerIdentity(call);
    const identity = peer.cn;
    const refusal = this.authorize(peer);
    if (refusal) {
      this.logRefusal('snapshot', refusal, call.getPeer());
      callback({ code: refusal.code, details: refusal.details });
      return;
    }
    const assembler = new SnapshotAssembler(this.o.maxSnapshotBytes);
    let done = false;
    const fail = (code: grpc.status, details: string) => {
      if (done) return;
      done = true;
      this.log.warn('raft transport: refusing snapshot', { peer: call.getPeer(), details });
      callback({ code, details });
    };
    call.on('data', (chunk: PbSnapshotChunkOut) => {
      if (done) return;
      const hadHeader = assembler.header !== undefined;
      try {
        assembler.push(chunk);
      } catch (err) {
        return fail(grpc.status.INVALID_ARGUMENT, String(err));
      }
      // Check the header before accepting megabytes addressed to someone else.
      if (!hadHeader && assembler.header) {
        const refusal = this.refusal(assembler.header, identity);
        if (refusal) fail(grpc.status.PERMISSION_DENIED, refusal);
      }
    });
    call.on('end', () => {
      if (done) return;
      let msg: Message;
      try {
        msg = assembler.finish();
      } catch (err) {
        return fail(grpc.status.DATA_LOSS, String(err));
      }
      done = true;
      if (this.state !== 'running') {
        callback({ code: grpc.status.UNAVAILABLE, details: 'transport stopping' });
        return;
      }
      this.callHandler('onMessage', () => this.handlers?.onMessage(msg));
      callback(null, { receivedBytes: assembler.receivedBytes });
    });
    call.on('error', (err) =>
      this.log.debug('raft transport: inbound snapshot error', {
        peer: call.getPeer(),
        err: String(err),
      }),
    );
  }

  /** Why the client of an inbound call may not speak Raft at all, if it may not. */
  private authorize(peer: GrpcPeerIdentity): Refusal | undefined {
    if (!this.o.authorizePeer) return undefined;
    let reason: string | undefined;
    try {
      reason = this.o.authorizePeer(peer);
    } catch (err) {
      reason = `authorization check failed: ${String(err)}`;
    }
    if (reason === undefined) return undefined;
    return {
      code: peer.certificateDer ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED,
      details: `raft transport refused ${peer.cn ?? 'a client without a certificate'}: ${reason}`,
    };
  }

  /** At most one warning per kind of refusal per interval, with a count of those left out. */
  private logRefusal(call: 'stream' | 'snapshot', refusal: Refusal, address: string): void {
    const now = performance.now();
    const key = `${call} ${refusal.details}`;
    const entry = this.refusalLog.get(key);
    if (entry && now - entry.at < REFUSAL_LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    // Keyed by reason, which an attacker can vary a little (its CN): keep the map bounded.
    if (this.refusalLog.size >= 256) this.refusalLog.clear();
    this.refusalLog.set(key, { at: now, suppressed: 0 });
    this.log.warn(`raft transport: refused an inbound ${call}: ${refusal.details}`, {
      peer: address,
      code: grpc.status[refusal.code],
      ...(entry?.suppressed ? { suppressedSinceLast: entry.suppressed } : {}),
    });
  }

  /** Why an inbound message must not reach the core, if it must not. */
  private refusal(msg: Message, identity: string | undefined): string | undefined {
    if (msg.to !== this.o.id) return `addressed to ${JSON.stringify(msg.to)}, this is ${this.o.id}`;
    if (this.o.verifySenderIdentity && identity !== undefined && msg.from !== identity) {
      return `claims to come from ${JSON.stringify(msg.from)}, certificate says ${identity}`;
    }
    return undefined;
  }

  private reportUnreachable(peer: NodeId): void {
    const now = performance.now();
    const last = this.lastUnreachable.get(peer);
    if (last !== undefined && now - last < this.o.unreachableIntervalMs) return;
    this.lastUnreachable.set(peer, now);
    this.defer('onUnreachable', () => this.handlers?.onUnreachable(peer));
  }

  private reportSnapshot(peer: NodeId, ok: boolean): void {
    this.defer('onSnapshotStatus', () => this.handlers?.onSnapshotStatus(peer, ok));
  }

  /**
   * Reports raised inside send() run after the caller's synchronous work, so the driver is
   * never re-entered while it is still handing out a Ready.
   */
  private defer(name: string, fn: () => void): void {
    queueMicrotask(() => {
      if (this.state === 'running') this.callHandler(name, fn);
    });
  }

  private callHandler(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.warn(`raft transport: ${name} handler threw`, { err: String(err) });
    }
  }

  private dropPeer(sender: PeerSender): void {
    this.peers.delete(sender.peer);
    // Cancelling reports the snapshot as failed through its callback, as promised.
    this.snapshotCalls.get(sender.peer)?.cancel();
    void sender.close();
  }
}

/** Resolves when the call can take more writes, or has ended and never will. */
function drainOrStatus(call: grpc.ClientWritableStream<PbSnapshotChunk>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('status', done);
      resolve();
    };
    call.on('drain', done);
    call.on('status', done);
  });
}

interface Refusal {
  code: grpc.status;
  details: string;
}

/**
 * The client certificate of the connection, if it has one. grpc-js reports a certificate only
 * when the TLS socket is `authorized`, i.e. its chain verified against the server's CA.
 */
function peerIdentity(
  call: Pick<grpc.ServerReadableStream<unknown, unknown>, 'getAuthContext'>,
): GrpcPeerIdentity {
  const cert = call.getAuthContext().sslPeerCertificate;
  const cn: unknown = cert?.subject?.CN;
  return {
    ...(cert?.raw ? { certificateDer: cert.raw } : {}),
    ...(typeof cn === 'string' ? { cn } : {}),
  };
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
