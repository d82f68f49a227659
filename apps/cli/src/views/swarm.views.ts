/**
 * The instructions docker prints around joining and locking a swarm, word for word, with
 * `shoal` in place of `docker` in the commands they tell the user to run.
 */
import type { SystemInfo } from '../api/swarm.types';

export type SwarmRole = 'worker' | 'manager';

/** `swarm init` and `swarm join-token`: the command that adds a node in `role`. */
export function renderJoinCommand(role: SwarmRole, token: string, managerAddr: string): string {
  return (
    `To add a ${role} to this swarm, run the following command:\n\n` +
    `    shoal swarm join --token ${token} ${managerAddr}\n\n`
  );
}

/** `swarm init` after the worker command: managers get their token from `join-token`. */
export const ADD_MANAGER_HINT =
  "To add a manager to this swarm, run 'shoal swarm join-token manager' and follow the instructions.\n\n";

/** `swarm init --autolock`, `swarm update --autolock` and `swarm unlock-key`. */
export function renderUnlockKey(key: string): string {
  return (
    'To unlock a swarm manager after it restarts, run the `shoal swarm unlock`\n' +
    'command and provide the following key:\n\n' +
    `    ${key}\n\n` +
    'Remember to store this key in a password manager, since without it you\n' +
    'will not be able to restart the manager.\n'
  );
}

/**
 * The address a new node should dial: this manager's own entry in Swarm.RemoteManagers, else
 * any manager's. Undefined when /info lists none (this node is no manager), in which case,
 * like docker, no join command is printed at all.
 */
export function managerAddress(info: SystemInfo): string | undefined {
  const managers = (info.Swarm?.RemoteManagers ?? []).filter((m) => m.Addr);
  const self = info.Swarm?.NodeID;
  return (managers.find((m) => self && m.NodeID === self) ?? managers[0])?.Addr;
}
