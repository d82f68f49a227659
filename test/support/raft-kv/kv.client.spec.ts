import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NoLeaderError,
  NotAppliedError,
  OutcomeUnknownError,
  RaftKvClient,
  type RaftKvClientOptions,
} from './kv.client';
import {
  notAppliedError,
  notLeaderError,
  outcomeUnknownError,
  parseNotLeader,
  raftKvServiceDefinition,
  type GetRequest,
  type PutRequest,
  type StatusResponse,
} from './kv.protocol';

/**
 * A fake three-node "cluster": real gRPC servers on loopback speaking the KV contract, with
 * leadership and failures set by the test. It checks the client's side of the contract only.
 */
class FakeCluster {
  readonly servers: grpc.Server[] = [];
  readonly addresses: string[] = [];
  readonly ids = ['n1', 'n2', 'n3'];
  leader: number | undefined = 0;
  term = 1;
  index = 0;
  readonly data = new Map<string, Buffer>();
  /** Every Put handler invocation, per node: shows whether the client re-sent a write. */
  readonly putCalls = [0, 0, 0];
  /** Overrides a node's Put answer. */
  putHook: ((node: number) => grpc.ServerErrorResponse | 'hang' | undefined) | undefined;
  /** Makes followers omit trailers, to exercise the message fallback. */
  redirectsWithoutTrailers = false;
  /** Makes follower i name `misdirect[i]` as leader. */
  misdirect: (number | undefined)[] | undefined;

  static async start(): Promise<FakeCluster> {
    const c = new FakeCluster();
    for (let i = 0; i < 3; i++) {
      const server = new grpc.Server();
      server.addService(raftKvServiceDefinition(), c.handlers(i));
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      c.servers.push(server);
      c.addresses.push(`127.0.0.1:${port}`);
    }
    return c;
  }

  private redirect(node: number): grpc.ServerErrorResponse {
    const named = this.misdirect?.[node] ?? this.leader;
    if (named === undefined) return notLeaderError();
    if (this.redirectsWithoutTrailers) {
      const e = notLeaderError(this.ids[named], this.addresses[named]);
      e.metadata = new grpc.Metadata();
      return e;
    }
    return notLeaderError(this.ids[named], this.addresses[named]);
  }

  private handlers(node: number): grpc.UntypedServiceImplementation {
    return {
      Put: (call: grpc.ServerUnaryCall<PutRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.putCalls[node]!++;
        if (this.leader !== node) return cb(this.redirect(node));
        const hooked = this.putHook?.(node);
        if (hooked === 'hang') return;
        if (hooked) return cb(hooked);
        this.data.set(call.request.key, Buffer.from(call.request.value));
        cb(null, { index: ++this.index });
      },
      Get: (call: grpc.ServerUnaryCall<GetRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        if (this.leader !== node) return cb(this.redirect(node));
        const v = this.data.get(call.request.key);
        cb(null, { value: v ?? Buffer.alloc(0), found: v !== undefined, index: this.index });
      },
      Status: (_call: unknown, cb: grpc.sendUnaryData<StatusResponse>) => {
        const l = this.leader;
        cb(null, {
          id: this.ids[node]!,
          leaderId: l === undefined ? '' : this.ids[l]!,
          leaderClientAddress: l === undefined ? '' : this.addresses[l]!,
          term: this.term,
          commit: this.index,
          applied: this.index,
          role: l === node ? 'leader' : 'follower',
        });
      },
    };
  }

  stop(): void {
    for (const s of this.servers) s.forceShutdown();
  }
}

let cluster: FakeCluster | undefined;
let client: RaftKvClient | undefined;
afterEach(() => {
  client?.close();
  cluster?.stop();
  client = undefined;
  cluster = undefined;
});

async function setup(opts: RaftKvClientOptions = {}) {
  cluster = await FakeCluster.start();
  client = new RaftKvClient(cluster.addresses, {
    leaderWaitMs: 2_000,
    deadlineMs: 2_000,
    backoff: { initialMs: 5, maxMs: 20 },
    ...opts,
  });
  return { c: cluster, kv: client };
}

describe('RaftKvClient', () => {
  it('finds the leader and writes and reads through it', async () => {
    const { c, kv } = await setup();
    c.leader = 2;
    const leader = await kv.connect();
    expect(leader).toMatchObject({ id: 'n3', address: c.addresses[2], term: 1 });
    expect(await kv.put('a', Buffer.from('1'))).toEqual({ index: 1 });
    expect(await kv.get('a')).toEqual({ value: Buffer.from('1'), found: true, index: 1 });
    expect(await kv.get('missing')).toEqual({ value: undefined, found: false, index: 1 });
    expect(c.putCalls).toEqual([0, 0, 1]);
  });

  it('follows a NOT_LEADER redirect after a leader change, applying the put once', async () => {
    const { c, kv } = await setup();
    await kv.connect();
    c.leader = 1;
    c.term = 2;
    expect(await kv.put('k', Buffer.from('v'))).toEqual({ index: 1 });
    expect(c.putCalls).toEqual([1, 1, 0]);
    expect(kv.currentLeader()?.address).toBe(c.addresses[1]);
  });

  it('reads the leader from the message when there are no trailers', async () => {
    const { c, kv } = await setup();
    await kv.connect();
    c.leader = 2;
    c.redirectsWithoutTrailers = true;
    await kv.put('k', Buffer.from('v'));
    expect(c.putCalls).toEqual([1, 0, 1]);
  });

  it('backs off while there is no leader and continues once one is elected', async () => {
    const { c, kv } = await setup();
    c.leader = undefined;
    setTimeout(() => {
      c.leader = 0;
      c.term = 3;
    }, 100);
    const t0 = Date.now();
    expect(await kv.put('k', Buffer.from('v'))).toEqual({ index: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('fails with NoLeaderError (nothing proposed) when no leader appears in time', async () => {
    const { c, kv } = await setup({ leaderWaitMs: 150 });
    c.leader = undefined;
    const err = await kv.put('k', Buffer.from('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoLeaderError);
    expect((err as NoLeaderError).outcome).toBe('not-applied');
  });

  it('gives up on a redirect loop after maxRedirects', async () => {
    const { c, kv } = await setup({ maxRedirects: 3 });
    await kv.connect();
    // Nobody leads, but the nodes name each other in a circle.
    c.leader = 5 as number;
    c.misdirect = [1, 2, 0];
    const err = await kv.put('k', Buffer.from('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoLeaderError);
    expect(c.putCalls.reduce((a, b) => a + b)).toBe(4);
  });

  it('reports an unknown outcome and does not re-send the put', async () => {
    const { c, kv } = await setup();
    await kv.connect();
    c.putHook = () => outcomeUnknownError('proposal timed out', grpc.status.DEADLINE_EXCEEDED);
    const err = await kv.put('k', Buffer.from('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect((err as OutcomeUnknownError).outcome).toBe('unknown');
    expect((err as OutcomeUnknownError).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(c.putCalls).toEqual([1, 0, 0]);
  });

  it('reports a put cut off by the leader dying as unknown, then finds the new leader', async () => {
    const { c, kv } = await setup();
    await kv.connect();
    c.putHook = () => 'hang';
    const pending = kv.put('k', Buffer.from('v')).catch((e: unknown) => e);
    await sleep(50);
    c.servers[0]!.forceShutdown();
    const err = await pending;
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(c.putCalls).toEqual([1, 0, 0]);
    c.putHook = undefined;
    c.leader = 1;
    c.term = 2;
    expect(await kv.put('k2', Buffer.from('v'))).toEqual({ index: 1 });
    expect(c.putCalls).toEqual([1, 1, 0]);
  });

  it('skips a dead leader that followers still name, until they elect another', async () => {
    const { c, kv } = await setup();
    await kv.connect();
    c.servers[0]!.forceShutdown();
    await sleep(20);
    setTimeout(() => {
      c.leader = 2;
      c.term = 2;
    }, 100);
    expect(await kv.put('k', Buffer.from('v'))).toEqual({ index: 1 });
    expect(kv.currentLeader()?.id).toBe('n3');
  });

  it('surfaces a dropped proposal as NotAppliedError', async () => {
    const { c, kv } = await setup();
    await kv.connect();
    c.putHook = () => notAppliedError('leadership transfer in progress');
    const err = await kv.put('k', Buffer.from('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAppliedError);
    expect((err as NotAppliedError).outcome).toBe('not-applied');
    expect((err as NotAppliedError).message).toContain('leadership transfer');
  });

  it('exposes node statuses', async () => {
    const { c, kv } = await setup();
    const all = await kv.statuses();
    expect(all.map((s) => s.role)).toEqual(['leader', 'follower', 'follower']);
    expect(all[1]).toMatchObject({ id: 'n2', leaderId: 'n1', leaderClientAddress: c.addresses[0] });
  });
});

describe('kv.protocol', () => {
  it('round-trips not-leader answers through the parser', () => {
    const asClientError = (e: grpc.ServerErrorResponse) =>
      Object.assign(new Error(e.details), e) as grpc.ServiceError;
    expect(parseNotLeader(asClientError(notLeaderError('n2', '127.0.0.1:9')))).toEqual({
      leaderId: 'n2',
      leaderAddress: '127.0.0.1:9',
    });
    expect(parseNotLeader(asClientError(notLeaderError()))).toEqual({});
    expect(notLeaderError('n2', '127.0.0.1:9').details).toBe('not leader; leader=n2@127.0.0.1:9');
    expect(parseNotLeader(asClientError(notAppliedError('x')))).toBeUndefined();
    expect(parseNotLeader(new Error('not leader'))).toBeUndefined();
  });
});
