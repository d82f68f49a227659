/** `shoal events`: the cluster's event stream, printed as `docker events` prints it. */
import { type Command, Option } from 'commander';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import { CommandFailedError } from '../errors/cli.errors';
import { parseFilters } from '../parse/key-value.parser';
import { parseLogSince } from '../parse/log-since.parser';
import { localOffsetMinutes, parseEventLine, renderEventLine } from '../views/events.views';
import { daemonClient, flagParser, identity, repeatable } from './command.support';

interface EventsFlags {
  filter?: string[];
  since?: string;
  until?: string;
  format?: 'json' | '{{json .}}';
}

/** The filters /events takes (docker's, plus type=task for Shoal's task events). */
const FILTER_EXAMPLE = 'type=service, event=update, service=web, node=<id>, type=task';

async function printEvents(ctx: CliContext, client: DaemonClient, opts: EventsFlags) {
  const filters = parseFilters(opts.filter ?? []);
  const stream = await client.stream('/events', {
    since: opts.since,
    until: opts.until,
    filters: filters ? JSON.stringify(filters) : undefined,
  });
  // Ctrl-C ends a stream the user asked to watch: a normal end, not a failure.
  let interrupted = false;
  const unwatch =
    ctx.onInterrupt?.(() => {
      interrupted = true;
      stream.close();
    }) ?? (() => undefined);
  const json = opts.format !== undefined;
  let pending = '';
  const emit = (line: string) => {
    if (line.trim() === '') return;
    let event;
    try {
      event = parseEventLine(line);
    } catch {
      throw new CommandFailedError(`the daemon sent an event that is not JSON: ${line}`);
    }
    ctx.stdout.write(
      json ? `${line}\n` : renderEventLine(event, localOffsetMinutes(event.timeNano)),
    );
  };
  try {
    for await (const chunk of stream.body) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        emit(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    }
    emit(pending);
  } catch (err) {
    if (!interrupted) throw err;
  } finally {
    unwatch();
    stream.close();
  }
}

export function registerEventsCommands(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('Get real-time events from the swarm (services, nodes, tasks, secrets, ...)')
    .option(
      '-f, --filter <filter>',
      `filter output (e.g. ${FILTER_EXAMPLE}), repeatable`,
      repeatable(identity),
    )
    .option(
      '--since <time>',
      'show events since a timestamp (e.g. "2024-05-01T10:00:00Z") or a relative time (e.g. "10m")',
      flagParser((value) => parseLogSince(value, ctx.now(), '--since')),
    )
    .option(
      '--until <time>',
      'stream events until this timestamp or relative time, then exit',
      flagParser((value) => parseLogSince(value, ctx.now(), '--until')),
    )
    .addOption(
      new Option(
        '--format <format>',
        'print each event as one JSON line ("json" or "{{json .}}")',
      ).choices(['json', '{{json .}}']),
    )
    .action(async (opts: EventsFlags, cmd: Command) => {
      // A malformed -f fails before anything is sent, as a usage error.
      parseFilters(opts.filter ?? []);
      await printEvents(ctx, daemonClient(cmd, ctx), opts);
    });
}
