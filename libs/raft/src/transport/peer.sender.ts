import * as grpc from '@grpc/grpc-js';
import { type PbRaftBatch, type PbRaftTransportClient } from '@shoal/api';
import { type Message, type NodeId } from '../core/types';
import { type Backoff } from './backoff.policy';
import { MAX_GRPC_MESSAGE_BYTES, messageSizeBound, messageToPb } from './message.codec';
import { type TransportLogger } from './transport';

export interface PeerSenderOptions {
  peer: NodeId;
  address: string;
  client: PbRaftTransportClient;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  backoff: Backoff;
  logger: TransportLogger;
  /** Messages to this peer were lost. Rate limiting and deferral are the caller's job. */
  onUnreachable: () => void;
}

interface Queued {
  msg: Message;
  bytes: number;
}

/**
 * The outbound half of one peer: a bounded queue drained into a single long-lived Stream call,
 * one RaftBatch per write. The sender never waits on the network: when the peer cannot keep up
 * or cannot be reached it drops, tells Raft the peer is unreachable, and lets Raft's own
 * retransmission (probing, heartbeats) recover. So after a stream failure it discards what was
 * queued instead of replaying it: by then those appends and heartbeats are stale, and Raft
 * will send fresh ones once it hears from the peer.
 */
export class PeerSender {
  readonly peer: NodeId;
  readonly address: string;
  readonly client: PbRaftTransportClient;

  private queue: Queued[] = [];
  private queuedBytes = 0;
  private call: grpc.ClientWritableStream<PbRaftBatch> | undefined;
  private callEnded: Promise<void> = Promise.resolve();
  private waitingForDrain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly o: PeerSenderOptions) {
    this.peer = o.peer;
    this.address = o.address;
    this.client = o.client;
  }

  enqueue(msg: Message): void {
    if (this.closed) return;
    const bytes = messageSizeBound(msg);
    if (bytes > MAX_GRPC_MESSAGE_BYTES) {
      // Retrying cannot help, and reporting the peer unreachable would only make Raft resend
      // the same oversized append. The core's max-size-per-message setting prevents this.
      this.o.logger.warn('raft transport: dropping a message larger than a gRPC frame', {
        peer: this.peer,
        type: msg.type,
        bytes,
      });
      return;
    }
    if (this.retryTimer) {
      this.o.onUnreachable();
      return;
    }
    if (
      this.queue.length >= this.o.maxQueuedMessages ||
      this.queuedBytes + bytes > this.o.maxQueuedBytes
    ) {
      this.o.logger.debug('raft transport: queue full, dropping', { peer: this.peer });
      this.o.onUnreachable();
      return;
    }
    this.queue.push({ msg, bytes });
    this.queuedBytes += bytes;
    this.scheduleFlush();
  }

  /**
   * Graceful close flushes what is queued and half-closes, waiting up to `graceMs` for the
   * peer to take it, so a last message sent just before shutdown (a TimeoutNow handing over
   * leadership, say) is not lost. Otherwise the call is cancelled at once.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const call = this.call;
    if (call && graceMs > 0) {
      while (this.queue.length > 0) call.write({ messages: this.takeBatch() });
      call.end();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([this.callEnded, grace]);
      clearTimeout(timer);
    }
    this.queue = [];
    this.queuedBytes = 0;
    call?.cancel();
    this.client.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Deferred so that everything sent in the same turn (a whole Ready) shares one write.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.retryTimer || this.waitingForDrain) return;
    if (this.queue.length === 0) return;
    const call = this.call ?? this.openStream();
    while (this.queue.length > 0) {
      if (!call.write({ messages: this.takeBatch() })) {
        // gRPC buffered the batch but wants no more for now; the queue absorbs the rest and
        // overflows (drop + unreachable) if the peer stays slow.
        this.waitingForDrain = true;
        call.once('drain', () => {
          if (this.call !== call) return;
          this.waitingForDrain = false;
          this.scheduleFlush();
        });
        return;
      }
    }
  }

  /** Takes the longest prefix of the queue that fits in one gRPC message (at least one). */
  private takeBatch(): PbRaftBatch['messages'] {
    let n = 0;
    let bytes = 0;
    while (
      n < this.queue.length &&
      (n === 0 || bytes + this.queue[n].bytes <= MAX_GRPC_MESSAGE_BYTES)
    ) {
      bytes += this.queue[n].bytes;
      n++;
    }
    const taken = this.queue.splice(0, n);
    this.queuedBytes -= bytes;
    return taken.map((q) => messageToPb(q.msg));
  }

  private openStream(): grpc.ClientWritableStream<PbRaftBatch> {
    let resolveEnded!: () => void;
    this.callEnded = new Promise<void>((resolve) => (resolveEnded = resolve));
    const call = this.client.Stream(new grpc.Metadata(), {}, (err) => {
      resolveEnded();
      this.onStreamEnd(call, err);
    });
    // The receiver sends headers as soon as it accepts the stream: proof the peer is back.
    call.on('metadata', () => this.o.backoff.reset());
    // A client-streaming call reports failure through the callback; this listener only keeps
    // a stray stream error from becoming an uncaught exception.
    call.on('error', (err) =>
      this.o.logger.debug('raft transport: stream error', { peer: this.peer, err: String(err) }),
    );
    this.call = call;
    this.waitingForDrain = false;
    return call;
  }

  private onStreamEnd(
    call: grpc.ClientWritableStream<PbRaftBatch>,
    err: grpc.ServiceError | null,
  ): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.waitingForDrain = false;
    if (this.closed) return;
    const lost = this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    const delayMs = this.o.backoff.next();
    this.o.logger.debug('raft transport: stream to peer ended', {
      peer: this.peer,
      address: this.address,
      err: err ? `${grpc.status[err.code]}: ${err.details}` : 'closed by peer',
      lost,
      retryInMs: delayMs,
    });
    this.o.onUnreachable();
    // Messages sent while this timer runs are dropped; the first one after it reconnects.
    this.retryTimer = setTimeout(() => (this.retryTimer = undefined), delayMs);
    this.retryTimer.unref();
  }
}
