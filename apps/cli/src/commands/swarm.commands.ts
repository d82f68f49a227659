/** `shoal swarm init|leave|update`: creating, leaving and tuning the swarm. */
import type { Command } from 'commander';
import type { Swarm, SwarmInitRequest, SwarmSpec } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import { parseDuration } from '../parse/duration.parser';
import { daemonClient, flagParser, nonNegative, parseNonNegativeInt } from './command.support';

const DEFAULT_LISTEN_ADDR = '0.0.0.0:2377';

interface SwarmSpecFlags {
  taskHistoryLimit?: number;
  certExpiry?: number;
  dispatcherHeartbeat?: number;
  snapshotInterval?: number;
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
  return spec;
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
    .option('--dispatcher-heartbeat <duration>', 'dispatcher heartbeat period (e.g. 5s)', duration);
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
      };
      const nodeId = await daemonClient(cmd, ctx).post<unknown>('/swarm/init', request);
      const id = typeof nodeId === 'string' ? nodeId.trim() : JSON.stringify(nodeId);
      ctx.stdout.write(`Swarm initialized: current node (${id}) is now a manager.\n`);
    },
  );

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

  addSpecOptions(swarm.command('update').description('Update the swarm'), true).action(
    async (opts: SwarmSpecFlags, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      // Read-modify-write: the version makes the daemon refuse the update if someone else
      // changed the swarm in between, instead of silently overwriting their change.
      const current = await client.get<Swarm>('/swarm');
      const spec = applySwarmSpecFlags(current.Spec ?? {}, opts);
      await client.post('/swarm/update', spec, { version: current.Version?.Index ?? 0 });
      ctx.stdout.write('Swarm updated.\n');
    },
  );
}
