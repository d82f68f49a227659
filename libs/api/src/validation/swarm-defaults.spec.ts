import { describe, expect, it } from 'vitest';
import { applySwarmSpecDefaults, defaultSwarmSpec } from './swarm-defaults';
import { validateSwarmSpec } from './swarm-spec.validator';

describe('defaultSwarmSpec', () => {
  it("is Swarm's default spec, and valid", () => {
    const spec = defaultSwarmSpec();
    expect(spec).toEqual({
      Name: 'default',
      Labels: {},
      Orchestration: { TaskHistoryRetentionLimit: 5 },
      Raft: {
        SnapshotInterval: 10000,
        KeepOldSnapshots: 0,
        LogEntriesForSlowFollowers: 500,
        ElectionTick: 10,
        HeartbeatTick: 1,
      },
      Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
      CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
      TaskDefaults: {},
      EncryptionConfig: { AutoLockManagers: false },
    });
    expect(validateSwarmSpec(spec)).toEqual(spec);
  });

  it('returns a fresh object each time', () => {
    const a = defaultSwarmSpec();
    a.Raft!.ElectionTick = 99;
    expect(defaultSwarmSpec().Raft?.ElectionTick).toBe(10);
  });
});

describe('applySwarmSpecDefaults', () => {
  it('turns what `docker swarm init` sends into the default spec', () => {
    const sent = validateSwarmSpec({
      Labels: null,
      Orchestration: {},
      Raft: { ElectionTick: 0, HeartbeatTick: 0 },
      Dispatcher: {},
      CAConfig: {},
      TaskDefaults: {},
      EncryptionConfig: { AutoLockManagers: false },
    });
    expect(applySwarmSpecDefaults(sent)).toEqual(defaultSwarmSpec());
    expect(applySwarmSpecDefaults()).toEqual(defaultSwarmSpec());
  });

  it('keeps what was set, including a retention limit of 0', () => {
    const spec = applySwarmSpecDefaults({
      Labels: { a: 'b' },
      Orchestration: { TaskHistoryRetentionLimit: 0 },
      Raft: { SnapshotInterval: 500, KeepOldSnapshots: 2 },
      Dispatcher: { HeartbeatPeriod: 10e9 },
      CAConfig: { NodeCertExpiry: 3600e9, ExternalCAs: [{ Protocol: 'cfssl', URL: 'https://ca' }] },
      EncryptionConfig: { AutoLockManagers: true },
      TaskDefaults: { LogDriver: { Name: 'journald' } },
    });
    expect(spec).toMatchObject({
      Labels: { a: 'b' },
      Orchestration: { TaskHistoryRetentionLimit: 0 },
      Raft: { SnapshotInterval: 500, KeepOldSnapshots: 2, ElectionTick: 10, HeartbeatTick: 1 },
      Dispatcher: { HeartbeatPeriod: 10e9 },
      CAConfig: { NodeCertExpiry: 3600e9, ExternalCAs: [{ Protocol: 'cfssl', URL: 'https://ca' }] },
      EncryptionConfig: { AutoLockManagers: true },
      TaskDefaults: { LogDriver: { Name: 'journald' } },
    });
  });
});
