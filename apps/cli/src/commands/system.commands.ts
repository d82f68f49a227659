/** `shoal info` and `shoal version`. */
import type { Command } from 'commander';
import type { SystemInfo, SystemVersion } from '../api/swarm.types';
import { CLI_VERSION, type CliContext } from '../cli.context';
import { renderClientVersion, renderInfo, renderServerVersion } from '../views/system.views';
import { type ListFormat, daemonClient, formatOption, writeJson } from './command.support';

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  program
    .command('info')
    .description('Display system-wide information, including the swarm state')
    .addOption(formatOption())
    .action(async (opts: { format: ListFormat }, cmd: Command) => {
      const info = await daemonClient(cmd, ctx).get<SystemInfo>('/info');
      if (opts.format === 'json') writeJson(ctx, info);
      else ctx.stdout.write(renderInfo(info));
    });

  program
    .command('version')
    .description('Show the shoal client and daemon versions')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      // Like docker, the client half prints even when the daemon cannot be reached.
      ctx.stdout.write(
        renderClientVersion({
          version: CLI_VERSION,
          platform: ctx.platform,
          nodeVersion: ctx.nodeVersion,
          host: client.host.display,
        }),
      );
      const server = await client.get<SystemVersion>('/version');
      ctx.stdout.write(`\n${renderServerVersion(server)}`);
    });
}
