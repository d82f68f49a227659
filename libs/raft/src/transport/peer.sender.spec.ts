import { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { type PbRaftBatch, type PbRaftTransportClient } from '@shoal/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Message, MessageType, emptyMessage, silentLogger } from '../core/types';
import { Backoff } from './backoff.policy';
import { MAX_GRPC_MESSAGE_BYTES } from './message.codec';
import { PeerSender, type PeerSenderOptions } from './peer.sender';

/** Stands in for a grpc-js client-streaming call: records writes, ends on demand. */
class FakeCall extends EventEmitter {
  readonly batches: PbRaftBatch[] = [];
  accepting = true;
  ended = false;
  cancelled = false;

  constructor(private readonly callback: (err: grpc.ServiceError | null) => void) {
    super();
  }
  write(batch: PbRaftBatch): boolean {
    this.batches.push(batch);
    return this.accepting;
  }
  end(): void {
    this.ended = true;
  }
  cancel(): void {
    this.cancelled = true;
  }
  fail(): void {
    this.callback(
      Object.assign(new Error('down'), { code: 14, details: 'down', metadata: {} }) as never,
    );
  }
  indexes(): number[] {
    return this.batches.flatMap((b) => (b.messages ?? []).map((m) => Number(m.index)));
  }
}

function fakeClient() {
  const calls: FakeCall[] = [];
  const client = {
    closed: false,
    Stream: (_md: unknown, _opts: unknown, cb: (err: grpc.ServiceError | null) => void) => {
      const call = new FakeCall(cb);
      calls.push(call);
      return call;
    },
    close() {
      this.closed = true;
    },
  };
  return { calls, client };
}

const app = (index: number, bytes = 0): Message => ({
  ...emptyMessage(MessageType.App, 'n2', 'n1'),
  index,
  entries: bytes ? [{ term: 1, index, type: 0, data: new Uint8Array(bytes) }] : [],
});

/** Lets the sender's deferred flush (a real setImmediate, queued earlier) run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PeerSender', () => {
  let unreachable: number;
  let fake: ReturnType<typeof fakeClient>;
  let sender: PeerSender;

  const make = (o: Partial<PeerSenderOptions> = {}) => {
    fake = fakeClient();
    sender = new PeerSender({
      peer: 'n2',
      address: 'x:1',
      client: fake.client as unknown as PbRaftTransportClient,
      maxQueuedMessages: 100,
      maxQueuedBytes: 64 * 1024 * 1024,
      backoff: new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.999),
      logger: silentLogger,
      onUnreachable: () => unreachable++,
      ...o,
    });
  };

  beforeEach(() => {
    // Only the backoff clock is fake; flushes run on the real setImmediate.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    unreachable = 0;
    make();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes everything sent in one turn as one batch', async () => {
    for (let i = 0; i < 5; i++) sender.enqueue(app(i));
    expect(fake.calls).toHaveLength(0);
    await turn();
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].batches).toHaveLength(1);
    expect(fake.calls[0].indexes()).toEqual([0, 1, 2, 3, 4]);
  });

  it('splits batches at the gRPC message limit', async () => {
    for (let i = 0; i < 9; i++) sender.enqueue(app(i, 1024 * 1024));
    await turn();
    const call = fake.calls[0];
    expect(call.batches.map((b) => b.messages!.length)).toEqual([3, 3, 3]);
    expect(call.indexes()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('drops a message that could never fit, without blaming the peer', async () => {
    sender.enqueue(app(0, MAX_GRPC_MESSAGE_BYTES));
    await turn();
    expect(fake.calls).toHaveLength(0);
    expect(unreachable).toBe(0);
  });

  it('holds back while gRPC wants no more, then overflows into drops', async () => {
    make({ maxQueuedMessages: 3 });
    sender.enqueue(app(0));
    await turn();
    const call = fake.calls[0];
    call.accepting = false;
    sender.enqueue(app(1));
    await turn();
    for (let i = 2; i < 6; i++) sender.enqueue(app(i));
    await turn();
    // 1 was written (and refused more); 2, 3, 4 fill the queue; 5 overflows.
    expect(call.indexes()).toEqual([0, 1]);
    expect(unreachable).toBe(1);
    call.accepting = true;
    call.emit('drain');
    await turn();
    expect(call.indexes()).toEqual([0, 1, 2, 3, 4]);
  });

  it('after a stream failure: drops the queue, backs off, then reconnects', async () => {
    sender.enqueue(app(0));
    await turn();
    sender.enqueue(app(1));
    fake.calls[0].fail();
    expect(unreachable).toBe(1);
    // While backing off, sends are dropped and reported (the transport rate-limits reports).
    sender.enqueue(app(2));
    await turn();
    expect(unreachable).toBe(2);
    expect(fake.calls).toHaveLength(1);
    vi.advanceTimersByTime(100);
    sender.enqueue(app(3));
    await turn();
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1].indexes()).toEqual([3]);
  });

  it('backs off longer after each failure, and afresh once a stream is accepted', async () => {
    /** Fails the current stream; returns how long until a send opens the next one. */
    const failAndMeasure = async (): Promise<number> => {
      fake.calls.at(-1)!.fail();
      const n = fake.calls.length;
      let waited = 0;
      while (fake.calls.length === n && waited < 10_000) {
        vi.advanceTimersByTime(1);
        waited++;
        sender.enqueue(app(0));
        await turn();
      }
      return waited;
    };
    sender.enqueue(app(0));
    await turn();
    expect(await failAndMeasure()).toBe(100);
    expect(await failAndMeasure()).toBe(200);
    fake.calls.at(-1)!.emit('metadata');
    expect(await failAndMeasure()).toBe(100);
  });

  it('close flushes, half-closes and closes the channel', async () => {
    sender.enqueue(app(0));
    await turn();
    sender.enqueue(app(1));
    const call = fake.calls[0];
    const closing = sender.close(1000);
    expect(call.ended).toBe(true);
    expect(call.indexes()).toEqual([0, 1]);
    vi.advanceTimersByTime(1000);
    await closing;
    expect(call.cancelled).toBe(true);
    expect(fake.client.closed).toBe(true);
    sender.enqueue(app(2));
    await turn();
    expect(fake.calls).toHaveLength(1);
  });
});
