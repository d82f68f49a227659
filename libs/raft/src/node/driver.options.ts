import { type AtRestCipher, type Logger, nullLogger } from '@shoal/common';
import { type NodeId } from '../core/types';
import { type Transport } from '../transport/transport';
import { type RaftDriverMetrics } from './driver.metrics';
import { type StateMachine } from './state-machine';

export interface RaftMemberAddress {
  id: NodeId;
  address: string;
}

export interface RaftDriverOptions {
  id: NodeId;
  /** Holds wal/ and snap/. */
  dataDir: string;
  transport: Transport;
  stateMachine: StateMachine;
  /**
   * The founding voters of a brand-new cluster, this node included. Used only when dataDir
   * holds no state. A node that joins an existing cluster passes none and waits to be
   * contacted by the leader once it has been added.
   */
  bootstrap?: RaftMemberAddress[];
  /**
   * Members known up front, such as the manager a joining node was admitted by: it must be
   * able to answer the leader before the leader's snapshot brings the full address book.
   */
  peers?: RaftMemberAddress[];
  /** Wall-clock length of one Raft tick. */
  tickMs?: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  /** Take a snapshot after this many entries applied since the last one. */
  snapshotEntries?: number;
  /**
   * ... or after this many bytes of entries, whichever comes first: entries may be up to
   * maxEntryBytes each, so a count alone would let the WAL and the in-memory log grow to
   * gigabytes before one snapshot.
   */
  snapshotBytes?: number;
  /** Entries kept in the log behind a snapshot, so a briefly lagging follower needs no snapshot. */
  retainEntries?: number;
  proposalTimeoutMs?: number;
  /** Only tests on tmpfs-like scratch dirs turn this off. */
  fsync?: boolean;
  /** Seeds the election-timeout randomization. */
  seed?: number;
  logger?: Logger;
  /**
   * Encrypts the WAL and snapshots in dataDir at rest (AES-256-GCM under the data key). A
   * dataDir written with a cipher can only be opened with one holding the same key, and one
   * written without, only without: start() fails with WalEncryptionError otherwise.
   */
  cipher?: AtRestCipher;
  /**
   * Disaster recovery for a cluster that lost its quorum for good (Swarm's
   * --force-new-cluster): keep every committed entry, drop the uncommitted tail, and commit
   * the removal of every other member, so this node restarts as the only voter with all the
   * state. Only ever for the one survivor chosen to carry on.
   */
  forceNewCluster?: boolean;
  /** Latency and size observations for monitoring; none are taken without it. */
  metrics?: RaftDriverMetrics;
}

type OptionalOptions = 'bootstrap' | 'peers' | 'cipher' | 'forceNewCluster' | 'metrics';

export type ResolvedDriverOptions = Required<Omit<RaftDriverOptions, OptionalOptions>> &
  Pick<RaftDriverOptions, OptionalOptions>;

/**
 * Defaults. Swarm ticks once a second and elects after 10 ticks, so failover takes 10–20 s.
 * We tick every 100 ms and elect after 5–10 ticks (0.5–1 s), with pre-vote and check-quorum
 * keeping a flapping node from disrupting a healthy leader. Loopback and LAN round trips are
 * well under a tick, and the event loop is never blocked by fsync (it runs on the libuv pool),
 * so heartbeats stay on time under load.
 */
export const DRIVER_DEFAULTS = {
  tickMs: 100,
  electionTicks: 5,
  heartbeatTicks: 1,
  snapshotEntries: 10_000,
  snapshotBytes: 256 * 1024 * 1024,
  retainEntries: 5_000,
  proposalTimeoutMs: 10_000,
  fsync: true,
} as const;

export function resolveDriverOptions(o: RaftDriverOptions): ResolvedDriverOptions {
  const r = {
    ...DRIVER_DEFAULTS,
    seed: hashSeed(o.id),
    logger: nullLogger,
    ...stripUndefined(o),
  } as ResolvedDriverOptions;
  positiveInt('tickMs', r.tickMs);
  positiveInt('electionTicks', r.electionTicks);
  positiveInt('heartbeatTicks', r.heartbeatTicks);
  positiveInt('snapshotEntries', r.snapshotEntries);
  positiveInt('snapshotBytes', r.snapshotBytes);
  positiveInt('proposalTimeoutMs', r.proposalTimeoutMs);
  if (!Number.isInteger(r.retainEntries) || r.retainEntries < 0) {
    throw new RangeError(`retainEntries must be a non-negative integer, got ${r.retainEntries}`);
  }
  if (r.heartbeatTicks >= r.electionTicks) {
    throw new RangeError(
      `heartbeatTicks (${r.heartbeatTicks}) must be below electionTicks (${r.electionTicks})`,
    );
  }
  if (!r.id) throw new RangeError('id must be a non-empty string');
  if (r.bootstrap && !r.bootstrap.some((m) => m.id === r.id)) {
    throw new RangeError(`bootstrap members must include this node (${r.id})`);
  }
  return r;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Different members get different election jitter without anyone choosing seeds by hand. */
function hashSeed(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}
