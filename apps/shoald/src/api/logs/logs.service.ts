import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type Logger } from '@shoal/common';
import { type BrokeredLogLine, type LogSink } from '@shoal/dispatcher';
import { SWARM_RUNTIME, type SwarmRuntime } from '../../manager/swarm-runtime.port';
import { API_CONTEXT, type ApiContext } from '../api.options';
import { type ApiResponse } from '../http/http.types';
import { parseLogQuery } from './log-query.parser';
import { LogStreamWriter, logContentType } from './log-stream.writer';
import {
  type LogTargetKind,
  refuseUnsupportedOptions,
  resolveLogTarget,
} from './log-target.resolver';

/**
 * A client this far behind (bytes written but not yet sent) is cut off: the agents cannot be
 * slowed down, so the alternative is holding a whole log in memory.
 */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * Serves GET /services/{id}/logs and GET /tasks/{id}/logs. Everything that can fail with a
 * status fails before the 200 is sent: the query (400), the reference (404/400), options the
 * tasks' executors cannot honour (400), and a subscription no leader can take (503). Then:
 * headers at once (the docker CLI waits for them), lines as the nodes send them, an error
 * frame at the end for whatever could not be read, and the end of the response when every
 * node has finished. A client that goes away cancels the subscription on the leader, which
 * closes it on the agents.
 */
@Injectable()
export class LogsService implements OnModuleDestroy, OnApplicationShutdown {
  private readonly log: Logger;
  /** Open streams, ended on shutdown so the HTTP server can close. */
  private readonly streams = new Set<() => void>();

  constructor(
    @Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime,
    @Inject(API_CONTEXT) ctx: ApiContext,
  ) {
    this.log = ctx.logger.child({ component: 'logs' });
  }

  onModuleDestroy(): void {
    for (const end of [...this.streams]) end();
  }

  onApplicationShutdown(): void {
    this.onModuleDestroy();
  }

  async stream(
    res: ApiResponse,
    kind: LogTargetKind,
    ref: string,
    rawQuery: Readonly<Record<string, unknown>>,
    apiVersion: string | undefined,
  ): Promise<void> {
    const query = parseLogQuery(rawQuery);
    const manager = this.runtime.manager();
    await manager.readBarrier();
    const target = manager.store.view((tx) => resolveLogTarget(tx, kind, ref, query.follow));
    refuseUnsupportedOptions(query, target);

    const serviceOf = new Map(target.tasks.map((t) => [t.taskId, t.serviceId]));
    const writer = new LogStreamWriter({
      multiplexed: !target.tty,
      format: { timestamps: query.timestamps, details: query.details },
      stdout: query.stdout,
      stderr: query.stderr,
      serviceOf: (taskId) => serviceOf.get(taskId) ?? '',
    });
    for (const id of target.unscheduled) writer.warning(`task ${id} has not been scheduled`);

    // What the sink gets before the subscription is confirmed waits here, so that a refusal
    // can still be answered with an error status instead of a 200 stream.
    let started = false;
    let finished = false;
    let closed = false;
    let cancel: (() => void) | undefined;
    const held: Buffer[] = [];
    const close = () => {
      if (closed) return;
      closed = true;
      this.streams.delete(close);
      if (!finished) cancel?.();
      if (!res.writableEnded) res.end();
    };
    const emit = (bytes: Buffer | undefined) => {
      if (!bytes || closed) return;
      if (!started) {
        held.push(bytes);
        return;
      }
      res.write(bytes);
      if (res.writableLength > MAX_PENDING_BYTES) {
        this.log.warn('logs client too slow; closing its stream', {
          pending: res.writableLength,
        });
        close();
        res.destroy();
      }
    };
    const sink: LogSink = {
      line: (line: BrokeredLogLine) => emit(writer.line(line)),
      warning: (reason) => writer.warning(reason),
      end: () => {
        if (finished) return;
        finished = true;
        emit(writer.finish());
        if (started) close();
      },
    };
    // Registered before subscribing: a client gone while the leader is asked cancels too.
    // The response's 'close' fires when the client disconnects (or after end()); the
    // request's does not mean that since Node 16.
    res.on('close', close);

    if (target.tasks.length === 0) {
      sink.end();
    } else {
      cancel = await manager.openLogs(
        {
          tasks: target.tasks.map(({ taskId, nodeId }) => ({ taskId, nodeId })),
          follow: query.follow,
          ...(query.tail !== undefined ? { tail: query.tail } : {}),
          ...(query.sinceMs !== undefined ? { sinceMs: query.sinceMs } : {}),
          timestamps: query.timestamps,
        },
        sink,
      );
    }
    if (closed) {
      cancel?.();
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', logContentType(target.tty, apiVersion));
    res.flushHeaders();
    started = true;
    for (const bytes of held.splice(0)) emit(bytes);
    if (finished) close();
    else this.streams.add(close);
  }
}
