import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { type Logger } from '@shoal/common';
import { SWARM_RUNTIME, type SwarmRuntime } from '../../manager/swarm-runtime.port';
import { API_CONTEXT, type ApiContext } from '../api.options';
import { activeManager } from '../system/swarm-facts';
import { encodeEventLine, type FeedEvent } from './event-message.mapper';
import { EventsFeed } from './events.feed';
import { type EventsQuery } from './events.query';
import { type ApiResponse } from '../http/http.types';

/** How often the feed re-checks which store to follow (the node may init, join or leave). */
const FOLLOW_CHECK_MS = 1000;
/** setTimeout's ceiling; longer `until`s are reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Bounds on each client, the same over HTTP and WebSocket. */
export interface EventsLimits {
  /** A client this far behind (unsent bytes) is cut off rather than buffered without bound. */
  maxPendingBytes: number;
  /** WebSocket keepalive: a ping this often; no pong by the next one closes the socket. */
  pingIntervalMs: number;
}

export const DEFAULT_EVENTS_LIMITS: EventsLimits = {
  maxPendingBytes: 1024 * 1024,
  pingIntervalMs: 30_000,
};

/** Where one subscription's events go: an HTTP response or a WebSocket. */
export interface EventSink {
  /** Sends one event. */
  send(event: FeedEvent): void;
  /** Bytes accepted but not yet handed to the kernel. */
  readonly pendingBytes: number;
  /** Ends the stream: `done` (until reached), `shutdown` or `slow` (cut off). */
  close(reason: 'done' | 'shutdown' | 'slow'): void;
  /** Calls back once when the client goes away. */
  onGone(callback: () => void): void;
}

/**
 * Serves /events streams from the node's EventsFeed, with dockerd's semantics:
 * - headers are flushed at once (the docker CLI waits for them before printing anything);
 * - with `since` and/or `until`, remembered events in that window are sent first;
 * - `until` in the past: the history, then the stream ends; in the future: live events until
 *   that time, then it ends; without `until`: live until the client goes away;
 * - the client's feed subscription (and timer) is released when it disconnects.
 * /events/ws (events.websocket.ts) goes through the same subscribe(), so both transports
 * have the same history, filters, `until` and slow-client rules.
 *
 * The feed is the daemon's, shared by all its API apps (ApiAppOptions.eventsFeed), or else
 * one of the app's own. Each app's service keeps the feed pointed at the store and ends its
 * own streams on shutdown; only an own feed is closed with the app.
 */
@Injectable()
export class EventsService implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  readonly feed: EventsFeed;
  /** False for a feed shared with other apps: closing it would stop their streams too. */
  private readonly ownsFeed: boolean;
  /** Per-client bounds; tests lower them. */
  readonly limits: EventsLimits = { ...DEFAULT_EVENTS_LIMITS };
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  /** Open streams, ended on shutdown so the HTTP server can close. */
  private readonly streams = new Set<() => void>();

  constructor(
    @Inject(SWARM_RUNTIME) private readonly runtime: SwarmRuntime,
    @Inject(API_CONTEXT) private readonly ctx: ApiContext,
  ) {
    this.ownsFeed = ctx.eventsFeed === undefined;
    this.feed = ctx.eventsFeed ?? new EventsFeed(ctx.eventsHistory);
    this.log = ctx.logger.child({ component: 'events' });
  }

  onModuleInit(): void {
    this.sync();
    this.timer = setInterval(() => this.sync(), FOLLOW_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const end of [...this.streams]) end();
    if (this.ownsFeed) this.feed.close();
  }

  onApplicationShutdown(): void {
    this.onModuleDestroy();
  }

  /** Number of this app's open streams (HTTP and WebSocket). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Points the feed at this node's store, if it is an active manager. */
  sync(): void {
    try {
      this.feed.follow(activeManager(this.runtime)?.store);
    } catch (err) {
      this.log.warn('cannot follow the store for events', { error: (err as Error).message });
    }
  }

  /** GET /events: newline-delimited JSON on the response. */
  stream(res: ApiResponse, query: EventsQuery): void {
    const sink: EventSink = {
      send: (event) => res.write(encodeEventLine(event)),
      get pendingBytes() {
        return res.writableLength;
      },
      close: (reason) => {
        if (!res.writableEnded) res.end();
        if (reason === 'slow') res.destroy();
      },
      // The response's 'close' fires when the client disconnects (or after end()); the
      // request's does not mean that since Node 16, so it is not used.
      onGone: (callback) => res.on('close', callback),
    };
    this.subscribe(sink, query, () => {
      res.status(200);
      res.setHeader('Content-Type', 'application/json');
      res.flushHeaders();
    });
  }

  /**
   * Serves one client: history (for since/until) then live events, until `until`, the
   * client leaving, a cut-off or shutdown. `start` runs after the subscription is taken and
   * before the first event is sent (HTTP flushes its headers there).
   */
  subscribe(sink: EventSink, query: EventsQuery, start: () => void = () => undefined): void {
    this.sync();
    const nowNano = BigInt(Math.trunc(this.ctx.clock.now())) * 1_000_000n;
    const { sinceNano, untilNano, filter } = query;

    // History and subscription in the same synchronous turn: nothing falls between them.
    const buffered =
      sinceNano !== undefined || untilNano !== undefined
        ? this.feed.history({ sinceNano, untilNano }).filter((e) => filter.matches(e.message))
        : [];
    const onlyPast = untilNano !== undefined && untilNano <= nowNano;

    let closed = false;
    let stopListening = () => undefined as void;
    let timer: NodeJS.Timeout | undefined;
    const finish = (reason: 'done' | 'shutdown' | 'slow' | 'gone') => {
      if (closed) return;
      closed = true;
      stopListening();
      clearTimeout(timer);
      this.streams.delete(onShutdown);
      if (reason !== 'gone') sink.close(reason);
    };
    const onShutdown = () => finish('shutdown');
    const write = (event: FeedEvent) => {
      if (closed) return;
      sink.send(event);
      const pending = sink.pendingBytes;
      if (pending > this.limits.maxPendingBytes) {
        this.log.warn('events client too slow; closing its stream', { pending });
        finish('slow');
      }
    };

    if (!onlyPast && !filter.matchesNothing) {
      stopListening = this.feed.listen((event) => {
        if (untilNano !== undefined && event.timeNano > untilNano) return;
        if (filter.matches(event.message)) write(event);
      });
    }
    start();
    for (const event of buffered) write(event);
    if (closed) return; // cut off while replaying
    if (onlyPast) {
      finish('done');
      return;
    }
    this.streams.add(onShutdown);
    sink.onGone(() => finish('gone'));
    if (untilNano !== undefined) {
      const arm = () => {
        const left = Number(
          (untilNano - BigInt(Math.trunc(this.ctx.clock.now())) * 1_000_000n) / 1_000_000n,
        );
        if (left <= 0) return finish('done');
        timer = setTimeout(arm, Math.min(left + 1, MAX_TIMER_MS));
        timer.unref();
      };
      arm();
    }
  }
}
