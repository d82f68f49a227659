import {
  type ClusterInfo,
  applySwarmSpecDefaults,
  InvalidArgumentError,
  type Swarm,
  UnavailableError,
  validateSwarmSpec,
} from '@shoal/api';
import { generateJoinToken, generateUnlockKey } from '@shoal/ca';
import { type ReadTx } from '@shoal/store';
import { type ManagerHandle } from '../manager/swarm-runtime.port';
import { updateStore } from './store-error.mapper';
import { refuseUnsupportedSwarmSettings } from './unsupported-swarm-settings';
import { mutableCopy, type StoredCluster, toApiCluster } from './stored.types';

export interface SwarmUpdateFlags {
  rotateWorkerToken: boolean;
  rotateManagerToken: boolean;
  rotateManagerUnlockKey: boolean;
}

/** Docker's text when a manager has no cluster object (moby's errNoSwarm). */
export const NO_SWARM_MESSAGE = 'This node is not part of a swarm';

/**
 * GET /swarm and POST /swarm/update (swarmkit controlapi/cluster.go, moby cluster/swarm.go).
 * Pure: takes the manager's handle, does no I/O of its own.
 */
export class SwarmControl {
  constructor(private readonly manager: ManagerHandle) {}

  /** GET /swarm: ClusterInfo plus the join tokens. */
  async inspect(): Promise<Swarm> {
    await this.manager.readBarrier();
    return toApiCluster(this.manager.store.view((tx) => theCluster(tx)));
  }

  /** GET /swarm/unlockkey: the current unlock key, or "" when autolock is off. */
  async unlockKey(): Promise<{ UnlockKey: string }> {
    await this.manager.readBarrier();
    const cluster = this.manager.store.view((tx) => theCluster(tx));
    return { UnlockKey: cluster.UnlockKey ?? '' };
  }

  /** The `Swarm.Cluster` part of GET /info: the same, without the join tokens. */
  async info(): Promise<ClusterInfo> {
    const swarm: Swarm = await this.inspect();
    delete swarm.JoinTokens;
    return swarm;
  }

  /**
   * POST /swarm/update. The body is the complete new spec (as the docker CLI sends it, read
   * from GET /swarm and modified); what it leaves out takes the default, as in Docker.
   * A stale `version` → 409 "update out of sequence" and nothing changes.
   */
  async update(version: number, body: unknown, flags: SwarmUpdateFlags): Promise<void> {
    // As in dockerd, left-out fields and zeros take the defaults (Go clients send zeros).
    const spec = applySwarmSpecDefaults(validateSwarmSpec(namedDefault(body)));
    refuseUnsupportedSwarmSettings(spec);
    const autolock = spec.EncryptionConfig?.AutoLockManagers ?? false;
    if (flags.rotateManagerUnlockKey && !autolock) {
      throw new InvalidArgumentError('cannot rotate because autolock is not turned on');
    }
    await updateStore(this.manager, (tx) => {
      const current = mutableCopy(theCluster(tx));
      // A rotated token admits no new node from now on; nodes already admitted keep their
      // certificates (swarmkit's semantics).
      const caPem = current.RootCA?.CACert;
      if ((flags.rotateWorkerToken || flags.rotateManagerToken) && !caPem) {
        throw new UnavailableError('this swarm has no root CA to derive join tokens from');
      }
      const tokens = { Worker: '', Manager: '', ...current.JoinTokens };
      if (flags.rotateWorkerToken) tokens.Worker = generateJoinToken(caPem!);
      if (flags.rotateManagerToken) tokens.Manager = generateJoinToken(caPem!);
      // Turning autolock on makes an unlock key; every manager then wraps its data key
      // with it. Turning it off drops the key, and managers keep their data keys in clear.
      let unlockKey = autolock ? current.UnlockKey : undefined;
      if (autolock && (!unlockKey || flags.rotateManagerUnlockKey)) unlockKey = generateUnlockKey();
      const { UnlockKey: _old, ...rest } = current;
      tx.update<StoredCluster>('cluster', {
        ...rest,
        ...(unlockKey ? { UnlockKey: unlockKey } : {}),
        Spec: spec,
        JoinTokens: tokens,
        Version: { Index: version },
      });
    });
  }
}

function theCluster(tx: ReadTx): StoredCluster {
  // One cluster per swarm, as in swarmkit (moby takes the first one the list returns).
  const cluster = tx.list<StoredCluster>('cluster')[0];
  if (!cluster) throw new UnavailableError(NO_SWARM_MESSAGE);
  return cluster;
}

/**
 * Docker: an empty name becomes "default"; any other name is refused (400
 * `swarm spec must be named "default"`), since the cluster cannot be renamed.
 */
function namedDefault(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  // Field names match case-insensitively, as Go's encoding/json (and the validator) do.
  const key = Object.keys(fields).find((k) => k.toLowerCase() === 'name');
  const name = key === undefined ? undefined : fields[key];
  if (name === undefined || name === null || name === '') {
    const rest = { ...fields };
    if (key !== undefined) delete rest[key];
    return { ...rest, Name: 'default' };
  }
  if (name !== 'default') throw new InvalidArgumentError('swarm spec must be named "default"');
  return body;
}
