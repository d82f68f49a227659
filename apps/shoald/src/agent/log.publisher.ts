import { type Task } from '@shoal/api';
import { type Logger } from '@shoal/common';
import {
  type AgentLogLine,
  type AgentLogSubscription,
  type DispatcherApi,
} from '@shoal/dispatcher';
import { type Executor } from '@shoal/exec';

/** Lines per PublishLogs message. */
const LINES_PER_MESSAGE = 100;

/**
 * Answers log subscriptions from the manager: reads each subscribed task's output through its
 * executor's logs() capability and publishes it back, in order per task, until the output ends
 * (or, following, until the manager closes the subscription or the session ends).
 */
export class LogPublisher {
  private readonly active = new Map<string, AbortController>();

  constructor(
    private readonly executor: Executor,
    private readonly taskOf: (taskId: string) => Task | undefined,
    private readonly log: Logger,
  ) {}

  handle(api: DispatcherApi, sub: AgentLogSubscription): void {
    if (sub.close) {
      this.active.get(sub.id)?.abort();
      return;
    }
    if (this.active.has(sub.id)) return;
    const abort = new AbortController();
    this.active.set(sub.id, abort);
    void this.publish(api, sub, abort.signal).finally(() => this.active.delete(sub.id));
  }

  /** The session is gone: every subscription with it. */
  abortAll(): void {
    for (const a of this.active.values()) a.abort();
    this.active.clear();
  }

  private async publish(
    api: DispatcherApi,
    sub: AgentLogSubscription,
    signal: AbortSignal,
  ): Promise<void> {
    const errors: string[] = [];
    try {
      await Promise.all(
        sub.taskIds.map(async (taskId) => {
          const task = this.taskOf(taskId);
          const controller = task ? this.executor.controller(task) : undefined;
          if (!task || !controller?.logs) {
            errors.push(
              task
                ? `task ${taskId}: this node's executor keeps no logs`
                : `task ${taskId} is not known on this node`,
            );
            return;
          }
          let batch: AgentLogLine[] = [];
          const flush = async () => {
            if (batch.length === 0) return;
            const lines = batch;
            batch = [];
            await api.publishLogs(sub.id, lines);
          };
          try {
            for await (const entry of controller.logs({
              follow: sub.follow,
              ...(sub.tail !== undefined ? { tail: sub.tail } : {}),
              ...(sub.sinceMs !== undefined ? { sinceMs: sub.sinceMs } : {}),
              timestamps: sub.timestamps,
              signal,
            })) {
              batch.push({
                taskId,
                stream: entry.stream,
                data: entry.data,
                ...(entry.timestamp ? { timestamp: entry.timestamp } : {}),
              });
              if (batch.length >= LINES_PER_MESSAGE) await flush();
              else setImmediate(() => void flush().catch(() => undefined));
            }
            await flush();
          } catch (err) {
            if (!signal.aborted) errors.push(`task ${taskId}: ${(err as Error).message}`);
          }
        }),
      );
      await api.publishLogs(sub.id, [], errors.length > 0 ? { error: errors.join('; ') } : {});
    } catch (err) {
      this.log.debug('log subscription ended early', {
        subscription: sub.id,
        err: (err as Error).message,
      });
    }
  }
}
