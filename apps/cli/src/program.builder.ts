/**
 * Builds the `shoal` commander program. Pure construction, no I/O: tests build it with a
 * captured context and run it against a fake daemon; main.ts builds it with the process's.
 */
import { Command } from 'commander';
import { CLI_VERSION, type CliContext } from './cli.context';
import { DEFAULT_HOST } from './client/daemon-host.parser';
import { registerEventsCommands } from './commands/events.commands';
import { registerNodeCommands } from './commands/node.commands';
import { registerServiceQueryCommands } from './commands/service-query.commands';
import { registerServiceWriteCommands } from './commands/service.commands';
import { registerSwarmCommands } from './commands/swarm.commands';
import { registerSystemCommands } from './commands/system.commands';

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function forEachCommand(command: Command, visit: (c: Command) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub, visit);
}

export function buildProgram(ctx: CliContext): Command {
  // Settings made here are inherited by every subcommand created with .command() below.
  const program = new Command('shoal')
    .description('Manage a shoal cluster; speaks the swarm part of the Docker Engine API')
    .option(
      '-H, --host <address>',
      `daemon to talk to: unix:///path, /path or tcp://host:port ` +
        `(default: $SHOAL_HOST, else ${DEFAULT_HOST})`,
    )
    .version(`shoal version ${CLI_VERSION}`, '-v, --version', 'print the client version and exit')
    // Global flags go before the command, as with docker. Without this, commander would also
    // look for -H after it, and `service create IMAGE curl -H ...` would lose its -H.
    .enablePositionalOptions()
    // Throw instead of process.exit, so the runner picks the exit code (125 for usage errors).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    });

  registerSwarmCommands(program, ctx);
  registerNodeCommands(program, ctx);
  const service = program.command('service').description('Manage swarm services');
  registerServiceWriteCommands(service, ctx);
  registerServiceQueryCommands(service, ctx);
  registerSystemCommands(program, ctx);
  registerEventsCommands(program, ctx);

  // docker follows a usage error with "See 'docker service create --help'."; the path differs
  // per command, so it is set on each one rather than inherited.
  forEachCommand(program, (command) =>
    command.showHelpAfterError(`See '${commandPath(command)} --help'.`),
  );
  return program;
}
