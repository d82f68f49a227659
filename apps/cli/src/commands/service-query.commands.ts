/** `shoal service ls|ps|inspect|logs`: the commands that only read services. */
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
  type ListFlags,
  addListOptions,
  daemonClient,
  formatOption,
  getFiltered,
  identity,
  inspectEach,
  repeatable,
  writeIds,
  writeRows,
} from './command.support';
import { registerServiceLogs } from './service-logs.commands';
import { servicePath } from './service.commands';

function registerLs(service: Command, ctx: CliContext): void {
  addListOptions(
    service.command('ls').alias('list').description('List services'),
    'name=web, mode=global',
  ).action(async (opts: ListFlags, cmd: Command) => {
    const client = daemonClient(cmd, ctx);
    const services = await getFiltered<Service>(client, '/services', opts.filter);
    if (opts.quiet) {
      // Full IDs: they are what scripts pipe into other commands, and need no prefix lookup.
      writeIds(ctx, serviceRows(services, []));
      return;
    }
    // One task listing for all services, counted per service on this side: one round trip
    // however many services there are, and no reliance on the optional ServiceStatus.
    const tasks = services.length > 0 ? await client.get<Task[]>('/tasks') : [];
    writeRows(ctx, opts.format, serviceRows(services, tasks), renderServiceTable);
  });
}

interface PsFlags extends ListFlags {
  /** `--no-trunc` is a negatable flag, so commander reports it as trunc: false. */
  trunc?: boolean;
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
      repeatable(identity),
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
        writeIds(ctx, taskRows(names, tasks, [], ctx.now(), noTrunc));
        return;
      }
      const nodes = tasks.length > 0 ? await client.get<Node[]>('/nodes') : [];
      writeRows(ctx, opts.format, taskRows(names, tasks, nodes, ctx.now(), noTrunc), (rows) =>
        renderTaskTable(rows, noTrunc),
      );
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
  registerServiceLogs(service, ctx);
}
