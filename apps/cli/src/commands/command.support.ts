/**
 * Plumbing every command group shares: reaching the daemon with the global -H, adapting the
 * pure parsers to commander's flag parsers, and reporting per-object failures of commands
 * that act on several objects.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { CLI_VERSION, type CliContext } from '../cli.context';
import { resolveDaemonHost } from '../client/daemon-host.parser';
import { DaemonClient } from '../client/daemon.client';
import {
  ConnectionError,
  DaemonError,
  PartialFailureError,
  UsageError,
} from '../errors/cli.errors';
import { parseFilters } from '../parse/key-value.parser';

/** The client for the daemon chosen by `-H/--host`, SHOAL_HOST or the default socket. */
export function daemonClient(command: Command, ctx: CliContext): DaemonClient {
  const { host } = command.optsWithGlobals<{ host?: string }>();
  return new DaemonClient(resolveDaemonHost(host, ctx.env), {
    userAgent: `shoal-cli/${CLI_VERSION}`,
  });
}

/**
 * Wraps a pure parser as a commander option parser. The parser's UsageError becomes commander's
 * InvalidArgumentError, so the message names the flag ("option '--update-delay <duration>'
 * argument '5x' is invalid. ...") and the run exits 125 like any other flag error.
 */
export function flagParser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof UsageError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

/** A repeatable flag: every occurrence is parsed and appended (no default, so "unset" stays undefined). */
export function repeatable<T>(parse: (value: string) => T): (value: string, previous?: T[]) => T[] {
  const parseOne = flagParser(parse);
  return (value, previous) => [...(previous ?? []), parseOne(value)];
}

/** A repeatable flag whose single value may stand for several items (a port range). */
export function repeatableFlat<T>(
  parse: (value: string) => T[],
): (value: string, previous?: T[]) => T[] {
  const parseOne = flagParser(parse);
  return (value, previous) => [...(previous ?? []), ...parseOne(value)];
}

export const identity = (value: string): string => value;

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${JSON.stringify(value)} is not a non-negative integer`);
  }
  return Number(value);
}

export function parseRatio(value: string): number {
  const ratio = Number(value);
  if (value.trim() === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new UsageError(`${JSON.stringify(value)} is not a ratio between 0 and 1 (e.g. 0.2)`);
  }
  return ratio;
}

/** A duration flag: Go syntax, and negative values (which Go accepts) make no sense here. */
export function nonNegative(parse: (value: string) => number): (value: string) => number {
  return (value) => {
    const parsed = parse(value);
    if (parsed < 0) throw new UsageError(`duration ${JSON.stringify(value)} must not be negative`);
    return parsed;
  };
}

export type ListFormat = 'table' | 'json';

/** `--format table|json`: docker's Go templates are not supported, only its two named formats. */
export function formatOption(): Option {
  return new Option('--format <format>', 'output format: "table" or "json" (pretty-printed)')
    .choices(['table', 'json'])
    .default('table', 'table');
}

/** docker prints inspect results as an indented JSON array; so does shoal, also for --format json. */
export function writeJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 4)}\n`);
}

/** The flags every `ls` takes: `-q`, repeatable `-f key=value` and `--format`. */
export interface ListFlags {
  quiet?: boolean;
  filter?: string[];
  format: ListFormat;
}

/**
 * Declares the flags ListFlags describes, as every `ls` has them; only the filter example in
 * the help differs. (`service ps` takes the same three but lists --no-trunc among them, so it
 * declares its own to keep its --help order.)
 */
export function addListOptions(command: Command, filterExample: string): Command {
  return command
    .option('-q, --quiet', 'only display IDs')
    .option(
      '-f, --filter <filter>',
      `filter output (e.g. ${filterExample}), repeatable`,
      repeatable(identity),
    )
    .addOption(formatOption());
}

/**
 * GET a list endpoint with the `-f key=value` flags sent as the Engine API's `filters` JSON;
 * without any, no query at all.
 */
export function getFiltered<T>(
  client: DaemonClient,
  path: string,
  filter: readonly string[] | undefined,
): Promise<T[]> {
  const filters = parseFilters(filter ?? []);
  return client.get<T[]>(path, filters ? { filters: JSON.stringify(filters) } : undefined);
}

/** `-q` output: the rows' IDs, one a line. */
export function writeIds(ctx: CliContext, rows: readonly { ID: string }[]): void {
  for (const row of rows) ctx.stdout.write(`${row.ID}\n`);
}

/** A listing: docker's table, or with `--format json` the same rows as JSON. */
export function writeRows<R>(
  ctx: CliContext,
  format: ListFormat,
  rows: R[],
  renderTable: (rows: R[]) => string,
): void {
  if (format === 'json') writeJson(ctx, rows);
  else ctx.stdout.write(renderTable(rows));
}

export function writeWarnings(
  ctx: CliContext,
  warnings: readonly string[] | null | undefined,
): void {
  for (const warning of warnings ?? []) ctx.stderr.write(`WARNING: ${warning}\n`);
}

/** One line on stderr for an error the runner would print, for per-object reporting. */
export function describeError(err: unknown): string {
  if (err instanceof DaemonError) return `Error response from daemon: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Runs `action` on each item in order, as docker's rm/scale do: a failure is reported and the
 * rest still run; the command then exits 1. An unreachable daemon stops everything at once,
 * since every further item would fail the same way.
 */
export async function forEachReportingFailures<T>(
  ctx: CliContext,
  items: readonly T[],
  action: (item: T) => Promise<void>,
): Promise<void> {
  let failures = 0;
  for (const item of items) {
    try {
      await action(item);
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      failures++;
      ctx.stderr.write(`${describeError(err)}\n`);
    }
  }
  if (failures > 0) throw new PartialFailureError(failures);
}

/** The flags the user actually typed (not defaults), e.g. to refuse combinations with --rollback. */
export function flagsGivenOnCommandLine(command: Command): string[] {
  return command.options
    .filter((option) => command.getOptionValueSource(option.attributeName()) === 'cli')
    .map((option) => option.long ?? option.short ?? option.flags);
}

/**
 * `inspect` over several objects, the way docker does it: print what was found (a JSON array,
 * `[]` if nothing, or one pretty block each), report each miss on stderr, and exit 1 if any
 * missed. An unreachable daemon prints nothing but the connection error.
 */
export async function inspectEach<T>(
  ctx: CliContext,
  refs: readonly string[],
  pretty: boolean | undefined,
  renderPretty: (item: T) => string,
  fetch: (ref: string) => Promise<T>,
): Promise<void> {
  const found: T[] = [];
  let failure: unknown;
  try {
    await forEachReportingFailures(ctx, refs, async (ref) => {
      found.push(await fetch(ref));
    });
  } catch (err) {
    failure = err;
  }
  if (!(failure instanceof ConnectionError)) {
    if (pretty) ctx.stdout.write(found.map(renderPretty).join('\n'));
    else writeJson(ctx, found);
  }
  if (failure !== undefined) throw failure;
}
