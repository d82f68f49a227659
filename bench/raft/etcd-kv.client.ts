import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import {
  ChannelPool,
  loadServiceMethods,
  unaryCall,
  type CallOptions,
} from '../../test/support/raft-kv/grpc.pool';

/**
 * A deliberately thin etcd v3 client for the benchmark. The official JS clients add retry
 * policies, lease keep-alives and their own load balancing; none of that exists on the Shoal
 * side, and every retry would hide a failover gap, so the comparison uses the raw RPCs over
 * the same grpc-js plumbing the Shoal KV client uses.
 */

export const ETCD_KV_PROTO = path.join(__dirname, 'etcd-kv.proto');

// longs as strings: etcd member ids are random uint64s, which a JS number would round so that
// two different members could compare equal. Revisions are converted where they are reported.
const LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true };

interface ResponseHeader {
  clusterId: string;
  memberId: string;
  revision: string;
  raftTerm: string;
}
interface KeyValueMsg {
  key: Buffer;
  createRevision: string;
  modRevision: string;
  version: string;
  value: Buffer;
  lease: string;
}
interface PutRequestMsg {
  key: Buffer;
  value: Buffer;
}
interface PutResponseMsg {
  header: ResponseHeader | null;
}
interface RangeRequestMsg {
  key: Buffer;
  rangeEnd?: Buffer;
  limit?: string;
  serializable?: boolean;
  countOnly?: boolean;
}
interface RangeResponseMsg {
  header: ResponseHeader | null;
  kvs: KeyValueMsg[];
  more: boolean;
  count: string;
}
interface StatusResponseMsg {
  header: ResponseHeader | null;
  version: string;
  dbSize: string;
  leader: string;
  raftIndex: string;
  raftTerm: string;
  raftAppliedIndex: string;
  errors: string[];
}

let methods:
  | {
      put: ReturnType<typeof loadServiceMethods>[string];
      range: ReturnType<typeof loadServiceMethods>[string];
      status: ReturnType<typeof loadServiceMethods>[string];
    }
  | undefined;

function etcdMethods() {
  if (!methods) {
    const kv = loadServiceMethods(ETCD_KV_PROTO, 'etcdserverpb.KV', LOADER_OPTIONS);
    const maint = loadServiceMethods(ETCD_KV_PROTO, 'etcdserverpb.Maintenance', LOADER_OPTIONS);
    methods = { put: kv['Put']!, range: kv['Range']!, status: maint['Status']! };
  }
  return methods;
}

export interface EtcdMemberStatus {
  endpoint: string;
  /** Decimal string of etcd's uint64 member id. */
  memberId: string;
  /** '0' while the member knows no leader. */
  leaderId: string;
  raftTerm: number;
  raftIndex: number;
  raftAppliedIndex: number;
  version: string;
  dbSizeBytes: number;
}

export interface EtcdLeader {
  endpoint: string;
  memberId: string;
  raftTerm: number;
}

export interface EtcdKvClientOptions {
  /** `host:port` client endpoints of the members. */
  endpoints: string[];
  /**
   * 'leader' (default) sends every put straight to the leader, as the Shoal client does;
   * 'round-robin' spreads puts over all members, and followers forward them (one more hop),
   * which is how etcd's own `benchmark` tool behaves by default.
   */
  target?: 'leader' | 'round-robin';
  /** Connections per endpoint; see `ChannelPoolOptions.channels`. Default 1, as for Shoal. */
  channelsPerEndpoint?: number;
  /** mTLS, e.g. from `tlsCredentialsFromDir`; plaintext when absent. */
  credentials?: grpc.ChannelCredentials;
  /** Per-call deadline. Default 5000 ms. */
  deadlineMs?: number;
  /** How long leader discovery keeps retrying before giving up. Default 10 000 ms. */
  leaderWaitMs?: number;
  /**
   * gRPC keepalive while calls are in flight: a PING every `keepaliveMs`, and the connection
   * is dropped (failing its calls with UNAVAILABLE) if the answer takes longer than
   * `keepaliveTimeoutMs`. Defaults 250 / 1000; 0 turns keepalive off.
   *
   * This is not tuning. On Linux, Node 20's HTTP/2-over-TLS client sometimes never learns
   * that a peer it is writing to has died: when the kernel reports the peer's reset to a
   * write rather than a read, the TLS layer keeps that write queued forever, the HTTP/2
   * session waits for it with reading paused, and no 'end', 'close' or 'error' ever comes,
   * although the kernel has already dropped the connection. grpc-js then keeps the channel
   * READY; every call on it, the in-flight puts to a SIGKILLed leader included, waits for its
   * deadline, and the channel stays dead after the member restarts on the same port. An
   * unanswered PING is the only signal left, so it has to come well inside etcd's 1 s
   * election timeout for a crash trial to time etcd rather than this client.
   */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
}

export interface EtcdPutResult {
  revision: number;
  raftTerm: number;
}

export interface EtcdRangeResult {
  revision: number;
  count: number;
  kvs: { key: Buffer; value: Buffer; modRevision: number; version: number }[];
}

export class EtcdKvClient {
  private readonly pools = new Map<string, ChannelPool>();
  private readonly endpoints: string[];
  private readonly target: 'leader' | 'round-robin';
  private readonly deadlineMs: number;
  private readonly leaderWaitMs: number;
  private leader: EtcdLeader | undefined;
  private discovery: Promise<EtcdLeader> | undefined;
  private rr = 0;
  private closed = false;

  constructor(opts: EtcdKvClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('EtcdKvClient needs at least one endpoint');
    this.endpoints = [...opts.endpoints];
    this.target = opts.target ?? 'leader';
    this.deadlineMs = opts.deadlineMs ?? 5_000;
    this.leaderWaitMs = opts.leaderWaitMs ?? 10_000;
    const keepaliveMs = opts.keepaliveMs ?? 250;
    const channelOptions =
      keepaliveMs > 0
        ? {
            'grpc.keepalive_time_ms': keepaliveMs,
            'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs ?? 1_000,
          }
        : {};
    for (const ep of this.endpoints) {
      this.pools.set(
        ep,
        new ChannelPool(ep, {
          channels: opts.channelsPerEndpoint ?? 1,
          channelOptions,
          ...(opts.credentials ? { credentials: opts.credentials } : {}),
        }),
      );
    }
  }

  /** Connects every channel and finds the leader, so the first measured put pays for neither. */
  async connect(timeoutMs = 10_000): Promise<EtcdLeader> {
    await Promise.all([...this.pools.values()].map((p) => p.waitForReady(timeoutMs)));
    return this.refreshLeader();
  }

  /**
   * One Put, never retried: a failed put may or may not have been applied, and a silent retry
   * would both double-apply and hide the failure from the error count. In leader mode a
   * failure triggers leader rediscovery, so the next put goes to wherever the leader now is;
   * so does an answer from a newer term than the leader was found in, since the member
   * answered may no longer lead (it still forwards puts, but a follower's forwarded put to a
   * leader that then dies waits for its deadline instead of failing).
   */
  async put(key: Buffer | string, value: Buffer): Promise<EtcdPutResult> {
    const { endpoint, channel } = await this.readyChannel();
    try {
      const req: PutRequestMsg = { key: toBuf(key), value };
      const res = (await unaryCall(channel, etcdMethods().put, req, {
        deadlineMs: this.deadlineMs,
      })) as PutResponseMsg;
      const result = {
        revision: Number(res.header?.revision ?? 0),
        raftTerm: Number(res.header?.raftTerm ?? 0),
      };
      if (this.leader && result.raftTerm > this.leader.raftTerm) this.invalidateLeader(endpoint);
      return result;
    } catch (err) {
      this.invalidateLeader(endpoint);
      throw err;
    }
  }

  /** Linearizable by default (ReadIndex on the leader); `serializable` reads local state. */
  async range(
    key: Buffer | string,
    opts: {
      rangeEnd?: Buffer | string;
      limit?: number;
      serializable?: boolean;
      countOnly?: boolean;
    } = {},
  ): Promise<EtcdRangeResult> {
    const { endpoint, channel } = await this.readyChannel();
    const req: RangeRequestMsg = { key: toBuf(key) };
    if (opts.rangeEnd !== undefined) req.rangeEnd = toBuf(opts.rangeEnd);
    if (opts.limit !== undefined) req.limit = String(opts.limit);
    if (opts.serializable) req.serializable = true;
    if (opts.countOnly) req.countOnly = true;
    try {
      const res = (await unaryCall(channel, etcdMethods().range, req, {
        deadlineMs: this.deadlineMs,
      })) as RangeResponseMsg;
      return {
        revision: Number(res.header?.revision ?? 0),
        count: Number(res.count),
        kvs: res.kvs.map((kv) => ({
          key: kv.key,
          value: kv.value,
          modRevision: Number(kv.modRevision),
          version: Number(kv.version),
        })),
      };
    } catch (err) {
      this.invalidateLeader(endpoint);
      throw err;
    }
  }

  /** Maintenance/Status of one member. */
  async status(endpoint: string, deadlineMs = 1_000): Promise<EtcdMemberStatus> {
    const res = (await this.call(
      endpoint,
      etcdMethods().status,
      {},
      { deadlineMs },
    )) as StatusResponseMsg;
    return {
      endpoint,
      memberId: res.header?.memberId ?? '0',
      leaderId: res.leader,
      raftTerm: Number(res.raftTerm),
      raftIndex: Number(res.raftIndex),
      raftAppliedIndex: Number(res.raftAppliedIndex),
      version: res.version,
      dbSizeBytes: Number(res.dbSize),
    };
  }

  /** Statuses of every reachable member; unreachable ones are simply absent. */
  async statuses(deadlineMs = 1_000): Promise<EtcdMemberStatus[]> {
    const settled = await Promise.allSettled(
      this.endpoints.map((ep) => this.status(ep, deadlineMs)),
    );
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * Asks every member and believes the highest term: a member partitioned away from the rest
   * can still name a deposed leader, but never with the newest term. Retries with backoff
   * while no reachable member names a reachable leader (an election is in progress).
   */
  refreshLeader(): Promise<EtcdLeader> {
    this.discovery ??= this.discoverLeader().finally(() => (this.discovery = undefined));
    return this.discovery;
  }

  currentLeader(): EtcdLeader | undefined {
    return this.leader;
  }

  /** Closes every channel; calls still waiting for a channel or a leader fail at once. */
  close(): void {
    this.closed = true;
    for (const p of this.pools.values()) p.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('etcd client closed');
  }

  private async discoverLeader(): Promise<EtcdLeader> {
    const giveUpAt = Date.now() + this.leaderWaitMs;
    let backoffMs = 10;
    let lastSeen = 'no member answered';
    while (true) {
      this.checkOpen();
      const all = await this.statuses(Math.min(1_000, this.deadlineMs));
      const byMember = new Map(all.map((s) => [s.memberId, s]));
      const best = all.filter((s) => s.leaderId !== '0').sort((a, b) => b.raftTerm - a.raftTerm)[0];
      const leaderStatus = best ? byMember.get(best.leaderId) : undefined;
      if (best && leaderStatus) {
        this.leader = {
          endpoint: leaderStatus.endpoint,
          memberId: best.leaderId,
          raftTerm: best.raftTerm,
        };
        return this.leader;
      }
      lastSeen = all.length
        ? all.map((s) => `${s.endpoint}: leader=${s.leaderId} term=${s.raftTerm}`).join(', ')
        : 'no member answered';
      if (Date.now() + backoffMs > giveUpAt) {
        throw new Error(`etcd: no reachable leader within ${this.leaderWaitMs} ms (${lastSeen})`);
      }
      await sleep(backoffMs);
      backoffMs = Math.min(200, backoffMs * 2);
    }
  }

  private async pickEndpoint(): Promise<string> {
    if (this.target === 'round-robin') {
      const ep = this.endpoints[this.rr]!;
      this.rr = (this.rr + 1) % this.endpoints.length;
      return ep;
    }
    if (this.leader) return this.leader.endpoint;
    return (await this.refreshLeader()).endpoint;
  }

  /**
   * A connected channel to the target. Connecting before sending is what lets a put to a
   * just-killed leader be redirected instead of failing: until a request is actually sent,
   * moving it elsewhere cannot apply it twice (see `ChannelPool.nextReady`).
   */
  private async readyChannel(): Promise<{ endpoint: string; channel: grpc.Client }> {
    const giveUpAt = Date.now() + this.leaderWaitMs;
    while (true) {
      this.checkOpen();
      const endpoint = await this.pickEndpoint();
      const channel = await this.pools.get(endpoint)!.nextReady(Math.min(1_000, this.deadlineMs));
      if (channel) return { endpoint, channel };
      this.invalidateLeader(endpoint);
      if (Date.now() >= giveUpAt) {
        throw new Error(`etcd: cannot connect to ${endpoint} within ${this.leaderWaitMs} ms`);
      }
      await sleep(20);
    }
  }

  private invalidateLeader(endpoint: string): void {
    if (this.target === 'leader' && this.leader?.endpoint === endpoint) this.leader = undefined;
  }

  private call(
    endpoint: string,
    method: ReturnType<typeof loadServiceMethods>[string],
    req: object,
    opts: CallOptions = {},
  ): Promise<object> {
    const pool = this.pools.get(endpoint);
    if (!pool) throw new Error(`unknown etcd endpoint ${endpoint}`);
    return unaryCall(pool.next(), method, req, { deadlineMs: this.deadlineMs, ...opts });
  }
}

function toBuf(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}
