/**
 * `shoal swarm init|leave|update`: creating, leaving and tuning the swarm. Joining and
 * unlocking are in swarm-membership.commands.ts; all of them hang under `swarm` here.
 */
import type { Command } from 'commander';
import type { Swarm, SwarmInitRequest, SwarmSpec } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import { parseBool } from '../parse/bool.parser';
import { parseDuration } from '../parse/duration.parser';
import { ADD_MANAGER_HINT, renderUnlockKey } from '../views/swarm.views';
import { daemonClient, flagParser, nonNegative, parseNonNegativeInt } from './command.support';
import { registerJoinCommands, registerLockCommands } from './swarm-membership.commands';
import {
  DEFAULT_LISTEN_ADDR,
  fetchUnlockKey,
  postSwarmUpdate,
  writeJoinCommand,
} from './swarm.support';

interface SwarmSpecFlags {
  taskHistoryLimit?: number;
  certExpiry?: number;
  dispatcherHeartbeat?: number;
  snapshotInterval?: number;
  autolock?: boolean;
}

/** Writes the set flags into a swarm spec (a copy), leaving everything else as it was. */
export function applySwarmSpecFlags(current: SwarmSpec, flags: SwarmSpecFlags): SwarmSpec {
  const spec = structuredClone(current);
  if (flags.taskHistoryLimit !== undefined) {
    spec.Orchestration = {
      ...spec.Orchestration,
      TaskHistoryRetentionLimit: flags.taskHistoryLimit,
    };
  }
  if (flags.certExpiry !== undefined) {
    spec.CAConfig = { ...spec.CAConfig, NodeCertExpiry: flags.certExpiry };
  }
  if (flags.dispatcherHeartbeat !== undefined) {
    spec.Dispatcher = { ...spec.Dispatcher, HeartbeatPeriod: flags.dispatcherHeartbeat };
  }
  if (flags.snapshotInterval !== undefined) {
    spec.Raft = { ...spec.Raft, SnapshotInterval: flags.snapshotInterval };
  }
  if (flags.autolock !== undefined) {
    spec.EncryptionConfig = { ...spec.EncryptionConfig, AutoLockManagers: flags.autolock };
  }
  return spec;
}

/**
 * Once autolock is on, the key is needed to restart any manager: print it right away, as
 * docker does. An empty key (a daemon that did not lock after all) prints nothing, also as
 * docker does.
 */
async function writeNewUnlockKey(ctx: CliContext, client: DaemonClient): Promise<void> {
  const key = await fetchUnlockKey(client);
  if (key !== '') ctx.stdout.write(renderUnlockKey(key));
}

function addSpecOptions(command: Command, withSnapshotInterval: boolean): Command {
  const duration = flagParser(nonNegative(parseDuration));
  command
    .option(
      '--task-history-limit <n>',
      'task history retention limit (tasks kept per slot)',
      flagParser(parseNonNegativeInt),
    )
    .option(
      '--cert-expiry <duration>',
      'validity period for node certificates (e.g. 2160h)',
      duration,
    )
    .option('--dispatcher-heartbeat <duration>', 'dispatcher heartbeat period (e.g. 5s)', duration)
    // An optional value, so both `--autolock` and docker's `--autolock=false` parse.
    .option(
      '--autolock [bool]',
      'require an unlock key to start a stopped manager (--autolock=false turns it off)',
      flagParser(parseBool),
    );
  if (withSnapshotInterval) {
    command.option(
      '--snapshot-interval <n>',
      'number of log entries between Raft snapshots',
      flagParser(parseNonNegativeInt),
    );
  }
  return command;
}

export function registerSwarmCommands(program: Command, ctx: CliContext): void {
  const swarm = program.command('swarm').description('Manage the swarm');

  addSpecOptions(
    swarm
      .command('init')
      .description('Initialize a swarm with this node as its first manager')
      .option('--advertise-addr <addr>', 'advertised address (format: <ip|interface>[:port])')
      .option(
        '--listen-addr <addr>',
        `listen address (format: <ip|interface>[:port]) (default: ${DEFAULT_LISTEN_ADDR})`,
      )
      .option('--force-new-cluster', 'force a new cluster from the current state'),
    false,
  ).action(
    async (
      opts: SwarmSpecFlags & {
        advertiseAddr?: string;
        listenAddr?: string;
        forceNewCluster?: boolean;
      },
      cmd: Command,
    ) => {
      const spec = applySwarmSpecFlags({}, opts);
      const request: SwarmInitRequest = {
        // docker always sends its default listen address; so do we, to behave identically.
        ListenAddr: opts.listenAddr ?? DEFAULT_LISTEN_ADDR,
        ...(opts.advertiseAddr !== undefined ? { AdvertiseAddr: opts.advertiseAddr } : {}),
        ...(opts.forceNewCluster ? { ForceNewCluster: true } : {}),
        ...(Object.keys(spec).length > 0 ? { Spec: spec } : {}),
        // docker states autolock twice, in the spec and in this field of its own; so do we.
        ...(opts.autolock !== undefined ? { AutoLockManagers: opts.autolock } : {}),
      };
      const client = daemonClient(cmd, ctx);
      const nodeId = await client.post<unknown>('/swarm/init', request);
      const id = typeof nodeId === 'string' ? nodeId.trim() : JSON.stringify(nodeId);
      ctx.stdout.write(`Swarm initialized: current node (${id}) is now a manager.\n\n`);
      // What to do next, as docker prints it: the worker join command with the real token,
      // where manager tokens are found, and with autolock the key this manager now needs.
      await writeJoinCommand(ctx, client, await client.get<Swarm>('/swarm'), 'worker');
      ctx.stdout.write(ADD_MANAGER_HINT);
      if (opts.autolock) await writeNewUnlockKey(ctx, client);
    },
  );

  // Interleaved so `shoal swarm --help` lists the commands in docker's (alphabetical) order.
  registerJoinCommands(swarm, ctx);

  swarm
    .command('leave')
    .description('Leave the swarm')
    .option('-f, --force', 'force this node to leave, even if it is the last manager')
    .action(async (opts: { force?: boolean }, cmd: Command) => {
      await daemonClient(cmd, ctx).post(
        '/swarm/leave',
        undefined,
        opts.force ? { force: true } : undefined,
      );
      ctx.stdout.write('Node left the swarm.\n');
    });

  registerLockCommands(swarm, ctx);

  addSpecOptions(swarm.command('update').description('Update the swarm'), true).action(
    async (opts: SwarmSpecFlags, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      // Read-modify-write: the version makes the daemon refuse the update if someone else
      // changed the swarm in between, instead of silently overwriting their change.
      const current = await client.get<Swarm>('/swarm');
      const spec = applySwarmSpecFlags(current.Spec ?? {}, opts);
      await postSwarmUpdate(client, current, spec);
      ctx.stdout.write('Swarm updated.\n');
      // Only a switch from off to on makes a new key worth printing, as in docker.
      const wasAutolocked = current.Spec?.EncryptionConfig?.AutoLockManagers ?? false;
      if (spec.EncryptionConfig?.AutoLockManagers && !wasAutolocked) {
        await writeNewUnlockKey(ctx, client);
      }
    },
  );
}
