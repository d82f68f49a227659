import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { ChannelPool, isServiceError, unaryCall } from './grpc.pool';
import {
  NOT_APPLIED_CODES,
  parseNotLeader,
  raftKvMethods,
  type DumpResponse,
  type GetRequest,
  type GetResponse,
  type PutRequest,
  type PutResponse,
  type StatusResponse,
} from './kv.protocol';

/**
 * Client for the replicated KV node. It talks to the leader directly, follows NOT_LEADER
 * redirects, and waits (with backoff) through elections. Writes are at-most-once from the
 * client's side: a Put is re-sent only after a node said "not leader" (so it never proposed
 * it); any other failure is handed to the caller as outcome-unknown, because a retry could
 * apply the write twice and would hide the failure from benchmarks and the crash test.
 */

export interface RaftKvClientOptions {
  /** mTLS credentials (e.g. from `tlsCredentialsFromDir`); plaintext when absent. */
  credentials?: grpc.ChannelCredentials;
  /** Connections per node; see `ChannelPoolOptions.channels`. Default 1. */
  channelsPerEndpoint?: number;
  channelOptions?: grpc.ChannelOptions;
  /** Deadline of each RPC. Default 5000 ms. */
  deadlineMs?: number;
  /** How long one operation waits for a leader before failing with NoLeaderError. Default 10 s. */
  leaderWaitMs?: number;
  /** Redirects one operation follows before giving up (guards against redirect loops). Default 5. */
  maxRedirects?: number;
  /** Backoff while no leader is known: starts at `initialMs`, doubles up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface LeaderInfo {
  id: string;
  address: string;
  term: number;
}

export interface NodeStatus extends StatusResponse {
  /** The address this status was fetched from. */
  endpoint: string;
}

export type Outcome = 'not-applied' | 'unknown';

export class RaftKvError extends Error {
  constructor(
    message: string,
    /** 'not-applied': safe to retry. 'unknown': the write may or may not have been applied. */
    readonly outcome: Outcome,
    readonly code: grpc.status | undefined,
    readonly endpoint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RaftKvError';
  }
}

/** No leader could be found (or redirects went in circles) in time; nothing was proposed. */
export class NoLeaderError extends RaftKvError {
  constructor(message: string) {
    super(message, 'not-applied', undefined, undefined);
    this.name = 'NoLeaderError';
  }
}

/** The node answered that the write was certainly not applied (dropped, invalid, ...). */
export class NotAppliedError extends RaftKvError {
  constructor(err: grpc.ServiceError, endpoint: string) {
    super(`${endpoint}: ${err.details}`, 'not-applied', err.code, endpoint, { cause: err });
    this.name = 'NotAppliedError';
  }
}

/** The request may have been proposed and may still commit; it was not retried. */
export class OutcomeUnknownError extends RaftKvError {
  constructor(err: unknown, endpoint: string) {
    const code = isServiceError(err) ? err.code : undefined;
    const detail = isServiceError(err) ? `${grpc.status[err.code]}: ${err.details}` : String(err);
    super(`${endpoint}: outcome unknown (${detail})`, 'unknown', code, endpoint, { cause: err });
    this.name = 'OutcomeUnknownError';
  }
}

export class RaftKvClient {
  private readonly pools = new Map<string, ChannelPool>();
  private readonly endpoints: string[];
  private readonly deadlineMs: number;
  private readonly leaderWaitMs: number;
  private readonly maxRedirects: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private leader: LeaderInfo | undefined;
  private discovery: Promise<LeaderInfo | undefined> | undefined;
  private closed = false;

  constructor(
    endpoints: string[],
    private readonly opts: RaftKvClientOptions = {},
  ) {
    if (endpoints.length === 0) throw new Error('RaftKvClient needs at least one endpoint');
    this.endpoints = [...endpoints];
    this.deadlineMs = opts.deadlineMs ?? 5_000;
    this.leaderWaitMs = opts.leaderWaitMs ?? 10_000;
    this.maxRedirects = opts.maxRedirects ?? 5;
    this.backoff = opts.backoff ?? { initialMs: 10, maxMs: 200 };
  }

  /** Waits for a leader (up to `leaderWaitMs`) and warms its connections. */
  async connect(): Promise<LeaderInfo> {
    const leader = await this.waitForLeader(Date.now() + this.leaderWaitMs);
    await this.pool(leader.address).waitForReady(this.leaderWaitMs);
    return leader;
  }

  async put(key: string, value: Uint8Array): Promise<PutResponse> {
    const req: PutRequest = { key, value };
    return (await this.leaderCall('Put', req, false)) as PutResponse;
  }

  /** Linearizable read on the leader. Reads have no effect, so unlike puts they are retried. */
  async get(key: string): Promise<{ value: Buffer | undefined; found: boolean; index: number }> {
    const req: GetRequest = { key };
    const res = (await this.leaderCall('Get', req, true)) as GetResponse;
    return { value: res.found ? res.value : undefined, found: res.found, index: res.index };
  }

  async status(endpoint: string, deadlineMs = 1_000): Promise<NodeStatus> {
    const res = (await unaryCall(
      this.pool(endpoint).next(),
      raftKvMethods().Status,
      {},
      {
        deadlineMs,
      },
    )) as StatusResponse;
    return { ...res, endpoint };
  }

  /** Status of every configured node that answers; the others are left out. */
  /** Every key in the order `endpoint` applied it, once it has applied at least `index`. */
  async dumpWhenApplied(endpoint: string, index: number, timeoutMs: number): Promise<DumpResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = (await unaryCall(
        this.pool(endpoint).next(),
        raftKvMethods().Dump,
        {},
        {
          deadlineMs: 5_000,
        },
      ).catch(() => undefined)) as DumpResponse | undefined;
      if (res && res.applied >= index) return res;
      if (Date.now() > deadline) {
        throw new Error(`${endpoint} did not apply index ${index} within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async statuses(deadlineMs = 1_000): Promise<NodeStatus[]> {
    const all = await Promise.allSettled(this.endpoints.map((ep) => this.status(ep, deadlineMs)));
    return all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  currentLeader(): LeaderInfo | undefined {
    return this.leader;
  }

  /** Forgets the cached leader and asks the nodes; undefined if none claims leadership now. */
  refreshLeader(): Promise<LeaderInfo | undefined> {
    this.leader = undefined;
    return this.discover();
  }

  close(): void {
    this.closed = true;
    for (const p of this.pools.values()) p.close();
    this.pools.clear();
  }

  private pool(address: string): ChannelPool {
    let p = this.pools.get(address);
    if (!p) {
      if (this.closed) throw new Error('RaftKvClient is closed');
      p = new ChannelPool(address, {
        channels: this.opts.channelsPerEndpoint ?? 1,
        ...(this.opts.credentials ? { credentials: this.opts.credentials } : {}),
        ...(this.opts.channelOptions ? { channelOptions: this.opts.channelOptions } : {}),
      });
      this.pools.set(address, p);
    }
    return p;
  }

  private async leaderCall(
    method: 'Put' | 'Get',
    req: object,
    idempotent: boolean,
  ): Promise<object> {
    const giveUpAt = Date.now() + this.leaderWaitMs;
    let redirects = 0;
    let backoffMs = this.backoff.initialMs;
    const pause = async () => {
      await sleep(jitter(backoffMs));
      backoffMs = Math.min(this.backoff.maxMs, backoffMs * 2);
    };
    while (true) {
      const leader = this.leader ?? (await this.waitForLeader(giveUpAt));
      // A leader we cannot connect to is treated like "no leader": the request is not sent,
      // so no outcome-unknown error is made up for a write that never left.
      const channel = await this.pool(leader.address).nextReady(Math.min(1_000, this.deadlineMs));
      if (!channel) {
        this.forget(leader);
        if (Date.now() >= giveUpAt) throw new NoLeaderError(`leader ${leader.address} unreachable`);
        await pause();
        continue;
      }
      try {
        return await unaryCall(channel, raftKvMethods()[method], req, {
          deadlineMs: this.deadlineMs,
        });
      } catch (err) {
        const nl = parseNotLeader(err);
        if (nl) {
          redirects++;
          if (redirects > this.maxRedirects || Date.now() >= giveUpAt) {
            throw new NoLeaderError(
              `${method} gave up after ${redirects} not-leader answers (last from ${leader.address})`,
            );
          }
          if (nl.leaderAddress && nl.leaderAddress !== leader.address) {
            // Followed without a Status round trip: the redirect is the freshest news there
            // is, and if it is stale the next node redirects again (bounded by maxRedirects).
            this.leader = { id: nl.leaderId ?? '', address: nl.leaderAddress, term: leader.term };
          } else {
            this.forget(leader);
            await pause();
          }
          continue;
        }
        if (idempotent && isRetryableRead(err) && Date.now() < giveUpAt) {
          this.forget(leader);
          await pause();
          continue;
        }
        if (isServiceError(err) && NOT_APPLIED_CODES.has(err.code)) {
          throw new NotAppliedError(err, leader.address);
        }
        // A slow answer says nothing about who leads; a broken connection might.
        if (!isServiceError(err) || err.code !== grpc.status.DEADLINE_EXCEEDED) this.forget(leader);
        throw new OutcomeUnknownError(err, leader.address);
      }
    }
  }

  private forget(leader: LeaderInfo): void {
    if (this.leader?.address === leader.address) this.leader = undefined;
  }

  private async waitForLeader(giveUpAt: number): Promise<LeaderInfo> {
    let backoffMs = this.backoff.initialMs;
    while (true) {
      const leader = this.leader ?? (await this.discover());
      if (leader) return leader;
      if (Date.now() + backoffMs >= giveUpAt) {
        throw new NoLeaderError(`no leader among ${this.endpoints.join(', ')} in time`);
      }
      await sleep(jitter(backoffMs));
      backoffMs = Math.min(this.backoff.maxMs, backoffMs * 2);
    }
  }

  /** One round of asking; concurrent callers share it so 64 workers cause one round, not 64. */
  private discover(): Promise<LeaderInfo | undefined> {
    this.discovery ??= this.discoverOnce().finally(() => (this.discovery = undefined));
    return this.discovery;
  }

  /**
   * Prefers a node that says it leads, with the highest term (a deposed leader that has not
   * heard of the new term yet still claims leadership, but with an older term). Failing that,
   * follows what the followers of the newest term name, if that node confirms it.
   */
  private async discoverOnce(): Promise<LeaderInfo | undefined> {
    const all = await this.statuses(Math.min(1_000, this.deadlineMs));
    const maxTerm = Math.max(-1, ...all.map((s) => s.term));
    const self = all.find((s) => s.role === 'leader' && s.term === maxTerm);
    if (self) return this.adopt({ id: self.id, address: self.endpoint, term: self.term });
    const named = all.find((s) => s.term === maxTerm && s.leaderClientAddress !== '');
    if (!named) return undefined;
    const address = named.leaderClientAddress;
    if (all.some((s) => s.endpoint === address)) return undefined; // asked it already: not leader
    try {
      const s = await this.status(address, Math.min(1_000, this.deadlineMs));
      if (s.role === 'leader' && s.term >= maxTerm) {
        return this.adopt({ id: s.id, address, term: s.term });
      }
    } catch {
      // Unreachable: an election is probably under way; the caller backs off.
    }
    return undefined;
  }

  private adopt(leader: LeaderInfo): LeaderInfo {
    this.leader = leader;
    return leader;
  }
}

function isRetryableRead(err: unknown): boolean {
  if (!isServiceError(err)) return false;
  return (
    err.code === grpc.status.UNAVAILABLE ||
    err.code === grpc.status.DEADLINE_EXCEEDED ||
    err.code === grpc.status.ABORTED
  );
}

/** ±25 %, so 64 workers that lost the leader together do not stampede the next one in step. */
function jitter(ms: number): number {
  return ms * (0.75 + Math.random() * 0.5);
}
