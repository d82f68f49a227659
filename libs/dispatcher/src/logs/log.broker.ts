import { type PbPublishLogsMessageOut } from '@shoal/api';
import { type IdGenerator, type Logger } from '@shoal/common';
import { type Dispatcher } from '../core/dispatcher';

/** One line of a task's output on its way to an API client. */
export interface BrokeredLogLine {
  taskId: string;
  nodeId: string;
  stream: 'stdout' | 'stderr';
  data: Buffer;
  timestamp?: string;
}

export interface LogRequest {
  tasks: readonly { taskId: string; nodeId: string }[];
  follow: boolean;
  /** Lines per task from the end; undefined for all. */
  tail?: number;
  sinceMs?: number;
  timestamps: boolean;
}

export interface LogSink {
  line(line: BrokeredLogLine): void;
  /** Something the client should know, for example that a node is down. */
  warning(message: string): void;
  /** Every node has sent all it will. */
  end(): void;
}

interface Subscription {
  id: string;
  sink: LogSink;
  /** The tasks of each node, for the nodes that have not finished yet. */
  waiting: Map<string, Set<string>>;
}

/**
 * Log subscriptions (after swarmkit's log broker): an API request for a service's or task's
 * logs becomes one subscription, pushed down the session of every node that runs one of the
 * tasks. Agents answer on PublishLogs; lines are checked against the subscription (a node may
 * only publish its own tasks) and passed to the request's sink. A node with no session, or
 * whose session ends, gets a warning instead, so a request never hangs on a dead node.
 */
export class LogBroker {
  private readonly subs = new Map<string, Subscription>();
  private readonly offSessionEnd: () => void;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly newId: IdGenerator,
    private readonly log: Logger,
  ) {
    this.offSessionEnd = dispatcher.onSessionEnd((nodeId) => {
      for (const sub of [...this.subs.values()]) {
        if (sub.waiting.has(nodeId)) this.nodeDone(sub, nodeId, `node ${nodeId} disconnected`);
      }
    });
  }

  /** Starts streaming; returns the function that cancels (closes it on every node). */
  subscribe(req: LogRequest, sink: LogSink): () => void {
    const sub: Subscription = { id: this.newId(), sink, waiting: new Map() };
    for (const t of req.tasks) {
      const set = sub.waiting.get(t.nodeId) ?? new Set<string>();
      set.add(t.taskId);
      sub.waiting.set(t.nodeId, set);
    }
    this.subs.set(sub.id, sub);
    for (const [nodeId, tasks] of [...sub.waiting]) {
      const sent = this.dispatcher.pushToNode(nodeId, {
        logSubscription: {
          id: sub.id,
          taskIds: [...tasks],
          follow: req.follow,
          tail: req.tail ?? -1,
          sinceMs: req.sinceMs ?? 0,
          timestamps: req.timestamps,
        },
      });
      if (!sent) {
        this.nodeDone(
          sub,
          nodeId,
          `node ${nodeId} is down or not connected: logs of its tasks (${[...tasks].join(', ')}) are unavailable`,
        );
      }
    }
    if (sub.waiting.size === 0) this.finish(sub);
    return () => this.cancel(sub.id);
  }

  /** A PublishLogs message from `nodeId`. */
  publish(nodeId: string, msg: PbPublishLogsMessageOut): void {
    const sub = this.subs.get(msg.subscriptionId);
    const tasks = sub?.waiting.get(nodeId);
    if (!sub || !tasks) return; // cancelled meanwhile, or not this node's to answer
    for (const l of msg.lines) {
      if (!tasks.has(l.taskId)) {
        this.log.warn('dropped log lines for a task the node was not asked about', {
          node: nodeId,
          task: l.taskId,
        });
        continue;
      }
      sub.sink.line({
        taskId: l.taskId,
        nodeId,
        stream: l.stream === 2 ? 'stderr' : 'stdout',
        data: Buffer.from(l.data),
        ...(l.timestamp ? { timestamp: l.timestamp } : {}),
      });
    }
    if (msg.close)
      this.nodeDone(sub, nodeId, msg.error ? `node ${nodeId}: ${msg.error}` : undefined);
  }

  stop(): void {
    this.offSessionEnd();
    for (const sub of [...this.subs.values()]) {
      sub.sink.warning('the manager serving these logs lost its leadership');
      this.finish(sub);
    }
  }

  private cancel(id: string): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    this.subs.delete(id);
    for (const nodeId of sub.waiting.keys()) {
      this.dispatcher.pushToNode(nodeId, { logSubscription: { id, close: true } });
    }
  }

  private nodeDone(sub: Subscription, nodeId: string, warning?: string): void {
    if (!sub.waiting.delete(nodeId)) return;
    if (warning) sub.sink.warning(warning);
    if (sub.waiting.size === 0) this.finish(sub);
  }

  private finish(sub: Subscription): void {
    this.subs.delete(sub.id);
    sub.sink.end();
  }
}
