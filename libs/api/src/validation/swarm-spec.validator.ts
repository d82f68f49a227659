import {
  type CAConfig,
  type DispatcherConfig,
  type EncryptionConfig,
  type ExternalCA,
  type OrchestrationConfig,
  type RaftConfig,
  type SwarmInitRequest,
  type SwarmJoinRequest,
  type SwarmSpec,
  type SwarmUnlockRequest,
  type TaskDefaults,
} from '../swarm/swarm.types';
import {
  duration,
  labels,
  logDriver,
  nonNegativeInteger,
  parseCidr,
  UINT32_MAX,
} from './common.checks';
import {
  arrayOf,
  boolean,
  check,
  type Check,
  expected,
  integer,
  invalid,
  nonEmptyString,
  object,
  oneOf,
  required,
  string,
  stringMap,
} from './field-schema';
import { SWARM_DEFAULTS } from './swarm-defaults';

const nodeAvailability = oneOf(['active', 'pause', 'drain']);

/** swarmkit refuses node certificates shorter-lived than this (0 keeps the default). */
export const MIN_NODE_CERT_EXPIRY_NS = 3600e9;

const swarmName = check('"default" (the only name a swarm can have)', (value, path) => {
  if (value !== '' && value !== 'default') throw expected(path, swarmName.what, value);
  return value;
});

const ticks = integer(0, UINT32_MAX, 'a non-negative integer of ticks (0 for the default)');

const raftConfig = object<RaftConfig>(
  {
    SnapshotInterval: nonNegativeInteger,
    KeepOldSnapshots: nonNegativeInteger,
    LogEntriesForSlowFollowers: nonNegativeInteger,
    ElectionTick: ticks,
    HeartbeatTick: ticks,
  },
  (raft, path) => {
    // Followers must hear a heartbeat before they give up on the leader. Zero means the
    // default, so compare what will actually be used.
    const election = raft.ElectionTick || SWARM_DEFAULTS.ElectionTick;
    const heartbeat = raft.HeartbeatTick || SWARM_DEFAULTS.HeartbeatTick;
    if (election <= heartbeat) {
      throw invalid(
        `${path}.ElectionTick`,
        `must be greater than HeartbeatTick (${heartbeat}), got ${election}`,
      );
    }
  },
);

const nodeCertExpiry = check(
  '0 (the default) or an integer of nanoseconds of at least 3600000000000 (1h)',
  (value, path) => {
    const ns = duration(value, path);
    if (ns !== 0 && ns < MIN_NODE_CERT_EXPIRY_NS) throw expected(path, nodeCertExpiry.what, value);
    return ns;
  },
);

const externalCA = object<ExternalCA>({
  Protocol: oneOf(['cfssl']),
  URL: required(nonEmptyString),
  Options: stringMap,
  CACert: string,
});

const caConfig = object<CAConfig>(
  {
    NodeCertExpiry: nodeCertExpiry,
    ExternalCAs: arrayOf(externalCA),
    SigningCACert: string,
    SigningCAKey: string,
    ForceRotate: nonNegativeInteger,
  },
  (ca, path) => {
    if ((ca.SigningCAKey ?? '') !== '' && (ca.SigningCACert ?? '') === '') {
      throw invalid(`${path}.SigningCACert`, 'missing, required when SigningCAKey is given');
    }
  },
);

export const swarmSpec: Check<SwarmSpec> = object<SwarmSpec>({
  Name: swarmName,
  Labels: labels,
  Orchestration: object<OrchestrationConfig>({ TaskHistoryRetentionLimit: nonNegativeInteger }),
  Raft: raftConfig,
  Dispatcher: object<DispatcherConfig>({ HeartbeatPeriod: duration }),
  CAConfig: caConfig,
  EncryptionConfig: object<EncryptionConfig>({ AutoLockManagers: boolean }),
  TaskDefaults: object<TaskDefaults>({ LogDriver: logDriver }),
});

/**
 * Validates the body of POST /swarm/update (and the Spec of /swarm/init). Zeros mean "keep
 * the default", as they do for dockerd, because Go clients send them for unset fields.
 */
export function validateSwarmSpec(input: unknown): SwarmSpec {
  return swarmSpec(input, 'SwarmSpec');
}

/** The data path port range Docker allows; 0 keeps the default (4789). */
export const DATA_PATH_PORT_MIN = 1024;
export const DATA_PATH_PORT_MAX = 49151;
export const DEFAULT_SUBNET_SIZE = 24;
export const MAX_SUBNET_SIZE = 29;

const dataPathPort = check(
  `0 (for 4789) or an integer from ${DATA_PATH_PORT_MIN} to ${DATA_PATH_PORT_MAX}`,
  (value, path) => {
    const p = integer(0, DATA_PATH_PORT_MAX)(value, path);
    if (p !== 0 && p < DATA_PATH_PORT_MIN) throw expected(path, dataPathPort.what, value);
    return p;
  },
);

// Swarm's default address pools are IPv4 in API v1.44.
const ipv4Pool = check('an IPv4 CIDR such as 10.0.0.0/8', (value, path) => {
  const parsed = typeof value === 'string' ? parseCidr(value) : undefined;
  if (parsed?.family !== 4) throw expected(path, ipv4Pool.what, value);
  return value as string;
});

const swarmInitRequest = object<SwarmInitRequest>(
  {
    ListenAddr: string,
    AdvertiseAddr: string,
    DataPathAddr: string,
    DataPathPort: dataPathPort,
    DefaultAddrPool: arrayOf(ipv4Pool, 'an array of IPv4 CIDRs'),
    ForceNewCluster: boolean,
    SubnetSize: integer(
      0,
      MAX_SUBNET_SIZE,
      `an integer from 0 (for ${DEFAULT_SUBNET_SIZE}) to ${MAX_SUBNET_SIZE}`,
    ),
    Spec: swarmSpec,
    AutoLockManagers: boolean,
    Availability: nodeAvailability,
  },
  (req, path) => {
    // Each network gets a SubnetSize-long prefix carved out of a pool, so it cannot be
    // shorter than the pool's own.
    const size = req.SubnetSize || DEFAULT_SUBNET_SIZE;
    req.DefaultAddrPool?.forEach((pool, i) => {
      const prefix = parseCidr(pool)?.prefixLength ?? 0;
      if (size < prefix) {
        throw invalid(
          `${path}.SubnetSize`,
          `subnets of /${size} do not fit in DefaultAddrPool[${i}] ${pool}; expected at least ${prefix}`,
        );
      }
    });
  },
);

/** Validates the body of POST /swarm/init. */
export function validateSwarmInitRequest(input: unknown): SwarmInitRequest {
  return swarmInitRequest(input, 'SwarmInitRequest');
}

const swarmJoinRequest = object<SwarmJoinRequest>({
  ListenAddr: required(nonEmptyString),
  AdvertiseAddr: string,
  DataPathAddr: string,
  RemoteAddrs: required(
    check('a non-empty array of manager addresses', (value, path) => {
      const addrs = arrayOf(nonEmptyString)(value, path);
      if (addrs.length === 0) throw expected(path, 'a non-empty array of manager addresses', value);
      return addrs;
    }),
  ),
  JoinToken: required(nonEmptyString),
  Availability: nodeAvailability,
});

/** Validates the body of POST /swarm/join. */
export function validateSwarmJoinRequest(input: unknown): SwarmJoinRequest {
  return swarmJoinRequest(input, 'SwarmJoinRequest');
}

const swarmUnlockRequest = object<SwarmUnlockRequest>({ UnlockKey: required(nonEmptyString) });

/** Validates the body of POST /swarm/unlock. */
export function validateSwarmUnlockRequest(input: unknown): SwarmUnlockRequest {
  return swarmUnlockRequest(input, 'SwarmUnlockRequest');
}
