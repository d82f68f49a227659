import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import {
  validateSwarmInitRequest,
  validateSwarmJoinRequest,
  validateSwarmSpec,
  validateSwarmUnlockRequest,
} from './swarm-spec.validator';

/** What `docker swarm init` sends: Go's zero values for everything left unset. */
const cliInit = {
  ListenAddr: '0.0.0.0:2377',
  AdvertiseAddr: '',
  DataPathAddr: '',
  DataPathPort: 0,
  ForceNewCluster: false,
  Spec: {
    Labels: null,
    Orchestration: {},
    Raft: { ElectionTick: 0, HeartbeatTick: 0 },
    Dispatcher: {},
    CAConfig: {},
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  },
  AutoLockManagers: false,
  Availability: 'active',
  DefaultAddrPool: null,
  SubnetSize: 0,
};

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('validateSwarmSpec', () => {
  it('accepts what `docker swarm inspect` shows and `docker swarm update` sends back', () => {
    const spec = {
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
      Dispatcher: { HeartbeatPeriod: 5e9 },
      CAConfig: {
        NodeCertExpiry: 7776000e9,
        ExternalCAs: [{ Protocol: 'cfssl', URL: 'https://ca.example:8888', CACert: '' }],
        ForceRotate: 1,
      },
      TaskDefaults: { LogDriver: { Name: 'json-file', Options: { 'max-file': '3' } } },
      EncryptionConfig: { AutoLockManagers: true },
    };
    expect(validateSwarmSpec(spec)).toEqual(spec);
  });

  it.each<[unknown, string]>([
    [{ Name: 'prod' }, 'invalid SwarmSpec.Name: expected "default"'],
    [
      { Orchestration: { TaskHistoryRetentionLimit: -1 } },
      'invalid SwarmSpec.Orchestration.TaskHistoryRetentionLimit: expected a non-negative integer, got -1',
    ],
    [{ Raft: { SnapshotInterval: 'often' } }, 'invalid SwarmSpec.Raft.SnapshotInterval'],
    [
      { Raft: { ElectionTick: 2, HeartbeatTick: 2 } },
      'invalid SwarmSpec.Raft.ElectionTick: must be greater than HeartbeatTick (2), got 2',
    ],
    [
      { Raft: { HeartbeatTick: 20 } },
      'invalid SwarmSpec.Raft.ElectionTick: must be greater than HeartbeatTick (20), got 10',
    ],
    [
      { Dispatcher: { HeartbeatPeriod: '5s' } },
      'invalid SwarmSpec.Dispatcher.HeartbeatPeriod: expected a non-negative integer of nanoseconds, got "5s"',
    ],
    [
      { CAConfig: { NodeCertExpiry: 60e9 } },
      'invalid SwarmSpec.CAConfig.NodeCertExpiry: expected 0 (the default) or an integer of nanoseconds of at least 3600000000000 (1h)',
    ],
    [
      { CAConfig: { ExternalCAs: [{ Protocol: 'acme', URL: 'x' }] } },
      'invalid SwarmSpec.CAConfig.ExternalCAs[0].Protocol: expected one of cfssl',
    ],
    [
      { CAConfig: { ExternalCAs: [{ Protocol: '' }] } },
      'invalid SwarmSpec.CAConfig.ExternalCAs[0].URL: missing',
    ],
    [
      { CAConfig: { SigningCAKey: 'key' } },
      'invalid SwarmSpec.CAConfig.SigningCACert: missing, required when SigningCAKey is given',
    ],
    [
      { EncryptionConfig: { AutoLockManagers: 'yes' } },
      'invalid SwarmSpec.EncryptionConfig.AutoLockManagers: expected a boolean',
    ],
    [
      { TaskDefaults: { LogDriver: { Driver: 'x' } } },
      'unknown field SwarmSpec.TaskDefaults.LogDriver.Driver (accepted: Name, Options)',
    ],
    [{ Raft: { ElectionTimeout: 1 } }, 'unknown field SwarmSpec.Raft.ElectionTimeout'],
  ])('rejects %j', (input, expected) => {
    expect(message(() => validateSwarmSpec(input))).toContain(expected);
  });
});

describe('validateSwarmInitRequest', () => {
  it('accepts what `docker swarm init` sends', () => {
    const req = validateSwarmInitRequest(cliInit);
    expect(req.ListenAddr).toBe('0.0.0.0:2377');
    expect(req.Spec?.Raft).toEqual({ ElectionTick: 0, HeartbeatTick: 0 });
    expect(req).not.toHaveProperty('DefaultAddrPool');
  });

  it('accepts address pools with a subnet size that fits them', () => {
    expect(
      validateSwarmInitRequest({
        DefaultAddrPool: ['10.10.0.0/16', '10.20.0.0/24'],
        SubnetSize: 26,
        DataPathPort: 7789,
      }),
    ).toEqual({
      DefaultAddrPool: ['10.10.0.0/16', '10.20.0.0/24'],
      SubnetSize: 26,
      DataPathPort: 7789,
    });
  });

  it.each<[unknown, string]>([
    [
      { DataPathPort: 80 },
      'invalid SwarmInitRequest.DataPathPort: expected 0 (for 4789) or an integer from 1024 to 49151, got 80',
    ],
    [{ DataPathPort: 50000 }, 'invalid SwarmInitRequest.DataPathPort'],
    [
      { DefaultAddrPool: ['10.0.0.0'] },
      'invalid SwarmInitRequest.DefaultAddrPool[0]: expected an IPv4 CIDR such as 10.0.0.0/8, got "10.0.0.0"',
    ],
    [
      { DefaultAddrPool: ['fd00::/8'] },
      'invalid SwarmInitRequest.DefaultAddrPool[0]: expected an IPv4 CIDR',
    ],
    [{ DefaultAddrPool: ['10.0.0.0/33'] }, 'invalid SwarmInitRequest.DefaultAddrPool[0]'],
    [
      { SubnetSize: 30 },
      'invalid SwarmInitRequest.SubnetSize: expected an integer from 0 (for 24) to 29, got 30',
    ],
    [
      { DefaultAddrPool: ['10.0.0.0/25'] },
      'invalid SwarmInitRequest.SubnetSize: subnets of /24 do not fit in DefaultAddrPool[0] 10.0.0.0/25; expected at least 25',
    ],
    [{ ForceNewCluster: 1 }, 'invalid SwarmInitRequest.ForceNewCluster: expected a boolean, got 1'],
    [{ Spec: { Name: 'x' } }, 'invalid SwarmInitRequest.Spec.Name'],
    [{ JoinToken: 'x' }, 'unknown field SwarmInitRequest.JoinToken'],
  ])('rejects %j', (input, expected) => {
    expect(message(() => validateSwarmInitRequest(input))).toContain(expected);
  });
});

describe('validateSwarmJoinRequest and validateSwarmUnlockRequest', () => {
  it('accepts a join', () => {
    const req = {
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '',
      DataPathAddr: '',
      RemoteAddrs: ['10.0.0.1:2377'],
      JoinToken: 'SWMTKN-1-abc-def',
    };
    expect(validateSwarmJoinRequest(req)).toEqual(req);
  });

  it('takes the Availability the docker CLI always sends', () => {
    const req = { ListenAddr: 'a', RemoteAddrs: ['b'], JoinToken: 't', Availability: 'drain' };
    expect(validateSwarmJoinRequest(req)).toEqual(req);
    expect(message(() => validateSwarmJoinRequest({ ...req, Availability: 'off' }))).toContain(
      'invalid SwarmJoinRequest.Availability: expected one of active, pause, drain',
    );
  });

  it('wants a listen address, managers to join and a token', () => {
    expect(
      message(() => validateSwarmJoinRequest({ RemoteAddrs: ['a'], JoinToken: 't' })),
    ).toContain('invalid SwarmJoinRequest.ListenAddr: missing');
    expect(
      message(() => validateSwarmJoinRequest({ ListenAddr: 'a', RemoteAddrs: [], JoinToken: 't' })),
    ).toContain(
      'invalid SwarmJoinRequest.RemoteAddrs: expected a non-empty array of manager addresses',
    );
    expect(
      message(() => validateSwarmJoinRequest({ ListenAddr: 'a', RemoteAddrs: ['b'] })),
    ).toContain('invalid SwarmJoinRequest.JoinToken: missing');
  });

  it('wants an unlock key', () => {
    expect(validateSwarmUnlockRequest({ UnlockKey: 'SWMKEY-1-x' })).toEqual({
      UnlockKey: 'SWMKEY-1-x',
    });
    expect(message(() => validateSwarmUnlockRequest({}))).toContain(
      'invalid SwarmUnlockRequest.UnlockKey: missing',
    );
  });
});
