import { type PbPublishLogsMessageOut } from '@shoal/api';
import { type AssignmentMessage } from '../core/assignment.set';
import {
  ForeignTaskError,
  UnknownNodeError,
  UnknownSessionError,
  type Dispatcher,
  type SessionPush,
} from '../core/dispatcher';
import {
  DispatcherCallError,
  type AgentLogLine,
  type AgentLogSubscription,
  type AgentSessionMessage,
  type DispatcherApi,
  type StreamHandlers,
} from '../core/dispatcher-api.port';
import { InvalidReportError } from '../core/reports.sanitizer';
import { type LogBroker } from '../logs/log.broker';

/** One hop across the simulated wire. */
export type Defer = (fn: () => void) => void;

/**
 * A macrotask per hop, as a socket read would be: neither side ever runs inside the other's
 * call (the dispatcher pushes from inside store deliveries, and an agent that answered
 * synchronously would write to the store while it is still publishing).
 */
const nextTurn: Defer = (fn) => void setImmediate(fn);

/**
 * The network between one node and the managers. Cutting it is the node dying: nothing
 * crosses any more in either direction, and calls in flight never answer. A cut link stays
 * cut: a node that comes back is a new node with a new link, as a reinstalled host would be.
 */
export class InProcessLink {
  private up = true;
  private readonly resets = new Set<() => void>();

  constructor(private readonly defer: Defer = nextTurn) {}

  /**
   * By default the host vanished (power loss, cable pulled): the manager hears nothing, and
   * only the missing heartbeats tell it. With `reset`, only the agent's process died and its
   * kernel reset the connections, so the manager sees its streams cancelled at once (but
   * still marks the node down only when the grace period runs out).
   */
  cut(o: { reset?: boolean } = {}): void {
    if (!this.up) return;
    this.up = false;
    const resets = [...this.resets];
    this.resets.clear();
    if (o.reset) for (const r of resets) this.defer(r);
  }

  /** One wire both ways; two names so that each call site says which way a message goes. */
  toManager(fn: () => void): void {
    this.send(fn);
  }

  toAgent(fn: () => void): void {
    this.send(fn);
  }

  /** A stream's manager side registers here to hear of a reset (see cut). */
  onReset(fn: () => void): () => void {
    this.resets.add(fn);
    return () => this.resets.delete(fn);
  }

  private send(fn: () => void): void {
    if (!this.up) return;
    // Checked again on arrival: a message already on its way when the node died is lost too.
    this.defer(() => {
      if (this.up) fn();
    });
  }
}

export interface InProcessApiOptions {
  link: InProcessLink;
  /** The caller's node ID: what the manager would read from its certificate's CN. */
  nodeId: string;
  /** The leader's dispatcher (and log broker) now; undefined on a manager that does not lead. */
  current(): { dispatcher: Dispatcher; logs?: LogBroker } | undefined;
  /** Where the leader is, for the not-leader answer. */
  leaderAddr?(): string | undefined;
  /** The node's address as the manager records it (the gRPC peer's host). */
  peerAddr?: string;
}

/** The error kinds the gRPC service's status codes map to, from the core's errors. */
function callErrorOf(err: unknown): DispatcherCallError {
  if (err instanceof DispatcherCallError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UnknownSessionError)
    return new DispatcherCallError('unknown-session', message);
  if (err instanceof UnknownNodeError || err instanceof ForeignTaskError) {
    return new DispatcherCallError('denied', message);
  }
  if (err instanceof InvalidReportError) return new DispatcherCallError('invalid', message);
  return new DispatcherCallError('unavailable', message);
}

/** What crosses the wire is a copy: the agent must never hold the store's own objects. */
const onTheWire = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The broker's subscription as the gRPC client hands it over: proto3 fills in defaults for
 * missing fields, and a negative tail or a zero since mean "none".
 */
function toAgentSubscription(raw: unknown): AgentLogSubscription {
  const s = (raw ?? {}) as Partial<AgentLogSubscription>;
  const tail = s.tail ?? 0;
  const sinceMs = s.sinceMs ?? 0;
  return {
    id: s.id ?? '',
    taskIds: [...(s.taskIds ?? [])],
    follow: s.follow ?? false,
    ...(tail >= 0 ? { tail } : {}),
    ...(sinceMs > 0 ? { sinceMs } : {}),
    timestamps: s.timestamps ?? false,
    close: s.close ?? false,
  };
}

const streamEnded = () => new DispatcherCallError('unavailable', 'the stream ended');

/** The agent's end of one server stream: messages and the end, each delivered once. */
class ClientEnd<T> {
  private ended = false;

  constructor(
    private readonly link: InProcessLink,
    private readonly h: StreamHandlers<T>,
  ) {}

  get isOpen(): boolean {
    return !this.ended;
  }

  message(msg: T): void {
    const copy = onTheWire(msg);
    this.link.toAgent(() => !this.ended && this.h.message(copy));
  }

  end(err: DispatcherCallError): void {
    this.link.toAgent(() => {
      if (this.ended) return;
      this.ended = true;
      this.h.end(err);
    });
  }

  /** The agent cancelled: it hears nothing more, whatever is still on the wire. */
  cancel(): void {
    this.ended = true;
  }
}

/**
 * A DispatcherApi bound to one node, calling a Dispatcher core in this process as the gRPC
 * client and service do together (libs/dispatcher/src/grpc): the same streams, the same
 * mapping of the core's errors to DispatcherCallError kinds, copies of what crosses, and
 * one hop of latency each way. The simulated-agents harness gives every agent one of these.
 */
export class InProcessDispatcherApi implements DispatcherApi {
  private closed = false;

  constructor(private readonly o: InProcessApiOptions) {}

  session(descriptionJson: string, h: StreamHandlers<AgentSessionMessage>): { cancel(): void } {
    const client = new ClientEnd(this.o.link, h);
    if (this.refuseIfClosed(client)) return client;
    let server: { dispatcher: Dispatcher } | undefined;
    let sessionId: string | undefined;
    let open = true;
    let offReset = () => {};
    const finish = (err?: DispatcherCallError) => {
      if (!open) return;
      open = false;
      offReset();
      if (sessionId) server?.dispatcher.closeSession(sessionId);
      client.end(err ?? streamEnded());
    };
    const push = (msg: SessionPush) => {
      if (!open) return;
      if (msg.end !== undefined) return finish(new DispatcherCallError('unavailable', msg.end));
      client.message({
        sessionId: sessionId ?? '',
        ...(msg.managers ? { managers: msg.managers } : {}),
        ...(msg.logSubscription
          ? { logSubscription: toAgentSubscription(msg.logSubscription) }
          : {}),
      });
    };
    this.o.link.toManager(() => {
      if (!client.isOpen) return;
      offReset = this.o.link.onReset(() => finish());
      const leader = this.leader();
      if (leader instanceof DispatcherCallError) return finish(leader);
      server = leader;
      leader.dispatcher
        .openSession(this.o.nodeId, descriptionJson, this.o.peerAddr ?? '127.0.0.1', push)
        .then(
          (s) => {
            sessionId = s.sessionId;
            if (!open) return leader.dispatcher.closeSession(s.sessionId);
            client.message({
              sessionId: s.sessionId,
              ...(s.heartbeatPeriodMs ? { heartbeatPeriodMs: s.heartbeatPeriodMs } : {}),
              ...(s.managers.length > 0 ? { managers: s.managers } : {}),
            });
          },
          (err: unknown) => finish(callErrorOf(err)),
        );
    });
    return { cancel: () => this.cancel(client, () => finish()) };
  }

  heartbeat(sessionId: string): Promise<number> {
    return this.unary((leader) => leader.dispatcher.heartbeat(this.o.nodeId, sessionId));
  }

  assignments(sessionId: string, h: StreamHandlers<AssignmentMessage>): { cancel(): void } {
    const client = new ClientEnd(this.o.link, h);
    if (this.refuseIfClosed(client)) return client;
    let stop: (() => void) | undefined;
    let open = true;
    let offReset = () => {};
    const finish = (err?: DispatcherCallError) => {
      if (!open) return;
      open = false;
      offReset();
      stop?.();
      client.end(err ?? streamEnded());
    };
    this.o.link.toManager(() => {
      if (!client.isOpen) return;
      offReset = this.o.link.onReset(() => finish());
      const leader = this.leader();
      if (leader instanceof DispatcherCallError) return finish(leader);
      try {
        stop = leader.dispatcher.watchAssignments(
          this.o.nodeId,
          sessionId,
          (msg) => open && client.message(msg),
          (why) => finish(new DispatcherCallError('unavailable', why)),
        );
      } catch (err) {
        finish(callErrorOf(err));
      }
    });
    return { cancel: () => this.cancel(client, () => finish()) };
  }

  updateTaskStatus(
    sessionId: string,
    updates: readonly { taskId: string; statusJson: string }[],
  ): Promise<void> {
    const copy = updates.map((u) => ({ taskId: u.taskId, statusJson: u.statusJson }));
    return this.unary((leader) =>
      leader.dispatcher.updateTaskStatus(this.o.nodeId, sessionId, copy),
    );
  }

  /** Like the gRPC log stream, the agent learns nothing back; lines for no leader are lost. */
  publishLogs(
    subscriptionId: string,
    lines: readonly AgentLogLine[],
    end?: { error?: string },
  ): Promise<void> {
    const msg: PbPublishLogsMessageOut = {
      subscriptionId,
      lines: lines.map((l) => ({
        taskId: l.taskId,
        stream: l.stream === 'stderr' ? 2 : 1,
        data: Buffer.from(l.data),
        timestamp: l.timestamp ?? '',
      })),
      close: end !== undefined,
      error: end?.error ?? '',
    };
    this.o.link.toManager(() => {
      const leader = this.o.current();
      leader?.logs?.publish(this.o.nodeId, msg);
    });
    return Promise.resolve();
  }

  /** Like a gRPC channel's close: new calls fail, streams already open carry on. */
  close(): void {
    this.closed = true;
  }

  private leader(): { dispatcher: Dispatcher; logs?: LogBroker } | DispatcherCallError {
    const current = this.o.current();
    if (current) return current;
    const addr = this.o.leaderAddr?.();
    // As the gRPC service: a redirect only with somewhere to go, else "try again later".
    if (!addr) {
      return new DispatcherCallError(
        'unavailable',
        'no dispatcher here yet: there is no leader, or it is still starting',
      );
    }
    return new DispatcherCallError(
      'not-leader',
      `this manager is not the leader; the leader is at ${addr}`,
      addr,
    );
  }

  /** A request, its answer one hop back; neither ever arrives over a cut link. */
  private unary<T>(call: (leader: { dispatcher: Dispatcher }) => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(channelClosed());
    return new Promise<T>((resolve, reject) => {
      this.o.link.toManager(() => {
        const leader = this.leader();
        let answer: Promise<T>;
        try {
          if (leader instanceof DispatcherCallError) throw leader;
          answer = Promise.resolve(call(leader));
        } catch (err) {
          answer = Promise.reject(err as Error);
        }
        answer.then(
          (v) => this.o.link.toAgent(() => resolve(v)),
          (err: unknown) => this.o.link.toAgent(() => reject(callErrorOf(err))),
        );
      });
    });
  }

  private refuseIfClosed<T>(client: ClientEnd<T>): boolean {
    if (!this.closed) return false;
    client.end(channelClosed());
    return true;
  }

  /** The agent cancels: it stops listening now; the manager hears of it one hop later. */
  private cancel<T>(client: ClientEnd<T>, serverSide: () => void): void {
    if (!client.isOpen) return;
    client.cancel();
    this.o.link.toManager(serverSide);
  }
}

const channelClosed = () => new DispatcherCallError('unavailable', 'the channel is closed');
