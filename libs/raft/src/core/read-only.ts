import { type Message, type NodeId } from './types';

interface ReadIndexStatus {
  /** The commit index when the request arrived: the read is safe once that is applied. */
  index: number;
  req: Message;
  acks: Set<NodeId>;
}

/**
 * ReadIndex bookkeeping, safe mode (Raft thesis §6.4): a read is answered only after a
 * quorum acknowledged a heartbeat sent after the read arrived, proving we were still leader
 * when we picked its index. Heartbeats carry the newest pending request's context; an ack for
 * it also confirms every older request, because they were queued earlier.
 */
export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Registers a request; a duplicate context is ignored (the first one stands). */
  addRequest(index: number, req: Message): void {
    const key = contextKey(req.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, req, acks: new Set() });
    this.queue.push(key);
  }

  /** Whether a request with `ctx` is waiting for its heartbeat round. */
  has(ctx: Uint8Array | undefined): boolean {
    return this.pending.has(contextKey(ctx));
  }

  /** Records an ack for the request with `ctx`; returns who acked it so far, if it exists. */
  recvAck(from: NodeId, ctx: Uint8Array | undefined): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(contextKey(ctx));
    if (!rs) return undefined;
    rs.acks.add(from);
    return rs.acks;
  }

  /** Removes and returns every request up to and including the one with `ctx`, oldest first. */
  advance(ctx: Uint8Array | undefined): { index: number; req: Message }[] {
    const key = contextKey(ctx);
    const pos = this.queue.indexOf(key);
    if (pos < 0) return [];
    const done = this.queue.slice(0, pos + 1);
    this.queue = this.queue.slice(pos + 1);
    return done.map((k) => {
      const rs = this.pending.get(k)!;
      this.pending.delete(k);
      return { index: rs.index, req: rs.req };
    });
  }

  lastPendingRequestCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.req.context;
  }

  get pendingCount(): number {
    return this.queue.length;
  }
}

/** Contexts are arbitrary bytes; latin1-style code units give a lossless Map key. */
export function contextKey(ctx: Uint8Array | undefined): string {
  if (!ctx) return '';
  let s = '';
  for (let i = 0; i < ctx.length; i += 4096) {
    s += String.fromCharCode(...ctx.subarray(i, i + 4096));
  }
  return s;
}
