import { type SwarmSpec } from '../swarm/swarm.types';

/**
 * Swarm's defaults, reported by GET /swarm as Docker reports them.
 *
 * These are Swarm-shaped values, not Shoal's real timings: Shoal's Raft ticks every 100ms and
 * elects after 5 ticks, where swarmkit ticks every second and elects after 10. The Raft
 * fields here are what `docker swarm inspect` users expect to see and what they may send back
 * through /swarm/update; the Raft driver keeps its own timing.
 */
export const SWARM_DEFAULTS = Object.freeze({
  TaskHistoryRetentionLimit: 5,
  SnapshotInterval: 10000,
  KeepOldSnapshots: 0,
  LogEntriesForSlowFollowers: 500,
  ElectionTick: 10,
  HeartbeatTick: 1,
  HeartbeatPeriod: 5e9,
  /** 90 days. */
  NodeCertExpiry: 7776000e9,
});

export function defaultSwarmSpec(name = 'default'): SwarmSpec {
  const d = SWARM_DEFAULTS;
  return {
    Name: name,
    Labels: {},
    Orchestration: { TaskHistoryRetentionLimit: d.TaskHistoryRetentionLimit },
    Raft: {
      SnapshotInterval: d.SnapshotInterval,
      KeepOldSnapshots: d.KeepOldSnapshots,
      LogEntriesForSlowFollowers: d.LogEntriesForSlowFollowers,
      ElectionTick: d.ElectionTick,
      HeartbeatTick: d.HeartbeatTick,
    },
    Dispatcher: { HeartbeatPeriod: d.HeartbeatPeriod },
    CAConfig: { NodeCertExpiry: d.NodeCertExpiry },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  };
}

// Zero, like absence, means "default" for fields whose zero would be meaningless.
function orDefault<T>(value: T | undefined, fallback: T): T {
  return value === undefined || value === 0 || value === '' ? fallback : value;
}

/**
 * Fills a validated SwarmSpec (the Spec of /swarm/init) with the defaults. As in dockerd, a
 * zero interval, tick count or expiry also means "default", because Go clients send zeros for
 * fields they leave unset. The input is not modified.
 */
export function applySwarmSpecDefaults(input: SwarmSpec = {}): SwarmSpec {
  const d = SWARM_DEFAULTS;
  const spec = structuredClone(input);
  return {
    ...spec,
    Name: orDefault(spec.Name, 'default'),
    Labels: spec.Labels ?? {},
    Orchestration: {
      // 0 is meaningful here: keep no history.
      TaskHistoryRetentionLimit:
        spec.Orchestration?.TaskHistoryRetentionLimit ?? d.TaskHistoryRetentionLimit,
    },
    Raft: {
      SnapshotInterval: orDefault(spec.Raft?.SnapshotInterval, d.SnapshotInterval),
      KeepOldSnapshots: spec.Raft?.KeepOldSnapshots ?? d.KeepOldSnapshots,
      LogEntriesForSlowFollowers: orDefault(
        spec.Raft?.LogEntriesForSlowFollowers,
        d.LogEntriesForSlowFollowers,
      ),
      ElectionTick: orDefault(spec.Raft?.ElectionTick, d.ElectionTick),
      HeartbeatTick: orDefault(spec.Raft?.HeartbeatTick, d.HeartbeatTick),
    },
    Dispatcher: { HeartbeatPeriod: orDefault(spec.Dispatcher?.HeartbeatPeriod, d.HeartbeatPeriod) },
    CAConfig: {
      ...spec.CAConfig,
      NodeCertExpiry: orDefault(spec.CAConfig?.NodeCertExpiry, d.NodeCertExpiry),
    },
    TaskDefaults: spec.TaskDefaults ?? {},
    EncryptionConfig: { AutoLockManagers: spec.EncryptionConfig?.AutoLockManagers ?? false },
  };
}
