import { type Gauge } from 'prom-client';
import { type RaftDriverMetrics, type RaftDriverStatus } from '@shoal/raft';
import { type CollectErrorHandler, MetricGroup } from '../registry.group';
import { type Registry } from '../registry';

/** What the Raft collectors read: the RaftDriver, or anything shaped like it in tests. */
export interface RaftStatusSource {
  status(): RaftDriverStatus;
  onLeaderChange(listener: (leader: string | undefined, term: number) => void): () => void;
}

/** From a loopback round trip with tmpfs to a WAN quorum on spinning disks. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** An fsync on tmpfs or a page cache takes microseconds; on a busy disk, up to seconds. */
const FSYNC_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
const SNAPSHOT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The shoal_raft_* series of one manager. State (term, indexes, leadership, membership,
 * per-peer lag) is read from the driver's status() at scrape time, so it can never drift from
 * the driver; latencies and snapshot sizes arrive through the RaftDriverMetrics hooks, which
 * the driver calls as things happen. Leader-only series are absent on other managers.
 */
export class RaftMetrics implements RaftDriverMetrics {
  private readonly group: MetricGroup;
  private source?: RaftStatusSource;
  private current?: RaftDriverStatus;
  private offLeaderChange?: () => void;
  private readonly proposal;
  private readonly commit;
  private readonly fsync;
  private readonly snapshotBytes;
  private readonly snapshotDuration;
  private readonly leaderChanges;

  constructor(registry: Registry, opts: { onCollectError?: CollectErrorHandler } = {}) {
    this.group = new MetricGroup(registry, opts.onCollectError);
    try {
      this.statusGauges();
      this.leaderChanges = this.group.counter({
        name: 'shoal_raft_leader_changes_total',
        help: 'Leader changes this manager saw (a new leader became known).',
      });
      this.proposal = this.group.histogram({
        name: 'shoal_raft_proposal_duration_seconds',
        help: 'From propose() on this manager until the entry is applied here.',
        buckets: LATENCY_BUCKETS,
      });
      this.commit = this.group.histogram({
        name: 'shoal_raft_commit_duration_seconds',
        help: "(leader) From an entry's append to the leader's log until it is known committed.",
        buckets: LATENCY_BUCKETS,
      });
      this.fsync = this.group.histogram({
        name: 'shoal_raft_wal_fsync_duration_seconds',
        help: 'One durable WAL write: the records of one Ready and their fsync (group commit).',
        buckets: FSYNC_BUCKETS,
      });
      this.snapshotBytes = this.group.gauge({
        name: 'shoal_raft_snapshot_bytes',
        help: 'Size of the last snapshot this manager wrote or installed.',
      });
      // Unknown until this manager writes or installs one: no series rather than a false 0.
      this.snapshotBytes.remove();
      this.snapshotDuration = this.group.histogram({
        name: 'shoal_raft_snapshot_duration_seconds',
        help: 'Time to write one snapshot, from capturing the state until it is durable.',
        buckets: SNAPSHOT_BUCKETS,
      });
    } catch (err) {
      this.group.unregister();
      throw err;
    }
  }

  /** Starts reading from the driver (it is built after these hooks, which it is given). */
  attach(source: RaftStatusSource): void {
    this.offLeaderChange?.();
    this.source = source;
    this.offLeaderChange = source.onLeaderChange((leader) => {
      if (leader !== undefined) this.leaderChanges.inc();
    });
  }

  /** Takes every shoal_raft_* series off the registry and stops listening to the driver. */
  unregister(): void {
    this.offLeaderChange?.();
    this.offLeaderChange = undefined;
    this.source = undefined;
    this.group.unregister();
  }

  // ---- RaftDriverMetrics --------------------------------------------------------------

  proposalApplied(seconds: number): void {
    this.proposal.observe(seconds);
  }

  committed(seconds: number): void {
    this.commit.observe(seconds);
  }

  walSynced(seconds: number): void {
    this.fsync.observe(seconds);
  }

  snapshotWritten(bytes: number, seconds: number): void {
    this.snapshotBytes.set(bytes);
    this.snapshotDuration.observe(seconds);
  }

  snapshotInstalled(bytes: number): void {
    this.snapshotBytes.set(bytes);
  }

  // ---- read at scrape time --------------------------------------------------------------

  private statusGauges(): void {
    const scalar = (name: string, help: string, value: (s: RaftDriverStatus) => number) =>
      this.group.gauge({ name, help, collect: this.collector((g, s) => g.set(value(s))) });
    scalar('shoal_raft_term', 'Current Raft term.', (s) => s.term);
    scalar('shoal_raft_commit_index', 'Highest log index known committed.', (s) => s.commit);
    scalar('shoal_raft_applied_index', 'Highest log index applied to the store.', (s) => s.applied);
    scalar('shoal_raft_is_leader', '1 on the leader, 0 elsewhere.', (s) =>
      s.role === 'leader' ? 1 : 0,
    );
    scalar('shoal_raft_has_leader', '1 when this manager knows a leader.', (s) =>
      s.leader !== undefined ? 1 : 0,
    );
    scalar(
      'shoal_raft_voters',
      'Voting members in the Raft configuration.',
      (s) => s.members.filter((m) => m.voter).length,
    );
    this.group.gauge({
      name: 'shoal_raft_voters_reachable',
      help: '(leader) Voters heard from within an election timeout, the leader included.',
      collect: this.collector((g, s) => {
        if (s.role !== 'leader') return g.remove();
        const reachable = s.members.filter((m) => m.voter && (m.id === s.id || m.recentActive));
        g.set(reachable.length);
      }),
    });
    this.group.gauge({
      name: 'shoal_raft_peer_replication_lag_entries',
      help: "(leader) The leader's last log index minus the peer's match index.",
      labelNames: ['peer'],
      collect: this.collector((g, s) => {
        // Rebuilt each scrape, so a removed member or a lost leadership leaves no series.
        g.reset();
        if (s.role !== 'leader') return;
        for (const m of s.members) {
          if (m.id === s.id || m.match === undefined) continue;
          g.set({ peer: m.id }, Math.max(0, s.lastIndex - m.match));
        }
      }, true),
    });
  }

  /** A collect function that reads the status; no series while no driver is attached. */
  private collector<T extends string>(
    fill: (g: Gauge<T>, s: RaftDriverStatus) => void,
    labelled = false,
  ): (this: Gauge<T>) => void {
    const read = () => this.status();
    return function (this: Gauge<T>) {
      const status = read();
      if (status) return fill(this, status);
      this.reset();
      if (!labelled) this.remove();
    };
  }

  /**
   * One status() per scrape: prom-client runs every collect function in the same turn, and
   * sharing the reading keeps the series of one scrape consistent with each other (a term
   * and an is_leader from the same instant).
   */
  private status(): RaftDriverStatus | undefined {
    if (!this.current && this.source) {
      this.current = this.source.status();
      queueMicrotask(() => (this.current = undefined));
    }
    return this.current;
  }
}
