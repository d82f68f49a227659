/** `shoal service logs`: a service's or task's output, printed as `docker service logs` does. */
import type { Command } from 'commander';
import {
  LogFrameDecodeError,
  decodeLogFrames,
} from '../../../shoald/src/api/logs/log-frame.decoder';
import { RAW_STREAM_TYPE } from '../../../shoald/src/api/logs/log-frame.encoder';
import type { Node, Service, Task } from '../api/swarm.types';
import type { CliContext } from '../cli.context';
import type { DaemonClient } from '../client/daemon.client';
import { CommandFailedError, DaemonError } from '../errors/cli.errors';
import { parseLogSince, parseLogTail } from '../parse/log-since.parser';
import {
  type SwarmLogContext,
  type TaskLabelOptions,
  parseSwarmLogLine,
  renderLogLine,
  slotWidth,
  taskLabel,
} from '../views/service-logs.views';
import { daemonClient, flagParser } from './command.support';
import { servicePath } from './service.commands';

interface LogsFlags {
  details?: boolean;
  follow?: boolean;
  /** `--no-resolve`, `--no-task-ids` and `--no-trunc` are negatable: false when given. */
  resolve: boolean;
  taskIds: boolean;
  trunc: boolean;
  raw?: boolean;
  since?: string;
  tail: string;
  timestamps?: boolean;
}

type LogTarget = { path: string; padding: number };

const isNotFound = (err: unknown) => err instanceof DaemonError && err.statusCode === 404;

/** A service first, else a task, as docker looks them up; neither is one message. */
async function resolveTarget(client: DaemonClient, ref: string): Promise<LogTarget> {
  try {
    const service = await client.get<Service>(servicePath(ref));
    const replicas = service.Spec?.Mode?.Replicated?.Replicas;
    return {
      path: `${servicePath(service.ID)}/logs`,
      padding: replicas !== undefined ? slotWidth(replicas) : 1,
    };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    const task = await client.get<Task>(`/tasks/${encodeURIComponent(ref)}`);
    return {
      path: `/tasks/${encodeURIComponent(task.ID)}/logs`,
      padding: slotWidth(task.Slot ?? 0),
    };
  } catch (err) {
    if (isNotFound(err)) throw new CommandFailedError(`no such task or service: ${ref}`);
    throw err;
  }
}

/**
 * Labels for log lines, from the objects the details name, each fetched once. An object the
 * daemon no longer has (a removed node) shows by its ID rather than failing the command.
 */
class TaskLabels {
  private readonly labels = new Map<string, Promise<string>>();
  private readonly names = new Map<string, Promise<string>>();

  constructor(
    private readonly client: DaemonClient,
    private readonly resolve: boolean,
    private readonly opts: TaskLabelOptions,
    private readonly padding: number,
  ) {}

  label(ctx: SwarmLogContext): Promise<string> {
    const key = `${ctx.nodeId}/${ctx.serviceId}/${ctx.taskId}`;
    let label = this.labels.get(key);
    if (!label) {
      label = this.build(ctx);
      this.labels.set(key, label);
    }
    return label;
  }

  private async build(ctx: SwarmLogContext): Promise<string> {
    const [nodeName, serviceName, slot] = await Promise.all([
      this.name(`/nodes/${encodeURIComponent(ctx.nodeId)}`, ctx.nodeId, (n: Node) =>
        n.Spec?.Name ? n.Spec.Name : (n.Description?.Hostname ?? ''),
      ),
      this.name(servicePath(ctx.serviceId), ctx.serviceId, (s: Service) => s.Spec?.Name ?? ''),
      this.client
        .get<Task>(`/tasks/${encodeURIComponent(ctx.taskId)}`)
        .then((t) => t.Slot ?? 0)
        .catch((err: unknown) => {
          if (isNotFound(err)) return 0;
          throw err;
        }),
    ]);
    return taskLabel({ serviceName, slot, taskId: ctx.taskId, nodeName }, this.opts, this.padding);
  }

  private name<T>(path: string, id: string, pick: (object: T) => string): Promise<string> {
    if (!this.resolve) return Promise.resolve(id);
    let name = this.names.get(path);
    if (!name) {
      name = this.client.get<T>(path).then(
        (object) => pick(object) || id,
        (err: unknown) => {
          if (isNotFound(err)) return id;
          throw err;
        },
      );
      this.names.set(path, name);
    }
    return name;
  }
}

async function printLogs(
  ctx: CliContext,
  client: DaemonClient,
  ref: string,
  opts: LogsFlags,
): Promise<void> {
  const target = await resolveTarget(client, ref);
  const stream = await client.stream(target.path, {
    stdout: 1,
    stderr: 1,
    follow: opts.follow ? 1 : undefined,
    tail: opts.tail,
    since: opts.since,
    timestamps: opts.timestamps ? 1 : undefined,
    // The details carry the task context the labels need.
    details: opts.details || !opts.raw ? 1 : undefined,
  });
  try {
    if (stream.contentType.startsWith(RAW_STREAM_TYPE)) {
      // A TTY merges the task's output into one stream with no frames to split it by.
      for await (const chunk of stream.body) ctx.stdout.write(chunk.toString('utf8'));
      return;
    }
    const labels = new TaskLabels(
      client,
      opts.resolve,
      { noTaskIds: !opts.taskIds, noTrunc: !opts.trunc },
      target.padding,
    );
    for await (const frame of decodeLogFrames(stream.body)) {
      if (frame.stream === 'systemerr') {
        throw new CommandFailedError(
          `error from daemon in stream: ${frame.payload.toString('utf8').trimEnd()}`,
        );
      }
      if (frame.stream === 'stdin') continue;
      const out = frame.stream === 'stderr' ? ctx.stderr : ctx.stdout;
      if (opts.raw) {
        out.write(frame.payload.toString('utf8'));
        continue;
      }
      const line = parseSwarmLogLine(frame.payload, opts.timestamps === true);
      const label = await labels.label(line.context);
      out.write(renderLogLine(line, label, opts.details === true).toString('utf8'));
    }
  } catch (err) {
    if (err instanceof LogFrameDecodeError) throw new CommandFailedError(err.message);
    throw err;
  } finally {
    stream.close();
  }
}

export function registerServiceLogs(service: Command, ctx: CliContext): void {
  service
    .command('logs')
    .description('Fetch the logs of a service or task')
    .argument('<service|task>', 'service or task name or ID')
    .option('--details', 'show extra details provided to logs')
    .option('-f, --follow', 'follow log output')
    .option('--no-resolve', 'do not map IDs to names in output')
    .option('--no-task-ids', 'do not include task IDs in output')
    .option('--no-trunc', 'do not truncate output')
    .option('--raw', 'do not neatly format logs')
    .option(
      '--since <time>',
      'show logs since a timestamp (e.g. "2024-05-01T10:00:00Z") or a relative time (e.g. "42m" for 42 minutes)',
      flagParser((value) => parseLogSince(value, ctx.now())),
    )
    .option(
      '-n, --tail <lines>',
      'number of lines to show from the end of the logs',
      flagParser(parseLogTail),
      'all',
    )
    .option('-t, --timestamps', 'show timestamps')
    .action(async (ref: string, opts: LogsFlags, cmd: Command) => {
      await printLogs(ctx, daemonClient(cmd, ctx), ref, opts);
    });
}
