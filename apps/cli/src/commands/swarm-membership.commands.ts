/**
 * `shoal swarm join|join-token` (adding nodes) and `shoal swarm unlock|unlock-key` (autolocked
 * managers). Requests, texts and checks follow docker's CLI, so scripts written for
 * `docker swarm` keep working against shoald and the other way round.
 */
import { Argument, type Command, Option } from 'commander';
import type {
  NodeAvailability,
  Swarm,
  SwarmJoinRequest,
  SwarmUnlockRequest,
  SystemInfo,
} from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import { CommandFailedError, UsageError } from '../errors/cli.errors';
import { readSecret } from '../input/line.reader';
import { type SwarmRole, renderUnlockKey } from '../views/swarm.views';
import { daemonClient, flagParser } from './command.support';
import {
  DEFAULT_LISTEN_ADDR,
  fetchUnlockKey,
  joinToken,
  rotateSecret,
  writeJoinCommand,
} from './swarm.support';

/** docker's prompt when the key is typed at a terminal. */
export const UNLOCK_PROMPT = 'Please enter unlock key: ';

function parseRole(value: string): SwarmRole {
  if (value === 'worker' || value === 'manager') return value;
  throw new UsageError(`unknown role ${value}`);
}

interface JoinFlags {
  token: string;
  advertiseAddr?: string;
  listenAddr?: string;
  availability?: NodeAvailability;
}

export function registerJoinCommands(swarm: Command, ctx: CliContext): void {
  swarm
    .command('join')
    .description('Join a swarm as a node and/or manager')
    .usage('[options] --token <token> <host:port>')
    .argument('<host:port>', 'address of a manager of the swarm')
    // docker leaves --token optional and lets the daemon refuse an empty one; no join can
    // succeed without it, so it is refused here as a usage error instead.
    .requiredOption('--token <token>', 'token for entry into the swarm')
    .option('--advertise-addr <addr>', 'advertised address (format: <ip|interface>[:port])')
    .option(
      '--listen-addr <addr>',
      `listen address (format: <ip|interface>[:port]) (default: ${DEFAULT_LISTEN_ADDR})`,
    )
    .addOption(
      new Option(
        '--availability <availability>',
        'availability of the node (default: active)',
      ).choices(['active', 'pause', 'drain']),
    )
    .action(async (remote: string, opts: JoinFlags, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      const request: SwarmJoinRequest = {
        // Sent even when not given, as docker does; shoald maps docker's default to its port.
        ListenAddr: opts.listenAddr ?? DEFAULT_LISTEN_ADDR,
        ...(opts.advertiseAddr !== undefined ? { AdvertiseAddr: opts.advertiseAddr } : {}),
        RemoteAddrs: [remote],
        JoinToken: opts.token,
        // Only when given, as docker does: the daemon's default is active.
        ...(opts.availability !== undefined ? { Availability: opts.availability } : {}),
      };
      await client.post('/swarm/join', request);
      // The token decided the role, so only the daemon knows which one this node got.
      const info = await client.get<SystemInfo>('/info');
      const role: SwarmRole = info.Swarm?.ControlAvailable ? 'manager' : 'worker';
      ctx.stdout.write(`This node joined a swarm as a ${role}.\n`);
    });

  swarm
    .command('join-token')
    .description('Manage join tokens')
    .usage('[options] (worker|manager)')
    .addArgument(new Argument('<role>', 'worker or manager').argParser(flagParser(parseRole)))
    .option('--rotate', 'rotate join token')
    .option('-q, --quiet', 'only display token')
    .action(async (role: SwarmRole, opts: { rotate?: boolean; quiet?: boolean }, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      if (opts.rotate) {
        const flag = role === 'worker' ? 'rotateWorkerToken' : 'rotateManagerToken';
        await rotateSecret(client, await client.get<Swarm>('/swarm'), flag);
        if (!opts.quiet) ctx.stdout.write(`Successfully rotated ${role} join token.\n\n`);
      }
      // Read (again, after a rotation): an update answers with no body, so no new token.
      const swarm = await client.get<Swarm>('/swarm');
      if (opts.quiet) {
        ctx.stdout.write(`${joinToken(swarm, role)}\n`);
        return;
      }
      await writeJoinCommand(ctx, client, swarm, role);
    });
}

export function registerLockCommands(swarm: Command, ctx: CliContext): void {
  swarm
    .command('unlock')
    .description('Unlock swarm (reads the unlock key from stdin, or prompts on a terminal)')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      // Like docker, ask first, so nobody types a key for a node that has nothing to unlock.
      // An unknown state (an older daemon) falls through to asking for the key, as in docker.
      const info = await client.get<SystemInfo>('/info');
      switch (info.Swarm?.LocalNodeState) {
        case 'inactive':
          throw new CommandFailedError('Error: This node is not part of a swarm');
        case 'pending':
        case 'active':
        case 'error':
          throw new CommandFailedError('Error: swarm is not locked');
        default:
          break;
      }
      const request: SwarmUnlockRequest = { UnlockKey: await readSecret(ctx, UNLOCK_PROMPT) };
      // Success prints nothing, as with docker.
      await client.post('/swarm/unlock', request);
    });

  swarm
    .command('unlock-key')
    .description('Manage the unlock key')
    .option('--rotate', 'rotate unlock key')
    .option('-q, --quiet', 'only display token')
    .action(async (opts: { rotate?: boolean; quiet?: boolean }, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      if (opts.rotate) {
        const current = await client.get<Swarm>('/swarm');
        // docker checks this itself before asking for a rotation: without autolock there is
        // no key to rotate, and the daemon's answer would be less clear.
        if (!current.Spec?.EncryptionConfig?.AutoLockManagers) {
          throw new CommandFailedError('cannot rotate because autolock is not turned on');
        }
        await rotateSecret(client, current, 'rotateManagerUnlockKey');
        if (!opts.quiet) ctx.stdout.write('Successfully rotated manager unlock key.\n\n');
      }
      const key = await fetchUnlockKey(client);
      if (key === '') throw new CommandFailedError('no unlock key is set');
      ctx.stdout.write(opts.quiet ? `${key}\n` : renderUnlockKey(key));
    });
}
