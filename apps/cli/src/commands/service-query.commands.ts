/** `shoal service ls|ps|inspect`: the commands that only read services. */
import type { Command } from 'commander';
import type { Node, Service, Task } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import { parseFilters } from '../parse/key-value.parser';
import {
  renderServicePretty,
  renderServiceTable,
  renderTaskTable,
  serviceRows,
  taskRows,
} from '../views/service.views';
import {
  type ListFormat,
  daemonClient,
  formatOption,
  identity,
  inspectEach,
  repeatable,
  writeJson,
} from './command.support';
import { servicePath } from './service.commands';

const filterFlag = repeatable(identity);

function registerLs(service: Command, ctx: CliContext): void {
  service
    .command('ls')
    .alias('list')
    .description('List services')
    .option('-q, --quiet', 'only display IDs')
    .option(
      '-f, --filter <filter>',
      'filter output (e.g. name=web, mode=global), repeatable',
      filterFlag,
    )
    .addOption(formatOption())
    .action(
      async (opts: { quiet?: boolean; filter?: string[]; format: ListFormat }, cmd: Command) => {
        const client = daemonClient(cmd, ctx);
        const filters = parseFilters(opts.filter ?? []);
        const services = await client.get<Service[]>(
          '/services',
          filters ? { filters: JSON.stringify(filters) } : undefined,
        );
        if (opts.quiet) {
          // Full IDs: they are what scripts pipe into other commands, and need no prefix lookup.
          for (const row of serviceRows(services, [])) ctx.stdout.write(`${row.ID}\n`);
          return;
        }
        // One task listing for all services, counted per service on this side: one round trip
        // however many services there are, and no reliance on the optional ServiceStatus.
        const tasks = services.length > 0 ? await client.get<Task[]>('/tasks') : [];
        const rows = serviceRows(services, tasks);
        if (opts.format === 'json') writeJson(ctx, rows);
        else ctx.stdout.write(renderServiceTable(rows));
      },
    );
}

interface PsFlags {
  quiet?: boolean;
  /** `--no-trunc` is a negatable flag, so commander reports it as trunc: false. */
  trunc?: boolean;
  filter?: string[];
  format: ListFormat;
}

function registerPs(service: Command, ctx: CliContext): void {
  service
    .command('ps')
    .description('List the tasks of one or more services')
    .argument('<service...>', 'service names or IDs')
    .option('-q, --quiet', 'only display task IDs')
    .option('--no-trunc', 'do not truncate IDs, images and errors')
    .option(
      '-f, --filter <filter>',
      'filter tasks (e.g. desired-state=running), repeatable',
      filterFlag,
    )
    .addOption(formatOption())
    .action(async (refs: string[], opts: PsFlags, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      // Resolve names to IDs first: the task filter matches service IDs, and a missing
      // service should say "no such service" rather than print an empty table.
      const services = await Promise.all(refs.map((ref) => client.get<Service>(servicePath(ref))));
      const filters = parseFilters(opts.filter ?? []) ?? {};
      filters.service = [...new Set(services.map((s) => s.ID))];
      const tasks = await client.get<Task[]>('/tasks', { filters: JSON.stringify(filters) });
      const names = new Map(services.map((s) => [s.ID, s.Spec?.Name ?? s.ID]));
      const noTrunc = opts.trunc === false;
      if (opts.quiet) {
        for (const row of taskRows(names, tasks, [], ctx.now(), noTrunc))
          ctx.stdout.write(`${row.ID}\n`);
        return;
      }
      const nodes = tasks.length > 0 ? await client.get<Node[]>('/nodes') : [];
      const rows = taskRows(names, tasks, nodes, ctx.now(), noTrunc);
      if (opts.format === 'json') writeJson(ctx, rows);
      else ctx.stdout.write(renderTaskTable(rows, noTrunc));
    });
}

function registerInspect(service: Command, ctx: CliContext): void {
  service
    .command('inspect')
    .description('Display detailed information on one or more services')
    .argument('<service...>', 'service names or IDs')
    .option('--pretty', 'print the information in a human friendly format')
    .action(async (refs: string[], opts: { pretty?: boolean }, cmd: Command) => {
      const client = daemonClient(cmd, ctx);
      await inspectEach(ctx, refs, opts.pretty, renderServicePretty, (ref) =>
        client.get<Service>(servicePath(ref)),
      );
    });
}

/** Registers the read-only service commands under `service`. */
export function registerServiceQueryCommands(service: Command, ctx: CliContext): void {
  registerLs(service, ctx);
  registerPs(service, ctx);
  registerInspect(service, ctx);
}
