import net from 'node:net';
import { nullLogger, type Logger } from '@shoal/common';
import {
  type AgentSessionMessage,
  type AssignmentMessage,
  DispatcherCallError,
  type DispatcherApi,
  type Dispatcher,
  ForeignTaskError,
  InvalidReportError,
  type SessionPush,
  type StreamHandlers,
  UnknownNodeError,
  UnknownSessionError,
} from '@shoal/dispatcher';

/**
 * Simulated agents in one process, the managers' dispatchers in others: one Unix socket per
 * manager carries every agent's calls to it, newline-delimited JSON, each call tagged with
 * the caller's node ID (what the gRPC service reads from the peer's certificate) and a call
 * number. It stands in for the agents' gRPC channels when there are too many to give each
 * its own TLS connection on one machine: the server side maps the Dispatcher core exactly as
 * the gRPC service does (libs/dispatcher/src/grpc/dispatcher.service.ts), a manager that does
 * not lead names the leader so agents move there, and what crosses is JSON, as the tasks
 * inside the gRPC messages are. Log streams are not carried: publishLogs drops the lines.
 */

/** Agent → manager. */
type CallFrame =
  | { t: 'session'; c: number; n: string; d: string; p: string }
  | { t: 'hb'; c: number; n: string; s: string }
  | { t: 'asg'; c: number; n: string; s: string }
  | { t: 'st'; c: number; n: string; s: string; u: { taskId: string; statusJson: string }[] }
  | { t: 'cancel'; c: number };

interface WireError {
  k: DispatcherCallError['kind'];
  m: string;
  /** For not-leader: the leader's address. */
  l?: string;
}

/** Manager → agent: a stream message, a unary result, an error, or a stream's end. */
type ReplyFrame =
  | { c: number; m: unknown }
  | { c: number; r: unknown }
  | { c: number; e: WireError }
  | { c: number; end: true; e?: WireError };

function wireErrorOf(err: unknown): WireError {
  const m = err instanceof Error ? err.message : String(err);
  if (err instanceof DispatcherCallError) return { k: err.kind, m };
  if (err instanceof UnknownSessionError) return { k: 'unknown-session', m };
  if (err instanceof UnknownNodeError || err instanceof ForeignTaskError) return { k: 'denied', m };
  if (err instanceof InvalidReportError) return { k: 'invalid', m };
  return { k: 'unavailable', m };
}

const callErrorOf = (e: WireError) => new DispatcherCallError(e.k, e.m, e.l);

/**
 * Newline-delimited JSON both ways. Writes made in one turn go out together (cork until the
 * next tick): a commit fans out to hundreds of agents at once.
 */
class FramedSocket {
  private pending = '';
  private corked = false;

  constructor(
    readonly socket: net.Socket,
    onFrame: (frame: unknown) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      // Only the new chunk can hold the end of the frame being read.
      let from = this.pending.length;
      this.pending += chunk;
      for (;;) {
        const end = this.pending.indexOf('\n', from);
        if (end < 0) break;
        const line = this.pending.slice(0, end);
        this.pending = this.pending.slice(end + 1);
        from = 0;
        onFrame(JSON.parse(line));
      }
    });
  }

  send(frame: CallFrame | ReplyFrame): void {
    if (this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(JSON.stringify(frame) + '\n');
  }
}

export interface DispatcherBridgeServerOptions {
  /** The Unix socket to listen on. */
  path: string;
  /** The leader's running dispatcher; undefined on any other manager. */
  current(): { dispatcher: Dispatcher } | undefined;
  /** Another manager's address when it leads, for agents to move to (as the gRPC service). */
  leaderAddr?(): string | undefined;
  logger?: Logger;
}

/** The manager's end: serves every connection's calls on the dispatcher of the moment. */
export async function serveDispatcherBridge(
  o: DispatcherBridgeServerOptions,
): Promise<{ close(): Promise<void> }> {
  const log = o.logger ?? nullLogger;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const open = new Map<number, () => void>();
    const wire = new FramedSocket(socket, (f) => onCall(f as CallFrame));
    /** As the gRPC service answers where no dispatcher runs: a redirect, or "try later". */
    const noDispatcher = (): WireError => {
      const addr = o.leaderAddr?.();
      return addr
        ? {
            k: 'not-leader',
            m: `this manager is not the leader; the leader is at ${addr}`,
            l: addr,
          }
        : {
            k: 'unavailable',
            m: 'no dispatcher here yet: there is no leader, or it is still starting',
          };
    };
    socket.on('error', (err) => log.debug('bridge connection failed', { err: err.message }));
    socket.on('close', () => {
      sockets.delete(socket);
      for (const finish of [...open.values()]) finish();
    });

    const onCall = (f: CallFrame): void => {
      if (f.t === 'cancel') return open.get(f.c)?.();
      const leader = o.current();
      if (!leader) {
        const e = noDispatcher();
        return wire.send(
          f.t === 'session' || f.t === 'asg' ? { c: f.c, end: true, e } : { c: f.c, e },
        );
      }
      const d = leader.dispatcher;
      switch (f.t) {
        case 'session':
          return openSession(d, f);
        case 'asg':
          return watchAssignments(d, f);
        case 'hb':
          try {
            wire.send({ c: f.c, r: d.heartbeat(f.n, f.s) });
          } catch (err) {
            wire.send({ c: f.c, e: wireErrorOf(err) });
          }
          return;
        case 'st': {
          let pending: Promise<void>;
          try {
            pending = d.updateTaskStatus(f.n, f.s, f.u);
          } catch (err) {
            return wire.send({ c: f.c, e: wireErrorOf(err) });
          }
          pending.then(
            () => wire.send({ c: f.c, r: null }),
            (err: unknown) => wire.send({ c: f.c, e: wireErrorOf(err) }),
          );
        }
      }
    };

    const openSession = (d: Dispatcher, f: Extract<CallFrame, { t: 'session' }>) => {
      let sessionId: string | undefined;
      let live = true;
      const finish = (e?: WireError) => {
        if (!live) return;
        live = false;
        open.delete(f.c);
        if (sessionId) d.closeSession(sessionId);
        wire.send(e ? { c: f.c, end: true, e } : { c: f.c, end: true });
      };
      open.set(f.c, () => finish());
      const push = (msg: SessionPush) => {
        if (!live) return;
        if (msg.end !== undefined) return finish({ k: 'unavailable', m: msg.end });
        const out: AgentSessionMessage = { sessionId: sessionId ?? '' };
        if (msg.managers) out.managers = msg.managers;
        wire.send({ c: f.c, m: out });
      };
      d.openSession(f.n, f.d, f.p, push).then(
        (s) => {
          sessionId = s.sessionId;
          if (!live) return d.closeSession(s.sessionId);
          const first: AgentSessionMessage = {
            sessionId: s.sessionId,
            heartbeatPeriodMs: s.heartbeatPeriodMs,
            managers: s.managers,
          };
          wire.send({ c: f.c, m: first });
        },
        (err: unknown) => finish(wireErrorOf(err)),
      );
    };

    const watchAssignments = (d: Dispatcher, f: Extract<CallFrame, { t: 'asg' }>) => {
      let stop: (() => void) | undefined;
      let live = true;
      const finish = (e?: WireError) => {
        if (!live) return;
        live = false;
        open.delete(f.c);
        stop?.();
        wire.send(e ? { c: f.c, end: true, e } : { c: f.c, end: true });
      };
      open.set(f.c, () => finish());
      try {
        stop = d.watchAssignments(
          f.n,
          f.s,
          (msg) => live && wire.send({ c: f.c, m: msg }),
          (why) => finish({ k: 'unavailable', m: why }),
        );
      } catch (err) {
        finish(wireErrorOf(err));
      }
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.path, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Waiting {
  message?(m: unknown): void;
  end?(err?: DispatcherCallError): void;
  resolve?(v: unknown): void;
  reject?(err: DispatcherCallError): void;
}

/** The agents' end: one connection, any number of nodes' DispatcherApis on it. */
export class DispatcherBridgeClient {
  private readonly wire: FramedSocket;
  private readonly waiting = new Map<number, Waiting>();
  private nextCall = 1;
  private lost = false;

  private constructor(socket: net.Socket) {
    this.wire = new FramedSocket(socket, (f) => this.onReply(f as ReplyFrame));
    const fail = () => {
      if (this.lost) return;
      this.lost = true;
      const err = new DispatcherCallError('unavailable', 'the bridge to the manager closed');
      const all = [...this.waiting.values()];
      this.waiting.clear();
      for (const w of all) {
        w.end?.(err);
        w.reject?.(err);
      }
    };
    socket.on('error', fail);
    socket.on('close', fail);
  }

  static connect(path: string): Promise<DispatcherBridgeClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new DispatcherBridgeClient(socket));
      });
    });
  }

  /** A DispatcherApi for `nodeId`, as a channel authenticated by its certificate would be. */
  api(nodeId: string, peerAddr: string): DispatcherApi {
    return new BridgedApi(this, nodeId, peerAddr);
  }

  close(): void {
    this.wire.socket.destroy();
  }

  /** @internal */
  stream<T>(frame: (c: number) => CallFrame, h: StreamHandlers<T>): { cancel(): void } {
    const c = this.nextCall++;
    if (this.lost) {
      queueMicrotask(() => h.end(new DispatcherCallError('unavailable', 'the bridge closed')));
      return { cancel: () => undefined };
    }
    this.waiting.set(c, { message: (m) => h.message(m as T), end: (e) => h.end(e) });
    this.wire.send(frame(c));
    return {
      // The agent hears nothing more at once; the manager learns of it one hop later.
      cancel: () => {
        if (!this.waiting.delete(c)) return;
        this.wire.send({ t: 'cancel', c });
      },
    };
  }

  /** @internal */
  unary<T>(frame: (c: number) => CallFrame): Promise<T> {
    if (this.lost)
      return Promise.reject(new DispatcherCallError('unavailable', 'the bridge closed'));
    const c = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(c, { resolve: (v) => resolve(v as T), reject });
      this.wire.send(frame(c));
    });
  }

  private onReply(f: ReplyFrame): void {
    const w = this.waiting.get(f.c);
    if (!w) return; // cancelled meanwhile
    if ('m' in f) return w.message?.(f.m);
    this.waiting.delete(f.c);
    if ('end' in f) return w.end?.(f.e ? callErrorOf(f.e) : undefined);
    if ('e' in f) {
      const err = callErrorOf(f.e);
      w.end?.(err);
      w.reject?.(err);
      return;
    }
    w.resolve?.(f.r);
  }
}

class BridgedApi implements DispatcherApi {
  private closed = false;

  constructor(
    private readonly bridge: DispatcherBridgeClient,
    private readonly nodeId: string,
    private readonly peerAddr: string,
  ) {}

  session(descriptionJson: string, h: StreamHandlers<AgentSessionMessage>): { cancel(): void } {
    if (this.closed) return this.refused(h);
    return this.bridge.stream(
      (c) => ({ t: 'session', c, n: this.nodeId, d: descriptionJson, p: this.peerAddr }),
      h,
    );
  }

  heartbeat(sessionId: string): Promise<number> {
    if (this.closed) return Promise.reject(channelClosed());
    return this.bridge.unary((c) => ({ t: 'hb', c, n: this.nodeId, s: sessionId }));
  }

  assignments(sessionId: string, h: StreamHandlers<AssignmentMessage>): { cancel(): void } {
    if (this.closed) return this.refused(h);
    return this.bridge.stream((c) => ({ t: 'asg', c, n: this.nodeId, s: sessionId }), h);
  }

  updateTaskStatus(
    sessionId: string,
    updates: readonly { taskId: string; statusJson: string }[],
  ): Promise<void> {
    if (this.closed) return Promise.reject(channelClosed());
    return this.bridge.unary((c) => ({
      t: 'st',
      c,
      n: this.nodeId,
      s: sessionId,
      u: updates.map((u) => ({ taskId: u.taskId, statusJson: u.statusJson })),
    }));
  }

  publishLogs(): Promise<void> {
    return Promise.resolve();
  }

  /** Like a gRPC channel's close: new calls fail, streams already open carry on. */
  close(): void {
    this.closed = true;
  }

  private refused<T>(h: StreamHandlers<T>): { cancel(): void } {
    queueMicrotask(() => h.end(channelClosed()));
    return { cancel: () => undefined };
  }
}

const channelClosed = () => new DispatcherCallError('unavailable', 'the channel is closed');
