/**
 * Steps the swarm commands share: rotating a secret through `/swarm/update`, printing the join
 * command for a role and fetching the unlock key. `swarm init` and `update` end with the same
 * instructions `join-token` and `unlock-key` print, so these live apart from either file.
 */
import type { Swarm, SwarmSpec, SystemInfo, UnlockKeyResponse } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import { CommandFailedError, DaemonError } from '../errors/cli.errors';
import { type SwarmRole, managerAddress, renderJoinCommand } from '../views/swarm.views';
import { describeError } from './command.support';

/** docker's default for --listen-addr; it always sends it, and shoald maps it to its port. */
export const DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

export type RotateFlag = 'rotateWorkerToken' | 'rotateManagerToken' | 'rotateManagerUnlockKey';

/**
 * POST /swarm/update at the version read, with the spec to store. A rotation flag rides along
 * only when set: the daemon reads an absent flag as false, so `?version=N&rotateWorkerToken=true`
 * means the same as docker's query that spells out all three.
 */
export async function postSwarmUpdate(
  client: DaemonClient,
  current: Swarm,
  spec: SwarmSpec,
  rotate?: RotateFlag,
): Promise<void> {
  await client.post('/swarm/update', spec, {
    version: current.Version?.Index ?? 0,
    ...(rotate ? { [rotate]: true } : {}),
  });
}

/** Rotates one secret: the current spec is sent back unchanged, only the flag differs. */
export async function rotateSecret(
  client: DaemonClient,
  current: Swarm,
  flag: RotateFlag,
): Promise<void> {
  await postSwarmUpdate(client, current, current.Spec ?? {}, flag);
}

export function joinToken(swarm: Swarm, role: SwarmRole): string {
  // docker prints whatever the daemon returned, an empty token included.
  return (role === 'worker' ? swarm.JoinTokens?.Worker : swarm.JoinTokens?.Manager) ?? '';
}

/**
 * Prints the `shoal swarm join` line for `role`, addressed to this manager as /info lists it
 * (docker reads the same address from this node's ManagerStatus; /info saves a request).
 */
export async function writeJoinCommand(
  ctx: CliContext,
  client: DaemonClient,
  swarm: Swarm,
  role: SwarmRole,
): Promise<void> {
  const addr = managerAddress(await client.get<SystemInfo>('/info'));
  if (addr !== undefined) ctx.stdout.write(renderJoinCommand(role, joinToken(swarm, role), addr));
}

/**
 * GET /swarm/unlockkey. A daemon refusal is prefixed the way docker wraps it ("could not fetch
 * unlock key: Error response from daemon: ..."), since it may come after a successful init or
 * update and should not read as if that had failed.
 */
export async function fetchUnlockKey(client: DaemonClient): Promise<string> {
  try {
    const response = await client.get<UnlockKeyResponse | undefined>('/swarm/unlockkey');
    return response?.UnlockKey ?? '';
  } catch (err) {
    if (err instanceof DaemonError) {
      throw new CommandFailedError(`could not fetch unlock key: ${describeError(err)}`);
    }
    throw err;
  }
}
